import { generateKeyPair as generateKeyPairCallback, createPublicKey, type KeyObject } from 'node:crypto';
import { promisify } from 'node:util';
import type { KeyAlgorithm } from '../domain/client-certificate.js';
import { PkiError } from './errors.js';

export interface KeyPair {
  algorithm: KeyAlgorithm;
  privateKey: KeyObject;
  publicKey: KeyObject;
}

const generate = promisify(generateKeyPairCallback);

const RSA_BITS: Partial<Record<KeyAlgorithm, number>> = { RSA_2048: 2048, RSA_3072: 3072, RSA_4096: 4096 };
/** OpenSSL curve names, as KeyObject.asymmetricKeyDetails reports them. */
const EC_CURVES: Partial<Record<KeyAlgorithm, string>> = { EC_P256: 'prime256v1', EC_P384: 'secp384r1' };

export const KEY_ALGORITHMS: readonly KeyAlgorithm[] = ['RSA_2048', 'RSA_3072', 'RSA_4096', 'EC_P256', 'EC_P384'];

/** Native and async: RSA generation runs on the libuv pool, not the event loop. */
export async function generateKeyPair(algorithm: KeyAlgorithm): Promise<KeyPair> {
  const bits = RSA_BITS[algorithm];
  const curve = EC_CURVES[algorithm];
  if (bits) {
    const { privateKey, publicKey } = await generate('rsa', { modulusLength: bits, publicExponent: 0x10001 });
    return { algorithm, privateKey, publicKey };
  }
  if (curve) {
    const { privateKey, publicKey } = await generate('ec', { namedCurve: curve });
    return { algorithm, privateKey, publicKey };
  }
  throw new PkiError('KEY_UNSUPPORTED', `Unsupported key algorithm: ${String(algorithm)}.`);
}

/** The project's name for a key, or null when it is not one we issue (other RSA sizes, other curves, EdDSA...). */
export function keyAlgorithmOf(key: KeyObject): KeyAlgorithm | null {
  const details = key.asymmetricKeyDetails ?? {};
  if (key.asymmetricKeyType === 'rsa') {
    const found = Object.entries(RSA_BITS).find(([, bits]) => bits === details.modulusLength);
    return found ? (found[0] as KeyAlgorithm) : null;
  }
  if (key.asymmetricKeyType === 'ec') {
    const found = Object.entries(EC_CURVES).find(([, curve]) => curve === details.namedCurve);
    return found ? (found[0] as KeyAlgorithm) : null;
  }
  return null;
}

export function keySizeOf(key: KeyObject): number {
  const details = key.asymmetricKeyDetails ?? {};
  if (key.asymmetricKeyType === 'rsa') return details.modulusLength ?? 0;
  if (key.asymmetricKeyType === 'ec')
    return { prime256v1: 256, secp384r1: 384, secp521r1: 521, secp256k1: 256 }[details.namedCurve ?? ''] ?? 0;
  if (key.asymmetricKeyType === 'ed25519') return 256;
  return 0;
}

/** The public half of a private or public KeyObject. */
export function publicKeyOf(key: KeyObject): KeyObject {
  return key.type === 'private' ? createPublicKey(key) : key;
}

export function spkiDer(key: KeyObject): Buffer {
  return publicKeyOf(key).export({ type: 'spki', format: 'der' });
}

/**
 * Keys made on the device (the service never sees them): EC P-256 unless told otherwise, written 0600 to
 * NAME.key.next before the CSR leaves the machine, and reused from there if an earlier attempt was interrupted
 * (the service may already hold a certificate for it).
 */
import { createPublicKey, type KeyObject } from 'node:crypto';
import type { KeyAlgorithm } from '../shared/domain/client-certificate.js';
import { generateKeyPair, keyAlgorithmOf, type KeyPair } from '../shared/pki/index.js';
import { readKey } from './credentials.js';
import { CliError, EXIT, usageError } from './exit-codes.js';
import { fileExists, writeFileAtomic, PRIVATE } from './files.js';
import type { FileLayout } from './layout.js';
import type { Output } from './output.js';

export const KEY_TYPES: Record<string, KeyAlgorithm> = {
  'ec-p256': 'EC_P256',
  'ec-p384': 'EC_P384',
  'rsa-2048': 'RSA_2048',
  'rsa-3072': 'RSA_3072',
  'rsa-4096': 'RSA_4096',
};

export const keyTypeName = (algorithm: KeyAlgorithm) =>
  Object.entries(KEY_TYPES).find(([, a]) => a === algorithm)?.[0] ?? algorithm;

const DISPLAY: Record<KeyAlgorithm, string> = {
  EC_P256: 'an EC P-256',
  EC_P384: 'an EC P-384',
  RSA_2048: 'an RSA 2048-bit',
  RSA_3072: 'an RSA 3072-bit',
  RSA_4096: 'an RSA 4096-bit',
};

export function parseKeyType(text: string | undefined, fallback: KeyAlgorithm): KeyAlgorithm {
  if (text === undefined) return fallback;
  const normalized = text.toLowerCase().replace(/_/g, '-');
  const found = KEY_TYPES[normalized] ?? KEY_TYPES[normalized.replace(/^(ec|rsa)-?/, '$1-')];
  if (!found) throw usageError(`--key-type must be one of ${Object.keys(KEY_TYPES).join(', ')} (got "${text}").`);
  return found;
}

export function algorithmOfKey(key: KeyObject, path: string): KeyAlgorithm {
  const algorithm = keyAlgorithmOf(key);
  if (!algorithm)
    throw new CliError(EXIT.LOCAL, 'KEY_INVALID', `${path} is not an RSA 2048/3072/4096 or EC P-256/P-384 key.`);
  return algorithm;
}

export function keyPairOf(privateKey: KeyObject, algorithm: KeyAlgorithm): KeyPair {
  return { algorithm, privateKey, publicKey: createPublicKey(privateKey) };
}

/** The key for the next certificate: NAME.key.next if it is there and of the wanted type, else a new one. */
export async function pendingKey(layout: FileLayout, algorithm: KeyAlgorithm, output: Output): Promise<KeyPair> {
  if (fileExists(layout.nextKey)) {
    try {
      const key = readKey(layout.nextKey);
      if (keyAlgorithmOf(key) === algorithm) {
        output.note(`reusing the new key of an interrupted attempt (${layout.nextKey})`);
        return keyPairOf(key, algorithm);
      }
    } catch {
      // unreadable or of another type: replaced below
    }
  }
  output.progress(`Generating ${DISPLAY[algorithm]} key`);
  const pair = await generateKeyPair(algorithm);
  writeFileAtomic(layout.nextKey, pair.privateKey.export({ type: 'pkcs8', format: 'pem' }) as string, PRIVATE);
  return pair;
}

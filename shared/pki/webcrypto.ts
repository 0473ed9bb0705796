/**
 * The bridge to @peculiar/x509, which speaks WebCrypto: its provider is Node's own webcrypto (native OpenSSL),
 * and KeyObjects are imported as CryptoKeys once per key (CA keys sign many certificates).
 */
import { webcrypto, type KeyObject } from 'node:crypto';
import { PkiError } from './errors.js';
import { keyAlgorithmOf } from './keys.js';

type CryptoKey = webcrypto.CryptoKey;
export type X509Module = typeof import('./x509.js').x509;

let x509Module: Promise<X509Module> | undefined;

/**
 * @peculiar/x509 and reflect-metadata (a sixth of a function bundle), loaded the first time a CSR or certificate
 * is built: paths that only read certificates (node:crypto and our DER reader do that) never load them.
 */
export function loadX509(): Promise<X509Module> {
  x509Module ??= import('./x509.js').then((m) => m.x509);
  return x509Module;
}

interface SigningSpec {
  importAlgorithm: webcrypto.RsaHashedImportParams | webcrypto.EcKeyImportParams;
  signingAlgorithm: webcrypto.Algorithm | webcrypto.EcdsaParams;
}

/** SHA-256 for RSA and P-256, SHA-384 for P-384 (match the hash to the curve strength). */
export function signingSpecOf(key: KeyObject): SigningSpec {
  const algorithm = keyAlgorithmOf(key);
  if (algorithm?.startsWith('RSA_')) {
    return {
      importAlgorithm: { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' },
      signingAlgorithm: { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' } as webcrypto.Algorithm,
    };
  }
  if (algorithm === 'EC_P256')
    return {
      importAlgorithm: { name: 'ECDSA', namedCurve: 'P-256' },
      signingAlgorithm: { name: 'ECDSA', hash: 'SHA-256' } as webcrypto.EcdsaParams,
    };
  if (algorithm === 'EC_P384')
    return {
      importAlgorithm: { name: 'ECDSA', namedCurve: 'P-384' },
      signingAlgorithm: { name: 'ECDSA', hash: 'SHA-384' } as webcrypto.EcdsaParams,
    };
  throw new PkiError('KEY_UNSUPPORTED', 'Only RSA 2048/3072/4096 and EC P-256/P-384 keys can sign.');
}

const privateCache = new WeakMap<KeyObject, Promise<CryptoKey>>();
const publicCache = new WeakMap<KeyObject, Promise<CryptoKey>>();

export function toPrivateCryptoKey(privateKey: KeyObject): Promise<CryptoKey> {
  let cached = privateCache.get(privateKey);
  if (!cached) {
    const { importAlgorithm } = signingSpecOf(privateKey);
    const der = privateKey.export({ type: 'pkcs8', format: 'der' });
    cached = webcrypto.subtle.importKey('pkcs8', der, importAlgorithm, false, ['sign']) as Promise<CryptoKey>;
    privateCache.set(privateKey, cached);
  }
  return cached;
}

export function toPublicCryptoKey(publicKey: KeyObject): Promise<CryptoKey> {
  let cached = publicCache.get(publicKey);
  if (!cached) {
    const { importAlgorithm } = signingSpecOf(publicKey);
    const der = publicKey.export({ type: 'spki', format: 'der' });
    cached = webcrypto.subtle.importKey('spki', der, importAlgorithm, true, ['verify']) as Promise<CryptoKey>;
    publicCache.set(publicKey, cached);
  }
  return cached;
}

/**
 * What must survive a crash but never be readable at rest (a pending private key, a .p12 password, an
 * idempotent answer) is sealed with AES-256-GCM under a key derived from STATE_KEY. The object key is the
 * additional data, so a sealed blob copied to another object does not open.
 */
import { createCipheriv, createDecipheriv, createHmac, hkdfSync, randomBytes } from 'node:crypto';
import { AppError } from '../errors/index.js';

export interface Sealed {
  alg: 'A256GCM';
  iv: string;
  tag: string;
  data: string;
}

export interface StateCipher {
  seal(value: unknown, objectKey: string): Sealed;
  open<T>(sealed: Sealed, objectKey: string): T;
  /** Keyed hash (HMAC-SHA256) for request fingerprints that may contain a password. */
  fingerprint(text: string): string;
}

export function createStateCipher(stateKey: Buffer): StateCipher {
  if (stateKey.length !== 32) throw new Error('STATE_KEY must be 32 bytes');
  const sealKey = Buffer.from(hkdfSync('sha256', stateKey, Buffer.alloc(0), 'nma/seal/v1', 32));
  const macKey = Buffer.from(hkdfSync('sha256', stateKey, Buffer.alloc(0), 'nma/request-fingerprint/v1', 32));
  return {
    seal(value, objectKey) {
      const iv = randomBytes(12);
      const cipher = createCipheriv('aes-256-gcm', sealKey, iv);
      cipher.setAAD(Buffer.from(objectKey, 'utf8'));
      const data = Buffer.concat([cipher.update(JSON.stringify(value), 'utf8'), cipher.final()]);
      return {
        alg: 'A256GCM',
        iv: iv.toString('base64'),
        tag: cipher.getAuthTag().toString('base64'),
        data: data.toString('base64'),
      };
    },
    open<T>(sealed: Sealed, objectKey: string): T {
      try {
        const decipher = createDecipheriv('aes-256-gcm', sealKey, Buffer.from(sealed.iv, 'base64'));
        decipher.setAAD(Buffer.from(objectKey, 'utf8'));
        decipher.setAuthTag(Buffer.from(sealed.tag, 'base64'));
        const plain = Buffer.concat([decipher.update(Buffer.from(sealed.data, 'base64')), decipher.final()]);
        return JSON.parse(plain.toString('utf8')) as T;
      } catch (cause) {
        // Wrong STATE_KEY or a tampered object: refuse, never guess.
        throw new AppError('STATE_UNREADABLE', 500, 'Stored state could not be opened.', { cause });
      }
    },
    fingerprint(text) {
      return createHmac('sha256', macKey).update(text, 'utf8').digest('hex');
    },
  };
}

/** JSON with sorted keys, so equal requests fingerprint equally whatever the field order. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

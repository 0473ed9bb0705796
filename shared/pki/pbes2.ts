/**
 * Password-based encryption of a private key: PBES2 (RFC 8018) with PBKDF2-HMAC-SHA256 and AES-256-CBC, the
 * scheme of OpenSSL 3's `pkcs8 -topk8 -v2 aes-256-cbc` and of the modern .p12 key bag. PBKDF2 runs in libuv's
 * thread pool (async `pbkdf2`), so a high iteration count does not block the event loop. `encryptedPkcs8Pem`
 * gives the `ENCRYPTED PRIVATE KEY` file that openssl (`-passin`), curl (`--key ... --pass`) and Node read.
 */
import { createCipheriv, pbkdf2 as pbkdf2Callback, randomBytes, type KeyObject } from 'node:crypto';
import { promisify } from 'node:util';
import { integer, nullValue, octetString, oid, sequence } from './der.js';
import { derToPem } from './pem.js';

const pbkdf2 = promisify(pbkdf2Callback);

const OID = {
  pbes2: '1.2.840.113549.1.5.13',
  pbkdf2: '1.2.840.113549.1.5.12',
  hmacWithSha256: '1.2.840.113549.2.9',
  aes256Cbc: '2.16.840.1.101.3.4.1.42',
} as const;

export interface PasswordEncrypted {
  /** The AlgorithmIdentifier (PBES2 with its parameters). */
  algorithmIdentifier: Buffer;
  ciphertext: Buffer;
}

export async function encryptPbes2(
  plaintext: Buffer,
  password: string,
  iterations: number,
  saltBytes: number,
): Promise<PasswordEncrypted> {
  const salt = randomBytes(saltBytes);
  const iv = randomBytes(16);
  const key = await pbkdf2(Buffer.from(password, 'utf8'), salt, iterations, 32, 'sha256');
  const cipher = createCipheriv('aes-256-cbc', key, iv);
  const ciphertext = Buffer.concat([cipher.update(plaintext), cipher.final()]);
  const algorithmIdentifier = sequence(
    oid(OID.pbes2),
    sequence(
      sequence(
        oid(OID.pbkdf2),
        sequence(octetString(salt), integer(iterations), sequence(oid(OID.hmacWithSha256), nullValue())),
      ),
      sequence(oid(OID.aes256Cbc), octetString(iv)),
    ),
  );
  return { algorithmIdentifier, ciphertext };
}

/** EncryptedPrivateKeyInfo (RFC 5958) of `key`, as PEM `ENCRYPTED PRIVATE KEY`. */
export async function encryptedPkcs8Pem(key: KeyObject, password: string, iterations: number): Promise<string> {
  const pkcs8 = key.export({ type: 'pkcs8', format: 'der' });
  const encrypted = await encryptPbes2(pkcs8, password, iterations, 16);
  return derToPem('ENCRYPTED PRIVATE KEY', sequence(encrypted.algorithmIdentifier, octetString(encrypted.ciphertext)));
}

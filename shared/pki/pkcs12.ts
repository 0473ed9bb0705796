/**
 * PKCS#12 (RFC 7292) assembled here from DER, for RSA and EC keys alike: one shrouded key bag and encrypted
 * cert bags (leaf + chain), friendlyName and localKeyId on the key and the leaf, and an HMAC over the whole.
 * node-forge's key bags are RSA-only and its MAC is SHA-1 only, hence our own assembly on native crypto.
 */
import { createCipheriv, createHash, createHmac, randomBytes, type KeyObject } from 'node:crypto';
import type { P12Profile } from '../domain/client-certificate.js';
import { bmpString, explicit, implicitPrimitive, integer, nullValue, octetString, oid, sequence, set } from './der.js';
import { PkiError } from './errors.js';
import { keyMatchesCertificate } from './inspect.js';
import { encryptPbes2, type PasswordEncrypted } from './pbes2.js';
import { pemBlocks } from './pem.js';
import { pkcs12Kdf, type Pkcs12KdfHash } from './pkcs12-kdf.js';
import { checkP12Password } from './p12-password.js';

const OID = {
  data: '1.2.840.113549.1.7.1',
  encryptedData: '1.2.840.113549.1.7.6',
  keyBag: '1.2.840.113549.1.12.10.1.2', // pkcs8ShroudedKeyBag
  certBag: '1.2.840.113549.1.12.10.1.3',
  x509Certificate: '1.2.840.113549.1.9.22.1',
  friendlyName: '1.2.840.113549.1.9.20',
  localKeyId: '1.2.840.113549.1.9.21',
  pbeWithSha1And3DesCbc: '1.2.840.113549.1.12.1.3',
  sha1: '1.3.14.3.2.26',
  sha256: '2.16.840.1.101.3.4.2.1',
} as const;

/** Who chose the password: us (144 random bits) or the caller (possibly far weaker). */
export type P12PasswordOrigin = 'generated' | 'chosen';

/**
 * The profiles as data: what encrypts the bags, what the MAC hashes with, and how hard each is to brute-force.
 * Iterations only slow down guessing a weak password: a caller's own password gets Java keytool's default
 * (10,000, `keystore.pkcs12.*IterationCount`); a generated one (144 random bits, beyond any guessing) keeps
 * OpenSSL 3's 2,048 so issuance stays fast.
 */
export const P12_PROFILES: Record<
  P12Profile,
  {
    bagEncryption: 'pbes2-aes-256-cbc' | 'pbe-sha1-3des';
    macHash: Pkcs12KdfHash;
    iterations: Record<P12PasswordOrigin, number>;
    saltBytes: number;
  }
> = {
  // OpenSSL 3's own defaults: opens without -legacy in OpenSSL 3, Java 11.0.12+/17 keytool, curl, Windows 10 1709+.
  modern: {
    bagEncryption: 'pbes2-aes-256-cbc',
    macHash: 'sha256',
    iterations: { generated: 2048, chosen: 10_000 },
    saltBytes: 16,
  },
  // What `openssl pkcs12 -export -legacy` would make but with 3DES for the certificates too (no RC2-40): old Windows/macOS/Android.
  compat: {
    bagEncryption: 'pbe-sha1-3des',
    macHash: 'sha1',
    iterations: { generated: 2048, chosen: 10_000 },
    saltBytes: 8,
  },
};

type Encrypted = PasswordEncrypted;

async function encrypt3Des(
  plaintext: Buffer,
  password: string,
  iterations: number,
  saltBytes: number,
): Promise<Encrypted> {
  const salt = randomBytes(saltBytes);
  const key = await pkcs12Kdf({ hash: 'sha1', password, salt, purpose: 1, iterations, length: 24 });
  const iv = await pkcs12Kdf({ hash: 'sha1', password, salt, purpose: 2, iterations, length: 8 });
  const cipher = createCipheriv('des-ede3-cbc', key, iv);
  const ciphertext = Buffer.concat([cipher.update(plaintext), cipher.final()]);
  return {
    algorithmIdentifier: sequence(oid(OID.pbeWithSha1And3DesCbc), sequence(octetString(salt), integer(iterations))),
    ciphertext,
  };
}

function encryptFor(profile: P12Profile, plaintext: Buffer, password: string, iterations: number): Promise<Encrypted> {
  const p = P12_PROFILES[profile];
  return p.bagEncryption === 'pbes2-aes-256-cbc'
    ? encryptPbes2(plaintext, password, iterations, p.saltBytes)
    : encrypt3Des(plaintext, password, iterations, p.saltBytes);
}

/** Shown by importers (keytool's alias, the Windows/macOS certificate list): printable, 1..64 characters (UTF-16 code
 * units, the BMPString's). Exported so an issuance can apply it before the CA call. */
export function checkFriendlyName(friendlyName: string): void {
  if (
    typeof friendlyName !== 'string' ||
    friendlyName.length === 0 ||
    friendlyName.length > 64 ||
    /[\p{C}\p{Zl}\p{Zp}]/u.test(friendlyName)
  ) {
    throw new PkiError('FRIENDLY_NAME_INVALID', 'The friendly name must be 1 to 64 printable characters.');
  }
}

function attribute(type: string, value: Buffer): Buffer {
  return sequence(oid(type), set(value));
}

function certBag(der: Buffer, attributes?: Buffer): Buffer {
  const bag = sequence(oid(OID.x509Certificate), explicit(0, octetString(der)));
  return attributes
    ? sequence(oid(OID.certBag), explicit(0, bag), attributes)
    : sequence(oid(OID.certBag), explicit(0, bag));
}

function dataContentInfo(content: Buffer): Buffer {
  return sequence(oid(OID.data), explicit(0, octetString(content)));
}

function encryptedDataContentInfo(encrypted: Encrypted): Buffer {
  return sequence(
    oid(OID.encryptedData),
    explicit(
      0,
      sequence(
        integer(0),
        sequence(oid(OID.data), encrypted.algorithmIdentifier, implicitPrimitive(0, encrypted.ciphertext)),
      ),
    ),
  );
}

function certificateDer(pem: string, what: string): Buffer {
  const blocks = pemBlocks(pem).filter((b) => b.label === 'CERTIFICATE');
  if (blocks.length !== 1)
    throw new PkiError('CERTIFICATE_MALFORMED', `The ${what} must be exactly one PEM certificate.`);
  return blocks[0].der;
}

export async function buildPkcs12(input: {
  privateKey: KeyObject;
  certificatePem: string;
  chainPems: string[];
  password: string;
  /** Decides the iteration count (see P12_PROFILES); a password of unknown origin counts as chosen. */
  passwordOrigin?: P12PasswordOrigin;
  profile: P12Profile;
  friendlyName: string;
}): Promise<Buffer> {
  checkP12Password(input.password);
  const profile = Object.hasOwn(P12_PROFILES, input.profile) ? P12_PROFILES[input.profile] : undefined;
  if (!profile)
    throw new PkiError(
      'P12_PROFILE_INVALID',
      `The PKCS#12 profile must be one of: ${Object.keys(P12_PROFILES).join(', ')}.`,
    );
  checkFriendlyName(input.friendlyName);
  const iterations = profile.iterations[input.passwordOrigin ?? 'chosen'];
  const leaf = certificateDer(input.certificatePem, 'certificate');
  if (!keyMatchesCertificate(input.privateKey, input.certificatePem)) {
    throw new PkiError('CERTIFICATE_MALFORMED', 'The private key does not match the certificate.');
  }
  const chain = input.chainPems.flatMap((pem) =>
    pemBlocks(pem)
      .filter((b) => b.label === 'CERTIFICATE')
      .map((b) => b.der),
  );

  // localKeyId ties the key to its certificate: SHA-1 of the leaf, as OpenSSL sets it.
  const localKeyId = createHash('sha1').update(leaf).digest();
  const bagAttributes = set(
    attribute(OID.friendlyName, bmpString(input.friendlyName)),
    attribute(OID.localKeyId, octetString(localKeyId)),
  );

  const certificates = sequence(certBag(leaf, bagAttributes), ...chain.map((der) => certBag(der)));
  const pkcs8 = input.privateKey.export({ type: 'pkcs8', format: 'der' });
  const [certificatesEncrypted, keyEncrypted] = await Promise.all([
    encryptFor(input.profile, certificates, input.password, iterations),
    encryptFor(input.profile, pkcs8, input.password, iterations),
  ]);
  const encryptedPrivateKeyInfo = sequence(keyEncrypted.algorithmIdentifier, octetString(keyEncrypted.ciphertext));
  const keyContents = sequence(sequence(oid(OID.keyBag), explicit(0, encryptedPrivateKeyInfo), bagAttributes));

  const authenticatedSafe = sequence(encryptedDataContentInfo(certificatesEncrypted), dataContentInfo(keyContents));

  const macSalt = randomBytes(profile.saltBytes);
  const macKeyLength = profile.macHash === 'sha256' ? 32 : 20;
  const macKey = await pkcs12Kdf({
    hash: profile.macHash,
    password: input.password,
    salt: macSalt,
    purpose: 3,
    iterations,
    length: macKeyLength,
  });
  const mac = createHmac(profile.macHash, macKey).update(authenticatedSafe).digest();
  const macData = sequence(
    sequence(sequence(oid(profile.macHash === 'sha256' ? OID.sha256 : OID.sha1), nullValue()), octetString(mac)),
    octetString(macSalt),
    integer(iterations),
  );
  return sequence(integer(3), dataContentInfo(authenticatedSafe), macData);
}

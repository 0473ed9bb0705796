/**
 * Downloaded bundles, opened and checked before anything is written: the PEM zips the service makes (client.crt =
 * leaf + intermediates, ca.crt, client.key in server-key mode) and the .p12 (opened by OpenSSL through
 * tls.createSecureContext, which checks its MAC, decrypts it and checks that its key fits its certificate).
 */
import { X509Certificate, createPrivateKey, type KeyObject } from 'node:crypto';
import { createSecureContext } from 'node:tls';
import { strFromU8, unzipSync } from 'fflate';
import type { SubjectAltNames } from '../shared/domain/client-certificate.js';
import { sameSans } from '../shared/certificates/verification.js';
import {
  chainsTo,
  inspectCertificate,
  keyMatchesCertificate,
  splitPemCertificates,
  type CertificateInfo,
} from '../shared/pki/index.js';
import { CliError, EXIT, type ExitCode } from './exit-codes.js';

export interface PemBundle {
  /** Leaf first, then intermediates. */
  chainPems: string[];
  caPems: string[];
  keyPem?: string;
}

const ZIP_FILES = new Set(['client.crt', 'client.key', 'ca.crt', 'README.txt']);
const MAX_ENTRY = 256 * 1024;

const bad = (code: string, message: string) => new CliError(EXIT.VERIFICATION, code, message);

export function isZip(bytes: Buffer): boolean {
  return bytes.length > 4 && bytes.readUInt32LE(0) === 0x04034b50;
}

export function openPemZip(bytes: Buffer): PemBundle {
  let files: Record<string, Uint8Array>;
  try {
    // Only the names the service writes, each small: a hostile zip cannot make us inflate gigabytes.
    files = unzipSync(new Uint8Array(bytes), { filter: (f) => ZIP_FILES.has(f.name) && f.originalSize <= MAX_ENTRY });
  } catch {
    throw bad('BUNDLE_MALFORMED', 'The download is not a readable zip.');
  }
  if (!files['client.crt']) throw bad('BUNDLE_MALFORMED', 'The zip has no client.crt.');
  const chainPems = bundleCertificates(files['client.crt'], 'client.crt');
  if (chainPems.length === 0) throw bad('BUNDLE_MALFORMED', 'client.crt in the zip holds no certificate.');
  return {
    chainPems,
    caPems: files['ca.crt'] ? bundleCertificates(files['ca.crt'], 'ca.crt') : [],
    ...(files['client.key'] ? { keyPem: strFromU8(files['client.key']) } : {}),
  };
}

/** A downloaded file's certificates, each parsed: a broken one fails verification (exit 6), not as a local file. */
function bundleCertificates(bytes: Uint8Array, name: string): string[] {
  try {
    const pems = splitPemCertificates(strFromU8(bytes));
    for (const pem of pems) inspectCertificate(pem);
    return pems;
  } catch {
    throw bad('BUNDLE_MALFORMED', `${name} in the zip holds a certificate that cannot be parsed.`);
  }
}

/** The .p12's certificate and its issuer, once OpenSSL has opened it with the password (MAC, decryption, key fits). */
export function openP12(der: Buffer, password: string): { leafPem: string; issuerPem?: string } {
  let leafDer: Buffer | null;
  let issuerDer: Buffer | null;
  try {
    const context = createSecureContext({ pfx: der, passphrase: password }) as unknown as {
      context: { getCertificate(): Buffer | null; getIssuer(): Buffer | null };
    };
    leafDer = context.context.getCertificate();
    issuerDer = context.context.getIssuer();
  } catch (cause) {
    const wrongPassword = /mac verify|password/i.test((cause as Error).message);
    throw new CliError(
      EXIT.VERIFICATION,
      wrongPassword ? 'P12_PASSWORD_WRONG' : 'P12_INVALID',
      wrongPassword
        ? 'The .p12 does not open with this password.'
        : 'The .p12 cannot be opened (or its key does not fit its certificate).',
    );
  }
  if (!leafDer) throw bad('P12_INVALID', 'The .p12 holds no certificate.');
  return {
    leafPem: new X509Certificate(leafDer).toString(),
    ...(issuerDer ? { issuerPem: new X509Certificate(issuerDer).toString() } : {}),
  };
}

export function parsePrivateKey(
  pem: string,
  what: string,
  code: string,
  exit: ExitCode = EXIT.LOCAL,
  passphrase?: string,
): KeyObject {
  try {
    return createPrivateKey({ key: pem, format: 'pem', ...(passphrase !== undefined ? { passphrase } : {}) });
  } catch {
    const encrypted = pem.includes('ENCRYPTED PRIVATE KEY');
    throw new CliError(
      exit,
      code,
      encrypted && passphrase !== undefined
        ? `${what} does not open with the given password.`
        : `${what} is not an unencrypted PEM private key.`,
    );
  }
}

/**
 * A bundle's client.key as the device stores it: PKCS#8, unencrypted (the file is 0600, as in CSR mode), because
 * nginx, curl and the agent read it without a password. A key the service encrypted with the .p12 password
 * (`ENCRYPTED PRIVATE KEY`) is opened with it.
 */
export function plainKeyPem(keyPem: string, password: string | undefined): string {
  if (!keyPem.includes('ENCRYPTED PRIVATE KEY')) return keyPem;
  if (password === undefined)
    throw new CliError(EXIT.USAGE, 'PASSWORD_REQUIRED', "The bundle's key is encrypted: give its .p12 password.", {
      hint: 'set NLB_MTLS_P12_PASSWORD or --p12-password-file FILE',
    });
  const key = parsePrivateKey(keyPem, 'The key in the bundle', 'BUNDLE_KEY_INVALID', EXIT.VERIFICATION, password);
  return key.export({ type: 'pkcs8', format: 'pem' }) as string;
}

export interface Expectation {
  now: Date;
  /** Trust anchors (ca.crt): the leaf must chain to one of them through the bundle's intermediates. */
  caPems: string[];
  /** From the API's answer (or --fingerprint): the leaf must be exactly this certificate. */
  fingerprintSha256?: string;
  /** The key the certificate must certify (our new key); absent when the bundle brings its own key. */
  publicKey?: KeyObject;
  /** On renewal: the same names as before. */
  commonName?: string;
  sans?: SubjectAltNames;
}

/** False too when a certificate cannot be parsed: callers parse (and name) their files before they ask. */
export function chainsToAny(chainPems: string[], caPems: string[]): boolean {
  return caPems.some((ca) => {
    try {
      return chainsTo(chainPems[0], chainPems.slice(1), ca);
    } catch {
      return false;
    }
  });
}

/** Throws EXIT.VERIFICATION with the failed check; returns what the leaf says when every check passed. */
export function verifyChain(chainPems: string[], keyPem: string | undefined, expected: Expectation): CertificateInfo {
  let info: CertificateInfo;
  try {
    info = inspectCertificate(chainPems[0]);
  } catch {
    throw bad('CERTIFICATE_MALFORMED', 'The downloaded certificate cannot be parsed.');
  }
  const fingerprint = expected.fingerprintSha256?.replace(/:/g, '').toLowerCase();
  if (fingerprint && info.fingerprintSha256 !== fingerprint)
    throw bad(
      'FINGERPRINT_MISMATCH',
      `The downloaded certificate's SHA-256 fingerprint is ${info.fingerprintSha256}, not ${fingerprint}.`,
    );
  if (info.isCa || !info.extendedKeyUsage.includes('clientAuth'))
    throw bad('NOT_A_CLIENT_CERTIFICATE', 'The downloaded certificate is not a client certificate.');
  if (!chainsToAny(chainPems, expected.caPems))
    throw bad('CHAIN_UNTRUSTED', 'The downloaded certificate does not chain to the trusted CA (ca.crt).');
  if (info.notAfter.getTime() <= expected.now.getTime())
    throw bad('CERTIFICATE_EXPIRED', 'The downloaded certificate has already expired.');
  const key =
    expected.publicKey ??
    (keyPem ? parsePrivateKey(keyPem, 'The key in the bundle', 'BUNDLE_KEY_INVALID', EXIT.VERIFICATION) : undefined);
  if (!key) throw bad('BUNDLE_MALFORMED', 'The bundle has no key and none was given.');
  if (!keyMatchesCertificate(key, chainPems[0]))
    throw bad('KEY_MISMATCH', 'The downloaded certificate is not for our key.');
  if (expected.commonName !== undefined && info.commonName !== expected.commonName)
    throw bad('NAME_MISMATCH', `The downloaded certificate names ${info.commonName}, not ${expected.commonName}.`);
  if (expected.sans && !sameSans(info.sans, expected.sans))
    throw bad('NAME_MISMATCH', "The downloaded certificate's subject alternative names changed.");
  return info;
}

/** Reading certificates: what a certificate says, whether a key belongs to it, whether it chains to a CA (native checks only). */
import { X509Certificate, createPublicKey, type KeyObject } from 'node:crypto';
import type { KeyAlgorithm, SubjectAltNames } from '../domain/client-certificate.js';
import { PkiError } from './errors.js';
import { keyAlgorithmOf, keySizeOf } from './keys.js';
import { commonNamesOf, emptySans, formatName, parseGeneralNames } from './names.js';
import { parseCertificateDer, type ParsedCertificate } from './parse.js';
import { pemBlocks } from './pem.js';

export interface CertificateInfo {
  subject: string;
  commonName: string;
  sans: SubjectAltNames;
  /** lower-case hex */
  serialNumber: string;
  notBefore: Date;
  notAfter: Date;
  /** lower-case hex, no colons */
  fingerprintSha256: string;
  issuer: string;
  keyAlgorithm: KeyAlgorithm | 'unknown';
  keySize: number;
  /** e.g. ['clientAuth'] */
  extendedKeyUsage: string[];
  isCa: boolean;
}

const EKU_NAMES: Record<string, string> = {
  '1.3.6.1.5.5.7.3.1': 'serverAuth',
  '1.3.6.1.5.5.7.3.2': 'clientAuth',
  '1.3.6.1.5.5.7.3.3': 'codeSigning',
  '1.3.6.1.5.5.7.3.4': 'emailProtection',
  '1.3.6.1.5.5.7.3.8': 'timeStamping',
  '1.3.6.1.5.5.7.3.9': 'OCSPSigning',
  '2.5.29.37.0': 'anyExtendedKeyUsage',
};

/** Every CERTIFICATE block in a PEM text, each as canonical PEM; other blocks (keys...) are skipped. */
export function splitPemCertificates(pem: string): string[] {
  return pemBlocks(pem)
    .filter((b) => b.label === 'CERTIFICATE')
    .map((b) => b.pem);
}

function loadCertificate(pem: string): { native: X509Certificate; parsed: ParsedCertificate } {
  const blocks = pemBlocks(pem).filter((b) => b.label === 'CERTIFICATE');
  if (blocks.length !== 1) throw new PkiError('CERTIFICATE_MALFORMED', 'Expected exactly one PEM certificate.');
  try {
    return { native: new X509Certificate(blocks[0].der), parsed: parseCertificateDer(blocks[0].der) };
  } catch (cause) {
    if (cause instanceof PkiError) throw cause;
    throw new PkiError('CERTIFICATE_MALFORMED', 'The certificate cannot be parsed.', { cause });
  }
}

function sansOf(parsed: ParsedCertificate): SubjectAltNames {
  const sanExtension = parsed.extensions.find((e) => e.oid === '2.5.29.17');
  if (!sanExtension) return emptySans();
  try {
    return parseGeneralNames(sanExtension.value).sans;
  } catch (cause) {
    throw new PkiError('CERTIFICATE_MALFORMED', "The certificate's subjectAltName extension cannot be decoded.", {
      cause,
    });
  }
}

export function inspectCertificate(pem: string): CertificateInfo {
  const { native, parsed } = loadCertificate(pem);
  const sans = sansOf(parsed);
  const publicKey = native.publicKey;
  return {
    subject: formatName(parsed.subject),
    commonName: commonNamesOf(parsed.subject)[0] ?? '',
    sans,
    serialNumber: parsed.serialNumber,
    notBefore: new Date(native.validFrom),
    notAfter: new Date(native.validTo),
    fingerprintSha256: native.fingerprint256.replace(/:/g, '').toLowerCase(),
    issuer: formatName(parsed.issuer),
    keyAlgorithm: keyAlgorithmOf(publicKey) ?? 'unknown',
    keySize: keySizeOf(publicKey),
    // Node's X509Certificate.keyUsage is in fact the extended key usage list.
    extendedKeyUsage: (native.keyUsage ?? []).map((oidText) => EKU_NAMES[oidText] ?? oidText),
    isCa: native.ca,
  };
}

/** True when the key (private or public) is the one the certificate certifies. */
export function keyMatchesCertificate(key: KeyObject, certificatePem: string): boolean {
  const { native } = loadCertificate(certificatePem);
  if (key.type === 'secret') return false;
  const publicKey = key.type === 'private' ? createPublicKey(key) : key;
  return publicKey
    .export({ type: 'spki', format: 'der' })
    .equals(native.publicKey.export({ type: 'spki', format: 'der' }));
}

/**
 * `issuer` issued `subject`: names and key ids match (OpenSSL's check_issued) and the signature verifies.
 * Note the direction of Node's API: `a.checkIssued(b)` asks whether a was issued by b.
 */
function issued(issuer: X509Certificate, subject: X509Certificate): boolean {
  return subject.checkIssued(issuer) && subject.verify(issuer.publicKey);
}

/**
 * True when the certificate chains to the trusted CA through the given intermediates, each hop checked with
 * native X509Certificate.checkIssued and verify; intermediates must be CAs. Validity dates are not checked here
 * (inspectCertificate gives them), so a renewal job can ask about an expired certificate too.
 */
export function chainsTo(certificatePem: string, intermediatesPem: string[], trustedCaPem: string): boolean {
  const trusted = loadCertificate(trustedCaPem).native;
  const intermediates = intermediatesPem.flatMap(splitPemCertificates).map((pem) => loadCertificate(pem).native);
  let current = loadCertificate(certificatePem).native;
  const used = new Set<number>();
  for (let depth = 0; depth <= intermediates.length; depth++) {
    if (issued(trusted, current)) return true;
    const next = intermediates.findIndex(
      (candidate, index) => !used.has(index) && candidate.ca && issued(candidate, current),
    );
    if (next < 0) return false;
    used.add(next);
    current = intermediates[next];
  }
  return false;
}

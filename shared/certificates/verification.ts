/**
 * Trust nothing the CA hands back until it is checked: the certificate must certify our key, carry exactly
 * the names we asked for, be a client certificate, sit inside the validity we asked for, and be signed by
 * the sub-CA we named. A mismatch is a CA fault (502), never a certificate we hand out.
 */
import { isIP } from 'node:net';
import type { KeyObject } from 'node:crypto';
import type { SubjectAltNames } from '../domain/client-certificate.js';
import { AppError } from '../errors/index.js';
import { chainsTo, inspectCertificate, keyMatchesCertificate, type CertificateInfo } from '../pki/index.js';
import { issuedSubjectProblem } from '../pki/subject-check.js';

/** Clock skew we tolerate between us and the CA on notBefore / notAfter. */
const SKEW_MS = 5 * 60_000;

export class IssuedCertificateRejectedError extends AppError {
  constructor(check: string) {
    super(
      'ISSUED_CERTIFICATE_REJECTED',
      502,
      'The certificate authority returned a certificate that does not match the request.',
      { details: { check } },
    );
  }
}

function normalizeIp(ip: string): string {
  if (isIP(ip) !== 6) return ip;
  // Expand to eight groups so `::1` and `0:0:0:0:0:0:0:1` compare equal.
  const [head, tail = ''] = ip.toLowerCase().split('::');
  const headGroups = head ? head.split(':') : [];
  const tailGroups = tail ? tail.split(':') : [];
  const missing = ip.includes('::') ? 8 - headGroups.length - tailGroups.length : 0;
  return [...headGroups, ...Array(missing).fill('0'), ...tailGroups].map((g) => g.replace(/^0+(?=.)/, '')).join(':');
}

function sameSet(a: string[], b: string[], normalize: (v: string) => string): boolean {
  const left = new Set(a.map(normalize));
  const right = new Set(b.map(normalize));
  return left.size === right.size && [...left].every((v) => right.has(v));
}

export function sameSans(a: SubjectAltNames, b: SubjectAltNames): boolean {
  const lower = (v: string) => v.toLowerCase();
  return (
    sameSet(a.dns, b.dns, lower) &&
    sameSet(a.uri, b.uri, (v) => v) &&
    sameSet(a.email, b.email, lower) &&
    sameSet(a.ip, b.ip, normalizeIp)
  );
}

export interface IssuedCertificateExpectation {
  certificatePem: string;
  publicKey: KeyObject;
  commonName: string;
  sans: SubjectAltNames;
  notBefore: Date;
  notAfter: Date;
  issuingCaPem: string;
  /** The CSR sent to the CA: the whole issued subject is checked against it (shared/pki/subject-check.ts). */
  csrPem?: string;
}

export function verifyIssuedCertificate(expected: IssuedCertificateExpectation): CertificateInfo {
  let info: CertificateInfo;
  try {
    info = inspectCertificate(expected.certificatePem);
  } catch {
    throw new IssuedCertificateRejectedError('parse');
  }
  if (!keyMatchesCertificate(expected.publicKey, expected.certificatePem))
    throw new IssuedCertificateRejectedError('publicKey');
  if (info.commonName !== expected.commonName) throw new IssuedCertificateRejectedError('commonName');
  const subjectProblem = expected.csrPem && issuedSubjectProblem({ ...expected, csrPem: expected.csrPem });
  if (subjectProblem) throw new IssuedCertificateRejectedError('subject');
  if (!sameSans(info.sans, expected.sans)) throw new IssuedCertificateRejectedError('subjectAltNames');
  if (info.isCa || !info.extendedKeyUsage.includes('clientAuth'))
    throw new IssuedCertificateRejectedError('extendedKeyUsage');
  if (info.notAfter.getTime() > expected.notAfter.getTime() + SKEW_MS)
    throw new IssuedCertificateRejectedError('notAfter');
  if (info.notAfter.getTime() <= expected.notBefore.getTime()) throw new IssuedCertificateRejectedError('notAfter');
  if (info.notBefore.getTime() > expected.notBefore.getTime() + SKEW_MS)
    throw new IssuedCertificateRejectedError('notBefore');
  if (!chainsTo(expected.certificatePem, [], expected.issuingCaPem)) throw new IssuedCertificateRejectedError('issuer');
  return info;
}

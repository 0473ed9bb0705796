/**
 * The whole subject of an issued certificate, checked against what was asked for: exactly one CN (the requested
 * one), and every other attribute either in the CSR with the same value, or one CAS adds by itself. CAS's
 * `CreateClientCertificateWithCsr` documents defaults for attributes the request leaves out (published models:
 * aliyun/alibabacloud-python-sdk cas-20200630 models.py and the same in the Java, C#, Go SDKs):
 * Organization "Alibaba Inc.", OrganizationUnit "Aliyun CDN", and Country, Locality, State "of the sub-CA's
 * organization". Anything else (another O, an emailAddress, a second CN, a DC) is a mismatch.
 */
import { X509Certificate } from 'node:crypto';
import { CSR_SUBJECT_ATTRIBUTES, type CsrSubjectAttributeType } from './csr.js';
import { OID_COMMON_NAME } from './names.js';
import { parseCertificateDer, parseCsrDer } from './parse.js';
import { pemBlocks } from './pem.js';

/** CAS's documented defaults for attributes a request leaves out (see the file comment). */
export const CAS_SUBJECT_DEFAULTS: Partial<Record<CsrSubjectAttributeType, string>> = {
  O: 'Alibaba Inc.',
  OU: 'Aliyun CDN',
};

type Attributes = Array<{ oid: string; value: string | null }>;

function certificateSubject(pem: string): Attributes {
  return parseCertificateDer(Buffer.from(new X509Certificate(pem).raw)).subject.flat();
}

/** Why the issued subject is not what was asked for, or undefined when it is. */
export function issuedSubjectProblem(input: {
  certificatePem: string;
  csrPem: string;
  commonName: string;
  issuingCaPem: string;
}): string | undefined {
  const issued = certificateSubject(input.certificatePem);
  const requested = parseCsrDer(pemBlocks(input.csrPem)[0].der).subject.flat();
  const issuer = certificateSubject(input.issuingCaPem);
  const commonNames = issued.filter((a) => a.oid === OID_COMMON_NAME);
  if (commonNames.length !== 1 || commonNames[0].value !== input.commonName) return 'commonName';
  for (const attribute of issued) {
    if (attribute.oid === OID_COMMON_NAME) continue;
    const type = CSR_SUBJECT_ATTRIBUTES[attribute.oid as keyof typeof CSR_SUBJECT_ATTRIBUTES];
    if (!type || attribute.value === null) return `subject attribute ${attribute.oid}`;
    const asked = requested.filter((a) => a.oid === attribute.oid).map((a) => a.value);
    if (asked.length > 0) {
      if (!asked.includes(attribute.value)) return `subject ${type}`;
      continue;
    }
    const caValues = issuer.filter((a) => a.oid === attribute.oid).map((a) => a.value);
    if (attribute.value !== CAS_SUBJECT_DEFAULTS[type] && !caValues.includes(attribute.value)) return `subject ${type}`;
  }
  return undefined;
}

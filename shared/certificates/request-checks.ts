/**
 * Checks of a request that need config or the caller's policy, each refusing one thing with its own code.
 * They run before anything is written or sent to the CA, so a refusal issues nothing.
 */
import { checkCertificateRequest, forbidden, type CertificateRequestFacts } from '../auth/decisions.js';
import type { Principal } from '../auth/principal.js';
import type { SubjectAltNames } from '../domain/client-certificate.js';
import { ValidationError } from '../errors/index.js';
import { checkChosenP12Password, parseCsr, type ParsedCsr } from '../pki/index.js';
import { sameSans } from './verification.js';

export function checkValidity(validityDays: number, maxValidityDays: number): void {
  if (validityDays > maxValidityDays) {
    throw new ValidationError('VALIDITY_TOO_LONG', `validityDays may be at most ${maxValidityDays}.`, {
      details: { maxValidityDays },
    });
  }
}

/** A caller's .p12 password: 12-128 printable ASCII, some variety, not a common password (shared/pki). */
export function checkGivenPassword(password: string): void {
  checkChosenP12Password(password);
}

/** CAS takes one SAN type per certificate (SanType + comma-separated SanValue). */
export function checkSanTypes(sans: SubjectAltNames): void {
  const types = (['dns', 'uri', 'email', 'ip'] as const).filter((t) => sans[t].length > 0);
  if (types.length > 1) {
    throw new ValidationError(
      'SAN_TYPES_UNSUPPORTED',
      'The private CA issues SANs of one type per certificate; send only one of dns, uri, email, ip.',
      { details: { types } },
    );
  }
}

/**
 * The caller's CSR, parsed and checked (proof of possession, key strength), naming `commonName`, and carrying no
 * SANs other than the request's: SANs in a CSR that the request does not name are refused, never silently dropped
 * (the certificate gets the request's `sans`; a caller who put others in the CSR expected them).
 */
export async function parseCallerCsr(
  csrPem: string,
  expected: { commonName: string; sans: SubjectAltNames },
): Promise<ParsedCsr> {
  const csr = await parseCsr(csrPem);
  // CAS takes the subject from the CSR, so the CSR must name what the request (and the policy check) named.
  if (csr.commonName !== expected.commonName)
    throw new ValidationError('CSR_NAME_MISMATCH', "The CSR's common name differs from commonName.");
  const csrHasSans = Object.values(csr.sans).some((values) => values.length > 0);
  if (csrHasSans && !sameSans(csr.sans, expected.sans))
    throw new ValidationError(
      'CSR_SAN_MISMATCH',
      "The CSR's subject alternative names differ from the request's sans: send the same names in both.",
    );
  return csr;
}

/** 403 when a token principal's policy refuses; system principals have no name policy. */
export function checkPolicy(principal: Principal, facts: CertificateRequestFacts): void {
  if (principal.kind !== 'token') return;
  const violation = checkCertificateRequest(principal.policy, facts);
  if (violation) throw forbidden(violation);
}

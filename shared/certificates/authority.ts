/** The CA port as the service uses it: failures become retryable 503s, and the issuing sub-CA is fetched once. */
import { nothingIssued, type CertificateAuthority, type KeyFamily } from '../domain/ports.js';
import { UpstreamError, isAppError } from '../errors/index.js';
import { inspectCertificate } from '../pki/index.js';

function unavailable(cause: unknown): UpstreamError {
  return new UpstreamError(
    'CA_UNAVAILABLE',
    'The certificate authority is unavailable; retry the same request.',
    cause,
  );
}

/** Any CA failure that is not already an AppError is treated as an outage the caller may retry. */
export function guardedCa(ca: CertificateAuthority): CertificateAuthority {
  const guard = <T>(work: () => Promise<T>) =>
    work().catch((err: unknown) => {
      if (isAppError(err)) throw err;
      // Keep the one fact issuance needs: whether CAS answered with a refusal (nothing issued).
      throw Object.assign(unavailable(err), nothingIssued(err) ? { nothingIssued: true } : {});
    });
  return {
    issueWithCsr: (request) => guard(() => ca.issueWithCsr(request)),
    revoke: (identifier) => guard(() => ca.revoke(identifier)),
    status: (identifier) => guard(() => ca.status(identifier)),
    getCaCertificate: (identifier) => guard(() => ca.getCaCertificate(identifier)),
    describeClientCertificate: (identifier) => guard(() => ca.describeClientCertificate(identifier)),
    listClientCertificates: (query) => guard(() => ca.listClientCertificates(query)),
  };
}

export interface IssuingCaFacts {
  pem: string;
  notAfter: Date;
  /** Client keys must be of this family (CAS's rule). */
  keyFamily: KeyFamily;
}

export interface IssuingCa {
  /** The sub-CA's certificate, end of validity and key family; fetched on first use, again after a failed fetch. */
  facts(): Promise<IssuingCaFacts>;
}

export function issuingCaOf(ca: CertificateAuthority, parentIdentifier: string): IssuingCa {
  let cached: Promise<IssuingCaFacts> | undefined;
  return {
    facts() {
      cached ??= ca.getCaCertificate(parentIdentifier).then(
        (found) => ({
          pem: found.certificatePem,
          notAfter: inspectCertificate(found.certificatePem).notAfter,
          keyFamily: found.keyFamily,
        }),
        (err: unknown) => {
          cached = undefined;
          throw isAppError(err) ? err : unavailable(err);
        },
      );
      return cached;
    },
  };
}

/**
 * A certificate service whose issuing sub-CA is asked for at each issuance, renewal or finish of pending work
 * (shared/rotation/issuing-follower.ts: it follows a CA rotation), instead of fixed at cold start. One service per
 * sub-CA is built on first use and kept; reads, links and revocations do not depend on the sub-CA and go to the
 * configured one without asking.
 */
import type { IssuingCa } from './authority.js';
import type { CertificateService } from './service.js';

export interface IssuingParents {
  /** PCA_PARENT_IDENTIFIER. */
  readonly configured: string;
  /** The sub-CA that issues now. */
  issuing(): Promise<string>;
  /** The sub-CAs a proof of possession may chain to (the configured one first). */
  accepted(): Promise<string[]>;
}

/** `make` once per key, then the same value. */
export function memoized<T>(make: (key: string) => T): (key: string) => T {
  const made = new Map<string, T>();
  return (key) => {
    let value = made.get(key);
    if (value === undefined) {
      value = make(key);
      made.set(key, value);
    }
    return value;
  };
}

export function followingService(
  parents: IssuingParents,
  serviceFor: (parentIdentifier: string) => CertificateService,
): CertificateService {
  const build = (bind: (service: CertificateService) => CertificateService): CertificateService => {
    const fixed = () => bind(serviceFor(parents.configured));
    const issuing = async () => bind(serviceFor(await parents.issuing()));
    return {
      issue: async (principal, request, idempotencyKey) => (await issuing()).issue(principal, request, idempotencyKey),
      renew: async (principal, id, options) => (await issuing()).renew(principal, id, options),
      finishPending: async (principal, id, generation) => (await issuing()).finishPending(principal, id, generation),
      get: (principal, id) => fixed().get(principal, id),
      list: (principal, query) => fixed().list(principal, query),
      links: (principal, id, expiresInSeconds) => fixed().links(principal, id, expiresInSeconds),
      revoke: (principal, id, reason) => fixed().revoke(principal, id, reason),
      finishRevocation: (principal, id) => fixed().finishRevocation(principal, id),
      getRecord: (principal, id) => fixed().getRecord(principal, id),
      withLogger: (log) => build((service) => bind(service).withLogger(log)),
      withDeadline: (deadline) => build((service) => bind(service).withDeadline(deadline)),
    };
  };
  return build((service) => service);
}

/** The issuing CAs a proof may chain to now, each fetched once (`issuingCaFor` is memoized by the caller). */
export function acceptedIssuingCas(
  parents: IssuingParents,
  issuingCaFor: (parentIdentifier: string) => IssuingCa,
): () => Promise<IssuingCa[]> {
  return async () => (await parents.accepted()).map(issuingCaFor);
}

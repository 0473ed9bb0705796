/**
 * The certificate service: issue, read, list, link, renew, revoke, and finishing pending work, for API callers
 * (token principals, checked against their policy and tenant) and for our own functions (system principals: renewal,
 * reconciliation). A small composition: each operation lives in its own module and works on a ServiceContext
 * (./context.ts) that holds the guarded ports, the injected clock and sleep, and the request's time budget. Every
 * call leaves one audit line.
 */
import type { AuditAction } from '../auth/audit.js';
import type { Principal } from '../auth/principal.js';
import type { ClientCertificate } from '../domain/client-certificate.js';
import type { CertificateAuthority, Clock, ObjectStore, Sleep } from '../domain/ports.js';
import { ForbiddenError, NotFoundError, isAppError } from '../errors/index.js';
import type { Logger } from '../log/index.js';
import { guardedCa, issuingCaOf } from './authority.js';
import { budgetUntil, NO_BUDGET, type Budget } from './budget.js';
import {
  createServiceContext,
  DEFAULT_TIMING,
  type CertificateServiceConfig,
  type IssuanceTiming,
  type ServiceContext,
} from './context.js';
import { finishPendingWork } from './finish-pending.js';
import { isCertificateId } from './ids.js';
import { issueCertificate } from './issue.js';
import { certificateLinks, type LinksResult } from './links.js';
import type { ListResult } from './listing.js';
import { getCertificate, getRecord, listTenantCertificates } from './read.js';
import { renewCertificate, type RenewOptions } from './renew.js';
import { finishRecordedRevocation, revokeCertificate } from './revoke.js';
import type { IssueRequest, ListQuery, RevocationReason } from './schemas.js';
import { createStateCipher } from './sealing.js';
import { guardedStore } from './storage.js';
import type { ClientCertificateView, IssueResult, RenewResult } from './view.js';

export type { Principal, SystemPrincipal, TokenPrincipal } from '../auth/principal.js';
export type { IssueRequest, ListQuery, RevocationReason } from './schemas.js';
export type { ClientCertificateView, Downloads, IssueResult, RenewResult } from './view.js';
export type { ListResult } from './listing.js';
export type { LinksResult } from './links.js';
export type { RenewOptions } from './renew.js';
export { timingFor, type CertificateServiceConfig, type IssuanceTiming } from './context.js';

export interface CertificateServiceDeps {
  ca: CertificateAuthority;
  store: ObjectStore;
  clock: Clock;
  /** Every wait of the service (twins, polls) goes through here. */
  sleep: Sleep;
  log: Logger;
  config: CertificateServiceConfig;
  /** Attempts, leases and waits; defaults in DEFAULT_TIMING. */
  timing?: Partial<IssuanceTiming>;
}

export interface CertificateService {
  issue(principal: Principal, request: IssueRequest, idempotencyKey?: string): Promise<IssueResult>;
  get(principal: Principal, id: string): Promise<ClientCertificateView>;
  list(principal: Principal, query: ListQuery): Promise<ListResult>;
  links(principal: Principal, id: string, expiresInSeconds?: number): Promise<LinksResult>;
  renew(principal: Principal, id: string, options: RenewOptions): Promise<RenewResult>;
  revoke(principal: Principal, id: string, reason?: RevocationReason): Promise<ClientCertificateView>;
  /**
   * Finishes the pending issuance or renewal of `id` (the oldest generation pending), as a retry would: same key,
   * and what CAS already issued for it is adopted, never a second certificate. `undefined` when nothing is pending.
   */
  finishPending(principal: Principal, id: string, generation?: number): Promise<RenewResult | undefined>;
  /** Finishes a revocation that was recorded but not confirmed by CAS for every generation (system principals). */
  finishRevocation(principal: Principal, id: string): Promise<ClientCertificateView>;
  /** The raw record (system principals only): renewal and reconciliation read what the API never shows. */
  getRecord(principal: Principal, id: string): Promise<ClientCertificate>;
  /** The same service writing its logs (and audit lines) through `log`, e.g. a per-request child logger. */
  withLogger(log: Logger): CertificateService;
  /** The same service for one request that must answer by `deadline` (FC's timeout): a retryable 503 before it. */
  withDeadline(deadline: Date): CertificateService;
}

export function createCertificateService(deps: CertificateServiceDeps): CertificateService {
  const store = guardedStore(deps.store);
  const ca = guardedCa(deps.ca);
  const cipher = createStateCipher(deps.config.stateKey);
  const issuingCa = issuingCaOf(deps.ca, deps.config.parentIdentifier);
  const timing = { ...DEFAULT_TIMING, ...deps.timing };
  return compose(deps.log, NO_BUDGET);

  function compose(log: Logger, budget: Budget): CertificateService {
    const ctx: ServiceContext = createServiceContext({
      ca,
      store,
      clock: deps.clock,
      sleep: deps.sleep,
      log,
      cipher,
      config: deps.config,
      timing,
      issuingCa,
      budget,
    });
    const audited = auditedBy(ctx);
    return {
      issue: (principal, request, idempotencyKey) =>
        audited(
          'certificate.issue',
          principal,
          undefined,
          () => issueCertificate(ctx, principal, request, idempotencyKey),
          (r) => ({ certificateId: r.id, serialNumber: r.serialNumber, generation: r.generation }),
        ),
      get: (principal, id) => audited('certificate.read', principal, id, () => getCertificate(ctx, principal, id)),
      list: (principal, query) =>
        audited('certificate.list', principal, undefined, () => listTenantCertificates(ctx, principal, query)),
      links: (principal, id, expiresInSeconds) =>
        audited('certificate.links', principal, id, () => certificateLinks(ctx, principal, id, expiresInSeconds)),
      renew: (principal, id, options) =>
        audited(
          'certificate.renew',
          principal,
          id,
          () => renewCertificate(ctx, principal, id, options),
          (r) => ({ serialNumber: r.serialNumber, generation: r.generation }),
        ),
      revoke: (principal, id, reason = 'unspecified') =>
        audited('certificate.revoke', principal, id, () => revokeCertificate(ctx, principal, id, reason)),
      finishPending: (principal, id, generation) =>
        // Generation 1 is a first issuance a failed API request left behind (the renewal sweep finishes it).
        audited(
          generation === 1 ? 'certificate.issue' : 'certificate.renew',
          principal,
          id,
          () => finishPendingWork(ctx, principal, id, generation),
          (r) => (r ? { serialNumber: r.serialNumber, generation: r.generation } : {}),
        ),
      finishRevocation: (principal, id) =>
        audited('certificate.revoke', principal, id, async () => {
          if (principal.kind !== 'system')
            throw new ForbiddenError('operations', 'Only the service itself finishes revocations.');
          return finishRecordedRevocation(ctx, principal, id);
        }),
      getRecord: (principal, id) => getRecord(ctx, principal, id),
      withLogger: (next) => compose(next, budget),
      withDeadline: (deadline) => compose(log, budgetUntil(deadline, deps.clock)),
    };
  }
}

type Facts = { serialNumber?: string; generation?: number; certificateId?: string };

/** Runs an operation and leaves its audit line: allowed and done, denied (policy, not found), or failed. */
function auditedBy(ctx: ServiceContext) {
  return async function audited<T>(
    action: AuditAction,
    principal: Principal,
    requestedId: string | undefined,
    work: () => Promise<T>,
    facts?: (value: T) => Facts,
  ): Promise<T> {
    // Only a well-formed id reaches a log line; anything else is the caller's text.
    const certificateId = isCertificateId(requestedId) ? requestedId : undefined;
    try {
      const value = await work();
      ctx.audit.record({
        action,
        principal,
        decision: 'allow',
        result: 'success',
        certificateId,
        ...(facts ? facts(value) : {}),
      });
      return value;
    } catch (err) {
      if (err instanceof ForbiddenError) {
        ctx.audit.record({
          action,
          principal,
          decision: 'deny',
          result: 'denied',
          rule: String(err.details?.rule ?? ''),
          code: err.code,
          certificateId,
        });
      } else if (err instanceof NotFoundError) {
        ctx.audit.record({ action, principal, decision: 'deny', result: 'denied', code: err.code, certificateId });
      } else {
        ctx.audit.record({
          action,
          principal,
          decision: 'allow',
          result: 'failure',
          code: isAppError(err) ? err.code : 'INTERNAL',
          certificateId,
        });
      }
      throw err;
    }
  };
}

/**
 * What every operation of the certificate service works with: the ports (already guarded: failures become coded
 * errors, calls run inside the request's time budget), the injected clock and sleep, the sealing cipher, the issuing
 * CA's facts, the audit log, and the one place that decides whether a principal may see a record.
 */
import { createAuditLog, type AuditLog } from '../auth/audit.js';
import { canSee, type Principal } from '../auth/principal.js';
import type { ClientCertificate } from '../domain/client-certificate.js';
import type { CertificateAuthority, Clock, ObjectStore, Sleep } from '../domain/ports.js';
import { NotFoundError } from '../errors/index.js';
import type { Logger } from '../log/index.js';
import type { IssuingCa } from './authority.js';
import { budgetedCa, budgetedStore, type Budget } from './budget.js';
import { assertCertificateId } from './ids.js';
import { readRecord } from './records.js';
import type { StateCipher } from './sealing.js';

export type { Sleep } from '../domain/ports.js';

export interface CertificateServiceConfig {
  /** The PCA sub-CA that signs client certificates. */
  parentIdentifier: string;
  /** 32 bytes: seals pending keys/passwords and idempotent answers. */
  stateKey: Buffer;
  linkDefaultSeconds: number;
  linkMaxSeconds: number;
  defaultValidityDays: number;
  maxValidityDays: number;
  /** `http://127.0.0.1`/`localhost` webhooks (local runs only). */
  allowLoopbackWebhooks?: boolean;
  bundleExampleUrl?: string;
  /** How long an Idempotency-Key's answer is kept (then deleted); default 24 h. */
  idempotencyTtlSeconds?: number;
}

/** Timing of the issuance pipeline; defaults in DEFAULT_TIMING, tests shorten them. */
export interface IssuanceTiming {
  /** CA calls per pending object before it is set aside. */
  maxAttempts: number;
  /** An attempt without an answer (its process may have died during the call) counts as running this long: longer
   * than one CA call can take (its timeout) plus the settle time; then what it may have issued is searched for. */
  attemptLeaseMs: number;
  /** After a CA call ended without an answer (timeout, outage), CAS may still be issuing: nothing is searched for or
   * called again until this long after it ended. */
  answerSettleMs: number;
  /** How long a twin request waits for the other one's CA call or answer before a retryable 409. */
  twinWaitMs: number;
  pollMs: number;
  /** An idempotency entry with neither pending object nor record after this long: its creator died. */
  abandonedEntryMs: number;
  /** The least budget a CA call is started with (its own timeout, so it is not cut off half-way). */
  caCallBudgetMs: number;
}

export const DEFAULT_TIMING: IssuanceTiming = {
  maxAttempts: 5,
  attemptLeaseMs: 30_000,
  answerSettleMs: 15_000,
  twinWaitMs: 10_000,
  pollMs: 100,
  abandonedEntryMs: 30_000,
  caCallBudgetMs: 3_000,
};

/** The timing a function gets from its CAS timeout and settle setting. */
export function timingFor(casTimeoutMs: number, answerSettleMs: number): Partial<IssuanceTiming> {
  return { answerSettleMs, attemptLeaseMs: casTimeoutMs + answerSettleMs + 5_000 };
}

export interface ServiceContext {
  ca: CertificateAuthority;
  store: ObjectStore;
  clock: Clock;
  sleep: Sleep;
  log: Logger;
  audit: AuditLog;
  cipher: StateCipher;
  config: CertificateServiceConfig;
  timing: IssuanceTiming;
  issuingCa: IssuingCa;
  budget: Budget;
  now(): Date;
  /**
   * The record if this principal may see it; another tenant's certificate is indistinguishable from none. Every
   * operation on an existing certificate goes through here (one place for visibility rules).
   */
  visibleRecord(principal: Principal, id: string): Promise<ClientCertificate>;
}

export function createServiceContext(input: {
  ca: CertificateAuthority;
  store: ObjectStore;
  clock: Clock;
  sleep: Sleep;
  log: Logger;
  cipher: StateCipher;
  config: CertificateServiceConfig;
  timing: IssuanceTiming;
  issuingCa: IssuingCa;
  budget: Budget;
}): ServiceContext {
  const store = budgetedStore(input.store, input.budget);
  const ctx: ServiceContext = {
    ...input,
    store,
    ca: budgetedCa(input.ca, input.budget),
    audit: createAuditLog(input.log),
    now: () => input.clock.now(),
    async visibleRecord(principal, id) {
      assertCertificateId(id);
      const record = await readRecord(store, id);
      if (!record || !canSee(principal, record)) throw new NotFoundError();
      return record;
    },
  };
  return ctx;
}

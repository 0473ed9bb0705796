/**
 * renew-worker's work for one batch: per certificate, gather (record, and only when it can change the answer, the
 * bundle's presence), decide with the pure policy, act (renew through the certificate service, or record a failure
 * with backoff), then notify and keep the one index key per certificate right. Per-item errors never fail the batch:
 * what is not finished stays in the index and the next sweep finds it again.
 */
import type { ClientCertificate } from '../domain/client-certificate.js';
import type { Clock, ObjectStore, Sleep } from '../domain/ports.js';
import { isAppError, toPublicBody } from '../errors/index.js';
import { errorFields, type Logger } from '../log/index.js';
import {
  expiringEvent,
  renewalFailedEvent,
  renewedEvent,
  summarize,
  type CertificateSummary,
  type DownloadLink,
  type WebhookEvent,
  type WebhookSender,
} from '../notify/index.js';
import { withFailure, type BackoffPolicy } from '../domain/renewal/backoff.js';
import { expiringNoticeDue, nextExpiringNoticeAt } from '../domain/renewal/expiring.js';
import { evaluateRenewal, type RenewalDecision, type RenewalReason } from '../domain/renewal/policy.js';
import { renewalIndexKeyFor } from '../domain/renewal/review-time.js';
import { pendingRenewalKey, type RenewalWorkItem } from '../domain/renewal/sweep-plan.js';
import { batchResultKey, type BatchResult } from '../domain/renewal/sweep-results.js';
import { renewalIndexKey } from '../domain/renewal/schedule.js';
import { jitteredBackoffMs, type JitteredBackoff } from '../domain/jitter.js';

/** Waits while CAS throttles: 50 ms doubling, capped at 1 s, full jitter (see renewWithRetries). */
const THROTTLE_BACKOFF: JitteredBackoff = { baseMs: 50, maxMs: 1000, jitterRatio: 1 };

export interface RenewedCertificate {
  /** The new generation as the owner sees it. */
  certificate: CertificateSummary;
  /** The new generation's renewal time (its index key, when nothing else is pending). */
  renewAt: string;
  downloads: Record<string, DownloadLink>;
  /** server-key mode: the new .p12 password. */
  p12Password?: string;
}

/** The certificate service's renewal, as the worker needs it (adapter in functions/renew-worker). */
export interface CertificateRenewer {
  /** Renews (or finishes the in-flight renewal of) `expectedGeneration`; the service writes bundles, record and index. */
  renew(
    certificateId: string,
    options: { trigger: 'schedule' | 'event'; expectedGeneration: number; reason: RenewalReason },
  ): Promise<RenewedCertificate>;
  /** Finishes a pending renewal whose record may already be committed (a crash after the record write):
   * same key, and what CAS already issued for it is adopted, so no second certificate; undefined when nothing is
   * pending any more. */
  finishPending(certificateId: string, generation: number): Promise<RenewedCertificate | undefined>;
  /** Finishes a revocation that was recorded (REVOKING) but not confirmed by CAS for every generation. */
  finishRevocation(certificateId: string): Promise<void>;
}

export interface RenewalRecords {
  get(id: string): Promise<ClientCertificate | undefined>;
  put(record: ClientCertificate): Promise<void>;
}

/** How a failed renew call is handled: `throttled` (or a transient reset) is retried within the invocation. */
export type RenewErrorKind = 'conflict' | 'gone' | 'throttled' | 'failure';

export interface WorkerConfig {
  concurrency: number;
  csrKeyReuse: boolean;
  backoff: BackoffPolicy;
  /** Waiting allowed per renewal while the CA throttles, before it is recorded as a failure. */
  throttleWaitMs: number;
  expiringNoticeDays: number[];
  /** A first issuance's pending object younger than this may still be in its API request: not finished by the sweep
   * yet. Default `PENDING_ISSUANCE_GRACE_MS`. */
  pendingIssuanceGraceMs?: number;
}

/** Well beyond cert-api's function timeout (60 s in s.yaml): a request that old has surely ended. */
export const PENDING_ISSUANCE_GRACE_MS = 5 * 60_000;

export interface WorkerDeps {
  store: ObjectStore;
  records: RenewalRecords;
  renewer: CertificateRenewer;
  webhooks: WebhookSender;
  clock: Clock;
  log: Logger;
  config: WorkerConfig;
  random?: () => number;
  /** Waits between throttled retries (injected like the clock). */
  sleep: Sleep;
  classifyError?: (err: unknown) => RenewErrorKind;
}

export type ItemResult = 'renewed' | 'failed' | 'skipped';

export interface ItemOutcome {
  certificateId: string;
  result: ItemResult;
  reason: string;
  due: boolean;
}

/**
 * Conflicts: someone else renewed or revoked it meanwhile. Throttling, and a connection reset before any answer (a
 * kept-alive socket the server had closed): retry here at once, not a failure. Renewing is idempotent (pending
 * object + attempts that adopt what CAS already issued), so a retry never makes a second certificate.
 */
export function classifyRenewError(err: unknown): RenewErrorKind {
  if (!isAppError(err)) return 'failure';
  if (err.status === 404) return 'gone';
  if (err.status === 409) return 'conflict';
  if (!err.retryable) return 'failure';
  const cause = err.cause as { code?: unknown; message?: unknown } | undefined;
  const codes = [err.code, cause?.code].filter((c): c is string => typeof c === 'string');
  if (codes.some((c) => /throttl|too_?many|rate_?limit/i.test(c))) return 'throttled';
  if (
    codes.some((c) => /^(ECONNRESET|EPIPE|UND_ERR_SOCKET)$/.test(c)) ||
    /socket hang up|ECONNRESET/i.test(String(cause?.message ?? ''))
  )
    return 'throttled';
  return 'failure';
}

/** Failure events at the 1st, 2nd, 4th, 8th... failure: escalating without flooding the owner. */
function shouldAnnounceFailure(failedAttempts: number): boolean {
  return (failedAttempts & (failedAttempts - 1)) === 0;
}

function publicFailure(err: unknown): { code: string; message: string } {
  const body = toPublicBody(err);
  return { code: body.code, message: body.message };
}

async function mapLimit<T, R>(items: T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(Math.max(1, limit), items.length) }, async () => {
      while (next < items.length) {
        const i = next++;
        out[i] = await fn(items[i]);
      }
    }),
  );
  return out;
}

class Review {
  private readonly events: WebhookEvent[] = [];
  private readonly now: Date;
  private readonly log: Logger;

  constructor(
    private readonly deps: WorkerDeps,
    private readonly item: RenewalWorkItem,
    private readonly trigger: 'schedule' | 'event',
  ) {
    this.now = deps.clock.now();
    this.log = deps.log.child({ certificateId: item.certificateId });
  }

  private classify(err: unknown): RenewErrorKind {
    return (this.deps.classifyError ?? classifyRenewError)(err);
  }

  private async decide(record: ClientCertificate): Promise<RenewalDecision> {
    const request = this.item.request;
    const inputs = { now: this.now, request, pendingGeneration: this.item.pendingGeneration };
    const options = { csrKeyReuse: this.deps.config.csrKeyReuse };
    const decision = evaluateRenewal(record, inputs, options);
    // Only a request (someone thinks something is wrong) is worth a HEAD on the bundle: a sweep's items are due by time.
    if (!decision.due && decision.reason === 'NotDue' && request && !request.force) {
      const bundleKey = record.current.bundle.p12 ?? record.current.bundle.certificate;
      const bundlePresent = bundleKey ? await this.deps.store.exists(bundleKey) : false;
      return evaluateRenewal(record, { ...inputs, bundlePresent }, options);
    }
    return decision;
  }

  private async renewWithRetries(record: ClientCertificate, reason: RenewalReason) {
    const sleep = this.deps.sleep;
    const random = this.deps.random ?? Math.random;
    let waitedMs = 0;
    for (let attempt = 0; ; attempt += 1) {
      try {
        return await this.deps.renewer.renew(record.id, {
          trigger: this.trigger,
          expectedGeneration: record.current.generation,
          reason,
        });
      } catch (err) {
        if (this.classify(err) !== 'throttled' || waitedMs >= this.deps.config.throttleWaitMs) throw err;
        // Full jitter, capped at 1 s: throttled workers spread out instead of hitting the CA's limit together, and
        // none sleeps long while the CA has room again (a rejected call costs the CA little). A time budget rather
        // than a count: with many workers sharing one quota, an unlucky one may need many short tries.
        const waitMs = jitteredBackoffMs(attempt + 1, THROTTLE_BACKOFF, random);
        waitedMs += Math.max(waitMs, 1);
        await sleep(waitMs);
      }
    }
  }

  /** The one index key this record should have (none when revoked or nothing is left to say); the others that
   * pointed here are removed. */
  private async reindex(record: ClientCertificate | undefined): Promise<void> {
    const wanted = record ? renewalIndexKeyFor(record, this.now, this.deps.config.expiringNoticeDays) : undefined;
    const found = this.item.indexKeys ?? [];
    if (wanted && !found.includes(wanted)) await this.deps.store.put(wanted, '');
    for (const key of found) if (key !== wanted) await this.deps.store.delete(key);
  }

  /** After a renewal the service indexed the new generation and removed the old renewal-time key (stable for a
   * generation). Any other key that led here (e.g. a retry time written after a failure, later than the pending
   * object's own list of keys to remove) is dropped here. */
  private async dropStaleKeys(before: ClientCertificate, renewed: RenewedCertificate): Promise<void> {
    const handled = new Set([
      renewalIndexKey(new Date(renewed.renewAt), before.id),
      renewalIndexKey(new Date(before.renewal.renewAt), before.id),
    ]);
    for (const key of this.item.indexKeys ?? []) if (!handled.has(key)) await this.deps.store.delete(key);
  }

  private async notify(record: ClientCertificate): Promise<void> {
    const url = record.notify?.webhookUrl;
    if (!url) return;
    for (const event of this.events) await this.deps.webhooks.send(url, record.tenant, event);
  }

  private renewedEventFor(
    previous: { generation: number; serialNumber: string; notAfter: string },
    renewed: RenewedCertificate,
    reason: string,
  ) {
    return renewedEvent(
      {
        certificate: renewed.certificate,
        reason,
        previous,
        downloads: renewed.downloads,
        ...(renewed.p12Password ? { p12Password: renewed.p12Password } : {}),
      },
      this.now,
    );
  }

  private async announceRenewed(before: ClientCertificate, renewed: RenewedCertificate, reason: string): Promise<void> {
    const previous =
      before.current.generation < renewed.certificate.generation
        ? before.current
        : before.previous.find((p) => p.generation === renewed.certificate.generation - 1);
    this.events.push(
      this.renewedEventFor(
        previous
          ? { generation: previous.generation, serialNumber: previous.serialNumber, notAfter: previous.notAfter }
          : { generation: renewed.certificate.generation - 1, serialNumber: '', notAfter: '' },
        renewed,
        reason,
      ),
    );
    // Tell the owner first: this event is the only place a scheduled renewal's password is sent.
    await this.notify(before);
    try {
      await this.dropStaleKeys(before, renewed);
    } catch (err) {
      // A stale key only costs the next sweep one look at this certificate, which then removes it.
      this.log.warn('stale index keys not removed', errorFields(err));
    }
  }

  async run(): Promise<ItemOutcome> {
    const id = this.item.certificateId;
    const outcome = (result: ItemResult, reason: string, due: boolean): ItemOutcome => ({
      certificateId: id,
      result,
      reason,
      due,
    });
    const record = await this.deps.records.get(id);
    if (this.item.pendingGeneration === 1 && (!record || record.current.generation === 1)) {
      const finished = await this.finishIssuance(record);
      if (finished) return finished;
    }
    if (!record) {
      await this.reindex(undefined);
      return outcome('skipped', 'NotFound', false);
    }
    // A revocation recorded but not finished (its request failed half-way): finish it, never renew it.
    if (record.status === 'REVOKING') return this.finishRevocation(record);
    // A pending object for a generation the record already has: a renewal crashed after its record write.
    if (this.item.pendingGeneration !== undefined && this.item.pendingGeneration <= record.current.generation) {
      return this.finishCommitted(record, this.item.pendingGeneration);
    }

    const decision = await this.decide(record);
    let current = record;
    let changed = false;
    let result: ItemOutcome;

    if (decision.due) {
      try {
        const renewed = await this.renewWithRetries(record, decision.reason);
        this.log.info('certificate renewed', {
          reason: decision.reason,
          generation: renewed.certificate.generation,
          notAfter: renewed.certificate.notAfter,
          trigger: this.trigger,
        });
        await this.announceRenewed(record, renewed, decision.reason);
        return outcome('renewed', decision.reason, true);
      } catch (err) {
        const kind = this.classify(err);
        const fresh = await this.deps.records.get(id);
        if (!fresh) {
          await this.reindex(undefined);
          return outcome('skipped', 'NotFound', true);
        }
        current = fresh;
        if (
          kind === 'conflict' ||
          kind === 'gone' ||
          fresh.current.generation !== record.current.generation ||
          fresh.status === 'REVOKED'
        ) {
          // Renewed (through the API, by another worker, or by this call before it failed late) or revoked meanwhile.
          this.log.info('renewal skipped: changed meanwhile', {
            reason: decision.reason,
            generation: fresh.current.generation,
            ...errorFields(err),
          });
          result = outcome('skipped', fresh.status === 'REVOKED' ? 'Revoked' : 'AlreadyRenewed', true);
        } else {
          const random = this.deps.random ?? Math.random;
          current = {
            ...fresh,
            renewal: withFailure(fresh.renewal, publicFailure(err), this.now, this.deps.config.backoff, random),
            updatedAt: this.now.toISOString(),
          };
          changed = true;
          this.log.warn('renewal failed', {
            reason: decision.reason,
            attempt: current.renewal.failedAttempts,
            nextAttemptAt: current.renewal.nextAttemptAt,
            ...errorFields(err),
          });
          if (shouldAnnounceFailure(current.renewal.failedAttempts)) {
            this.events.push(
              renewalFailedEvent(
                {
                  certificate: summarize(current),
                  error: current.renewal.lastFailure!,
                  failedAttempts: current.renewal.failedAttempts,
                  nextAttemptAt: current.renewal.nextAttemptAt,
                },
                this.now,
              ),
            );
          }
          result = outcome('failed', decision.reason, true);
        }
      }
    } else if (decision.reason === 'NewCsrRequired') {
      result = outcome('failed', 'NewCsrRequired', true);
      const asked = record.renewal.lastFailure?.code === 'NEW_CSR_REQUIRED';
      // Look again at the next expiry notice (or at expiry): nothing else changes until the owner sends a CSR.
      const failing = {
        ...record,
        renewal: { ...record.renewal, failedAttempts: Math.max(1, record.renewal.failedAttempts) },
      };
      const nextAttemptAt =
        nextExpiringNoticeAt(failing, this.now, this.deps.config.expiringNoticeDays) ??
        new Date(record.current.notAfter);
      if (!asked || new Date(record.renewal.nextAttemptAt ?? 0) <= this.now) {
        const failure = {
          code: 'NEW_CSR_REQUIRED',
          message: 'Key reuse is disabled: submit a new CSR to renew this certificate.',
        };
        const renewal = asked
          ? { ...record.renewal, nextAttemptAt: nextAttemptAt.toISOString() }
          : withFailure(record.renewal, failure, this.now, this.deps.config.backoff, this.deps.random ?? Math.random, {
              nextAttemptAt,
            });
        current = { ...record, renewal, updatedAt: this.now.toISOString() };
        changed = true;
        if (!asked) {
          this.events.push(
            renewalFailedEvent(
              {
                certificate: summarize(current),
                error: failure,
                failedAttempts: renewal.failedAttempts,
                nextAttemptAt: renewal.nextAttemptAt,
                ownerAction: 'submit-new-csr',
              },
              this.now,
            ),
          );
        }
      }
    } else {
      result = outcome('skipped', decision.reason, false);
    }

    const notice = expiringNoticeDue(current, this.now, this.deps.config.expiringNoticeDays);
    if (notice) {
      current = {
        ...current,
        renewal: { ...current.renewal, expiringNotified: notice.notified },
        updatedAt: this.now.toISOString(),
      };
      changed = true;
      this.events.push(
        expiringEvent(
          {
            certificate: summarize(current),
            daysLeft: notice.daysLeft,
            thresholdDays: notice.thresholdDays,
            why: !current.autoRenew
              ? 'auto-renew-disabled'
              : current.current.cappedByCa
                ? 'ca-expiring'
                : 'renewal-failing',
            ...(current.renewal.lastFailure ? { lastFailure: current.renewal.lastFailure } : {}),
          },
          this.now,
        ),
      );
    }
    // Record first, then notify: a notice goes out at most once per threshold even if this invocation is retried.
    if (changed) await this.deps.records.put(current);
    await this.reindex(current);
    await this.notify(current);
    return result;
  }

  private async finishRevocation(record: ClientCertificate): Promise<ItemOutcome> {
    const id = record.id;
    try {
      await this.deps.renewer.finishRevocation(id);
      this.log.info('revocation finished', { reason: 'RevocationInProgress', generation: record.current.generation });
      await this.reindex(await this.deps.records.get(id));
      return { certificateId: id, result: 'skipped', reason: 'RevocationFinished', due: false };
    } catch (err) {
      // The REVOKING record keeps its index key: the next sweep tries again.
      this.log.warn('revocation not finished', { reason: 'RevocationInProgress', ...errorFields(err) });
      return { certificateId: id, result: 'failed', reason: 'RevocationInProgress', due: true };
    }
  }

  /** When the pending object was written (`undefined`: gone). An unreadable time counts as old: finishing is safe. */
  private async pendingStartedAt(generation: number): Promise<Date | undefined> {
    const body = await this.deps.store.get(pendingRenewalKey(this.item.certificateId, generation));
    if (!body) return undefined;
    try {
      const createdAt = Date.parse(String((JSON.parse(body.toString('utf8')) as { createdAt?: unknown }).createdAt));
      return new Date(Number.isNaN(createdAt) ? 0 : createdAt);
    } catch {
      return new Date(0);
    }
  }

  /**
   * A first issuance an API request left pending (it failed or died after the CA call, or before its clean-up): once
   * older than the grace period, finished with the same key: the certificate CAS already issued for it is adopted (not
   * issued again) and the record, bundles and index are written. A caller retrying with the same Idempotency-Key then
   * gets the stored answer. No webhook event: nothing was renewed. `undefined`: nothing pending, review as usual.
   */
  private async finishIssuance(record: ClientCertificate | undefined): Promise<ItemOutcome | undefined> {
    const id = this.item.certificateId;
    const startedAt = await this.pendingStartedAt(1);
    if (!startedAt) return undefined;
    const graceMs = this.deps.config.pendingIssuanceGraceMs ?? PENDING_ISSUANCE_GRACE_MS;
    if (this.now.getTime() - startedAt.getTime() < graceMs) {
      return { certificateId: id, result: 'skipped', reason: 'PendingIssuanceInFlight', due: false };
    }
    try {
      const finished = await this.deps.renewer.finishPending(id, 1);
      if (!finished) return undefined;
      this.log.info('pending issuance finished', {
        reason: 'PendingIssuance',
        generation: 1,
        serialNumber: finished.certificate.serialNumber,
        outcome: record ? 'record-existed' : 'record-written',
      });
      return { certificateId: id, result: 'renewed', reason: 'PendingIssuance', due: true };
    } catch (err) {
      // The pending object stays (unless the CA's certificate was rejected): the next sweep tries again.
      this.log.warn('pending issuance not finished', { reason: 'PendingIssuance', ...errorFields(err) });
      return { certificateId: id, result: 'failed', reason: 'PendingIssuance', due: true };
    }
  }

  /** Finish a pending renewal the record already reflects: the service re-runs the idempotent steps (same token,
   * same certificate), removes the pending object, and gives back the links and password for the owner. */
  private async finishCommitted(record: ClientCertificate, generation: number): Promise<ItemOutcome> {
    if (generation < record.current.generation) {
      // Superseded by a later renewal: nothing of it is left to finish or to tell.
      await this.deps.store.delete(pendingRenewalKey(record.id, generation));
      await this.reindex(record);
      return { certificateId: record.id, result: 'skipped', reason: 'PendingSuperseded', due: false };
    }
    const finished = await this.deps.renewer.finishPending(record.id, generation);
    if (finished) {
      this.log.info('pending renewal finished', { generation, reason: 'PendingRenewal' });
      await this.announceRenewed(record, finished, 'PendingRenewal');
      return { certificateId: record.id, result: 'renewed', reason: 'PendingRenewal', due: true };
    }
    await this.reindex(record);
    return { certificateId: record.id, result: 'skipped', reason: 'NothingPending', due: false };
  }
}

export function reviewCertificate(
  deps: WorkerDeps,
  item: RenewalWorkItem,
  trigger: 'schedule' | 'event',
): Promise<ItemOutcome> {
  return new Review(deps, item, trigger).run();
}

export async function runWorkerBatch(
  deps: WorkerDeps,
  payload: {
    sweepId: string;
    trigger: 'schedule' | 'event' | 'manual';
    batch: number;
    batches: number;
    items: RenewalWorkItem[];
  },
): Promise<BatchResult> {
  const startedAt = deps.clock.now();
  const trigger = payload.trigger === 'event' ? 'event' : 'schedule';
  const outcomes = await mapLimit(payload.items, deps.config.concurrency, async (item) => {
    try {
      return await reviewCertificate(deps, item, trigger);
    } catch (err) {
      // Reading or writing the record failed: nothing was changed that the next sweep cannot redo.
      deps.log.error('renewal review failed', { certificateId: item.certificateId, ...errorFields(err) });
      return {
        certificateId: item.certificateId,
        result: 'failed',
        reason: 'ReviewError',
        due: true,
      } satisfies ItemOutcome;
    }
  });
  const skippedBy: Record<string, number> = {};
  for (const o of outcomes) if (o.result === 'skipped') skippedBy[o.reason] = (skippedBy[o.reason] ?? 0) + 1;
  const count = (r: ItemResult) => outcomes.filter((o) => o.result === r).length;
  const result: BatchResult = {
    sweepId: payload.sweepId,
    trigger: payload.trigger,
    batch: payload.batch,
    batches: payload.batches,
    reviewed: outcomes.length,
    due: outcomes.filter((o) => o.due && o.result !== 'skipped').length,
    renewed: count('renewed'),
    failed: count('failed'),
    skipped: count('skipped'),
    skippedBy,
    startedAt: startedAt.toISOString(),
    finishedAt: deps.clock.now().toISOString(),
  };
  deps.log.info('renewal batch finished', {
    sweepId: result.sweepId,
    batch: result.batch,
    batches: result.batches,
    reviewed: result.reviewed,
    due: result.due,
    renewed: result.renewed,
    failed: result.failed,
    skipped: result.skipped,
    durationMs: Date.parse(result.finishedAt) - startedAt.getTime(),
  });
  try {
    await deps.store.put(batchResultKey(payload.sweepId, payload.batch, payload.batches), JSON.stringify(result), {
      contentType: 'application/json',
    });
  } catch (err) {
    deps.log.warn('batch result not stored', { sweepId: payload.sweepId, batch: payload.batch, ...errorFields(err) });
  }
  return result;
}

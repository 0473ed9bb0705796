/**
 * Getting THE certificate of a pending object from a CA that issues a new one on every call. Each CA call is claimed
 * first as an attempt object (create-only, so two processes never call at once for one pending object), and before
 * any further call what earlier attempts may have issued is adopted:
 *
 *   answered attempt        -> adopt its certificate (the first answered one wins; later ones are revoked)
 *   attempt still running   -> wait for it (bounded), never call beside it; one that ended without an answer
 *                              counts as running for a settle time (CAS may finish it after our timeout)
 *   attempt without answer  -> search CAS (ListCert since the attempt, matched by CustomIdentifier or public key)
 *                              and adopt what it issued; only when the search is complete and found nothing,
 *   nothing to adopt        -> claim the next attempt and call CAS (at most `maxAttempts` calls)
 *
 * Whatever slips through (a call CAS finishes after we gave up on it) is a certificate no record knows: the inventory
 * scan (shared/renewal/inventory.ts) revokes it after a grace period.
 */
import type { KeyObject } from 'node:crypto';
import { nothingIssued, type IssuedCertificate } from '../domain/ports.js';
import { AppError, isAppError } from '../errors/index.js';
import { errorFields } from '../log/index.js';
import { keyMatchesCertificate } from '../pki/index.js';
import type { ServiceContext } from './context.js';
import { attemptKey, attemptPrefix, parseAttemptKey, pendingKey } from './ids.js';
import { customIdentifierFor, type PendingIssuance } from './pending.js';
import { readRecord } from './records.js';
import { createJson, getJson, putJson } from './storage.js';

const DAY_MS = 86_400_000;
/** Clock skew tolerated between us and CAS when matching times. */
const SKEW_MS = 5 * 60_000;
/** ListCert pages one search may read (besides the request's time budget); past that it gives up (503) rather than
 * issue without knowing. 400 pages of 50 cover 20,000 changes since the attempt. */
const MAX_SEARCH_PAGES = 400;

export interface AttemptRecord {
  v: 1;
  n: number;
  startedAt: string;
  customIdentifier: string;
  /** The validity asked for in this call (computed when the call is made, never back-dated). */
  notBefore: string;
  notAfter: string;
  /** CAS answered: the certificate (public data only). */
  issued?: IssuedCertificate;
  /** The call ended without a usable answer (timeout, outage): CAS may or may not have issued. */
  endedAt?: string;
  /** CAS refused the call outright (a definite no: nothing was issued). */
  refused?: string;
}

export interface Obtained {
  issued: IssuedCertificate;
  /** The validity the adopted certificate was asked for. */
  window: { notBefore: Date; notAfter: Date };
  /** Found by a search rather than from an answer. */
  adopted: boolean;
  /** Where the answer belongs when it could not be stored with the attempt (stored again if a later step fails). */
  unrecorded?: { key: string; attempt: AttemptRecord };
}

/** Stores an answer a failed write left only in memory, so the next try adopts it at once (best effort). */
export async function recordAnswer(ctx: ServiceContext, obtained: Obtained): Promise<void> {
  if (!obtained.unrecorded) return;
  const { key, attempt } = obtained.unrecorded;
  await putJson(ctx.store, key, { ...attempt, issued: obtained.issued } satisfies AttemptRecord).catch(() => undefined);
}

/** Too many CA calls for one pending object: it is set aside. */
export class AttemptsExhaustedError extends AppError {
  constructor(attempts: number) {
    super('ISSUANCE_ABANDONED', 502, 'The certificate could not be issued; send a new request.', {
      details: { attempts },
    });
  }
}

/** A CA call for the same pending object is in flight elsewhere (a twin request, a sweep). */
export class AttemptInProgressError extends AppError {
  constructor() {
    super('IDEMPOTENT_REQUEST_IN_PROGRESS', 409, 'The same request is being processed; retry it shortly.', {
      retryable: true,
    });
  }
}

/** The pending object is gone: someone finished it meanwhile. The caller answers with what was made. */
export class PendingSupersededError extends AppError {
  constructor() {
    super('IDEMPOTENT_REQUEST_IN_PROGRESS', 409, 'The same request was being processed; retry it shortly.', {
      retryable: true,
    });
  }
}

/** The search for what CAS may already have issued did not finish: calling again could make a second certificate. */
export class IssuedSearchIncompleteError extends AppError {
  constructor() {
    super('CA_UNAVAILABLE', 503, 'The certificate authority could not be searched; retry the same request.', {
      retryable: true,
    });
  }
}

async function readAttempts(ctx: ServiceContext, pending: PendingIssuance): Promise<AttemptRecord[]> {
  const listing = await ctx.store.list({ prefix: attemptPrefix(pending.id, pending.generation), maxKeys: 100 });
  const keys = listing.keys.filter((k) => parseAttemptKey(k) !== undefined);
  const attempts = await Promise.all(keys.map((k) => getJson<AttemptRecord>(ctx.store, k)));
  return attempts.filter((a): a is AttemptRecord => Boolean(a)).sort((a, b) => a.n - b.n);
}

/** The validity of a call made now: starts now (whole seconds), capped at the CA's end. */
export function validityWindow(pending: PendingIssuance, now: Date): { notBefore: Date; notAfter: Date } {
  const notBefore = new Date(Math.floor(now.getTime() / 1000) * 1000);
  const wanted = notBefore.getTime() + pending.validityDays * DAY_MS;
  const cap = pending.notAfterCap ? Date.parse(pending.notAfterCap) : Infinity;
  return { notBefore, notAfter: new Date(Math.min(wanted, cap)) };
}

async function revokeQuietly(ctx: ServiceContext, identifier: string, why: string): Promise<void> {
  try {
    await ctx.ca.revoke(identifier);
    ctx.log.warn('extra certificate revoked', {
      event: 'certificate.extra_revoked',
      caIdentifier: identifier,
      reason: why,
    });
  } catch (err) {
    // The inventory scan revokes it later: no record names it.
    ctx.log.error('extra certificate not revoked', { ...errorFields(err), caIdentifier: identifier, reason: why });
  }
}

/**
 * What CAS holds for these unanswered attempts: ISSUE certificates under our sub-CA, changed since the first of
 * them, named by one of their CustomIdentifiers (or, when CAS returns none, with our public key and a start inside
 * the attempts' window), and not a generation the record already has. Oldest first.
 */
async function searchIssued(
  ctx: ServiceContext,
  pending: PendingIssuance,
  unanswered: AttemptRecord[],
  publicKey: KeyObject,
): Promise<IssuedCertificate[]> {
  const first = Math.min(...unanswered.map((a) => Date.parse(a.startedAt)));
  const last = Math.max(...unanswered.map((a) => Date.parse(a.startedAt)));
  const wanted = new Set(unanswered.map((a) => a.customIdentifier));
  const record = await readRecord(ctx.store, pending.id);
  const known = new Set(record ? [record.current.casIdentifier, ...record.previous.map((p) => p.casIdentifier)] : []);
  const candidates: string[] = [];
  let named = false;
  let cursor: string | undefined;
  for (let page = 0; ; page += 1) {
    if (page >= MAX_SEARCH_PAGES) throw new IssuedSearchIncompleteError();
    const listing = await ctx.ca.listClientCertificates({
      parentIdentifier: ctx.config.parentIdentifier,
      modifiedSince: new Date(first - SKEW_MS),
      cursor,
    });
    for (const item of listing.items) {
      if (item.status !== 'ISSUE' || known.has(item.identifier)) continue;
      if (item.customIdentifier !== undefined) {
        if (wanted.has(item.customIdentifier)) {
          candidates.push(item.identifier);
          named = true;
        }
        continue;
      }
      if (item.commonName !== undefined && item.commonName !== pending.commonName) continue;
      const start = item.notBefore?.getTime();
      if (start !== undefined && (start < first - SKEW_MS || start > last + SKEW_MS)) continue;
      candidates.push(item.identifier);
    }
    cursor = listing.cursor;
    // What an attempt named is found: later pages can only hold extras, which the inventory scan revokes.
    if (!cursor || named) break;
  }
  const found: IssuedCertificate[] = [];
  for (const identifier of new Set(candidates)) {
    const described = await ctx.ca.describeClientCertificate(identifier);
    if (!described?.certificatePem || described.status !== 'ISSUE') continue;
    // Filtered on our side too: CAS may not honour ListCert's ParentIdentifier.
    if (described.parentIdentifier !== undefined && described.parentIdentifier !== ctx.config.parentIdentifier)
      continue;
    if (!keyMatchesCertificate(publicKey, described.certificatePem)) continue;
    const start = described.notBefore?.getTime() ?? first;
    if (start < first - SKEW_MS || start > last + SKEW_MS) continue;
    found.push({
      identifier,
      serialNumber: described.serialNumber ?? '',
      certificatePem: described.certificatePem,
      chainPems: described.chainPems ?? [],
    });
  }
  return found.sort((a, b) => a.identifier.localeCompare(b.identifier));
}

function windowOf(attempt: AttemptRecord): { notBefore: Date; notAfter: Date } {
  return { notBefore: new Date(attempt.notBefore), notAfter: new Date(attempt.notAfter) };
}

/** See the file comment. Throws AttemptInProgressError when another call is running and does not end in time. */
export async function obtainCertificate(
  ctx: ServiceContext,
  pending: PendingIssuance,
  publicKey: KeyObject,
  options: { fresh?: boolean } = {},
): Promise<Obtained> {
  const waitUntil = ctx.now().getTime() + ctx.timing.twinWaitMs;
  // Bounded by count as well as by the clock: an injected clock that does not move must not make this loop forever.
  let polls = Math.ceil(ctx.timing.twinWaitMs / ctx.timing.pollMs);
  // A pending object this process just created has no attempts yet: the first claim needs no reads (the claim
  // itself is create-only, so a twin that got there first is still noticed).
  let fresh = options.fresh === true;
  for (;;) {
    const attempts = fresh ? [] : await readAttempts(ctx, pending);
    const answered = attempts.filter((a) => a.issued);
    if (answered.length > 0) {
      // Two answers for one pending object: only possible when a call ended late; the first one is the generation.
      for (const extra of answered.slice(1)) await revokeQuietly(ctx, extra.issued!.identifier, 'second answer');
      return { issued: answered[0].issued!, window: windowOf(answered[0]), adopted: false };
    }
    const now = ctx.now().getTime();
    const running = attempts.filter((a) =>
      a.refused
        ? false
        : a.endedAt
          ? now - Date.parse(a.endedAt) < ctx.timing.answerSettleMs
          : now - Date.parse(a.startedAt) < ctx.timing.attemptLeaseMs,
    );
    if (running.length > 0) {
      if (now >= waitUntil || polls <= 0 || ctx.budget.remainingMs() < ctx.timing.pollMs * 2)
        throw new AttemptInProgressError();
      polls -= 1;
      await ctx.sleep(ctx.timing.pollMs);
      continue;
    }
    const unanswered = attempts.filter((a) => !a.refused);
    if (unanswered.length > 0) {
      const found = await searchIssued(ctx, pending, unanswered, publicKey);
      if (found.length > 0) {
        const latest = unanswered[unanswered.length - 1];
        const adopted: AttemptRecord = { ...latest, issued: found[0] };
        // Recorded so a twin adopts the same one; the rest are ours but unused.
        await putJson(ctx.store, attemptKey(pending.id, pending.generation, latest.n), adopted);
        for (const extra of found.slice(1)) await revokeQuietly(ctx, extra.identifier, 'found twice');
        ctx.log.warn('issued certificate adopted', {
          event: 'certificate.adopted',
          certificateId: pending.id,
          generation: pending.generation,
          caIdentifier: found[0].identifier,
          count: found.length,
        });
        return { issued: found[0], window: windowOf(latest), adopted: true };
      }
    }
    if (attempts.length >= ctx.timing.maxAttempts) throw new AttemptsExhaustedError(attempts.length);
    // Finished and deleted by someone else meanwhile: a new call would make a second certificate.
    if (!fresh && !(await getJson(ctx.store, pendingKey(pending.id, pending.generation))))
      throw new PendingSupersededError();
    fresh = false;
    ctx.budget.require(ctx.timing.caCallBudgetMs, 'CAS issue');
    const n = (attempts[attempts.length - 1]?.n ?? 0) + 1;
    const window = validityWindow(pending, ctx.now());
    const attempt: AttemptRecord = {
      v: 1,
      n,
      startedAt: ctx.now().toISOString(),
      customIdentifier: customIdentifierFor(pending.id, pending.generation, n),
      notBefore: window.notBefore.toISOString(),
      notAfter: window.notAfter.toISOString(),
    };
    const key = attemptKey(pending.id, pending.generation, n);
    if (!(await createJson(ctx.store, key, attempt))) continue; // a twin claimed it first: follow it
    let issued: IssuedCertificate;
    try {
      issued = await ctx.ca.issueWithCsr({
        parentIdentifier: ctx.config.parentIdentifier,
        csrPem: pending.csrPem,
        commonName: pending.commonName,
        sans: pending.sans,
        keyAlgorithm: pending.keyAlgorithm,
        notBefore: window.notBefore,
        notAfter: window.notAfter,
        customIdentifier: attempt.customIdentifier,
      });
    } catch (err) {
      // A refusal (CAS answered 4xx or throttled) issued nothing; anything else may have: the next try searches first.
      const refused = nothingIssued(err) ? (isAppError(err) ? err.code : 'REFUSED') : undefined;
      const ended: AttemptRecord = { ...attempt, endedAt: ctx.now().toISOString(), ...(refused ? { refused } : {}) };
      await putJson(ctx.store, key, ended).catch(() => undefined);
      throw err;
    }
    // If this write fails the certificate is still found: stored again if a later step fails, or by a search.
    const stored = await putJson(ctx.store, key, { ...attempt, issued } satisfies AttemptRecord).then(
      () => true,
      (err: unknown) => {
        ctx.log.warn('attempt answer not stored', { ...errorFields(err), certificateId: pending.id });
        return false;
      },
    );
    return { issued, window, adopted: false, ...(stored ? {} : { unrecorded: { key, attempt } }) };
  }
}

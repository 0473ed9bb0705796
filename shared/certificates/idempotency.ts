/**
 * `Idempotency-Key` entries as an explicit state machine (Powertools' idempotency utility): IN_PROGRESS while the
 * first request works, COMPLETED with its sealed answer, EXPIRED once `expiresAt` has passed (derived from the clock,
 * then deleted). A replay never trusts the stored answer alone: it re-reads the record, so a revoked certificate
 * answers 409 and a renewed one answers its current generation (without the old password and dead links).
 */
import type { ClientCertificate } from '../domain/client-certificate.js';
import { ConflictError } from '../errors/index.js';
import { signDownloads } from './bundles.js';
import type { ServiceContext } from './context.js';
import { bundleObjectKeys, expiryIndexKey, pendingKey } from './ids.js';
import { readRecord } from './records.js';
import type { Sealed } from './sealing.js';
import { getJson } from './storage.js';
import { currentAnswer } from './answer.js';
import type { ClientCertificateView, IssueResult } from './view.js';

export const DEFAULT_IDEMPOTENCY_TTL_SECONDS = 24 * 3600;

export type IdempotencyStatus = 'IN_PROGRESS' | 'COMPLETED' | 'EXPIRED';

/** What the idempotency object keeps (sealed) so a replay gives the same answer. */
export interface StoredAnswer {
  view: ClientCertificateView;
  p12Password?: string;
}

export interface IdempotencyEntry {
  v: 2;
  operation: 'issue';
  status: 'IN_PROGRESS' | 'COMPLETED';
  requestHash: string;
  certificateId: string;
  createdAt: string;
  expiresAt: string;
  /** Its creator failed before writing the pending object: a retry takes over at once. */
  released?: boolean;
  /** COMPLETED only. */
  answer?: Sealed;
}

export function entryStatus(entry: IdempotencyEntry, now: Date): IdempotencyStatus {
  if (Date.parse(entry.expiresAt) <= now.getTime()) return 'EXPIRED';
  return entry.status === 'COMPLETED' && entry.answer ? 'COMPLETED' : 'IN_PROGRESS';
}

export function ttlMs(ctx: ServiceContext): number {
  return (ctx.config.idempotencyTtlSeconds ?? DEFAULT_IDEMPOTENCY_TTL_SECONDS) * 1000;
}

/** A new entry, and the expiry-index key that has the sweep delete it after its TTL. */
export function newEntry(
  ctx: ServiceContext,
  objectKey: string,
  fields: { requestHash: string; certificateId: string },
): { entry: IdempotencyEntry; expiryKey: string } {
  const now = ctx.now();
  const expiresAt = new Date(now.getTime() + ttlMs(ctx));
  return {
    entry: {
      v: 2,
      operation: 'issue',
      status: 'IN_PROGRESS',
      ...fields,
      createdAt: now.toISOString(),
      expiresAt: expiresAt.toISOString(),
    },
    expiryKey: expiryIndexKey(expiresAt, objectKey),
  };
}

export function completedEntry(
  ctx: ServiceContext,
  idempotency: { objectKey: string; requestHash: string },
  certificateId: string,
  createdAt: string,
  answer: StoredAnswer,
): IdempotencyEntry {
  return {
    v: 2,
    operation: 'issue',
    status: 'COMPLETED',
    requestHash: idempotency.requestHash,
    certificateId,
    createdAt,
    expiresAt: new Date(Date.parse(createdAt) + ttlMs(ctx)).toISOString(),
    answer: ctx.cipher.seal(answer, idempotency.objectKey),
  };
}

export async function readEntry(ctx: ServiceContext, objectKey: string): Promise<IdempotencyEntry | undefined> {
  const entry = await getJson<IdempotencyEntry & { v?: number }>(ctx.store, objectKey);
  if (!entry) return undefined;
  // v1 entries (before explicit states): an answer means completed; they expire a day after their creation.
  if (entry.v !== 2) {
    const createdAt = entry.createdAt ?? new Date(0).toISOString();
    return {
      ...entry,
      v: 2,
      status: entry.answer ? 'COMPLETED' : 'IN_PROGRESS',
      createdAt,
      expiresAt: new Date(Date.parse(createdAt) + DEFAULT_IDEMPOTENCY_TTL_SECONDS * 1000).toISOString(),
    };
  }
  return entry;
}

/** The current answer for a COMPLETED entry: the record decides, the stored answer only adds its password. */
export async function replay(ctx: ServiceContext, entry: IdempotencyEntry, objectKey: string): Promise<IssueResult> {
  const stored = ctx.cipher.open<StoredAnswer>(entry.answer!, objectKey);
  // A crash right after the answer was stored leaves the pending object behind: tidy it up now.
  await ctx.store.delete(pendingKey(stored.view.id, 1));
  const record: ClientCertificate | undefined = await readRecord(ctx.store, stored.view.id);
  if (!record) {
    // Only reachable if the record was removed by hand: the stored answer is all there is.
    return { ...stored.view, downloads: await links(ctx, stored.view) };
  }
  if (record.status !== 'ACTIVE')
    throw new ConflictError('CERTIFICATE_REVOKED', 'The certificate issued for this request was revoked.');
  const answer = await currentAnswer(ctx, record);
  // The password belongs to the generation it sealed; a renewed certificate has another one (or none we know).
  const samePassword = stored.p12Password && record.current.generation === stored.view.generation;
  return { ...answer, ...(samePassword ? { p12Password: stored.p12Password } : {}) };
}

function links(ctx: ServiceContext, view: ClientCertificateView) {
  const bundle = bundleObjectKeys(view.id, view.generation, view.mode);
  return signDownloads(ctx.store, bundle, view.commonName, ctx.config.linkDefaultSeconds, ctx.now());
}

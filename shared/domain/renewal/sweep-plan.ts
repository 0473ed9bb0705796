/**
 * A sweep's plan as data: which certificates to look at (from the index keys listed up to now and the pending
 * renewals and first issuances found), deduplicated, cut into batches for renew-worker. Pure, so a test can read
 * the plan.
 */
import { CERTIFICATE_ID_PATTERN, parseRenewalIndexKey, renewalIndexUpperBound } from './schedule.js';

export const PENDING_PREFIX = 'pending/';

/** One certificate for renew-worker to review. */
export interface RenewalWorkItem {
  certificateId: string;
  /** Index keys that pointed here; the worker removes those that are no longer this record's key. */
  indexKeys?: string[];
  /** A pending object's generation: the worker finishes it (generation 1: a first issuance the API left behind,
   * finished once it is older than the worker's grace period). */
  pendingGeneration?: number;
  /** From a `renew.requested` event. */
  request?: { eventId: string; force: boolean; generation?: number };
}

export interface SweepPlan {
  items: RenewalWorkItem[];
  batches: RenewalWorkItem[][];
  /** Keys under the index or pending prefix that are not ours to act on (malformed, foreign, unversioned). */
  ignoredKeys: string[];
  /** Items left for the next sweep because of `maxItems` or `maxPending`. */
  deferred: number;
}

/** `pending/<id>.json` or `pending/<id>/g<generation>.json`. */
export function parsePendingKey(key: string): { certificateId: string; generation?: number } | undefined {
  const m = key.match(/^pending\/([^/]+?)(?:\/g(\d{1,9}))?\.json$/);
  if (!m || !CERTIFICATE_ID_PATTERN.test(m[1])) return undefined;
  return { certificateId: m[1], generation: m[2] === undefined ? undefined : Number(m[2]) };
}

export function planSweep(input: {
  indexKeys: string[];
  pendingKeys: string[];
  now: Date;
  batchSize: number;
  /** Certificates due by the index, at most. */
  maxItems: number;
  /** Pending objects to finish, at most: their own budget, so pending work never crowds out due renewals (and due
   * renewals never starve pending work). Default: `maxItems`. */
  maxPending?: number;
}): SweepPlan {
  const bound = renewalIndexUpperBound(input.now);
  const byId = new Map<string, RenewalWorkItem>();
  const ignoredKeys: string[] = [];
  let deferred = 0;
  const budgets = { pending: input.maxPending ?? input.maxItems, due: input.maxItems };
  const take = (id: string, budget: keyof typeof budgets): RenewalWorkItem | undefined => {
    const existing = byId.get(id);
    if (existing) return existing;
    if (budgets[budget] <= 0) {
      deferred += 1;
      return undefined;
    }
    budgets[budget] -= 1;
    const item: RenewalWorkItem = { certificateId: id };
    byId.set(id, item);
    return item;
  };
  // Pending work: crashes or races to finish. A first issuance (generation 1) is included too: a request without
  // Idempotency-Key that failed after the CA call has no retry that could finish it, and its certificate must not stay
  // without a record. The worker waits out a grace period. Work that cannot succeed is set aside by the service, so
  // it leaves this list; what is left has a budget of its own.
  for (const key of input.pendingKeys) {
    const parsed = parsePendingKey(key);
    if (!parsed || parsed.generation === undefined || parsed.generation < 1) {
      ignoredKeys.push(key);
      continue;
    }
    const item = take(parsed.certificateId, 'pending');
    if (item) item.pendingGeneration = Math.max(item.pendingGeneration ?? 0, parsed.generation);
  }
  for (const key of input.indexKeys) {
    if (key >= bound) continue;
    const entry = parseRenewalIndexKey(key);
    if (!entry) {
      ignoredKeys.push(key);
      continue;
    }
    const item = take(entry.certificateId, 'due');
    if (item) item.indexKeys = [...(item.indexKeys ?? []), key];
  }
  const items = [...byId.values()];
  const size = Math.max(1, input.batchSize);
  const batches: RenewalWorkItem[][] = [];
  for (let i = 0; i < items.length; i += size) batches.push(items.slice(i, i + size));
  return { items, batches, ignoredKeys, deferred };
}

/** The pending object of an issuance (generation 1) or a renewal to `generation` (the certificate service writes
 * it; same layout). */
export function pendingRenewalKey(certificateId: string, generation: number): string {
  return `${PENDING_PREFIX}${certificateId}/g${generation}.json`;
}

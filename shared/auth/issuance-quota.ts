/**
 * The daily issuance quota per token (CAS bills every certificate): global across instances, kept in the bucket as
 * one create-only object per admitted issuance under `quota/<tenant>/<token name>/<UTC day>/`. A request that
 * may issue is admitted under a slot name derived from what makes it unique (its Idempotency-Key, or the
 * certificate and generation it renews), so a retried request finds its own slot and is neither counted twice
 * nor refused once the quota is used up. Concurrent requests at the very boundary may pass together (OSS has no
 * atomic counter); the overshoot is at most the number of such requests in flight. Refused: 429
 * ISSUANCE_QUOTA_EXCEEDED with `Retry-After` = seconds to the next UTC midnight. A lifecycle rule on `quota/`
 * (docs/deploy.md) deletes old days.
 */
import { createHash, randomBytes } from 'node:crypto';
import { ObjectExistsError, type Clock, type ObjectStore } from '../domain/ports.js';
import type { TokenPrincipal } from './principal.js';
import { RateLimitedError } from './rate-limit.js';

export interface IssuanceQuota {
  /**
   * Admits one issuance for `principal` under `slot` (undefined = a fresh one), or throws 429. `release` gives
   * the slot back when the request was refused before anything was issued (a 4xx): bad requests cost nothing.
   */
  admit(principal: TokenPrincipal, slot?: string): Promise<{ release(): Promise<void> }>;
}

const KEEP = { release: async () => undefined };

const DAY_MS = 86_400_000;

export function quotaPrefix(principal: TokenPrincipal, now: Date): string {
  return `quota/${principal.tenant}/${principal.name}/${now.toISOString().slice(0, 10)}/`;
}

export function createIssuanceQuota(options: {
  store: ObjectStore;
  clock: Clock;
  defaultIssuancesPerDay: number;
}): IssuanceQuota {
  return {
    async admit(principal, slot) {
      const limit = principal.limits?.issuancesPerDay ?? options.defaultIssuancesPerDay;
      const now = options.clock.now();
      const prefix = quotaPrefix(principal, now);
      const name = slot
        ? createHash('sha256').update(slot, 'utf8').digest('hex').slice(0, 32)
        : randomBytes(16).toString('hex');
      const key = `${prefix}${name}`;
      if (slot && (await options.store.exists(key))) return KEEP; // a retry of an admitted request
      let used = 0;
      let continuationToken: string | undefined;
      do {
        const page = await options.store.list({ prefix, continuationToken, maxKeys: 1000 });
        used += page.keys.length;
        continuationToken = page.nextContinuationToken;
      } while (continuationToken && used < limit);
      if (used >= limit) {
        const nextDay = Math.floor(now.getTime() / DAY_MS + 1) * DAY_MS;
        throw new RateLimitedError(
          'ISSUANCE_QUOTA_EXCEEDED',
          `This token may issue at most ${limit} certificates per day (UTC): retry after midnight UTC.`,
          Math.max(1, Math.ceil((nextDay - now.getTime()) / 1000)),
        );
      }
      try {
        await options.store.put(key, '', { contentType: 'text/plain', ifAbsent: true });
      } catch (err) {
        if (!(err instanceof ObjectExistsError)) throw err;
        return KEEP; // a twin of this request was admitted at the same moment: it owns the slot
      }
      return { release: () => options.store.delete(key).catch(() => undefined) };
    },
  };
}

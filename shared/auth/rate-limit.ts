/**
 * Per-token request rate: a token bucket per token (tenant + name) holding `requestsPerMinute` requests and
 * refilled at that rate, so short bursts pass and a steady flood gets 429 with `Retry-After`. In memory, per FC
 * instance: it costs no I/O on the hot path and stops one caller from monopolising an instance; the total across
 * instances is bounded by FC's instance limit times this rate. What is billed (CAS issuance) has a global
 * daily quota instead (./issuance-quota.ts).
 */
import { AppError } from '../errors/index.js';
import type { Clock } from '../domain/ports.js';
import type { TokenPrincipal } from './principal.js';

export class RateLimitedError extends AppError {
  constructor(
    code: 'RATE_LIMITED' | 'ISSUANCE_QUOTA_EXCEEDED',
    message: string,
    readonly retryAfterSeconds: number,
  ) {
    super(code, 429, message, { retryable: true, details: { retryAfterSeconds } });
  }
}

export interface RateLimiter {
  /** Takes one request from the token's bucket, or throws 429 RATE_LIMITED. */
  take(principal: TokenPrincipal): void;
}

/** Buckets of tokens not seen for this long are forgotten (their bucket would be full again anyway). */
const IDLE_MS = 10 * 60_000;

export function createRateLimiter(options: { defaultRequestsPerMinute: number; clock: Clock }): RateLimiter {
  const buckets = new Map<string, { tokens: number; at: number }>();
  return {
    take(principal) {
      const perMinute = principal.limits?.requestsPerMinute ?? options.defaultRequestsPerMinute;
      const now = options.clock.now().getTime();
      const key = `${principal.tenant}\u0000${principal.name}`;
      const bucket = buckets.get(key) ?? { tokens: perMinute, at: now };
      const tokens = Math.min(perMinute, bucket.tokens + ((now - bucket.at) * perMinute) / 60_000);
      if (tokens < 1) {
        buckets.set(key, { tokens, at: now });
        const retryAfterSeconds = Math.max(1, Math.ceil(((1 - tokens) * 60) / perMinute));
        throw new RateLimitedError(
          'RATE_LIMITED',
          `Too many requests for this token (at most ${perMinute} per minute): retry later.`,
          retryAfterSeconds,
        );
      }
      buckets.set(key, { tokens: tokens - 1, at: now });
      if (buckets.size > 10_000) for (const [k, b] of buckets) if (now - b.at > IDLE_MS) buckets.delete(k);
    },
  };
}

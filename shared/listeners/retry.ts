/**
 * Retry and polling policy for NLB calls, as pure functions of the attempt number (the random source and the
 * sleep are injected so tests decide time). Only transient codes are retried; a mutating call is safe to retry
 * because it carries a ClientToken.
 */
import { jitteredBackoffMs } from '../domain/jitter.js';

/** Codes NLB (and its gateway) answer for conditions that pass: throttling, a lock held by another change, a busy system,
 *  a listener still configuring. Network-level failures are included: the ClientToken makes a resent update harmless. */
export const RETRYABLE_CODES: ReadonlySet<string> = new Set([
  'Throttling',
  'Throttling.User',
  'Throttling.Api',
  'Conflict.Lock',
  'SystemBusy',
  'IncorrectStatus.listener',
  'OperationFailed.ResourceIsConfiguring',
  'ServiceUnavailable',
  'InternalError',
  'RequestTimeout',
  'NetworkError',
  'ECONNRESET',
  'ECONNREFUSED',
  'ETIMEDOUT',
]);

export interface RetryPolicy {
  /** Total tries including the first. */
  maxAttempts: number;
  baseDelayMs: number;
  maxDelayMs: number;
}

export const DEFAULT_RETRY_POLICY: RetryPolicy = { maxAttempts: 6, baseDelayMs: 200, maxDelayMs: 5_000 };

export function errorCode(err: unknown): string | undefined {
  const code = (err as { code?: unknown } | undefined)?.code;
  return typeof code === 'string' ? code : undefined;
}

export function isRetryable(err: unknown): boolean {
  const code = errorCode(err);
  return code !== undefined && RETRYABLE_CODES.has(code);
}

/** Exponential backoff with full jitter: a delay in [0, min(max, base * 2^(attempt-1))]. `attempt` counts from 1. */
export function backoffDelayMs(attempt: number, policy: RetryPolicy, random: () => number): number {
  return jitteredBackoffMs(attempt, { baseMs: policy.baseDelayMs, maxMs: policy.maxDelayMs, jitterRatio: 1 }, random);
}

/** Should a call that failed on try `attempt` (from 1) be tried again, and after how long? */
export function retryDecision(
  err: unknown,
  attempt: number,
  policy: RetryPolicy,
  random: () => number,
): { retry: false } | { retry: true; delayMs: number } {
  if (attempt >= policy.maxAttempts || !isRetryable(err)) return { retry: false };
  return { retry: true, delayMs: backoffDelayMs(attempt, policy, random) };
}

export interface RetryContext {
  policy: RetryPolicy;
  sleep: (ms: number) => Promise<void>;
  random: () => number;
  onRetry?: (info: { attempt: number; code: string | undefined; delayMs: number }) => void;
}

export async function withRetries<T>(call: () => Promise<T>, ctx: RetryContext): Promise<T> {
  for (let attempt = 1; ; attempt += 1) {
    try {
      return await call();
    } catch (err) {
      const decision = retryDecision(err, attempt, ctx.policy, ctx.random);
      if (!decision.retry) throw err;
      ctx.onRetry?.({ attempt, code: errorCode(err), delayMs: decision.delayMs });
      await ctx.sleep(decision.delayMs);
    }
  }
}

export interface PollPolicy {
  /** Wait before the first look: a job is never done at once, so looking earlier only costs a read. */
  initialDelayMs: number;
  factor: number;
  maxDelayMs: number;
  /** Give up after this long in total. */
  timeoutMs: number;
}

export const DEFAULT_POLL_POLICY: PollPolicy = {
  initialDelayMs: 500,
  factor: 1.5,
  maxDelayMs: 5_000,
  timeoutMs: 120_000,
};

/** The waits before each look, summing to no more than `timeoutMs`: bounded by construction. */
export function pollDelaysMs(policy: PollPolicy): number[] {
  const delays: number[] = [];
  let next = policy.initialDelayMs;
  let total = 0;
  while (total + next <= policy.timeoutMs) {
    delays.push(next);
    total += next;
    next = Math.min(policy.maxDelayMs, Math.ceil(next * policy.factor));
  }
  if (total < policy.timeoutMs) delays.push(policy.timeoutMs - total);
  return delays;
}

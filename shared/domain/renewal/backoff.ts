/**
 * After a failed renewal the next attempt waits base * 2^(failures-1), capped, minus up to `jitterRatio` of it so a
 * fleet that failed together (a CA outage) does not retry in lockstep. cert-manager backs off 1 h doubling to 32 h;
 * our defaults are shorter because a certificate here may live only days.
 */
import type { RenewalState } from '../client-certificate.js';
import { jitteredBackoffMs } from '../jitter.js';

export interface BackoffPolicy {
  baseMs: number;
  maxMs: number;
  /** 0..1: the delay is drawn from [delay * (1 - jitterRatio), delay]. */
  jitterRatio: number;
}

export const DEFAULT_BACKOFF: BackoffPolicy = { baseMs: 5 * 60_000, maxMs: 8 * 3_600_000, jitterRatio: 0.2 };

/** `failures` counts this failure too (1 after the first). `random` returns [0, 1) and is injected for tests. */
export function retryDelayMs(failures: number, policy: BackoffPolicy, random: () => number): number {
  return jitteredBackoffMs(failures, policy, random);
}

export interface RenewalFailure {
  code: string;
  /** Safe to show the owner: the AppError's public message, never an SDK error text with request details. */
  message: string;
}

/** The record's renewal state after one more failure. */
export function withFailure(
  state: RenewalState,
  failure: RenewalFailure,
  now: Date,
  policy: BackoffPolicy,
  random: () => number,
  options: { nextAttemptAt?: Date } = {},
): RenewalState {
  const failedAttempts = (state.failedAttempts ?? 0) + 1;
  const nextAttemptAt = options.nextAttemptAt ?? new Date(now.getTime() + retryDelayMs(failedAttempts, policy, random));
  return {
    ...state,
    failedAttempts,
    lastFailure: { code: failure.code, message: failure.message.slice(0, 300), at: now.toISOString() },
    nextAttemptAt: nextAttemptAt.toISOString(),
    expiringNotified: state.expiringNotified ?? [],
  };
}

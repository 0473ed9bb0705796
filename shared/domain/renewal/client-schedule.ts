/**
 * When a device renews its own certificate (`nlb-mtls agent`): the service's rule, `renewalTime` (2/3 of the
 * lifetime actually issued), moved earlier by up to `CLIENT_JITTER_RATIO` of the lifetime so a fleet issued
 * together does not renew in the same second; after a failure, the service's backoff (`retryDelayMs`), never
 * waiting longer than a quarter of the time the certificate has left. Pure: the caller brings the clock and the
 * jitter (a number in [0, 1), e.g. derived from the serial so it stays the same across restarts).
 */
import { retryDelayMs, type BackoffPolicy } from './backoff.js';
import { renewalTime } from './schedule.js';

export const CLIENT_JITTER_RATIO = 0.05;
/** cert-manager backs off 1 h doubling to 32 h; a device's certificate may live only days, so 1 min doubling to 4 h. */
export const CLIENT_BACKOFF: BackoffPolicy = { baseMs: 60_000, maxMs: 4 * 3_600_000, jitterRatio: 0.2 };
const MIN_RETRY_MS = 30_000;

export interface Validity {
  notBefore: Date;
  notAfter: Date;
}

export function clientRenewalTime(validity: Validity, jitter: number, ratio = CLIENT_JITTER_RATIO): Date {
  const base = renewalTime(validity.notBefore, validity.notAfter);
  const lifetime = validity.notAfter.getTime() - validity.notBefore.getTime();
  const earlier = Math.floor(Math.min(Math.max(jitter, 0), 1) * ratio * lifetime);
  return new Date(Math.max(validity.notBefore.getTime(), base.getTime() - earlier));
}

export type AgentDecision =
  | { action: 'renew'; reason: 'NearingExpiry'; renewAt: Date }
  | { action: 'wait'; renewAt: Date }
  /** A certificate past notAfter can no longer prove anything: only a new request (with a token) helps. */
  | { action: 'expired'; renewAt: Date };

export function decideAgentStep(validity: Validity, now: Date, jitter: number): AgentDecision {
  const renewAt = clientRenewalTime(validity, jitter);
  if (now.getTime() >= validity.notAfter.getTime()) return { action: 'expired', renewAt };
  if (now.getTime() >= renewAt.getTime()) return { action: 'renew', reason: 'NearingExpiry', renewAt };
  return { action: 'wait', renewAt };
}

/** The wait after the `failures`-th failed attempt in a row. `random` in [0, 1). */
export function clientRetryDelayMs(
  failures: number,
  now: Date,
  validity: Validity,
  random: () => number,
  policy: BackoffPolicy = CLIENT_BACKOFF,
): number {
  const backoff = retryDelayMs(failures, policy, random);
  const quarterOfWhatIsLeft = (validity.notAfter.getTime() - now.getTime()) / 4;
  return Math.max(MIN_RETRY_MS, Math.min(backoff, quarterOfWhatIsLeft));
}

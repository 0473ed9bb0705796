/**
 * Why: one backoff-with-jitter formula for every retry loop (the renewal backoff between sweeps, the NLB call
 * retries, the renew worker's waits while CAS throttles), so "attempt", "cap" and "jitter" mean the same everywhere
 * and one table test pins them. Pure: the random source is a parameter.
 */

export interface JitteredBackoff {
  /** The ceiling of the first attempt's delay; it doubles with each further attempt. */
  baseMs: number;
  /** No ceiling grows past this. */
  maxMs: number;
  /** 0..1: how much of the ceiling jitter may take away. 0 = no jitter; 1 = "full jitter" (anything up to the ceiling). */
  jitterRatio: number;
}

/** Doubling stops here: 2^40 times any base is past every cap, and larger exponents would overflow to Infinity. */
const MAX_EXPONENT = 40;

/**
 * The delay before try number `attempt + 1`, for `attempt` from 1: the ceiling min(maxMs, baseMs * 2^(attempt-1)),
 * shortened by up to `jitterRatio` of it, so a delay in [ceiling * (1 - jitterRatio), ceiling], rounded to a whole
 * millisecond. `random` returns [0, 1): 0 waits the whole ceiling, values near 1 the least. Jitter only ever shortens,
 * so the ceiling is also the longest wait a caller has to budget for.
 */
export function jitteredBackoffMs(attempt: number, shape: JitteredBackoff, random: () => number): number {
  const exponent = Math.max(0, Math.min(Math.floor(attempt) - 1, MAX_EXPONENT));
  const ceiling = Math.max(0, Math.min(shape.maxMs, shape.baseMs * 2 ** exponent));
  const ratio = Math.min(1, Math.max(0, shape.jitterRatio));
  return Math.round(ceiling * (1 - ratio * random()));
}

// One backoff-with-jitter formula for the three retry loops: the table pins it (random injected, so each delay is
// exact), and the three callers are checked to be that formula with their own shapes.
import { jitteredBackoffMs, type JitteredBackoff } from '../../../shared/domain/jitter.js';
import { retryDelayMs, DEFAULT_BACKOFF } from '../../../shared/domain/renewal/backoff.js';
import { backoffDelayMs, DEFAULT_RETRY_POLICY } from '../../../shared/listeners/retry.js';

const full: JitteredBackoff = { baseMs: 100, maxMs: 1000, jitterRatio: 1 };
const fifth: JitteredBackoff = { baseMs: 100, maxMs: 1000, jitterRatio: 0.2 };
const none: JitteredBackoff = { baseMs: 100, maxMs: 1000, jitterRatio: 0 };

describe('jitteredBackoffMs', () => {
  it.each<[string, JitteredBackoff, number, number, number]>([
    // shape, attempt, random, expected ms
    ['full', full, 1, 0, 100],
    ['full', full, 2, 0, 200],
    ['full', full, 4, 0, 800],
    ['full', full, 5, 0, 1000], // 1600 capped
    ['full', full, 1, 0.5, 50],
    ['full', full, 3, 0.25, 300],
    ['full', full, 5, 0.999999, 0], // full jitter may wait (almost) nothing
    ['fifth', fifth, 1, 0, 100],
    ['fifth', fifth, 1, 0.5, 90], // 100 * (1 - 0.2 * 0.5)
    ['fifth', fifth, 9, 0.999999, 800], // the shortest a capped delay gets is 80% of the cap
    ['none', none, 3, 0.7, 400], // no jitter: the random draw does not matter
    ['none', none, 0, 0.7, 100], // attempt 0 or below counts as the first
    ['none', none, -3, 0.7, 100],
    ['none', none, 1000, 0.7, 1000], // no overflow to Infinity or NaN
    ['none', none, Number.MAX_SAFE_INTEGER, 0, 1000],
    ['full', { ...full, jitterRatio: 7 }, 1, 0.5, 50], // a ratio above 1 acts as 1
    ['none', { ...none, jitterRatio: -1 }, 1, 0.5, 100], // below 0 acts as 0
    ['fifth', { ...fifth, baseMs: 33 }, 2, 0.5, 59], // 66 * 0.9 = 59.4, rounded
  ])('%s: attempt %i with random %f waits %i ms', (_name, shape, attempt, random, expected) => {
    expect(jitteredBackoffMs(attempt, shape, () => random)).toBe(expected);
  });

  it('stays within [ceiling * (1 - ratio), ceiling] for any draw', () => {
    for (const ratio of [0, 0.1, 0.5, 1]) {
      for (let attempt = 1; attempt <= 12; attempt += 1) {
        const ceiling = Math.min(1000, 100 * 2 ** (attempt - 1));
        for (const r of [0, 0.001, 0.3, 0.5, 0.77, 0.999999]) {
          const delay = jitteredBackoffMs(attempt, { baseMs: 100, maxMs: 1000, jitterRatio: ratio }, () => r);
          expect(delay).toBeGreaterThanOrEqual(Math.floor(ceiling * (1 - ratio)));
          expect(delay).toBeLessThanOrEqual(ceiling);
        }
      }
    }
  });
});

describe('the three retry loops use it', () => {
  it.each([0, 0.3, 0.999])('renewal backoff between sweeps (20%% jitter), random %f', (r) => {
    for (const failures of [1, 2, 5, 9, 40])
      expect(retryDelayMs(failures, DEFAULT_BACKOFF, () => r)).toBe(
        jitteredBackoffMs(failures, DEFAULT_BACKOFF, () => r),
      );
  });

  it.each([0, 0.3, 0.999])('NLB call retries (full jitter), random %f', (r) => {
    const { baseDelayMs, maxDelayMs } = DEFAULT_RETRY_POLICY;
    for (const attempt of [1, 2, 5, 9])
      expect(backoffDelayMs(attempt, DEFAULT_RETRY_POLICY, () => r)).toBe(
        jitteredBackoffMs(attempt, { baseMs: baseDelayMs, maxMs: maxDelayMs, jitterRatio: 1 }, () => r),
      );
  });
});

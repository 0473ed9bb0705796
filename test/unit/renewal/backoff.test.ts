// Exponential backoff with jitter: the random source is injected, so each delay is exact.
import {
  retryDelayMs,
  withFailure,
  DEFAULT_BACKOFF,
  type BackoffPolicy,
} from '../../../shared/domain/renewal/backoff.js';
import { makeRecord, at } from './records.js';

const MIN = 60_000;
const policy: BackoffPolicy = { baseMs: 5 * MIN, maxMs: 8 * 60 * MIN, jitterRatio: 0.2 };

describe('retryDelayMs', () => {
  it.each([
    // failures, random, expected minutes
    [1, 0, 5],
    [2, 0, 10],
    [3, 0, 20],
    [4, 0, 40],
    [7, 0, 320],
    [8, 0, 480], // 640 capped at 8 h
    [30, 0, 480],
    [1000, 0, 480], // no overflow to Infinity/NaN
    [1, 0.5, 4.5], // jitter only shortens: 5 * (1 - 0.2 * 0.5)
    [8, 0.999999, 384.0001], // the shortest a capped delay gets is 80% of it
  ])('failure %i with random %f waits %f minutes', (failures, random, minutes) => {
    expect(retryDelayMs(failures, policy, () => random) / MIN).toBeCloseTo(minutes, 3);
  });

  it('jitter spreads a fleet that failed together', () => {
    // Prepare: a deterministic sequence of random numbers
    let seed = 7;
    const random = () => (seed = (seed * 16807) % 2147483647) / 2147483647;
    // Act
    const delays = Array.from({ length: 50 }, () => retryDelayMs(3, policy, random));
    // Assess: all within [16, 20] minutes and not all equal
    expect(Math.min(...delays)).toBeGreaterThanOrEqual(16 * MIN);
    expect(Math.max(...delays)).toBeLessThanOrEqual(20 * MIN);
    expect(new Set(delays).size).toBeGreaterThan(40);
  });

  it('defaults start at minutes and stop at hours', () => {
    expect(retryDelayMs(1, DEFAULT_BACKOFF, () => 0)).toBe(5 * MIN);
    expect(retryDelayMs(20, DEFAULT_BACKOFF, () => 0)).toBe(8 * 60 * MIN);
  });
});

describe('withFailure', () => {
  it('records the failure, counts it and schedules the next attempt', () => {
    // Prepare
    const record = makeRecord({ renewal: { failedAttempts: 2, expiringNotified: [30] } });
    const now = at(61);
    // Act
    const next = withFailure(
      record.renewal,
      { code: 'UPSTREAM_UNAVAILABLE', message: 'CAS is unavailable.' },
      now,
      policy,
      () => 0,
    );
    // Assess
    expect(next).toEqual({
      renewAt: record.renewal.renewAt,
      failedAttempts: 3,
      lastFailure: { code: 'UPSTREAM_UNAVAILABLE', message: 'CAS is unavailable.', at: now.toISOString() },
      nextAttemptAt: new Date(now.getTime() + 20 * MIN).toISOString(),
      expiringNotified: [30],
    });
  });

  it('takes an explicit next attempt time (e.g. the next expiry notice when a new CSR is needed)', () => {
    const next = withFailure(
      makeRecord().renewal,
      { code: 'NEW_CSR_REQUIRED', message: 'Send a new CSR.' },
      at(60),
      policy,
      () => 0,
      { nextAttemptAt: at(83) },
    );
    expect(next.nextAttemptAt).toBe(at(83).toISOString());
    expect(next.failedAttempts).toBe(1);
  });

  it('truncates long messages', () => {
    const next = withFailure(makeRecord().renewal, { code: 'X', message: 'm'.repeat(1000) }, at(60), policy, () => 0);
    expect(next.lastFailure!.message).toHaveLength(300);
  });
});

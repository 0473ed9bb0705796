// Prepare: error codes, attempts and a fixed random source. Act: the retry and poll policies. Assess: which are
// retried, the bounded delays, and that withRetries stops at the limit.
import {
  backoffDelayMs,
  DEFAULT_RETRY_POLICY,
  pollDelaysMs,
  retryDecision,
  withRetries,
  type RetryPolicy,
} from '../../../shared/listeners/retry.js';

const err = (code: string) => Object.assign(new Error(code), { code });
const policy: RetryPolicy = { maxAttempts: 4, baseDelayMs: 100, maxDelayMs: 1_000 };
const top = () => 0.999999;

describe('retry policy', () => {
  it.each([
    ['Throttling', true],
    ['Throttling.User', true],
    ['Conflict.Lock', true],
    ['SystemBusy', true],
    ['IncorrectStatus.listener', true],
    ['OperationFailed.ResourceIsConfiguring', true],
    ['ServiceUnavailable', true],
    ['RequestTimeout', true],
    ['ResourceNotFound.CaCertificate', false],
    ['ResourceNotFound.listener', false],
    ['IdempotenceSignatureMismatch', false],
    ['Forbidden.NoPermission', false],
    ['SignatureDoesNotMatch', false],
    ['DryRunOperation', false],
  ])('%s is retried: %s', (code, retried) => {
    expect(retryDecision(err(code), 1, policy, top).retry).toBe(retried);
  });

  it('does not retry an error without a code', () => {
    expect(retryDecision(new Error('boom'), 1, policy, top).retry).toBe(false);
  });

  it('stops at maxAttempts', () => {
    expect(retryDecision(err('Throttling'), 3, policy, top).retry).toBe(true);
    expect(retryDecision(err('Throttling'), 4, policy, top).retry).toBe(false);
  });

  it.each([
    [1, 100],
    [2, 200],
    [3, 400],
    [4, 800],
    [5, 1000],
    [9, 1000],
  ])('attempt %i waits at most %i ms (full jitter, capped)', (attempt, max) => {
    expect(backoffDelayMs(attempt, policy, () => 0)).toBe(max);
    expect(backoffDelayMs(attempt, policy, top)).toBe(0);
  });

  it('withRetries retries transient errors and then succeeds, sleeping the backoff', async () => {
    const failures = [err('Throttling'), err('Conflict.Lock')];
    const sleeps: number[] = [];
    let calls = 0;

    const value = await withRetries(
      async () => {
        calls += 1;
        const next = failures.shift();
        if (next) throw next;
        return 'done';
      },
      { policy, sleep: async (ms) => void sleeps.push(ms), random: () => 0.5 },
    );

    expect(value).toBe('done');
    expect(calls).toBe(3);
    expect(sleeps).toEqual([50, 100]);
  });

  it('withRetries gives up after maxAttempts with the last error', async () => {
    let calls = 0;

    const attempt = withRetries(
      async () => {
        calls += 1;
        throw err('SystemBusy');
      },
      { policy, sleep: async () => undefined, random: () => 0 },
    );

    await expect(attempt).rejects.toMatchObject({ code: 'SystemBusy' });
    expect(calls).toBe(policy.maxAttempts);
  });

  it('withRetries does not retry a permanent error', async () => {
    let calls = 0;

    const attempt = withRetries(
      async () => {
        calls += 1;
        throw err('ResourceNotFound.listener');
      },
      { policy: DEFAULT_RETRY_POLICY, sleep: async () => undefined, random: () => 0 },
    );

    await expect(attempt).rejects.toMatchObject({ code: 'ResourceNotFound.listener' });
    expect(calls).toBe(1);
  });
});

describe('poll policy', () => {
  it.each([
    [
      { initialDelayMs: 500, factor: 2, maxDelayMs: 5_000, timeoutMs: 20_000 },
      [500, 1000, 2000, 4000, 5000, 5000, 2500],
    ],
    [{ initialDelayMs: 100, factor: 2, maxDelayMs: 400, timeoutMs: 1_000 }, [100, 200, 400, 300]],
    [{ initialDelayMs: 100, factor: 1.5, maxDelayMs: 1_000, timeoutMs: 250 }, [100, 150]],
  ])('%j waits %j', (poll, delays) => {
    const got = pollDelaysMs(poll);

    expect(got).toEqual(delays);
    expect(got.reduce((a, b) => a + b, 0)).toBeLessThanOrEqual(poll.timeoutMs);
  });
});

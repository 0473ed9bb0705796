/** When a device renews itself (nlb-mtls agent): the service's 2/3 rule, an earlier-only jitter, a capped backoff. */
import {
  CLIENT_BACKOFF,
  clientRenewalTime,
  clientRetryDelayMs,
  decideAgentStep,
} from '../../../shared/domain/renewal/client-schedule.js';
import { renewalTime } from '../../../shared/domain/renewal/schedule.js';

const DAY = 86_400_000;
const notBefore = new Date('2026-12-01T00:00:00Z');
const validity = { notBefore, notAfter: new Date(notBefore.getTime() + 30 * DAY) };
const at = (days: number) => new Date(notBefore.getTime() + days * DAY);

describe('clientRenewalTime', () => {
  it.each([
    [0, 20 * DAY],
    [0.5, 20 * DAY - 0.5 * 0.05 * 30 * DAY],
    [0.999999, 20 * DAY - 0.999999 * 0.05 * 30 * DAY],
  ])('jitter %p renews %p ms after notBefore (never later than the service would)', (jitter, offset) => {
    // act
    const renewAt = clientRenewalTime(validity, jitter);
    // assess
    expect(Math.abs(renewAt.getTime() - (notBefore.getTime() + offset))).toBeLessThanOrEqual(1);
    expect(renewAt.getTime()).toBeLessThanOrEqual(renewalTime(validity.notBefore, validity.notAfter).getTime());
  });
});

describe('decideAgentStep', () => {
  it.each([
    ['just issued', 1, 'wait'],
    ['a day before 2/3', 19, 'wait'],
    ['at 2/3', 20, 'renew'],
    ['a day before expiry', 29, 'renew'],
    ['past notAfter', 30.01, 'expired'],
  ])('%s -> %s', (_name, days, action) => {
    // act
    const decision = decideAgentStep(validity, at(days as number), 0);
    // assess
    expect(decision.action).toBe(action);
  });
});

describe('clientRetryDelayMs', () => {
  const noJitter = () => 0;
  it.each([
    ['first failure, plenty of time', 1, 1, CLIENT_BACKOFF.baseMs],
    ['third failure doubles twice', 3, 1, 4 * CLIENT_BACKOFF.baseMs],
    ['many failures stop at the maximum', 30, 1, CLIENT_BACKOFF.maxMs],
    ['never more than a quarter of the time left', 30, 29.9, (0.1 * DAY) / 4],
    ['never less than 30 s', 30, 29.99999, 30_000],
  ])('%s', (_name, failures, days, expected) => {
    // act
    const delay = clientRetryDelayMs(failures as number, at(days as number), validity, noJitter);
    // assess
    expect(delay).toBeCloseTo(expected as number, -2);
  });
});

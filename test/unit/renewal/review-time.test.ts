// One index key per certificate: the next moment a sweep must look at it.
import { nextReviewAt, renewalIndexKeyFor } from '../../../shared/domain/renewal/review-time.js';
import {
  parseRenewalIndexKey,
  renewalIndexKey,
  renewalIndexUpperBound,
  renewalTime,
} from '../../../shared/domain/renewal/schedule.js';
import { makeRecord, at, type RecordOverrides } from './records.js';

describe('nextReviewAt', () => {
  it.each<[string, RecordOverrides, number, Date | undefined]>([
    ['healthy auto-renewing: its renewal time', {}, 1, at(60)],
    [
      'failing: the next attempt',
      { renewal: { failedAttempts: 1, nextAttemptAt: at(61.1).toISOString(), expiringNotified: [30] } },
      61,
      at(61.1),
    ],
    [
      'failing as the 30-day threshold comes: the notice first',
      { renewal: { failedAttempts: 1, nextAttemptAt: at(60.1).toISOString() } },
      59.9,
      at(60),
    ],
    [
      'failing with a notice threshold before the next attempt: the notice',
      { renewal: { failedAttempts: 5, nextAttemptAt: at(84).toISOString(), expiringNotified: [30] } },
      82,
      at(83),
    ],
    ['renewal off: the next notice threshold', { autoRenew: false }, 1, at(60)],
    [
      'renewal off, every notice sent: no more reviews',
      { autoRenew: false, renewal: { expiringNotified: [30, 7, 1] } },
      89.5,
      undefined,
    ],
    ['revoked: none', { status: 'REVOKED' }, 1, undefined],
  ])('%s', (_name, overrides, day, expected) => {
    expect(nextReviewAt(makeRecord(overrides), at(day))).toEqual(expected);
  });

  it('gives the index key for that time', () => {
    const record = makeRecord();
    expect(renewalIndexKeyFor(record, at(1))).toBe(renewalIndexKey(at(60), record.id));
    expect(renewalIndexKeyFor(makeRecord({ status: 'REVOKED' }), at(1))).toBeUndefined();
  });
});

describe('renewal index keys', () => {
  it('sort by time and parse back', () => {
    // Prepare
    const id = 'cc-aaaaaaaaaaaaaaaaaaaa01';
    const early = renewalIndexKey(new Date('2030-01-01T00:00:00Z'), id);
    const late = renewalIndexKey(new Date('2031-01-01T00:00:00Z'), id);
    // Assess
    expect(early < late).toBe(true);
    expect(parseRenewalIndexKey(early)).toEqual({
      key: early,
      reviewAtSeconds: Date.parse('2030-01-01T00:00:00Z') / 1000,
      certificateId: id,
    });
  });

  it.each([
    'index/renew/123/cc-aaaaaaaaaaaaaaaaaaaa01',
    'index/renew/000000000001/../records/x',
    'index/renew/000000000001/CC-UPPER',
    'records/cc-aaaaaaaaaaaaaaaaaaaa01.json',
  ])('refuses %s', (key) => expect(parseRenewalIndexKey(key)).toBeUndefined());

  it('the upper bound includes the current second and excludes the next', () => {
    const now = new Date('2030-01-01T00:00:00.900Z');
    const bound = renewalIndexUpperBound(now);
    expect(renewalIndexKey(now, 'cc-aaaaaaaaaaaaaaaaaaaa01') < bound).toBe(true);
    expect(renewalIndexKey(new Date(now.getTime() + 1000), 'cc-aaaaaaaaaaaaaaaaaaaa01') < bound).toBe(false);
  });

  // cert-manager's rule: renewBefore only when shorter than the actual lifetime, else 2/3 of it.
  it.each([
    ['2/3 of 90 days', 90, undefined, 60],
    ['renewBeforeDays 10', 90, 10, 80],
    ['renewBeforeDays equal to the lifetime: 2/3', 90, 90, 60],
    ['renewBeforeDays longer than the lifetime: 2/3, never at once', 90, 200, 60],
    ['a renewal cut short at the CA (3 days left, renewBeforeDays 7): at 2/3, not at once', 3, 7, 2],
  ])('renewalTime: %s', (_name, lifetime, before, day) => {
    expect(renewalTime(at(0), at(lifetime), before)).toEqual(at(day));
  });

  it('renewalTime is whole seconds', () => {
    const notBefore = new Date('2030-01-01T00:00:00.000Z');
    const notAfter = new Date('2030-01-01T00:00:10.000Z'); // 2/3 of 10 s = 6.67 s
    expect(renewalTime(notBefore, notAfter).toISOString()).toBe('2030-01-01T00:00:06.000Z');
  });

  it('a REVOKING record is looked at at once; a generation cut short at the CA only for its expiry notices', () => {
    const revoking = makeRecord({ status: 'REVOKING', revocationRequestedAt: at(5).toISOString(), autoRenew: false });
    const capped = makeRecord({ current: { cappedByCa: true } });
    expect(nextReviewAt(revoking, at(6))).toEqual(at(5));
    expect(nextReviewAt(capped, at(10))).toEqual(at(60)); // the 30-day notice, not a renewal
  });
});

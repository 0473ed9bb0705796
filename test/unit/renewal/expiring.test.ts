// Expiry notices at 30/7/1 days when nobody will renew, never twice per threshold.
import { expiringNoticeDue, nextExpiringNoticeAt } from '../../../shared/domain/renewal/expiring.js';
import { makeRecord, at, type RecordOverrides } from './records.js';

const off: RecordOverrides = { autoRenew: false };
const failing: RecordOverrides = { renewal: { failedAttempts: 2, nextAttemptAt: at(70).toISOString() } };

describe('expiringNoticeDue', () => {
  it.each<[string, RecordOverrides, number, number[] | undefined, object | undefined]>([
    // name, record, day (notAfter = day 90), already notified, expected notice
    ['auto-renewing and healthy: never', {}, 89, [], undefined],
    ['renewal off, 31 days left: nothing yet', off, 59, [], undefined],
    ['renewal off, exactly 30 days left', off, 60, [], { thresholdDays: 30, daysLeft: 30, notified: [30] }],
    ['renewal off, 30-day notice already sent', off, 65, [30], undefined],
    [
      'renewal off, 7 days left after the 30-day notice',
      off,
      83,
      [30],
      { thresholdDays: 7, daysLeft: 7, notified: [30, 7] },
    ],
    [
      'renewal off, missed the 30 and 7 day notices: only the most urgent, both marked',
      off,
      89.5,
      [],
      { thresholdDays: 1, daysLeft: 0, notified: [30, 7, 1] },
    ],
    ['renewal off, all sent', off, 89.9, [30, 7, 1], undefined],
    ['renewal failing, 7 days left', failing, 83.5, [30], { thresholdDays: 7, daysLeft: 6, notified: [30, 7] }],
    ['expired: no expiring notice', off, 90, [], undefined],
    ['revoked: never', { ...off, status: 'REVOKED' }, 89, [], undefined],
  ])('%s', (_name, overrides, day, notified, expected) => {
    // Prepare
    const record = makeRecord({ ...overrides, renewal: { ...overrides.renewal, expiringNotified: notified } });
    // Act
    const notice = expiringNoticeDue(record, at(day));
    // Assess
    expect(notice).toEqual(expected);
  });

  it('honours configured thresholds', () => {
    const notice = expiringNoticeDue(makeRecord(off), at(76), [14, 2]);
    expect(notice).toEqual({ thresholdDays: 14, daysLeft: 14, notified: [14] });
  });
});

describe('nextExpiringNoticeAt', () => {
  it.each<[string, number, number[], Date | undefined]>([
    ['first threshold ahead', 10, [], at(60)],
    ['after the 30-day notice: the 7-day one', 61, [30], at(83)],
    ['a crossed but unsent threshold: now', 84, [30], at(84)],
    ['all sent: none', 89.5, [30, 7, 1], undefined],
  ])('%s', (_name, day, notified, expected) => {
    const record = makeRecord({ autoRenew: false, renewal: { expiringNotified: notified } });
    expect(nextExpiringNoticeAt(record, at(day))).toEqual(expected);
  });
});

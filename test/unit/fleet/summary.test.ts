// Prepare: fleet entries at known distances from an injected moment. Act: summarizeFleet. Assess: counts, standings
// and the day each certificate lands on in the timeline.
import { entryOf } from '../../../shared/domain/fleet/entries.js';
import { renewalStanding, summarizeFleet, TIMELINE_DAYS } from '../../../shared/domain/fleet/summary.js';
import { DAY, fleetRecord, T0 } from './fleet-records.js';

const asOf = new Date(T0);
const entry = (options: Parameters<typeof fleetRecord>[0]) => entryOf(fleetRecord(options), 'etag');

describe('renewalStanding', () => {
  it.each([
    ['a failed attempt wins over everything', 'failing', { failedAttempts: 2, autoRenew: false, renewInDays: -1 }],
    ['auto-renew off', 'not-renewing', { autoRenew: false, renewInDays: -1 }],
    ['renewal time passed: the backlog', 'due', { renewInDays: -0.01 }],
    ['renewal time ahead', 'scheduled', { renewInDays: 3 }],
  ] as const)('%s -> %s', (_why, expected, options) => {
    expect(renewalStanding(entry(options), asOf)).toBe(expected);
  });
});

describe('summarizeFleet', () => {
  it('counts by status and standing and draws each active certificate on the UTC day it expires', () => {
    // prepare
    const entries = [
      entry({ notAfterInDays: 2, renewInDays: -1 }), // due: backlog
      entry({ notAfterInDays: 2, renewInDays: 1 }), // scheduled, same day
      entry({ notAfterInDays: 10, failedAttempts: 1, nextAttemptInMs: 60_000 }), // failing, backing off
      entry({ notAfterInDays: 25, failedAttempts: 3, nextAttemptInMs: -60_000 }), // failing, retry due
      entry({ notAfterInDays: 40, autoRenew: false }), // will expire
      entry({ notAfterInDays: 120 }), // beyond the timeline
      entry({ notAfterInDays: -1, renewInDays: -5 }), // expired, still to be renewed: backlog
      entry({ notAfterInDays: -1, autoRenew: false }), // expired for good
      entry({ notAfterInDays: 5, status: 'REVOKED' }),
    ];
    // act
    const s = summarizeFleet(entries, asOf);
    // assess
    const day = (offset: number) =>
      s.timeline.find((d) => d.date === new Date(T0 + offset * DAY).toISOString().slice(0, 10))!;
    expect(s.asOf).toBe(asOf.toISOString());
    expect(s.certificates).toEqual({ total: 9, active: 6, expired: 2, revoked: 1 });
    expect(s.renewal).toEqual({
      scheduled: 2,
      due: 2,
      failing: 2,
      backingOff: 1,
      notRenewing: 1,
      nextRenewalAt: new Date(T0 + 1 * DAY).toISOString(),
    });
    expect(s.expiring).toEqual({ within7Days: 2, within30Days: 4, within90Days: 5 });
    expect(s.timeline).toHaveLength(TIMELINE_DAYS);
    expect(s.timeline[0].date).toBe('2026-11-30');
    expect(day(2)).toMatchObject({ scheduled: 1, due: 1, failing: 0, notRenewing: 0 });
    expect(day(10)).toMatchObject({ failing: 1 });
    expect(day(25)).toMatchObject({ failing: 1 });
    expect(day(40)).toMatchObject({ notRenewing: 1 });
    expect(s.timeline.reduce((sum, d) => sum + d.scheduled + d.due + d.failing + d.notRenewing, 0)).toBe(5);
    expect(s.beyondTimeline).toBe(1);
  });

  it('puts a certificate expiring late on the last day into the last bar, and the next day beyond it', () => {
    // prepare: day 0 starts at UTC midnight of asOf (10:00), so day 89 ends 89 days and 14 hours later
    const lastBar = entry({ notAfterInDays: 89 + 13 / 24 });
    const beyond = entry({ notAfterInDays: 89 + 15 / 24 });
    // act
    const s = summarizeFleet([lastBar, beyond], asOf);
    // assess
    expect(s.timeline[TIMELINE_DAYS - 1].scheduled).toBe(1);
    expect(s.beyondTimeline).toBe(1);
  });

  it('is empty but complete for an empty fleet', () => {
    const s = summarizeFleet([], asOf);
    expect(s.certificates.total).toBe(0);
    expect(s.renewal.nextRenewalAt).toBeUndefined();
    expect(s.timeline).toHaveLength(TIMELINE_DAYS);
  });
});

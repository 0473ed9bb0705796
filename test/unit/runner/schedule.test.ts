// FC timer schedules: 6-field cron in UTC (or CRON_TZ), @every durations, and the timer event shape.
import { parseSchedule, startTimers, timerEvent } from '../../../local/runner/timers.js';
import { jest } from '@jest/globals';

describe('parseSchedule', () => {
  it.each([
    ['every 5 minutes', '0 */5 * * * *', '2026-01-01T00:02:03Z', '2026-01-01T00:05:00.000Z'],
    ['exactly on a boundary moves on', '0 */5 * * * *', '2026-01-01T00:05:00Z', '2026-01-01T00:10:00.000Z'],
    ['daily at 08:00 UTC', '0 0 8 * * *', '2026-01-01T09:00:00Z', '2026-01-02T08:00:00.000Z'],
    ['with seconds', '30 * * * * *', '2026-01-01T00:00:31Z', '2026-01-01T00:01:30.000Z'],
    [
      'CRON_TZ shifts the zone',
      'CRON_TZ=Asia/Shanghai 0 0 8 * * *',
      '2026-01-01T00:02:03Z',
      '2026-01-02T00:00:00.000Z',
    ],
    ['@every 5m', '@every 5m', '2026-01-01T00:02:03Z', '2026-01-01T00:05:00.000Z'],
    ['@every 1h30m', '@every 1h30m', '2026-01-01T00:00:00Z', '2026-01-01T01:30:00.000Z'],
    ['@every 10s', '@every 10s', '2026-01-01T00:00:05Z', '2026-01-01T00:00:10.000Z'],
  ])('%s', (_name, expression, after, expected) => {
    expect(parseSchedule(expression).next(new Date(after)).toISOString()).toBe(expected);
  });

  it.each([
    ['5-field cron (FC wants seconds first)', '*/5 * * * *'],
    ['garbage', 'every day'],
    ['out of range', '0 0 25 * * *'],
    ['@every without unit', '@every 5'],
    ['@every zero', '@every 0m'],
    ['@every with junk', '@every 5mx'],
  ])('refuses %s', (_name, expression) => {
    expect(() => parseSchedule(expression)).toThrow();
  });
});

describe('timerEvent', () => {
  it("is FC's {triggerTime, triggerName, payload} with a second-precision UTC time", () => {
    expect(timerEvent('sweep', '{"mode":"plan"}', new Date('2026-01-01T00:05:00.123Z'))).toEqual({
      triggerTime: '2026-01-01T00:05:00Z',
      triggerName: 'sweep',
      payload: '{"mode":"plan"}',
    });
  });
});

describe('startTimers', () => {
  beforeEach(() => jest.useFakeTimers({ now: new Date('2026-01-01T00:00:00Z') }));
  afterEach(() => jest.useRealTimers());

  it('fires on each scheduled time until stopped', () => {
    // Prepare
    const fired: string[] = [];
    const stop = startTimers(
      [{ functionName: 'f', triggerName: 't', schedule: parseSchedule('@every 1m'), payload: 'p' }],
      (_timer, event) => fired.push(event.triggerTime),
    );
    // Act
    jest.advanceTimersByTime(3 * 60_000 + 10);
    stop();
    jest.advanceTimersByTime(5 * 60_000);
    // Assess
    expect(fired).toEqual(['2026-01-01T00:01:00Z', '2026-01-01T00:02:00Z', '2026-01-01T00:03:00Z']);
  });
});

// Reading s.yaml triggers into what the runner serves; a bad schedule or pattern fails at start, naming the trigger.
import { readTriggers } from '../../../local/runner/triggers.js';

describe('readTriggers', () => {
  it('reads http, timer and eventbridge triggers and skips kinds the runner does not serve', () => {
    // Act
    const triggers = readTriggers('fn', [
      { triggerName: 'http', triggerType: 'http', triggerConfig: { authType: 'anonymous', methods: ['GET', 'POST'] } },
      {
        triggerName: 'tick',
        triggerType: 'timer',
        triggerConfig: { cronExpression: '@every 5m', enable: false, payload: 'p' },
      },
      {
        triggerName: 'ev',
        triggerType: 'eventbridge',
        triggerConfig: { triggerEnable: true, eventRuleFilterPattern: '{"type":["x"]}' },
      },
      { triggerName: 'oss', triggerType: 'oss', triggerConfig: {} },
    ]);
    // Assess
    expect(triggers.map((t) => [t.kind, t.triggerName])).toEqual([
      ['http', 'http'],
      ['timer', 'tick'],
      ['eventbridge', 'ev'],
    ]);
    expect(triggers[0]).toMatchObject({ methods: ['GET', 'POST'], authType: 'anonymous' });
    expect(triggers[1]).toMatchObject({ enabled: false, payload: 'p', cronExpression: '@every 5m' });
  });

  it.each([
    [
      'a 5-field cron',
      { triggerName: 'tick', triggerType: 'timer', triggerConfig: { cronExpression: '*/5 * * * *', enable: true } },
      /trigger tick/,
    ],
    [
      'a pattern that is not JSON',
      { triggerName: 'ev', triggerType: 'eventbridge', triggerConfig: { eventRuleFilterPattern: '{type' } },
      /trigger ev/,
    ],
  ])('refuses %s, naming the trigger', (_name, trigger, message) => {
    expect(() => readTriggers('fn', [trigger])).toThrow(message);
  });
});

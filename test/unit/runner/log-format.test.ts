// `npm start`'s readable log mode (local/runner/log-format.ts): which format and colour an environment gets, and
// what a JSON line becomes.
import { formatLogLine, logFormatOptions } from '../../../local/runner/log-format.js';

const LINE = JSON.stringify({
  time: '2026-11-30T12:34:56.789Z',
  level: 'warn',
  msg: 'renewal failed',
  fn: 'renew-worker',
  code: 'CA_UNAVAILABLE',
  certificateId: 'cc-aaaaaaaaaaaaaaaaaaaa01',
  attempt: 2,
  reason: 'CAS answered 503',
});

describe('logFormatOptions', () => {
  it.each([
    [{}, true, { format: 'pretty', colour: true }],
    [{}, false, { format: 'json', colour: false }],
    [{ LOG_FORMAT: 'json' }, true, { format: 'json', colour: false }],
    [{ LOG_FORMAT: 'pretty' }, false, { format: 'pretty', colour: false }],
    [{ LOG_FORMAT: 'PRETTY', FORCE_COLOR: '1' }, false, { format: 'pretty', colour: true }],
    [{ NO_COLOR: '1' }, true, { format: 'pretty', colour: false }],
    [{ FORCE_COLOR: '0' }, false, { format: 'json', colour: false }],
  ])('env %j on a TTY=%s -> %j', (env, isTTY, expected) => {
    expect(logFormatOptions(env, isTTY)).toEqual(expected);
  });

  it('refuses a format it does not know, naming the variable', () => {
    expect(() => logFormatOptions({ LOG_FORMAT: 'yaml' }, true)).toThrow(/LOG_FORMAT must be json or pretty/);
  });
});

describe('formatLogLine', () => {
  it('pretty: time, level, function, message, then the fields as key=value (quoted when they hold spaces)', () => {
    expect(formatLogLine(LINE, { format: 'pretty', colour: false })).toBe(
      '12:34:56.789 WARN  renew-worker renewal failed code=CA_UNAVAILABLE certificateId=cc-aaaaaaaaaaaaaaaaaaaa01' +
        ' attempt=2 reason="CAS answered 503"',
    );
  });

  it('pretty with colour: the same text inside ANSI colour codes, the level coloured by severity', () => {
    const coloured = formatLogLine(LINE, { format: 'pretty', colour: true });
    expect(coloured).toContain('\u001b[33mWARN \u001b[39m');
    const ESC = String.fromCharCode(27);
    const plain = coloured
      .split(ESC)
      .map((part, i) => (i === 0 ? part : part.replace(/^\[[0-9]+m/, '')))
      .join('');
    expect(plain).toBe(formatLogLine(LINE, { format: 'pretty', colour: false }));
  });

  it('json: the line as it is; pretty: anything that is not a JSON object as it is (FC context.logger lines)', () => {
    expect(formatLogLine(LINE, { format: 'json', colour: false })).toBe(LINE);
    const fcLine = '2026-11-30T12:00:00.000Z 1-abc [INFO] hello';
    expect(formatLogLine(fcLine, { format: 'pretty', colour: true })).toBe(fcLine);
    expect(formatLogLine('{not json', { format: 'pretty', colour: false })).toBe('{not json');
  });

  it('nested fields are printed as JSON', () => {
    const line = JSON.stringify({ level: 'info', msg: 'sweep', summary: { skippedBy: { NotDue: 3 } } });
    expect(formatLogLine(line, { format: 'pretty', colour: false })).toBe(
      'INFO  sweep summary={"skippedBy":{"NotDue":3}}',
    );
  });
});

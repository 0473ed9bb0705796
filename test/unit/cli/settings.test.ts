/** nlb-mtls settings: flag over environment over config file, strict config files, clear usage errors (exit 2). */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cliClock, formatDuration } from '../../../cli/clock.js';
import { readHttpAnswer } from '../../../cli/commands/check.js';
import { COMMANDS } from '../../../cli/main.js';
import { parseCommand } from '../../../cli/options.js';
import { runInProcess } from '../../helpers/nlb-mtls-cli.js';

const renew = COMMANDS.find((c) => c.spec.name === 'renew')!.spec;
let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'nma-cli-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('settings precedence', () => {
  it('takes the flag, then NLB_MTLS_*, then the config file (relative paths next to it), then the default', () => {
    // prepare
    const config = join(dir, 'device.json');
    writeFileSync(config, JSON.stringify({ api: 'https://from-config', dir: 'certs', onRenew: 'true' }));
    const env = { NLB_MTLS_CONFIG: config, NLB_MTLS_API: 'https://from-env' };
    // act
    const fromFlag = parseCommand(renew, ['--api', 'https://from-flag'], env);
    const fromEnv = parseCommand(renew, [], env);
    const fromConfig = parseCommand(renew, [], { NLB_MTLS_CONFIG: config });
    const defaults = parseCommand(renew, [], {});
    // assess
    expect(fromFlag.get('api')).toBe('https://from-flag');
    expect(fromEnv.get('api')).toBe('https://from-env');
    expect(fromConfig.get('api')).toBe('https://from-config');
    expect(fromConfig.get('dir')).toBe(join(dir, 'certs'));
    expect(fromConfig.get('on-renew')).toBe('true');
    expect(defaults.get('api')).toBeUndefined();
  });

  it.each([
    ['an unknown config key', { apiUrl: 'x' }, /Unknown key "apiUrl"/],
    ['a config that is not an object', ['x'], /must hold one JSON object/],
    ['a nested value', { api: { url: 'x' } }, /must be a string, number, boolean or list of strings/],
  ])('refuses %s with exit 2', async (_name, content, message) => {
    // prepare
    const config = join(dir, `bad-${Math.random()}.json`);
    writeFileSync(config, JSON.stringify(content));
    // act
    const r = await runInProcess(['status', '--offline', '--config', config]);
    // assess
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(message);
  });

  it.each([
    [['renew', '--timeout', 'soon'], /--timeout must be 1 to 3600 seconds/],
    [
      ['request', 'x.example.com', '--api', 'http://certs.example.com'],
      /must be https \(plain http only to 127\.0\.0\.1 or localhost\)/,
    ],
    [['agent', '--once', '--now', 'tomorrow'], /--now must be an ISO 8601 instant/],
    [['check'], /--connect host:port is required/],
    [['request'], /exactly one common name/],
    [['launch'], /Unknown command "launch"/],
    // node's parseArgs advice about positionals (with an unbalanced quote) is cut: one clear sentence
    [['renew', '--bogus'], /^nlb-mtls: Unknown option '--bogus'\.\nhint: nlb-mtls renew --help\n$/],
  ])('%j is a usage error (exit 2)', async (args, message) => {
    // act
    const r = await runInProcess([...args, '--dir', dir], { NLB_MTLS_API: 'http://127.0.0.1:1' });
    // assess
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(message);
  });

  it('request --help does not promise an API URL from NAME.json, which a first request cannot have', async () => {
    // act
    const request = await runInProcess(['request', '--help']);
    const renewHelp = await runInProcess(['renew', '--help']);
    // assess
    expect(request.code).toBe(0);
    expect(request.stdout).toMatch(/--api URL +cert-api base URL/);
    expect(request.stdout).not.toMatch(/default the one in NAME\.json\]/);
    expect(renewHelp.stdout).toMatch(/default the one in NAME\.json\]/);
  });

  it('--json reports errors as one JSON line on stdout', async () => {
    // act
    const r = await runInProcess(['renew', '--dir', join(dir, 'none'), '--json']);
    // assess
    expect(r.code).toBe(3);
    expect(r.stdout.trim().split('\n')).toHaveLength(1);
    expect(JSON.parse(r.stdout).error).toEqual(expect.objectContaining({ code: 'FILE_NOT_FOUND', exitCode: 3 }));
  });
});

describe('the clock, durations and the listener answer', () => {
  it('--now moves the clock and lets it run on', () => {
    // prepare
    let real = 1_000_000;
    const clock = cliClock('2030-01-01T00:00:00Z', () => real);
    // act
    const first = clock.now().toISOString();
    real += 5000;
    const later = clock.now().toISOString();
    // assess
    expect(first).toBe('2030-01-01T00:00:00.000Z');
    expect(later).toBe('2030-01-01T00:00:05.000Z');
  });

  it.each([
    [45_000, '45s'],
    [3_723_000, '1h 2m'],
    [19 * 86_400_000 + 4 * 3_600_000, '19d 4h'],
    [-90_000, '-1m 30s'],
  ])('formats %p ms as %p', (ms, text) => {
    expect(formatDuration(ms)).toBe(text);
  });

  it.each([
    [
      'a chunked plain-text answer (node http)',
      'HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\ntransfer-encoding: chunked\r\n\r\n6\r\nECS01\n\r\n0\r\n\r\n',
      'ECS01',
    ],
    ['a sized answer', 'HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 6\r\n\r\nECS02\n', 'ECS02'],
    ['a header that names the backend', 'HTTP/1.1 204 No Content\r\nX-Backend: web-3\r\n\r\n', 'web-3'],
    ['an HTML page', 'HTTP/1.1 200 OK\r\nContent-Type: text/html\r\n\r\n<html>', undefined],
  ])('reads the backend from %s', (_name, answer, backend) => {
    expect(readHttpAnswer(answer)?.backend).toBe(backend);
  });
});

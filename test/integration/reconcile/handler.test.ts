// Prepare: the emulator, a desired-state file and the function's env. Act: createHandler(env) invoked with the
// timer's event, as FC does. Assess: the JSON report, one log line per listener plus a summary, and no secret
// (canary key, STATE_KEY, access key secret) in the logs or the report.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { startEmulator, type Emulator } from '../../../local/emulator/index.js';
import { createHandler } from '../../../functions/reconcile-listeners/index.js';
import { createLogger, setLogSink, type LogSink } from '../../../shared/log/index.js';
import { alsoKeptForFailure } from '../../support/failure-log.js';

describe('reconcile-listeners handler', () => {
  let emulator: Emulator;
  let dir: string;
  const lines: string[] = [];
  let previousSink: LogSink;

  beforeAll(async () => {
    emulator = await startEmulator({ caKeyAlgorithm: 'ECC_256', log: createLogger({}, 'error') });
    dir = mkdtempSync(join(tmpdir(), 'nma-'));
    previousSink = setLogSink(alsoKeptForFailure((line) => lines.push(line)));
  });
  afterAll(async () => {
    setLogSink(previousSink);
    rmSync(dir, { recursive: true, force: true });
    await emulator.close();
  });

  it('runs from the timer event and reports one JSON result per listener', async () => {
    const [seed, ruleBreaker] = emulator.listeners;
    const [certId] = emulator.serverCertificate.certificateId.split('-');
    const file = join(dir, 'listeners.yaml');
    writeFileSync(
      file,
      [seed, ruleBreaker]
        .map(
          (l, i) =>
            `${i === 0 ? 'version: 1\nlisteners:\n' : ''}  - { region: cn-hangzhou, listenerId: ${l.listenerId}, mutualAuth: on, ca: default, serverCertificate: { certId: ${certId} }, securityPolicy: tls_cipher_policy_1_2, probe: { host: www.example.com, port: ${l.port}, address: 127.0.0.1 } }`,
        )
        .join('\n') + '\n',
    );
    const stateKey = randomBytes(32).toString('base64');
    const handler = createHandler({
      ...emulator.env(),
      STATE_KEY: stateKey,
      DESIRED_STATE_FILE: file,
      JOB_POLL_INITIAL_MS: '100',
      LOG_LEVEL: 'info',
    });
    const timerEvent = Buffer.from(
      JSON.stringify({
        triggerTime: new Date().toISOString(),
        triggerName: 'reconcile-schedule',
        payload: '{"mode":"apply"}',
      }),
    );

    const report = await handler(timerEvent, { requestId: 'req-1' });

    expect(report.mode).toBe('apply');
    expect(report.results.map((r) => [r.listenerId, r.outcome])).toEqual([
      [seed.listenerId, 'changed'],
      [ruleBreaker.listenerId, 'blocked'],
    ]);
    expect(report.summary).toMatchObject({ listeners: 2, changed: 1, blocked: 1, failed: 0 });
    const logged = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(logged.filter((l) => l.msg === 'listener reconciled').map((l) => l.outcome)).toEqual(
      expect.arrayContaining(['changed', 'blocked']),
    );
    expect(
      logged.some((l) => typeof l.msg === 'string' && l.msg.startsWith('reconcile apply: 2 listeners: 1 changed')),
    ).toBe(true);
    const everything = lines.join('\n') + JSON.stringify(report);
    expect(everything).not.toMatch(/PRIVATE KEY/);
    expect(everything).not.toContain(stateKey);
    expect(everything).not.toContain(emulator.credentials.accessKeySecret);
  });

  it('refuses a malformed desired-state file at cold start, naming the field', () => {
    const file = join(dir, 'bad.yaml');
    writeFileSync(file, 'version: 1\nlisteners:\n  - { region: cn-hangzhou, listenerId: lsn-x, mutualAuth: on }\n');

    expect(() =>
      createHandler({ ...emulator.env(), STATE_KEY: randomBytes(32).toString('base64'), DESIRED_STATE_FILE: file }),
    ).toThrow(/listeners\.0\.serverCertificate/);
  });
});

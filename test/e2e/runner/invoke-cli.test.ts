// `npm run invoke -- <function> ...`: on its own (it starts the emulator on the data dir) and against a running stack
// (through that stack's control endpoint). The renewal runs the script as a user does (tsx local/invoke.ts): the
// async work it starts must finish before the process exits; the others run its command in this process.
import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setLogSink } from '../../../shared/log/index.js';
import { startLocalStack } from '../../../local/stack.js';
import { makeTempDir, type TempDir } from '../../helpers/tools.js';
import { alsoKeptForFailure, keepForFailure } from '../../support/failure-log.js';
import { runCommand } from '../../helpers/local-command.js';
import { invoke } from '../../../local/invoke-command.js';

const root = process.cwd();
const tsx = join(root, 'node_modules/.bin/tsx');

function invokeCli(args: string[], dataDir: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      tsx,
      ['local/invoke.ts', ...args],
      { cwd: root, env: { ...process.env, LOCAL_DATA_DIR: dataDir }, timeout: 60_000 },
      (error, stdout, stderr) => {
        keepForFailure(stderr);
        resolve({ code: error ? (typeof error.code === 'number' ? error.code : null) : 0, stdout, stderr });
      },
    );
  });
}

/** The same, in this process. */
const invokeInProcess = (args: string[], dataDir: string) =>
  runCommand(invoke, args, { ...process.env, LOCAL_DATA_DIR: dataDir });

const healthzEvent = JSON.stringify({
  version: 'v1',
  rawPath: '/healthz',
  headers: {},
  queryParameters: {},
  body: '',
  isBase64Encoded: false,
  requestContext: { http: { method: 'GET', path: '/healthz' } },
});

describe('npm run invoke', () => {
  let tmp: TempDir;
  beforeEach(() => {
    tmp = makeTempDir();
  });
  afterEach(() => tmp.cleanup());

  it('runs one function once against its own emulator and prints the result', async () => {
    // Act
    const run = await invokeInProcess(['cert-api', '--event-json', healthzEvent], tmp.dir);
    // Assess
    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout)).toMatchObject({ statusCode: 200 });
  });

  it('renews through renew-scheduler -> renew-worker (FC async) with no stack running', async () => {
    // Prepare: a certificate in the data dir, issued by a stack that is then stopped (as after Ctrl-C)
    const previousSink = setLogSink(alsoKeptForFailure(() => undefined));
    const stack = await startLocalStack({
      dataDir: tmp.dir,
      functions: ['cert-api'],
      emulatorOptions: { dataPlane: false },
    });
    let id: string;
    try {
      const res = await fetch(`${stack.apiUrl}/v1/certificates`, {
        method: 'POST',
        headers: { authorization: `Bearer ${stack.devToken}`, 'content-type': 'application/json' },
        body: JSON.stringify({ commonName: 'device-1.example.com', keyAlgorithm: 'EC_P256' }),
      });
      expect(res.status).toBe(201);
      id = ((await res.json()) as { id: string }).id;
    } finally {
      await stack.close();
      setLogSink(previousSink);
    }
    const eventFile = join(tmp.dir, 'event.json');
    writeFileSync(
      eventFile,
      JSON.stringify({ type: 'renew.requested', source: 'cli', data: { certificateId: id, force: true } }),
    );

    // Act
    const run = await invokeCli(['renew-scheduler', '--cloudevent', eventFile], tmp.dir);

    // Assess: the scheduler's delivery succeeded and, before invoke exited, the worker renewed the certificate
    expect(run.stderr).not.toContain('could not be invoked');
    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout)).toMatchObject({
      deliveries: [expect.objectContaining({ functionName: 'nlb-mtls-renew-scheduler', ok: true })],
    });
    const renewed = run.stderr
      .split('\n')
      .filter((line) => line.startsWith('{'))
      .map((line) => JSON.parse(line) as { event?: string; certificateId?: string; generation?: number })
      .filter((entry) => entry.event === 'certificate.renewed');
    expect(renewed).toEqual([expect.objectContaining({ certificateId: id, generation: 2 })]);
  });

  it('exits non-zero for a function that is not in s.yaml', async () => {
    const run = await invokeInProcess(['no-such-function'], tmp.dir);
    expect(run.code).not.toBe(0);
    expect(run.stderr).toContain('no-such-function');
  });

  it('goes through a running stack when .local/stack.json points at one', async () => {
    // Prepare: a stack like `npm start` runs, writing stack.json into its data dir
    const lines: string[] = [];
    const stack = await startLocalStack({
      dataDir: tmp.dir,
      functions: ['cert-api'],
      writeStackFile: true,
      log: (l) => lines.push(l),
      emulatorOptions: { dataPlane: false },
    });
    try {
      // Act
      const run = await invokeInProcess(['cert-api', '--event-json', healthzEvent], tmp.dir);
      // Assess
      expect(run.code).toBe(0);
      expect(JSON.parse(run.stdout)).toMatchObject({ statusCode: 200 });
      const control = lines.map((l) => JSON.parse(l)).filter((e) => e.msg === 'control' && e.method === 'POST');
      expect(control).toEqual([
        expect.objectContaining({ method: 'POST', path: '/functions/cert-api/invoke', statusCode: 200 }),
      ]);
    } finally {
      await stack.close();
    }
  });
});

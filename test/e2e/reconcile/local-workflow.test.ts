// Issue 12 item 9, the local reconcile workflow the docs describe: npm start's reconcile-listeners and
// `npm run reconcile` read ONE desired-state file (.local/listeners.yaml, written from the seeded listeners);
// `--plan --fail-on-blocked` fails a CI job when a declared listener breaks a rule (exit 3) and passes otherwise;
// `npm run drift` changes a listener behind the reconciler's back, as a console user would, and the next
// `npm run reconcile -- --apply` repairs it and says it was drift. `npm run drift` runs as a user runs it (tsx
// local/drift.ts); reconcile runs its command in this process (test/e2e/reconcile/seed.test.ts spawns that script).
import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { startLocalStack, type LocalStack } from '../../../local/stack.js';
import { localDesiredStateFile } from '../../../local/runner/desired-state-file.js';
import type { RunReport } from '../../../shared/domain/listeners/report.js';
import { setLogSink, type LogSink } from '../../../shared/log/index.js';
import { makeTempDir, type TempDir } from '../../helpers/tools.js';
import { keepForFailure } from '../../support/failure-log.js';
import { runCommand } from '../../helpers/local-command.js';
import { reconcile } from '../../../local/reconcile-command.js';

const root = process.cwd();

function run(script: string, dataDir: string, args: string[]): Promise<{ code: number; stdout: string }> {
  return new Promise((resolve) => {
    execFile(
      join(root, 'node_modules/.bin/tsx'),
      [script, ...args],
      { cwd: root, env: { ...process.env, LOCAL_DATA_DIR: dataDir, DESIRED_STATE_FILE: '' }, timeout: 90_000 },
      (error, stdout, stderr) => {
        keepForFailure(stderr);
        resolve({ code: error ? (typeof error.code === 'number' ? error.code : -1) : 0, stdout });
      },
    );
  });
}

describe('the local reconcile workflow', () => {
  let stack: LocalStack;
  let tmp: TempDir;
  let dataDir: string;
  let desiredFile: string;
  let previousSink: LogSink;
  // As the spawned scripts get it: this stack's data dir, and its default desired-state file.
  const reconcileIn = (args: string[]) =>
    runCommand(reconcile, args, { ...process.env, LOCAL_DATA_DIR: dataDir, DESIRED_STATE_FILE: '' });

  beforeAll(async () => {
    previousSink = setLogSink(() => undefined); // the in-process functions' JSON logs: not the test's output
    tmp = makeTempDir();
    dataDir = join(tmp.dir, 'stack');
    desiredFile = localDesiredStateFile(dataDir, {});
    // As npm start does it (local/start.ts).
    stack = await startLocalStack({
      dataDir,
      writeStackFile: true,
      desiredStateFile: desiredFile,
      functions: ['reconcile-listeners'],
      emulatorOptions: { jobDelayMs: 20 },
    });
  });
  afterAll(async () => {
    await stack?.close();
    tmp?.cleanup();
    setLogSink(previousSink);
  });

  it('npm start writes .local/listeners.yaml from the seeded listeners, and its own reconcile-listeners reads it', async () => {
    expect(desiredFile).toBe(join(dataDir, 'listeners.yaml'));
    expect(existsSync(desiredFile)).toBe(true);
    const [good, bad] = stack.emulator.listeners;
    expect(readFileSync(desiredFile, 'utf8')).toContain(`listenerId: ${good.listenerId}`);

    const report = (await stack.invoke('reconcile-listeners', { mode: 'plan' })) as RunReport;

    expect(report.results.map((r) => [r.listenerId, r.outcome])).toEqual([
      [good.listenerId, 'changes-planned'],
      [bad.listenerId, 'blocked'],
    ]);
  });

  it('npm run reconcile -- --plan --fail-on-blocked reads the same file and exits 3 for the blocked listener, 0 when none is', async () => {
    const [good, bad] = stack.emulator.listeners;

    const [gate, onlyGood] = await Promise.all([
      reconcileIn(['--plan', '--fail-on-blocked']),
      reconcileIn(['--plan', '--fail-on-blocked', '--listener', good.listenerId]),
    ]);

    expect(gate.code).toBe(3);
    expect(gate.stdout).toContain(good.listenerId);
    expect(gate.stdout).toContain(bad.listenerId);
    expect(gate.stdout).toMatch(/1 to change, 0 in sync, 1 blocked, 0 failed/);
    expect(onlyGood.code).toBe(0);
  }, 60_000);

  it('npm run drift switches mutual auth off behind the reconciler; the next --apply repairs it and reports drift', async () => {
    const [good] = stack.emulator.listeners;
    const applied = (await stack.invoke('reconcile-listeners', {
      mode: 'apply',
      listenerId: good.listenerId,
    })) as RunReport;
    expect(applied.results[0]).toMatchObject({ outcome: 'changed', probe: { verdict: 'passed' } });
    expect(stack.emulator.nlb.getListener(good.listenerId)).toMatchObject({ CaEnabled: true });

    const drift = await run('local/drift.ts', dataDir, []);
    expect(drift.code).toBe(0);
    expect(drift.stdout).toContain(`${good.listenerId}: CaEnabled true -> false`);
    expect(stack.emulator.nlb.getListener(good.listenerId)).toMatchObject({ CaEnabled: false });

    const repair = await reconcileIn(['--apply', '--listener', good.listenerId, '--json']);
    expect(repair.code).toBe(0);
    const report = JSON.parse(repair.stdout) as RunReport;
    expect(report.results[0]).toMatchObject({ outcome: 'drift-repaired', drift: true, probe: { verdict: 'passed' } });
    expect(report.results[0].plan).toContainEqual(
      expect.objectContaining({ field: 'caEnabled', from: false, to: true }),
    );
    expect(stack.emulator.nlb.getListener(good.listenerId)).toMatchObject({ CaEnabled: true });
  }, 60_000);
});

/**
 * The emulator alone (`npx tsx local/emulator/main.ts`, docs/local-emulator.md), as a user runs it: it prints the
 * env that points the project at it, but not the emulator's secret key (issue 11: no secret on a terminal), and the
 * printed export line still gives that key when the user runs it.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { makeTempDir, type TempDir } from '../../helpers/tools.js';

const root = process.cwd();
const tsx = join(root, 'node_modules/.bin/tsx');

let tmp: TempDir;
let child: ChildProcess | undefined;

afterAll(async () => {
  if (child && child.exitCode === null) {
    const exited = new Promise((resolve) => child!.once('exit', resolve));
    child.kill('SIGTERM');
    await exited;
  }
  tmp?.cleanup();
});

it('prints no secret key, and its export line reads the key from the owner-only credentials file', async () => {
  // prepare
  tmp = makeTempDir();
  const dataDir = join(tmp.dir, 'emulator');
  let stdout = '';
  // act
  child = spawn(tsx, ['local/emulator/main.ts', dataDir], {
    cwd: root,
    env: {
      ...process.env,
      LOCAL_RPC_PORT: '0',
      LOCAL_OSS_PORT: '0',
      LOCAL_FC_PORT: '0',
      LOCAL_LISTENER_PORTS: '0,0',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout!.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
  child.stderr!.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the emulator did not come up:\n${stdout}`)), 60_000);
    child!.stdout!.on('data', () => {
      if (stdout.includes('root CA:')) {
        clearTimeout(timer);
        resolve();
      }
    });
    child!.once('exit', () => reject(new Error(`the emulator exited:\n${stdout}`)));
  });
  const [credentials] = JSON.parse(readFileSync(join(dataDir, 'credentials.json'), 'utf8'));
  const exportLine = stdout.split('\n').find((line) => line.startsWith('export ALIBABA_CLOUD_ACCESS_KEY_SECRET='));
  const evaluated = await promisify(execFile)('bash', [
    '-c',
    `${exportLine}; printf %s "$ALIBABA_CLOUD_ACCESS_KEY_SECRET"`,
  ]);
  // assess
  expect(stdout).not.toContain(credentials.accessKeySecret);
  expect(stdout).toContain(`export ALIBABA_CLOUD_ACCESS_KEY_ID='${credentials.accessKeyId}'`);
  expect(evaluated.stdout).toBe(credentials.accessKeySecret);
  expect(stdout).toMatch(/mutual auth off\)/);
}, 90_000);

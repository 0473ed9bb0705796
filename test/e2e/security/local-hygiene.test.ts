/**
 * Issue 11 item 10: `npm start` (tsx local/start.ts, as a user runs it) prints neither the dev token, the dev
 * webhook secret nor the emulator's secret key (it says where they are), and the data dir is 0700 with only
 * owner-only files, including files an older run left world-readable and every stored bundle.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { makeTempDir, type TempDir } from '../../helpers/tools.js';

const root = process.cwd();
const tsx = join(root, 'node_modules/.bin/tsx');

function modes(dir: string): Array<{ path: string; mode: number }> {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    const mode = statSync(path).mode & 0o777;
    return entry.isDirectory() ? [{ path, mode }, ...modes(path)] : [{ path, mode }];
  });
}

let tmp: TempDir;
let child: ChildProcess | undefined;
let stdout = '';

afterAll(async () => {
  if (child && child.exitCode === null) {
    const exited = new Promise((resolve) => child!.once('exit', resolve));
    child.kill('SIGTERM');
    await exited;
  }
  tmp?.cleanup();
});

it('npm start prints no secret and keeps .local owner-only, repairing an older world-readable file', async () => {
  // prepare: a data dir and a secrets file left world-readable by an earlier version
  tmp = makeTempDir();
  const dataDir = join(tmp.dir, 'local');
  mkdirSync(dataDir, { mode: 0o755 });
  chmodSync(dataDir, 0o755);
  writeFileSync(
    join(dataDir, 'secrets.json'),
    JSON.stringify({
      stateKey: Buffer.alloc(32, 1).toString('base64'),
      devToken: `nma_dev_${'t'.repeat(43)}`,
      webhookSigningSecret: 'retired-secret-of-an-older-version',
    }),
  );
  chmodSync(join(dataDir, 'secrets.json'), 0o644);

  // act: start the stack on free ports, wait until it says it is up
  child = spawn(tsx, ['local/start.ts'], {
    cwd: root,
    env: {
      ...process.env,
      LOCAL_DATA_DIR: dataDir,
      LOCAL_API_PORT: '0',
      LOCAL_CONTROL_PORT: '0',
      LOCAL_RPC_PORT: '0',
      LOCAL_OSS_PORT: '0',
      LOCAL_FC_PORT: '0',
      LOCAL_LISTENER_PORTS: '0,0',
      LOCAL_TIMERS: 'false',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout!.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
  child.stderr!.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`npm start did not come up:\n${stdout}`)), 90_000);
    const check = () => {
      if (stdout.includes('Ctrl-C stops it')) {
        clearTimeout(timer);
        resolve();
      }
    };
    child!.stdout!.on('data', check);
    child!.once('exit', () => reject(new Error(`npm start exited:\n${stdout}`)));
  });
  const info = JSON.parse(readFileSync(join(dataDir, 'stack.json'), 'utf8'));
  // a certificate, so the emulated bucket holds a .p12 and a PEM zip
  const issued = await fetch(`${info.apiUrl}/v1/certificates`, {
    method: 'POST',
    headers: { authorization: `Bearer ${info.devToken}`, 'content-type': 'application/json' },
    body: JSON.stringify({ commonName: 'hygiene.example.com', keyAlgorithm: 'EC_P256' }),
  });

  // assess
  expect(issued.status).toBe(201);
  expect(info.devToken).toBe(`nma_dev_${'t'.repeat(43)}`); // the old file's token survived its repair
  expect(info.devWebhookSecret).toMatch(/^whsec_/);
  for (const secret of [info.devToken, info.devWebhookSecret, info.emulator.accessKeySecret])
    expect(stdout).not.toContain(secret);
  expect(stdout).toContain('stack.json');
  const all = modes(dataDir);
  // the emulated bucket's object data (where the bundles are) is among the files checked
  expect(all.some((f) => f.path.includes(join('emulator', 'oss')) && statSync(f.path).isFile())).toBe(true);
  expect(statSync(dataDir).mode & 0o777).toBe(0o700);
  expect(all.filter((f) => (f.mode & 0o077) !== 0)).toEqual([]);
}, 120_000);

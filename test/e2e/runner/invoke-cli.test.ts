// `npm run invoke -- <function> ...` as a user runs it (tsx local/invoke.ts): on its own (it starts the emulator
// on the data dir) and against a running stack (through that stack's control endpoint).
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { startLocalStack } from '../../../local/stack.js';
import { makeTempDir, type TempDir } from '../../helpers/tools.js';

const root = process.cwd();
const tsx = join(root, 'node_modules/.bin/tsx');

function invokeCli(args: string[], dataDir: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(tsx, ['local/invoke.ts', ...args], { cwd: root, env: { ...process.env, LOCAL_DATA_DIR: dataDir }, timeout: 60_000 }, (error, stdout, stderr) => {
      resolve({ code: error ? (typeof error.code === 'number' ? error.code : null) : 0, stdout, stderr });
    });
  });
}

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
    const run = await invokeCli(['cert-api', '--event-json', healthzEvent], tmp.dir);
    // Assess
    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout)).toMatchObject({ statusCode: 200 });
  });

  it('exits non-zero for a function that is not in s.yaml', async () => {
    const run = await invokeCli(['no-such-function'], tmp.dir);
    expect(run.code).not.toBe(0);
    expect(run.stderr).toContain('no-such-function');
  });

  it('goes through a running stack when .local/stack.json points at one', async () => {
    // Prepare: a stack like `npm start` runs, writing stack.json into its data dir
    const lines: string[] = [];
    const stack = await startLocalStack({ dataDir: tmp.dir, functions: ['cert-api'], writeStackFile: true, log: (l) => lines.push(l), emulatorOptions: { dataPlane: false } });
    try {
      // Act
      const run = await invokeCli(['cert-api', '--event-json', healthzEvent], tmp.dir);
      // Assess
      expect(run.code).toBe(0);
      expect(JSON.parse(run.stdout)).toMatchObject({ statusCode: 200 });
      const control = lines.map((l) => JSON.parse(l)).filter((e) => e.msg === 'control' && e.method === 'POST');
      expect(control).toEqual([expect.objectContaining({ method: 'POST', path: '/functions/cert-api/invoke', statusCode: 200 })]);
    } finally {
      await stack.close();
    }
  });
});

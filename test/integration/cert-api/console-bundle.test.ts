/**
 * The console as deployed: `scripts/build.mjs` bundles cert-api into one file and copies the console's files beside
 * it (bundle-files.json); the bundle, run by plain `node` outside the source tree, serves the page from them. Built
 * once per Jest run into the run's directory (test/support/shared-build.ts), so dist/ is never touched while other
 * tests run.
 */
import { execFile } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { sharedFunctionBuild } from '../../support/shared-build.js';

const run = promisify(execFile);
const root = process.cwd();
let dir: string;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'nma-console-bundle-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** FC's HTTP-trigger event for a GET, as a Buffer (what FC hands the handler). */
const eventFor = (path: string) => ({
  version: 'v1',
  rawPath: path,
  headers: { host: 'cert-api.example.com' },
  queryParameters: {},
  body: '',
  isBase64Encoded: false,
  requestContext: { requestId: `req-${path}`, http: { method: 'GET', path, sourceIp: '203.0.113.7' } },
});

// Runs in a child `node` from the build directory: no tsx, no jest, no source tree on its module path.
const CALLER = `
import { writeFileSync } from 'node:fs';
const [bundle, out, eventsJson] = process.argv.slice(2);
const { createHandler } = await import(bundle);
const handler = createHandler(process.env);
const answers = [];
for (const event of JSON.parse(eventsJson)) answers.push(await handler(Buffer.from(JSON.stringify(event)), { requestId: event.requestContext.requestId }));
writeFileSync(out, JSON.stringify(answers));
`;

it('serves the console page and its files from the built bundle', async () => {
  // prepare: the bundle, and the env its config needs at cold start (nothing is called: the page needs no I/O)
  const certApi = (await sharedFunctionBuild()).find((f) => f.name === 'cert-api')!;
  const caller = join(dir, 'caller.mjs');
  writeFileSync(caller, CALLER);
  const env = {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    LOG_LEVEL: 'error',
    ALIBABA_CLOUD_ACCESS_KEY_ID: 'LTAIbundletestkeyid000000',
    ALIBABA_CLOUD_ACCESS_KEY_SECRET: 'bundle-test-secret-not-used-000000',
    REGION: 'cn-hangzhou',
    OSS_BUCKET: 'bundle-test-bucket',
    PCA_PARENT_IDENTIFIER: 'sub-ca-bundle-test',
    API_TOKENS: JSON.stringify([
      {
        tokenSha256: createHash('sha256').update(randomBytes(32)).digest('hex'),
        tenant: 'bundle',
        name: 'bundle-test',
        policy: { commonNamePatterns: ['*'], maxValidityDays: 30, operations: ['read'] },
      },
    ]),
    STATE_KEY: randomBytes(32).toString('base64'),
  };
  const paths = ['/console', '/console/console.js', '/console/console.css', '/console/favicon.svg', '/console/x.js'];
  // act: from another directory, so only what sits beside the bundle can be found
  await run(process.execPath, [caller, certApi.entry, join(dir, 'answers.json'), JSON.stringify(paths.map(eventFor))], {
    cwd: tmpdir(),
    env,
  }).catch((err: { stderr?: string }) => {
    throw new Error(`the bundle failed: ${err.stderr}`);
  });
  const answers = JSON.parse(readFileSync(join(dir, 'answers.json'), 'utf8')) as Array<{
    statusCode: number;
    headers: Record<string, string>;
    body: string;
  }>;
  // assess
  const [page, script, style, icon, unknown] = answers;
  expect(page.statusCode).toBe(200);
  expect(page.headers['content-type']).toBe('text/html; charset=utf-8');
  expect(page.body).toBe(readFileSync(join(root, 'functions/cert-api/console/index.html'), 'utf8'));
  expect(page.headers['content-security-policy']).toContain("script-src 'self'");
  expect(script.body).toBe(readFileSync(join(root, 'functions/cert-api/console/console.js'), 'utf8'));
  expect(script.headers['content-type']).toBe('text/javascript; charset=utf-8');
  expect(style.headers['content-type']).toBe('text/css; charset=utf-8');
  expect(icon.headers['content-type']).toBe('image/svg+xml');
  expect(unknown.statusCode).toBe(404);
}, 60_000);

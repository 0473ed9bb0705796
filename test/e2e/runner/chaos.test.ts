// Local chaos and local settings through `npm start`'s own pieces: the control endpoint arms the emulator's fault
// injector and shows its call counts (behind the dev token), and `.local/functions.env` overrides every function's
// variables (extra tenants' API_TOKENS, ORPHAN_GRACE_SECONDS=0).
import { createHash, randomBytes } from 'node:crypto';
import { startLocalStack, type LocalStack } from '../../../local/stack.js';
import { readFunctionEnvFile } from '../../../local/runner/function-env-file.js';
import { setLogSink, type LogSink } from '../../../shared/log/index.js';
import { makeTempDir, type TempDir } from '../../helpers/tools.js';

let stack: LocalStack;
let tmp: TempDir;
let previousSink: LogSink;
const partnerToken = `partner_${randomBytes(24).toString('base64url')}`;

const sha256 = (v: string) => createHash('sha256').update(v).digest('hex');
const policy = {
  commonNamePatterns: ['*'],
  sanPatterns: { dns: ['*'], uri: ['*'], email: ['*'], ip: ['*'] },
  keyAlgorithms: ['EC_P256'],
  maxValidityDays: 90,
  operations: ['issue', 'read', 'links', 'renew', 'revoke'],
};

beforeAll(async () => {
  // The functions' JSON logs stay out of the test run's output.
  previousSink = setLogSink(() => undefined);
  tmp = makeTempDir();
  // The dev token's hash is only known once the stack made it: a first start, then the file, then the real start.
  const dataDir = tmp.path('local');
  const probe = await startLocalStack({ dataDir, functions: ['cert-api'], emulatorOptions: { dataPlane: false } });
  const devToken = probe.devToken;
  await probe.close();
  const tokens = [
    { tokenSha256: sha256(devToken), tenant: 'dev', name: 'local-dev', policy },
    { tokenSha256: sha256(partnerToken), tenant: 'partner', name: 'partner-ci', policy },
  ];
  tmp.write(
    'functions.env',
    `# overrides for every function\nAPI_TOKENS='${JSON.stringify(tokens)}'\nORPHAN_GRACE_SECONDS=0\n`,
  );
  stack = await startLocalStack({
    dataDir,
    functions: ['cert-api', 'renew-scheduler', 'renew-worker'],
    functionEnvFile: tmp.path('functions.env'),
    emulatorOptions: { dataPlane: false },
  });
});

afterAll(async () => {
  await stack?.close();
  tmp?.cleanup();
  setLogSink(previousSink);
});

const control = (path: string, init: RequestInit = {}, token: string | null = stack.devToken) =>
  fetch(stack.controlUrl + path, {
    ...init,
    headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), 'content-type': 'application/json' },
  });
const issue = (token: string, commonName: string) =>
  fetch(`${stack.apiUrl}/v1/certificates`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify({ commonName }),
  });

it('functions.env wins over s.yaml for every function: a second tenant, ORPHAN_GRACE_SECONDS=0', async () => {
  const partner = await issue(partnerToken, 'partner-1.example.com');
  const dev = await issue(stack.devToken, 'dev-1.example.com');
  expect([partner.status, dev.status]).toEqual([201, 201]);
  expect(((await partner.json()) as { tenant: string }).tenant).toBe('partner');
  expect(stack.functionEnv['renew-scheduler'].ORPHAN_GRACE_SECONDS).toBe('0');
  expect(stack.functionEnv['cert-api'].API_TOKENS).toContain(sha256(partnerToken));
});

it('POST /faults makes CAS throttle, GET /calls counts the calls, DELETE /faults ends it', async () => {
  // prepare
  await control('/calls', { method: 'DELETE' });
  // act
  const armed = await control('/faults', {
    method: 'POST',
    body: JSON.stringify({ action: 'CreateClientCertificateWithCsr', fault: 'throttling', count: 1 }),
  });
  const throttled = await issue(stack.devToken, 'chaos-1.example.com');
  const calls = (await (await control('/calls')).json()) as { calls: Record<string, number>; total: number };
  await control('/faults', {
    method: 'POST',
    body: JSON.stringify({ action: 'PutObject', fault: 'internal', probability: 1 }),
  });
  const storeDown = await issue(stack.devToken, 'chaos-2.example.com');
  const cleared = await control('/faults', { method: 'DELETE' });
  const healthy = await issue(stack.devToken, 'chaos-3.example.com');
  // assess
  expect(armed.status).toBe(200);
  expect(throttled.status).toBe(503);
  expect(await throttled.json()).toMatchObject({ code: 'CA_UNAVAILABLE', retryable: true });
  expect(calls.calls.CreateClientCertificateWithCsr).toBe(1);
  expect(calls.total).toBeGreaterThan(1);
  expect(storeDown.status).toBe(503);
  expect(cleared.status).toBe(200);
  expect(healthy.status).toBe(201);
});

it('refuses a fault it cannot arm (400) and any call without the dev token (401)', async () => {
  const bad = await control('/faults', {
    method: 'POST',
    body: JSON.stringify({ action: 'PutObject', fault: 'delay' }),
  });
  const anonymous = await control('/calls', {}, null);
  expect(bad.status).toBe(400);
  expect(await bad.json()).toMatchObject({ errorCode: 'InvalidArgument' });
  expect(anonymous.status).toBe(401);
});

it('reads functions.env as dotenv and refuses a malformed name, naming the file', () => {
  tmp.write('ok.env', 'A_B=1\n# comment\nQUOTED="x y"\n');
  tmp.write('bad.env', 'lower=1\n');
  expect(readFunctionEnvFile(tmp.path('ok.env'))).toEqual({ A_B: '1', QUOTED: 'x y' });
  expect(readFunctionEnvFile(tmp.path('missing.env'))).toEqual({});
  expect(() => readFunctionEnvFile(tmp.path('bad.env'))).toThrow(/bad\.env: not a variable name: lower/);
});

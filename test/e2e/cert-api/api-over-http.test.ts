/**
 * The certificate API over real HTTP through the local runner (FC HTTP-trigger translation) and the emulator:
 * what a curl user sees, including the refusals that depend on raw HTTP (content type, size, raw paths).
 */
import { startLocalStack, type LocalStack } from '../../../local/stack.js';
import { setLogSink, type LogSink } from '../../../shared/log/index.js';
import { curl, makeTempDir, openssl, type TempDir } from '../../helpers/tools.js';
import { alsoKeptForFailure } from '../../support/failure-log.js';

let stack: LocalStack;
let tmp: TempDir;
let previousSink: LogSink;
const logs: string[] = [];
const passwords: string[] = [];

beforeAll(async () => {
  previousSink = setLogSink(alsoKeptForFailure((line) => logs.push(line)));
  stack = await startLocalStack({ functions: ['cert-api'], emulatorOptions: { jobDelayMs: 50 } });
  tmp = makeTempDir();
});

afterAll(async () => {
  await stack?.close();
  tmp?.cleanup();
  setLogSink(previousSink);
});

const api = (path: string, init: RequestInit = {}) =>
  fetch(`${stack.apiUrl}${path}`, {
    ...init,
    headers: {
      authorization: `Bearer ${stack.devToken}`,
      ...(init.body ? { 'content-type': 'application/json' } : {}),
      ...init.headers,
    },
  });

it('issues over HTTP with an Idempotency-Key, and the .p12 from the link opens in openssl', async () => {
  // prepare
  const body = JSON.stringify({ commonName: 'e2e.example.com', keyAlgorithm: 'EC_P256' });
  const casBefore = stack.emulator.cas.listClientCertificates().length;
  // act
  const first = await api('/v1/certificates', { method: 'POST', body, headers: { 'idempotency-key': 'e2e-1' } });
  const firstJson = (await first.json()) as any;
  passwords.push(firstJson.p12Password);
  const replay = await (
    await api('/v1/certificates', { method: 'POST', body, headers: { 'idempotency-key': 'e2e-1' } })
  ).json();
  const read = await api(`/v1/certificates/${firstJson.id}`);
  const download = await curl(['-sS', '-f', '-o', tmp.path('e2e.p12'), firstJson.downloads.p12.url]);
  const opened = await openssl([
    'pkcs12',
    '-info',
    '-noout',
    '-in',
    tmp.path('e2e.p12'),
    '-passin',
    `pass:${firstJson.p12Password}`,
  ]);
  // assess
  expect(first.status).toBe(201);
  expect(first.headers.get('location')).toBe(`/v1/certificates/${firstJson.id}`);
  expect(first.headers.get('strict-transport-security')).toMatch(/max-age=/);
  expect(replay).toMatchObject({
    id: firstJson.id,
    serialNumber: firstJson.serialNumber,
    p12Password: firstJson.p12Password,
  });
  expect(read.status).toBe(200);
  expect(await read.json()).not.toHaveProperty('p12Password');
  expect(download.code).toBe(0);
  expect(opened.code).toBe(0);
  expect(stack.emulator.cas.listClientCertificates().length).toBe(casBefore + 1);
});

it('answers /healthz without a token', async () => {
  const answer = await fetch(`${stack.apiUrl}/healthz`);
  expect(answer.status).toBe(200);
  expect(await answer.json()).toEqual({ status: 'ok' });
});

it.each([
  [
    'a text/plain body',
    ['-H', 'content-type: text/plain', '--data-binary', '{"commonName":"x.example.com"}'],
    '/v1/certificates',
    415,
    'UNSUPPORTED_MEDIA_TYPE',
  ],
  [
    'a body over 256 KB',
    ['-H', 'content-type: application/json', '--data-binary', '@BIG'],
    '/v1/certificates',
    413,
    'PAYLOAD_TOO_LARGE',
  ],
  ['a raw ../ path', ['--path-as-is'], '/v1/certificates/../records/x', 400, 'INVALID_PATH'],
  ['an encoded ../ id', ['--path-as-is'], '/v1/certificates/%2e%2e%2fx', 400, 'INVALID_ID'],
  ['a 5,000-character path', [], `/v1/certificates/${'a'.repeat(5000)}`, 400, 'INVALID_PATH'],
  ['no token', ['NO_TOKEN'], '/v1/certificates', 401, 'UNAUTHORIZED'],
])('refuses %s over HTTP', async (_name, args, path, status, code) => {
  // prepare
  const casBefore = stack.emulator.cas.listClientCertificates().length;
  tmp.write('BIG', JSON.stringify({ commonName: 'big.example.com', labels: { x: 'y' }, csr: 'A'.repeat(300_000) }));
  const auth = args.includes('NO_TOKEN') ? [] : ['-H', `authorization: Bearer ${stack.devToken}`];
  const curlArgs = args.filter((a) => a !== 'NO_TOKEN').map((a) => (a === '@BIG' ? `@${tmp.path('BIG')}` : a));
  // act
  const result = await curl(['-sS', ...auth, ...curlArgs, '-w', '\n%{http_code}', `${stack.apiUrl}${path}`]);
  const lines = result.stdout.trim().split('\n');
  // assess
  expect(Number(lines.pop())).toBe(status);
  expect(JSON.parse(lines.join('\n'))).toMatchObject({ code });
  expect(stack.emulator.cas.listClientCertificates().length).toBe(casBefore);
});

it.each([
  ['DELETE', '/v1/certificates/cc-00000000000000000000000000', 'GET, HEAD'],
  ['PUT', '/v1/certificates', 'POST, GET, HEAD'],
  ['PATCH', '/v1/certificates/cc-00000000000000000000000000/revoke', 'POST'],
  ['OPTIONS', '/v1/certificates', 'POST, GET, HEAD'],
])("answers %s %s with the API's 405 (code, message, Allow), not the trigger's", async (method, path, allow) => {
  // act
  const answer = await api(path, { method });
  // assess
  expect(answer.status).toBe(405);
  expect(answer.headers.get('allow')).toBe(allow);
  expect(await answer.json()).toMatchObject({ code: 'METHOD_NOT_ALLOWED', message: expect.any(String) });
});

it('answers HEAD like GET, without a body (curl -I on the console shows its headers)', async () => {
  // act
  const result = await curl(['-sS', '-I', `${stack.apiUrl}/console`]);
  // assess
  expect(result.code).toBe(0);
  expect(result.stdout).toMatch(/^HTTP\/1\.1 200/);
  expect(result.stdout).toMatch(/content-security-policy: default-src 'self'/i);
  expect(result.stdout).toMatch(/content-type: text\/html/i);
});

it('logged nothing secret: no token, no password, no key, no link signature', () => {
  const text = logs.join('\n');
  expect(logs.length).toBeGreaterThan(5);
  expect(text).not.toContain(stack.devToken);
  for (const password of passwords) expect(text).not.toContain(password);
  expect(text).not.toContain(stack.emulator.credentials.accessKeySecret);
  expect(text).not.toMatch(/PRIVATE KEY|x-oss-signature=[0-9a-f]/);
});

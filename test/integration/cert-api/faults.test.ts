/**
 * Injected faults in the emulated CAS and OSS: each gives a retryable 503, and the retry with the same
 * Idempotency-Key completes with exactly one certificate in CAS. Afterwards no log line holds a secret.
 */
import { Faults } from '../../../local/emulator/index.js';
import { startCertApiHarness, type CertApiHarness } from './harness.js';

let api: CertApiHarness;
const secretsSeen: string[] = [];

beforeAll(async () => {
  // A CAS call without an answer is given 2 s (instead of 15) to finish at CAS before it is searched for.
  api = await startCertApiHarness({ env: { CA_ANSWER_SETTLE_SECONDS: '2' } });
});

afterAll(async () => {
  await api?.close();
});

const casCertificates = () => api.emulator.cas.listClientCertificates().length;
let counter = 0;
const request = () => {
  counter += 1;
  return { commonName: `f${counter}.devices.example.com`, keyAlgorithm: 'EC_P256' };
};

async function issueTwice(idempotencyKey: string, body: unknown) {
  const call = () =>
    api.call({ method: 'POST', path: '/v1/certificates', body, headers: { 'idempotency-key': idempotencyKey } });
  const first = await call();
  const second = await call();
  if (second.json.p12Password) secretsSeen.push(second.json.p12Password);
  for (const link of Object.values<{ url: string }>(second.json.downloads ?? {}))
    secretsSeen.push(new URL(link.url).searchParams.get('x-oss-signature') ?? '');
  return { first, second };
}

function expectRetryable(answer: { status: number; json: any; headers: Record<string, string> }, code: string) {
  expect(answer.status).toBe(503);
  expect(answer.json).toMatchObject({ code, retryable: true });
  expect(answer.headers['retry-after']).toBe('1');
}

it('CAS throttling: 503 CA_UNAVAILABLE, then the retry issues exactly one certificate', async () => {
  // prepare
  const before = casCertificates();
  api.emulator.faults.failNext('CreateClientCertificateWithCsr', 1, Faults.throttling());
  // act
  const { first, second } = await issueTwice('throttled-1', request());
  // assess
  expectRetryable(first, 'CA_UNAVAILABLE');
  expect(second.status).toBe(201);
  expect(casCertificates()).toBe(before + 1);
});

it('CAS answering after the client timed out: the retry adopts that certificate instead of issuing a second one', async () => {
  // prepare: a delay beyond CAS_TIMEOUT_MS (1500); the emulator still issues after the delay (no idempotency token)
  const before = casCertificates();
  api.emulator.faults.failNext('CreateClientCertificateWithCsr', 1, Faults.delay(2500));
  const calls = api.emulator.faults.count('CreateClientCertificateWithCsr');
  // act
  const { first, second } = await issueTwice('slow-cas-1', request());
  await new Promise((resolve) => setTimeout(resolve, 1500));
  // assess
  expectRetryable(first, 'CA_UNAVAILABLE');
  expect(second.status).toBe(201);
  expect(casCertificates()).toBe(before + 1);
  expect(api.emulator.faults.count('CreateClientCertificateWithCsr') - calls).toBe(1);
  const adopted = api.emulator.cas.getClientCertificate(
    api.emulator.cas.listClientCertificates().find((c) => c.serialNumber === second.json.serialNumber)!.identifier,
  );
  expect(adopted?.status).toBe('ISSUE');
});

it('OSS 500 on each write in turn: every retry completes with exactly one certificate', async () => {
  // prepare: count the writes of one clean idempotent issuance
  const puts = api.emulator.faults.count('PutObject');
  const deletes = api.emulator.faults.count('DeleteObject');
  const clean = await issueTwice('clean-count', request());
  expect(clean.first.status).toBe(201);
  // the replay deletes a leftover pending object (none here) and writes nothing
  const writes = api.emulator.faults.count('PutObject') - puts;
  const deleteCalls = api.emulator.faults.count('DeleteObject') - deletes - 1;
  expect(writes).toBeGreaterThanOrEqual(8);
  const plan = [
    ...Array.from({ length: writes }, (_, n) => ['PutObject', n] as const),
    ...Array.from({ length: deleteCalls }, (_, n) => ['DeleteObject', n] as const),
  ];
  for (const [action, n] of plan) {
    const before = casCertificates();
    // `n` calls pass (a zero delay is a pass-through), then one answers 500
    if (n > 0) api.emulator.faults.failNext(action, n, Faults.delay(0));
    api.emulator.faults.failNext(action, 1, Faults.internal());
    // act
    const { first, second } = await issueTwice(`oss-${action}-${n}`, request());
    // assess: a write that matters answers a retryable 503; a best-effort one (an attempt's answer, an expiry key)
    // does not fail the request. Either way the retry ends with the one certificate.
    if (first.status !== 201) expectRetryable(first, 'STORAGE_UNAVAILABLE');
    expect({ action, n, status: second.status }).toEqual({ action, n, status: 201 });
    expect(second.json.id).toBe(first.status === 201 ? first.json.id : second.json.id);
    expect(casCertificates()).toBe(before + 1);
    api.emulator.faults.clear();
  }
  expect(api.emulator.oss.objectCount(api.emulator.bucket, 'pending/')).toBe(0);
});

it('an OSS timeout is a retryable 503 too', async () => {
  // prepare
  const before = casCertificates();
  api.emulator.faults.failNext('PutObject', 1, Faults.delay(2500));
  // act
  const { first, second } = await issueTwice('oss-timeout-1', request());
  // assess
  expectRetryable(first, 'STORAGE_UNAVAILABLE');
  expect(second.status).toBe(201);
  expect(casCertificates()).toBe(before + 1);
});

it("a keyed issuance under a slow OSS answers a retryable 503 before FC's function timeout", async () => {
  // prepare: a 4 s function (the request must answer within 1 s: 3 s are kept for answering) and an OSS write of the
  // service that takes longer than that (the first write, the token's quota slot, goes through)
  api.emulator.faults.failNext('PutObject', 1, Faults.delay(0));
  api.emulator.faults.failNext('PutObject', 1, Faults.delay(3000));
  const started = Date.now();
  // act
  const answer = await api.call({
    method: 'POST',
    path: '/v1/certificates',
    body: request(),
    headers: { 'idempotency-key': 'slow-oss-budget' },
    functionTimeoutSeconds: 4,
  });
  // assess
  expectRetryable(answer, 'DEADLINE_EXCEEDED');
  expect(Date.now() - started).toBeLessThan(4000);
  api.emulator.faults.clear();
});

it('no log line holds a private key, a password, an access key secret, a token or a link signature', () => {
  // prepare
  const forbidden = [
    api.emulator.credentials.accessKeySecret,
    api.tokens.acme,
    api.tokens.other,
    api.env.STATE_KEY,
    ...secretsSeen.filter((s) => s.length >= 12),
  ];
  const text = api.logs.join('\n');
  // assess
  expect(secretsSeen.length).toBeGreaterThan(5);
  expect(api.logs.length).toBeGreaterThan(20);
  expect(text).not.toMatch(/PRIVATE KEY/);
  for (const secret of forbidden) expect(text).not.toContain(secret);
});

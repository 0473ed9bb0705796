/**
 * Issue 11 item 3: no stored object holds an unencrypted private key. After an issuance and a renewal through the
 * API, every object in the bucket is read back (through the OSS adapter, as the functions read it): no PEM or DER
 * private key in the clear anywhere, zips opened; the zip's client.key is encrypted PKCS#8 that openssl opens with
 * the bundle password (and only with it) and curl uses with `--pass` against the mutual-TLS listener.
 */
import { unzipSync } from 'fflate';
import { createOssObjectStore } from '../../../shared/alibaba/oss-store.js';
import type { ObjectStore } from '../../../shared/domain/ports.js';
import { curl, openssl, unzip } from '../../helpers/tools.js';
import { startMtlsHarness, type MtlsHarness } from '../cert-api/harness.js';

let harness: MtlsHarness;

beforeAll(async () => {
  harness = await startMtlsHarness();
});
afterAll(() => harness?.close());

async function allObjects(store: ObjectStore): Promise<Array<{ key: string; body: Buffer }>> {
  const out: Array<{ key: string; body: Buffer }> = [];
  let continuationToken: string | undefined;
  do {
    const page = await store.list({ prefix: '', continuationToken, maxKeys: 1000 });
    for (const key of page.keys) out.push({ key, body: (await store.get(key))! });
    continuationToken = page.nextContinuationToken;
  } while (continuationToken);
  return out;
}

/** Every way a private key can sit in the clear in a file we store: PEM labels, or a DER PKCS#8/SEC1/PKCS#1 key. */
function clearKeysIn(name: string, body: Buffer): string[] {
  const found: string[] = [];
  const text = body.toString('latin1');
  if (/-----BEGIN (RSA |EC )?PRIVATE KEY-----/.test(text)) found.push(`${name}: PEM private key`);
  if (name.endsWith('.zip')) {
    for (const [entry, content] of Object.entries(unzipSync(new Uint8Array(body))))
      found.push(...clearKeysIn(`${name}!${entry}`, Buffer.from(content)));
  }
  return found;
}

it('stores no private key in the clear, and the zip key opens with the bundle password only', async () => {
  // prepare
  const { api, tmp } = harness;
  const issued = await api.call({
    method: 'POST',
    path: '/v1/certificates',
    body: { commonName: 'at-rest.devices.example.com', keyAlgorithm: 'EC_P256' },
  });
  expect(issued.status).toBe(201);
  const renewed = await api.call({ method: 'POST', path: `/v1/certificates/${issued.json.id}/renew`, body: {} });
  expect(renewed.status).toBe(200);
  const password: string = renewed.json.p12Password;
  const store = createOssObjectStore({
    endpoint: api.env.OSS_ENDPOINT,
    bucket: api.env.OSS_BUCKET,
    region: api.env.REGION,
    credentials: api.emulator.credentials,
  });

  // act
  const objects = await allObjects(store);
  expect((await curl(['-sS', '-f', '-o', tmp.path('rest.zip'), renewed.json.downloads.pem.url])).code).toBe(0);
  expect((await unzip(['-q', '-o', tmp.path('rest.zip'), '-d', tmp.path('rest')])).code).toBe(0);
  const withPassword = await openssl(['pkey', '-in', tmp.path('rest/client.key'), '-passin', `pass:${password}`]);
  const wrongPassword = await openssl(['pkey', '-in', tmp.path('rest/client.key'), '-passin', 'pass:not-the-one-12']);
  const { port, host } = api.emulator.listeners[0];
  const mtls = await curl([
    '-sS',
    '--max-time',
    '5',
    '--cacert',
    tmp.path('root.crt'),
    '--resolve',
    `${host}:${port}:127.0.0.1`,
    '--cert',
    tmp.path('rest/client.crt'),
    '--key',
    tmp.path('rest/client.key'),
    '--pass',
    password,
    `https://${host}:${port}/`,
  ]);

  // assess
  expect(objects.some((o) => o.key.endsWith('/bundle.zip'))).toBe(true);
  expect(objects.flatMap((o) => clearKeysIn(o.key, o.body))).toEqual([]);
  expect(tmp.path('rest/client.key')).toBeTruthy();
  expect(withPassword.code).toBe(0);
  expect(withPassword.stdout).toMatch(/^-----BEGIN PRIVATE KEY-----/);
  expect(wrongPassword.code).not.toBe(0);
  expect(mtls.code).toBe(0);
  expect(mtls.stdout).toMatch(/ECS0[12]/);
});

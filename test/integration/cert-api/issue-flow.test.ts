/**
 * The newcomer's path through the API and the emulator, checked with the clients users have: request a
 * certificate, download the bundle through the signed link, open it with openssl (no -legacy) and keytool,
 * and complete mutual TLS with curl against the emulated NLB listener (CaEnabled on, trusting the root).
 */
import { readFileSync } from 'node:fs';
import { curl, keytool, openssl, unzip, type TempDir } from '../../helpers/tools.js';
import { startMtlsHarness, type CertApiHarness, type MtlsHarness } from './harness.js';

let harness: MtlsHarness;
let api: CertApiHarness;
let tmp: TempDir;
/** A second stack whose PCA is RSA: CAS certifies only keys of the sub-CA's family. */
let rsaHarness: MtlsHarness;

beforeAll(async () => {
  [harness, rsaHarness] = await Promise.all([
    startMtlsHarness(),
    startMtlsHarness({ emulator: { caKeyAlgorithm: 'RSA_2048' } }),
  ]);
  ({ api, tmp } = harness);
});

afterAll(async () => {
  await harness?.close();
  await rsaHarness?.close();
});

/** The stack whose sub-CA signs keys of this type. */
const stackFor = (keyAlgorithm: string) => (keyAlgorithm.startsWith('RSA_') ? rsaHarness : harness);

async function download(url: string, file: string, into: TempDir = tmp): Promise<void> {
  const result = await curl(['-sS', '-f', '-o', into.path(file), '-D', into.path(`${file}.headers`), url]);
  expect(result.stderr).toBe('');
  expect(result.code).toBe(0);
}

async function mtlsGet(args: string[], stack: MtlsHarness = harness): Promise<{ code: number | null; stdout: string }> {
  const { port, host } = stack.api.emulator.listeners[0];
  const result = await curl([
    '-sS',
    '--max-time',
    '5',
    '--cacert',
    stack.tmp.path('root.crt'),
    '--resolve',
    `${host}:${port}:127.0.0.1`,
    ...args,
    `https://${host}:${port}/`,
  ]);
  return { code: result.code, stdout: result.stdout };
}

// Every key type with every profile, RSA-4096 once (its key alone takes about a second).
describe.each([
  ['EC_P256', 'modern'],
  ['EC_P256', 'compat'],
  ['RSA_2048', 'modern'],
  ['RSA_2048', 'compat'],
  ['RSA_4096', 'modern'],
] as const)('server-key mode %s with the %s profile', (keyAlgorithm, p12Profile) => {
  it('gives a .p12 that openssl and keytool open and curl uses for mutual TLS', async () => {
    // prepare
    const stack = stackFor(keyAlgorithm);
    const tmp = stack.tmp;
    const name = `${keyAlgorithm.toLowerCase().replace('_', '')}-${p12Profile}.devices.example.com`;
    // act
    const issued = await stack.api.call({
      method: 'POST',
      path: '/v1/certificates',
      body: { commonName: name, keyAlgorithm, p12Profile, validityDays: 30 },
    });
    // assess
    expect(issued.status).toBe(201);
    expect(issued.json).toMatchObject({ commonName: name, status: 'ACTIVE', keyAlgorithm, p12Profile });
    expect(issued.json.downloads.p12.url).toContain('x-oss-signature');
    const password: string = issued.json.p12Password;
    const p12 = `${keyAlgorithm}-${p12Profile}.p12`;
    await download(issued.json.downloads.p12.url, p12, tmp);
    expect(readFileSync(tmp.path(`${p12}.headers`), 'utf8')).toMatch(
      /content-disposition: attachment; filename="[^"]+\.p12"/i,
    );

    const info = await openssl(['pkcs12', '-info', '-noout', '-in', tmp.path(p12), '-passin', `pass:${password}`]);
    expect(info.code).toBe(0);
    const wrong = await openssl([
      'pkcs12',
      '-info',
      '-noout',
      '-in',
      tmp.path(p12),
      '-passin',
      'pass:not-the-password',
    ]);
    expect(wrong.code).not.toBe(0);
    const listing = await keytool([
      '-list',
      '-storetype',
      'PKCS12',
      '-keystore',
      tmp.path(p12),
      '-storepass',
      password,
    ]);
    expect(listing.code).toBe(0);
    expect(listing.stdout).toMatch(/PrivateKeyEntry/);

    const answer = await mtlsGet(['--cert-type', 'P12', '--cert', `${tmp.path(p12)}:${password}`], stack);
    expect(answer.code).toBe(0);
    expect(answer.stdout).toMatch(/ECS0[12]/);
  });
});

it('gives a PEM zip whose files curl uses, and a listener refuses a client without a certificate', async () => {
  // prepare
  const issued = await api.call({
    method: 'POST',
    path: '/v1/certificates',
    body: { commonName: 'pem.devices.example.com', keyAlgorithm: 'EC_P256' },
  });
  expect(issued.status).toBe(201);
  await download(issued.json.downloads.pem.url, 'bundle.zip');
  // act
  const unzipped = await unzip(['-o', tmp.path('bundle.zip'), '-d', tmp.path('pem')]);
  // client.key is encrypted with the bundle's password (the one the .p12 has): curl takes it with --pass.
  const withCert = await mtlsGet([
    '--cert',
    tmp.path('pem/client.crt'),
    '--key',
    tmp.path('pem/client.key'),
    '--pass',
    issued.json.p12Password,
  ]);
  const without = await mtlsGet([]);
  // assess
  expect(unzipped.code).toBe(0);
  for (const key of [
    `records/${issued.json.id}.json`,
    `bundles/${issued.json.id}/g1/client.p12`,
    `bundles/${issued.json.id}/g1/bundle.zip`,
  ]) {
    expect({ key, ...api.emulator.oss.getObjectMeta(api.emulator.bucket, key) }).toMatchObject({
      key,
      acl: 'private',
      serverSideEncryption: 'AES256',
    });
  }
  expect(withCert.code).toBe(0);
  expect(withCert.stdout).toMatch(/ECS0[12]/);
  expect(without.code).not.toBe(0);
});

it('Idempotency-Key: the same body gets the same answer without a second certificate; another body gets 409', async () => {
  // prepare
  const body = { commonName: 'idem.devices.example.com', keyAlgorithm: 'EC_P256' };
  const casBefore = api.emulator.cas.listClientCertificates().length;
  const call = (b: unknown) =>
    api.call({ method: 'POST', path: '/v1/certificates', body: b, headers: { 'idempotency-key': 'order-4711' } });
  // act
  const first = await call(body);
  const replay = await call(body);
  const other = await call({ ...body, validityDays: 7 });
  const otherTenant = await api.call({
    method: 'POST',
    path: '/v1/certificates',
    body,
    headers: { 'idempotency-key': 'order-4711' },
    token: api.tokens.other,
  });
  // assess
  expect([first.status, replay.status, other.status, otherTenant.status]).toEqual([201, 201, 409, 201]);
  expect(replay.json).toMatchObject({
    id: first.json.id,
    serialNumber: first.json.serialNumber,
    p12Password: first.json.p12Password,
  });
  expect(other.json.code).toBe('IDEMPOTENCY_KEY_REUSED');
  expect(otherTenant.json.id).not.toBe(first.json.id);
  expect(api.emulator.cas.listClientCertificates().length).toBe(casBefore + 2);
});

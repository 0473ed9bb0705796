/**
 * A certificate's life through the API and the emulator: CSR mode with a key made by openssl, fresh and
 * expired and tampered links, renewal (new key, old certificate still valid unless revoked), revocation
 * (CAS revoked, bundles gone, renewal refused), listing with paging, filters and tenant isolation.
 */
import { readFileSync } from 'node:fs';
import { curl, openssl, unzip, type TempDir } from '../../helpers/tools.js';
import { startMtlsHarness, type CertApiHarness, type MtlsHarness } from './harness.js';

let harness: MtlsHarness;
let api: CertApiHarness;
let tmp: TempDir;

beforeAll(async () => {
  harness = await startMtlsHarness();
  ({ api, tmp } = harness);
});

afterAll(() => harness?.close());

const fetchStatus = async (url: string, file = 'download.bin') => {
  const result = await curl(['-sS', '-o', tmp.path(file), '-w', '%{http_code}', url]);
  return Number(result.stdout);
};

const issue = async (body: Record<string, unknown>, token?: string) => {
  const answer = await api.call({
    method: 'POST',
    path: '/v1/certificates',
    body: { keyAlgorithm: 'EC_P256', ...body },
    token,
  });
  expect(answer.status).toBe(201);
  return answer.json;
};

async function mtls(certFile: string, keyFile: string) {
  const { port, host } = api.emulator.listeners[0];
  return curl([
    '-sS',
    '--max-time',
    '5',
    '--cacert',
    tmp.path('root.crt'),
    '--resolve',
    `${host}:${port}:127.0.0.1`,
    '--cert',
    certFile,
    '--key',
    keyFile,
    `https://${host}:${port}/`,
  ]);
}

it('CSR mode: the key stays with the caller and the certificate zip works with it', async () => {
  // prepare
  const made = await openssl([
    'req',
    '-new',
    '-newkey',
    'ec',
    '-pkeyopt',
    'ec_paramgen_curve:prime256v1',
    '-nodes',
    '-keyout',
    tmp.path('own.key'),
    '-subj',
    '/CN=csr1.devices.example.com',
    '-out',
    tmp.path('own.csr'),
  ]);
  expect(made.code).toBe(0);
  // act
  const issued = await api.call({
    method: 'POST',
    path: '/v1/certificates',
    body: { commonName: 'csr1.devices.example.com', csr: readFileSync(tmp.path('own.csr'), 'utf8') },
  });
  // assess
  expect(issued.status).toBe(201);
  expect(issued.json).toMatchObject({ mode: 'csr', keyAlgorithm: 'EC_P256' });
  expect(issued.json.p12Password).toBeUndefined();
  expect(Object.keys(issued.json.downloads)).toEqual(['certificate']);
  expect(await fetchStatus(issued.json.downloads.certificate.url, 'cert.zip')).toBe(200);
  const listing = await unzip(['-l', tmp.path('cert.zip')]);
  expect(listing.stdout).toContain('client.crt');
  expect(listing.stdout).not.toContain('client.key');
  await unzip(['-o', tmp.path('cert.zip'), '-d', tmp.path('csr-zip')]);
  const answer = await mtls(tmp.path('csr-zip/client.crt'), tmp.path('own.key'));
  expect(answer.code).toBe(0);
  expect(answer.stdout).toMatch(/ECS0[12]/);
});

it('links: fresh ones download, expired and tampered ones are refused by the bucket', async () => {
  // prepare
  const issued = await issue({ commonName: 'links.devices.example.com' });
  // act
  // A long-lived link for the checks that must not race the clock, a 1-second one for expiry.
  const fresh = await api.call({
    method: 'POST',
    path: `/v1/certificates/${issued.id}/links`,
    body: { expiresInSeconds: 300 },
  });
  const shortLived = await api.call({
    method: 'POST',
    path: `/v1/certificates/${issued.id}/links`,
    body: { expiresInSeconds: 1 },
  });
  const url = new URL(fresh.json.downloads.p12.url);
  const tampered = new URL(url);
  tampered.searchParams.set('x-oss-signature', '0'.repeat(64));
  const otherKey = new URL(url);
  otherKey.pathname = otherKey.pathname.replace('client.p12', 'bundle.zip');
  const okNow = await fetchStatus(url.href);
  const tamperedStatus = await fetchStatus(tampered.href);
  const otherKeyStatus = await fetchStatus(otherKey.href);
  await new Promise((resolve) => setTimeout(resolve, 2100));
  const expired = await fetchStatus(shortLived.json.downloads.p12.url);
  // assess
  expect(fresh.status).toBe(200);
  expect(fresh.json).toMatchObject({ id: issued.id, generation: 1 });
  expect(fresh.json.p12Password).toBeUndefined();
  expect(okNow).toBe(200);
  expect(tamperedStatus).toBe(403);
  expect(otherKeyStatus).toBe(403);
  expect(expired).toBe(403);
});

it('renew: a new key and certificate, the old one still valid, its bundle gone', async () => {
  // prepare
  const issued = await issue({ commonName: 'renew.devices.example.com' });
  // act
  const renewed = await api.call({ method: 'POST', path: `/v1/certificates/${issued.id}/renew`, body: {} });
  const again = await api.call({
    method: 'POST',
    path: `/v1/certificates/${issued.id}/renew`,
    body: { expectedGeneration: 1 },
  });
  // assess
  expect(renewed.status).toBe(200);
  expect(renewed.json).toMatchObject({
    id: issued.id,
    generation: 2,
    previous: { generation: 1, serialNumber: issued.serialNumber, revoked: false },
  });
  expect(renewed.json.serialNumber).not.toBe(issued.serialNumber);
  expect(renewed.json.p12Password).toBeTruthy();
  expect(renewed.json.p12Password).not.toBe(issued.p12Password);
  expect(again.status).toBe(409);
  expect(again.json).toMatchObject({ code: 'RENEWAL_SUPERSEDED', details: { currentGeneration: 2 } });
  expect(await fetchStatus(issued.downloads.p12.url)).toBe(404);
  expect(await fetchStatus(renewed.json.downloads.p12.url)).toBe(200);
  const cas = api.emulator.cas.listClientCertificates().filter((c) => c.commonName === 'renew.devices.example.com');
  expect(cas.map((c) => c.status)).toEqual(['ISSUE', 'ISSUE']);
});

it('renew with revokePrevious revokes the old certificate in CAS; CSR mode needs a new CSR', async () => {
  // prepare
  const issued = await issue({ commonName: 'rotate.devices.example.com' });
  const made = await openssl([
    'req',
    '-new',
    '-newkey',
    'ec',
    '-pkeyopt',
    'ec_paramgen_curve:prime256v1',
    '-nodes',
    '-keyout',
    tmp.path('k2.key'),
    '-subj',
    '/CN=csr2.devices.example.com',
    '-out',
    tmp.path('k2.csr'),
  ]);
  expect(made.code).toBe(0);
  const csrIssued = await api.call({
    method: 'POST',
    path: '/v1/certificates',
    body: { commonName: 'csr2.devices.example.com', csr: readFileSync(tmp.path('k2.csr'), 'utf8') },
  });
  // act
  const renewed = await api.call({
    method: 'POST',
    path: `/v1/certificates/${issued.id}/renew`,
    body: { revokePrevious: true },
  });
  const csrWithout = await api.call({ method: 'POST', path: `/v1/certificates/${csrIssued.json.id}/renew`, body: {} });
  // assess
  expect(renewed.status).toBe(200);
  expect(renewed.json.previous).toMatchObject({ generation: 1, revoked: true });
  const old = api.emulator.cas.listClientCertificates().find((c) => c.serialNumber === issued.serialNumber);
  expect(old?.status).toBe('REVOKE');
  expect(csrWithout.status).toBe(400);
  expect(csrWithout.json.code).toBe('CSR_REQUIRED');
});

it('revoke: revoked in CAS, bundles deleted, auto-renew off, no renewal afterwards', async () => {
  // prepare
  const issued = await issue({ commonName: 'gone.devices.example.com' });
  // act
  const revoked = await api.call({
    method: 'POST',
    path: `/v1/certificates/${issued.id}/revoke`,
    body: { reason: 'keyCompromise' },
  });
  const again = await api.call({ method: 'POST', path: `/v1/certificates/${issued.id}/revoke`, body: {} });
  const renew = await api.call({ method: 'POST', path: `/v1/certificates/${issued.id}/renew`, body: {} });
  const links = await api.call({ method: 'POST', path: `/v1/certificates/${issued.id}/links`, body: {} });
  const read = await api.call({ method: 'GET', path: `/v1/certificates/${issued.id}` });
  // assess
  expect(revoked.status).toBe(200);
  expect(revoked.json).toMatchObject({ status: 'REVOKED', autoRenew: false, revocationReason: 'keyCompromise' });
  expect(again.json.status).toBe('REVOKED');
  expect(renew.json.code).toBe('CERTIFICATE_REVOKED');
  expect(links.json.code).toBe('CERTIFICATE_REVOKED');
  expect(read.json.status).toBe('REVOKED');
  expect(api.emulator.cas.listClientCertificates().find((c) => c.serialNumber === issued.serialNumber)?.status).toBe(
    'REVOKE',
  );
  expect(await fetchStatus(issued.downloads.p12.url)).toBe(404);
  expect(api.emulator.oss.objectCount(api.emulator.bucket, `bundles/${issued.id}/`)).toBe(0);
  const index = api.emulator.oss.objectCount(api.emulator.bucket, 'index/renew/');
  const records = api.emulator.oss.objectCount(api.emulator.bucket, 'records/');
  expect(index).toBeLessThan(records);
});

it('lists page by page, filters by status and name prefix, and never shows another tenant', async () => {
  // prepare
  for (let i = 0; i < 3; i += 1) await issue({ commonName: `page${i}.devices.example.com` });
  await issue({ commonName: 'page-other.devices.example.com' }, api.tokens.other);
  // act
  const pages: any[] = [];
  let nextToken: string | undefined;
  do {
    const page = await api.call({
      method: 'GET',
      path: '/v1/certificates',
      query: { limit: '2', commonNamePrefix: 'page', ...(nextToken ? { nextToken } : {}) },
    });
    expect(page.status).toBe(200);
    pages.push(page.json);
    nextToken = page.json.nextToken;
  } while (nextToken);
  const revoked = await api.call({ method: 'GET', path: '/v1/certificates', query: { status: 'REVOKED' } });
  const badToken = await api.call({
    method: 'GET',
    path: '/v1/certificates',
    query: { nextToken: 'eyJhZnRlciI6InJlY29yZHMvIn0' },
  });
  // assess
  const names = pages.flatMap((p) => p.items.map((i: any) => i.commonName));
  expect(names.sort()).toEqual(['page0.devices.example.com', 'page1.devices.example.com', 'page2.devices.example.com']);
  expect(pages[0].items).toHaveLength(2);
  expect(revoked.json.items.map((i: any) => i.commonName)).toEqual(['gone.devices.example.com']);
  expect(badToken.json.code).toBe('INVALID_NEXT_TOKEN');
  for (const item of pages.flatMap((p) => p.items)) expect(item.tenant).toBe('acme');
});

import { createCertificateService, type CertificateServiceDeps } from '../../../shared/certificates/service.js';
import { IssueRequestSchema } from '../../../shared/certificates/schemas.js';
import type { TokenPrincipal } from '../../../shared/auth/principal.js';
import type { ClientCertificate } from '../../../shared/domain/client-certificate.js';
import { createLogger, setLogSink } from '../../../shared/log/index.js';
import { buildCsr, generateKeyPair } from '../../../shared/pki/index.js';
import { createFakeCa, ManualClock, MemoryObjectStore, type FakeCa } from './fakes.js';

const principal: TokenPrincipal = {
  kind: 'token',
  tenant: 'acme',
  name: 'ci',
  policy: {
    commonNamePatterns: ['*.devices.example.com'],
    sanPatterns: { dns: ['*.devices.example.com'], uri: [], email: [], ip: [] },
    keyAlgorithms: ['RSA_2048', 'EC_P256'],
    maxValidityDays: 90,
    operations: ['issue', 'read', 'links', 'renew', 'revoke'],
    allowWildcardNames: false,
  },
};

let ca: FakeCa;
beforeAll(async () => {
  ca = await createFakeCa();
});

function setup(overrides: Partial<CertificateServiceDeps['config']> = {}) {
  const store = new MemoryObjectStore();
  const clock = new ManualClock();
  const lines: string[] = [];
  setLogSink((line) => lines.push(line));
  const service = createCertificateService({
    ca,
    store,
    clock,
    sleep: clock.sleep,
    log: createLogger({ fn: 'test' }, 'debug'),
    config: {
      parentIdentifier: 'sub-ca',
      stateKey: Buffer.alloc(32, 7),
      linkDefaultSeconds: 900,
      linkMaxSeconds: 3600,
      defaultValidityDays: 30,
      maxValidityDays: 397,
      ...overrides,
    },
  });
  return { store, clock, service, lines };
}

const body = (extra: Record<string, unknown> = {}) =>
  IssueRequestSchema.parse({ commonName: 'a1.devices.example.com', keyAlgorithm: 'EC_P256', ...extra });

describe('issue (server-key mode)', () => {
  it('issues a verified certificate, stores bundles, record and indexes, and leaves no pending object', async () => {
    // prepare
    const { store, service } = setup();
    const before = ca.issuedCount();
    // act
    const result = await service.issue(principal, body({ sans: { dns: ['a1.devices.example.com'] } }));
    // assess
    expect(ca.issuedCount()).toBe(before + 1);
    expect(result.id).toMatch(/^cc-[a-z0-9]{26}$/);
    expect(result).toMatchObject({
      commonName: 'a1.devices.example.com',
      status: 'ACTIVE',
      generation: 1,
      mode: 'server-key',
      keyAlgorithm: 'EC_P256',
    });
    expect(result.p12Password).toMatch(/^[A-Za-z0-9_-]{24}$/);
    expect(Object.keys(result.downloads).sort()).toEqual(['p12', 'pem']);
    expect(store.keys('pending/')).toEqual([]);
    expect(store.keys(`bundles/${result.id}/g1/`)).toEqual([
      `bundles/${result.id}/g1/bundle.zip`,
      `bundles/${result.id}/g1/client.p12`,
    ]);
    expect(store.keys('index/tenant/acme/')).toEqual([`index/tenant/acme/${result.id}`]);
    expect(store.keys('index/renew/')).toHaveLength(1);
    const record = store.json<ClientCertificate>(`records/${result.id}.json`);
    expect(record.current.serialNumber).toBe(result.serialNumber);
    expect(JSON.stringify(record)).not.toMatch(/PRIVATE KEY|p12Password/);
  });

  it('keeps the caller key in CSR mode and returns only the certificate download', async () => {
    // prepare
    const { store, service } = setup();
    const keyPair = await generateKeyPair('EC_P256');
    const csr = await buildCsr({ keyPair, commonName: 'c1.devices.example.com' });
    // act
    const result = await service.issue(
      principal,
      body({ commonName: 'c1.devices.example.com', keyAlgorithm: undefined, csr }),
    );
    // assess
    expect(result.mode).toBe('csr');
    expect(result.p12Password).toBeUndefined();
    expect(Object.keys(result.downloads)).toEqual(['certificate']);
    const record = store.json<ClientCertificate>(`records/${result.id}.json`);
    expect(record.csrPem).toContain('CERTIFICATE REQUEST');
  });
});

describe('idempotency', () => {
  it('answers a replay with the same certificate and password, and a different body with 409', async () => {
    // prepare
    const { service } = setup();
    const before = ca.issuedCount();
    // act
    const first = await service.issue(principal, body(), 'key-1');
    const replay = await service.issue(principal, body(), 'key-1');
    const other = service.issue(principal, body({ validityDays: 10 }), 'key-1');
    // assess
    expect(replay).toMatchObject({ id: first.id, serialNumber: first.serialNumber, p12Password: first.p12Password });
    await expect(other).rejects.toMatchObject({ code: 'IDEMPOTENCY_KEY_REUSED', status: 409 });
    expect(ca.issuedCount()).toBe(before + 1);
  });

  it('finishes after any one store write fails, with exactly one certificate each time', async () => {
    // prepare: count the writes of a clean idempotent issuance
    const clean = setup();
    await clean.service.issue(principal, body(), 'count-key');
    const writes = clean.store.calls.put + clean.store.calls.delete;
    expect(writes).toBeGreaterThanOrEqual(8);
    for (let n = 0; n < writes; n += 1) {
      const { store, service } = setup();
      const before = ca.issuedCount();
      if (n < clean.store.calls.put) store.failOnce('put', n);
      else store.failOnce('delete', n - clean.store.calls.put);
      // act
      const failed = await service.issue(principal, body(), 'retry-key').then(
        () => undefined,
        (err: unknown) => err,
      );
      const result = await service.issue(principal, body(), 'retry-key');
      // assess: a write that matters fails the request with a retryable 503; a best-effort one (an attempt's answer,
      // an expiry key) does not fail it at all. Either way the retry ends with the one certificate.
      if (failed !== undefined)
        expect(failed).toMatchObject({ status: 503, code: 'STORAGE_UNAVAILABLE', retryable: true });
      expect(ca.issuedCount()).toBe(before + 1);
      expect(store.keys('pending/')).toEqual([]);
      expect(store.keys('records/')).toEqual([`records/${result.id}.json`]);
      expect(store.keys('index/renew/')).toHaveLength(1);
    }
  });

  it('never stores the private key or the password in clear', async () => {
    // prepare
    const { store, service } = setup();
    store.failOnce('delete', 0, (k) => k.startsWith('pending/'));
    // act
    const result = await service.issue(principal, body(), 'seal-key').catch(() => undefined);
    // assess
    expect(result).toBeUndefined();
    const everything = [...store.objects.values()].map((b) => b.toString('latin1')).join('\n');
    expect(everything).not.toContain('PRIVATE KEY');
    const pending = store.keys('pending/');
    expect(pending).toHaveLength(1);
    const retried = await service.issue(principal, body(), 'seal-key');
    expect(everything).not.toContain(retried.p12Password!);
    expect(store.keys('pending/')).toEqual([]);
  });
});

describe('defensive paths', () => {
  it('a retry that finds the record but neither answer nor pending object answers from the record and issues nothing', async () => {
    // prepare: a finished issuance whose stored answer was lost
    const { store, service } = setup();
    const first = await service.issue(principal, body(), 'lost-answer');
    const entryKey = store.keys('idempotency/')[0];
    const entry = store.json<Record<string, unknown>>(entryKey);
    delete entry.answer;
    store.objects.set(entryKey, Buffer.from(JSON.stringify(entry)));
    const issued = ca.issuedCount();
    const revoked = ca.calls.revoke;
    // act
    const again = await service.issue(principal, body(), 'lost-answer');
    // assess
    expect(again).toMatchObject({ id: first.id, serialNumber: first.serialNumber });
    expect(again.p12Password).toBeUndefined();
    expect(ca.issuedCount()).toBe(issued);
    expect(ca.calls.revoke).toBe(revoked);
  });
});

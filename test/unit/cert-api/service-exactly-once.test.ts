// The certificate service against a CA that, like CAS, issues a NEW certificate on every call: answers lost after
// issuing, poison requests, durable revocation, idempotent replays after a renewal or revocation, expiry, attempts.
import type { TokenPrincipal } from '../../../shared/auth/principal.js';
import { systemPrincipal } from '../../../shared/auth/principal.js';
import { createCertificateService, type CertificateServiceDeps } from '../../../shared/certificates/service.js';
import { IssueRequestSchema } from '../../../shared/certificates/schemas.js';
import type { ClientCertificate } from '../../../shared/domain/client-certificate.js';
import { createLogger, setLogSink } from '../../../shared/log/index.js';
import { deleteExpired } from '../../../shared/renewal/expiry.js';
import { createFakeCa, ManualClock, MemoryObjectStore, type FakeCa } from './fakes.js';

const principal: TokenPrincipal = {
  kind: 'token',
  tenant: 'acme',
  name: 'ci',
  policy: {
    commonNamePatterns: ['*'],
    sanPatterns: { dns: ['*.devices.example.com'], uri: [], email: [], ip: [] },
    keyAlgorithms: ['RSA_2048', 'EC_P256'],
    maxValidityDays: 90,
    operations: ['issue', 'read', 'links', 'renew', 'revoke'],
    allowWildcardNames: true,
  },
};
const system = systemPrincipal('renew-worker');
const HOUR = 3_600_000;
/** Certificates the shared fake CA issued before the current test. */
let since = 0;

let ca: FakeCa;
beforeAll(async () => {
  ca = await createFakeCa({ keyAlgorithm: 'EC_P256' });
});

function setup(timing: CertificateServiceDeps['timing'] = {}) {
  const store = new MemoryObjectStore();
  const clock = new ManualClock();
  ca.clock = clock;
  ca.customIdentifierRepeats = 'new';
  ca.clearScripts();
  since = ca.issuedCount();
  const lines: string[] = [];
  setLogSink((line) => lines.push(line));
  const log = createLogger({ fn: 'test' }, 'debug');
  const service = createCertificateService({
    ca,
    store,
    clock,
    sleep: clock.sleep,
    log,
    config: {
      parentIdentifier: 'sub-ca',
      stateKey: Buffer.alloc(32, 9),
      linkDefaultSeconds: 900,
      linkMaxSeconds: 3600,
      defaultValidityDays: 30,
      maxValidityDays: 397,
    },
    timing: { answerSettleMs: 0, ...timing },
  });
  return { store, clock, service, lines, log };
}

const body = (extra: Record<string, unknown> = {}) =>
  IssueRequestSchema.parse({ commonName: 'a1.devices.example.com', keyAlgorithm: 'EC_P256', ...extra });

/** Every certificate the CA holds is a generation of a record or revoked. */
function orphansIn(store: MemoryObjectStore): string[] {
  const generations = new Set(
    store.keys('records/').flatMap((k) => {
      const r = store.json<ClientCertificate>(k);
      return [r.current.casIdentifier, ...r.previous.map((p) => p.casIdentifier)];
    }),
  );
  return ca
    .certificates()
    .slice(since)
    .filter((c) => c.status === 'ISSUE' && !generations.has(c.identifier))
    .map((c) => c.identifier);
}

describe('an answer lost after the CA issued', () => {
  it.each(['new', 'refuse'] as const)(
    'the retry adopts that certificate, whatever CAS does with a repeated CustomIdentifier (%s)',
    async (repeats) => {
      // prepare
      const { store, service } = setup();
      ca.customIdentifierRepeats = repeats;
      const before = ca.issuedCount();
      ca.loseNextAnswer(new Error('socket hang up'));
      // act
      const first = await service.issue(principal, body(), `lost-${repeats}`).catch((err: unknown) => err);
      const retry = await service.issue(principal, body(), `lost-${repeats}`);
      // assess: one certificate at the CA, and it is the record's
      expect(first).toMatchObject({ code: 'CA_UNAVAILABLE', retryable: true });
      expect(ca.issuedCount()).toBe(before + 1);
      expect(ca.certificates().at(-1)!.serialNumber).toBe(retry.serialNumber);
      expect(orphansIn(store)).toEqual([]);
    },
  );

  it('a CA call that may still be running is never raced: the twin waits, then gets a retryable 409', async () => {
    // prepare: an attempt claimed a moment ago, without an answer (its process is still calling CAS)
    const { store, service, clock } = setup({ answerSettleMs: 15_000, twinWaitMs: 1000 });
    ca.loseNextAnswer(new Error('socket hang up'));
    await service.issue(principal, body(), 'racing').catch(() => undefined);
    const calls = ca.calls.issueWithCsr;
    // act: the retry comes within the settle time
    const retry = await service.issue(principal, body(), 'racing').catch((err: unknown) => err);
    // assess
    expect(retry).toMatchObject({ code: 'IDEMPOTENT_REQUEST_IN_PROGRESS', status: 409, retryable: true });
    expect(ca.calls.issueWithCsr).toBe(calls);
    // ... and after it, the certificate CAS made is adopted
    clock.advance(20_000);
    const later = await service.issue(principal, body(), 'racing');
    expect(ca.calls.issueWithCsr).toBe(calls);
    expect(later.serialNumber).toBe(ca.certificates().at(-1)!.serialNumber);
    expect(orphansIn(store)).toEqual([]);
  });

  it('caps the CA calls per pending object and sets it aside', async () => {
    // prepare: CAS fails every call without an answer
    const { store, service } = setup({ maxAttempts: 3 });
    for (let i = 0; i < 5; i += 1) ca.failNextIssue(new Error('socket hang up'));
    // act
    const answers = [];
    for (let i = 0; i < 4; i += 1)
      answers.push(await service.issue(principal, body(), 'capped').catch((err: { code?: string }) => err.code));
    // assess
    expect(answers).toEqual(['CA_UNAVAILABLE', 'CA_UNAVAILABLE', 'CA_UNAVAILABLE', 'ISSUANCE_ABANDONED']);
    expect(store.keys('pending/')).toEqual([]);
    expect(store.keys('set-aside/')).toHaveLength(1);
    expect(store.json<{ reason: { code: string } }>(store.keys('set-aside/')[0]).reason.code).toBe(
      'ISSUANCE_ABANDONED',
    );
  });
});

describe('no poison work', () => {
  it('a common name too long for the .p12 friendlyName (UTF-16 units) is refused before any CA call', async () => {
    // prepare: 40 emoji = 40 code points (the CN check passes) but 80 UTF-16 units (the friendlyName does not)
    const { store, service } = setup();
    const calls = ca.calls.issueWithCsr;
    const commonName = `${'😀'.repeat(40)}.devices.example.com`;
    // act
    const refused = await service.issue(principal, body({ commonName }), 'emoji').catch((err: unknown) => err);
    // assess
    expect(refused).toMatchObject({ status: 400, code: 'COMMON_NAME_INVALID' });
    expect(ca.calls.issueWithCsr).toBe(calls);
    expect(store.keys('pending/')).toEqual([]);
  });

  it('an issued certificate that cannot be used ends its pending object: revoked, set aside, never retried', async () => {
    // prepare: the CA certifies other names than asked
    const { store, service } = setup();
    ca.alterNextRequest((r) => ({ ...r, sans: { ...r.sans, dns: ['other.devices.example.com'] } }));
    // act
    const refused = await service.issue(principal, body(), 'bad-ca').catch((err: unknown) => err);
    const finished = await service.finishPending(system, store.keys('set-aside/')[0].split('/')[1], 1);
    // assess
    expect(refused).toMatchObject({ status: 502, code: 'ISSUED_CERTIFICATE_REJECTED' });
    expect(finished).toBeUndefined();
    expect(store.keys('pending/')).toEqual([]);
    expect(store.keys('attempts/')).toEqual([]);
    expect(ca.certificates().at(-1)!.status).toBe('REVOKE');
    expect(orphansIn(store)).toEqual([]);
    // the caller's retry is a new request, not a replay of the failure
    const retried = await service.issue(principal, body(), 'bad-ca');
    expect(retried.status).toBe('ACTIVE');
  });

  it('refuses a key of another family than the sub-CA before any CA call', async () => {
    const { service } = setup();
    const calls = ca.calls.issueWithCsr;
    const refused = await service.issue(principal, body({ keyAlgorithm: 'RSA_2048' })).catch((err: unknown) => err);
    expect(refused).toMatchObject({ status: 400, code: 'KEY_ALGORITHM_MISMATCH', details: { caKeyFamily: 'EC' } });
    expect(ca.calls.issueWithCsr).toBe(calls);
  });

  it('without keyAlgorithm the service makes a key of the sub-CA family', async () => {
    const { service } = setup();
    const issued = await service.issue(principal, body({ keyAlgorithm: undefined }));
    expect(issued.keyAlgorithm).toBe('EC_P256');
  });
});

describe('durable revocation', () => {
  it('a record write that fails after CAS revoked leaves REVOKING: no renewal, no links; a retry or the sweep finishes', async () => {
    // prepare
    const { store, service } = setup();
    const issued = await service.issue(principal, body());
    // the intent is written (record put #1), the CA revokes, the final record write (put #2 on the record) fails
    store.failOnce('put', 1, (k) => k === `records/${issued.id}.json`);
    // act
    const failed = await service.revoke(principal, issued.id, 'keyCompromise').catch((err: unknown) => err);
    const halfway = store.json<ClientCertificate>(`records/${issued.id}.json`);
    const renew = await service.renew(principal, issued.id, { trigger: 'api' }).catch((err: unknown) => err);
    const links = await service.links(principal, issued.id).catch((err: unknown) => err);
    const view = await service.get(principal, issued.id);
    const finished = await service.finishRevocation(system, issued.id);
    // assess
    expect(failed).toMatchObject({ code: 'STORAGE_UNAVAILABLE' });
    expect(halfway).toMatchObject({ status: 'REVOKING', autoRenew: false, revocationReason: 'keyCompromise' });
    expect(ca.revoked.has(halfway.current.casIdentifier)).toBe(true);
    expect(renew).toMatchObject({ status: 409, code: 'CERTIFICATE_REVOKED' });
    expect(links).toMatchObject({ status: 409, code: 'CERTIFICATE_REVOKED' });
    expect(view.status).toBe('REVOKING');
    expect(finished).toMatchObject({ status: 'REVOKED', revocationReason: 'keyCompromise' });
    expect(store.keys('index/renew/')).toEqual([]);
    expect(store.keys(`bundles/${issued.id}/`)).toEqual([]);
  });

  it('a renewal finishing after a revocation was recorded revokes its own certificate', async () => {
    // prepare: a renewal whose answer was lost; then the owner revokes
    const { store, service } = setup();
    const issued = await service.issue(principal, body());
    ca.loseNextAnswer(new Error('socket hang up'));
    await service.renew(principal, issued.id, { trigger: 'api' }).catch(() => undefined);
    await service.revoke(principal, issued.id, 'keyCompromise');
    // act: the sweep finishes the pending renewal
    const finished = await service.finishPending(system, issued.id, 2).catch((err: unknown) => err);
    // assess
    expect(finished).toMatchObject({ code: 'CERTIFICATE_REVOKED' });
    expect(store.keys('pending/')).toEqual([]);
    expect(orphansIn(store)).toEqual([]);
  });
});

describe('idempotent replays re-read the record', () => {
  it('after a renewal: the current certificate, without the old password', async () => {
    const { service } = setup();
    const first = await service.issue(principal, body(), 'replay-renewed');
    const renewed = await service.renew(principal, first.id, { trigger: 'api' });
    const replay = await service.issue(principal, body(), 'replay-renewed');
    expect(replay).toMatchObject({ id: first.id, generation: 2, serialNumber: renewed.serialNumber, status: 'ACTIVE' });
    expect(replay.p12Password).toBeUndefined();
  });

  it('after a revocation: 409 CERTIFICATE_REVOKED', async () => {
    const { service } = setup();
    const first = await service.issue(principal, body(), 'replay-revoked');
    await service.revoke(principal, first.id, 'unspecified');
    await expect(service.issue(principal, body(), 'replay-revoked')).rejects.toMatchObject({
      status: 409,
      code: 'CERTIFICATE_REVOKED',
    });
  });

  it('an entry expires after 24 h: the sweep deletes it and its sealed answer; the key then means a new request', async () => {
    // prepare
    const { store, service, clock, log } = setup();
    const first = await service.issue(principal, body(), 'expiring');
    expect(store.keys('idempotency/')).toHaveLength(1);
    // act
    clock.advance(23 * HOUR);
    const kept = await deleteExpired({ store, clock, log });
    const replay = await service.issue(principal, body(), 'expiring');
    clock.advance(2 * HOUR);
    const deleted = await deleteExpired({ store, clock, log });
    const fresh = await service.issue(principal, body(), 'expiring');
    // assess
    expect(kept).toBe(0);
    expect(replay.id).toBe(first.id);
    expect(deleted).toBeGreaterThanOrEqual(1);
    expect(fresh.id).not.toBe(first.id);
    expect(store.keys('attempts/')).toHaveLength(1); // the fresh issuance's, kept for a day
  });
});

describe('listing', () => {
  it('skips a record that cannot be read, logs it, and lists the rest', async () => {
    const { store, service, lines } = setup();
    const good = await service.issue(principal, body());
    const bad = await service.issue(principal, body({ commonName: 'a2.devices.example.com' }));
    store.objects.set(`records/${bad.id}.json`, Buffer.from('{not json'));
    const list = await service.list(principal, {});
    expect(list.items.map((i) => i.id)).toEqual([good.id]);
    expect(lines.some((l) => l.includes('unreadable record skipped') && l.includes(bad.id))).toBe(true);
  });
});

describe('time budget', () => {
  it('answers a retryable DEADLINE_EXCEEDED instead of running past the deadline', async () => {
    // prepare: an OSS that takes 300 ms per read, and 50 ms left
    const { store, service, clock } = setup();
    const slowGet = store.get.bind(store);
    store.get = async (key) => {
      await new Promise((r) => setTimeout(r, 300));
      return slowGet(key);
    };
    // act
    const started = Date.now();
    const answer = await service
      .withDeadline(new Date(clock.now().getTime() + 50))
      .issue(principal, body(), 'slow-oss')
      .catch((err: unknown) => err);
    // assess
    expect(answer).toMatchObject({ status: 503, code: 'DEADLINE_EXCEEDED', retryable: true });
    expect(Date.now() - started).toBeLessThan(290);
  });
});

// The CA inventory scan against a CA that issues on every call: backfill, orphans after the grace period, issuances
// in flight protected, foreign certificates filtered on our side, and a run's cost once the first pass is done.
import { systemPrincipal, type TokenPrincipal } from '../../../shared/auth/principal.js';
import { IssueRequestSchema } from '../../../shared/certificates/schemas.js';
import { createCertificateService } from '../../../shared/certificates/service.js';
import { createLogger, setLogSink } from '../../../shared/log/index.js';
import { buildCsr, generateKeyPair } from '../../../shared/pki/index.js';
import { INVENTORY_STATE_KEY, runInventoryScan } from '../../../shared/renewal/inventory.js';
import { createFakeCa, ManualClock, MemoryObjectStore, type FakeCa } from '../cert-api/fakes.js';

const principal: TokenPrincipal = {
  kind: 'token',
  tenant: 'acme',
  name: 'ci',
  policy: {
    commonNamePatterns: ['*'],
    sanPatterns: { dns: ['*'], uri: [], email: [], ip: [] },
    keyAlgorithms: ['EC_P256'],
    maxValidityDays: 90,
    operations: ['issue', 'read', 'links', 'renew', 'revoke'],
    allowWildcardNames: true,
  },
};
const HOUR = 3_600_000;
const GRACE = HOUR;

async function setup() {
  const ca: FakeCa = await createFakeCa({ keyAlgorithm: 'EC_P256' });
  const store = new MemoryObjectStore();
  const clock = new ManualClock();
  ca.clock = clock;
  const lines: string[] = [];
  setLogSink((line) => lines.push(line));
  const log = createLogger({ fn: 'renew-scheduler' }, 'debug');
  const service = createCertificateService({
    ca,
    store,
    clock,
    sleep: clock.sleep,
    log,
    config: {
      parentIdentifier: 'sub-ca',
      stateKey: Buffer.alloc(32, 3),
      linkDefaultSeconds: 900,
      linkMaxSeconds: 900,
      defaultValidityDays: 30,
      maxValidityDays: 90,
    },
    timing: { answerSettleMs: 0 },
  });
  const scan = () =>
    runInventoryScan({
      store,
      ca,
      clock,
      log,
      config: { parentIdentifier: 'sub-ca', orphanGraceMs: GRACE, maxPages: 50 },
    });
  const issue = (n: number) =>
    service.issue(principal, IssueRequestSchema.parse({ commonName: `d${n}.example.com`, keyAlgorithm: 'EC_P256' }));
  /** A certificate CAS holds under our sub-CA that no record knows (e.g. a call CAS finished after we gave up). */
  const stray = async (parentIdentifier = 'sub-ca') => {
    const keyPair = await generateKeyPair('EC_P256');
    const now = clock.now();
    return ca.issueWithCsr({
      parentIdentifier,
      csrPem: await buildCsr({ keyPair, commonName: 'stray.example.com' }),
      commonName: 'stray.example.com',
      sans: { dns: [], uri: [], email: [], ip: [] },
      keyAlgorithm: 'EC_P256',
      notBefore: new Date(Math.floor(now.getTime() / 1000) * 1000),
      notAfter: new Date(now.getTime() + 30 * 86_400_000),
      customIdentifier: 'cc-strayxxxxxxxxxxxxxxxxxx-g1-a1',
    });
  };
  return { ca, store, clock, service, scan, issue, stray, lines };
}

describe('inventory scan', () => {
  it('indexes records from before the CA index on its first run, and revokes nothing then', async () => {
    // prepare: two certificates whose CA index entries are gone (written by an older version)
    const t = await setup();
    await t.issue(1);
    await t.issue(2);
    for (const key of t.store.keys('index/ca/')) t.store.objects.delete(key);
    t.clock.advance(2 * GRACE);
    // act
    const first = await t.scan();
    const second = await t.scan();
    // assess
    expect(first).toMatchObject({ phase: 'backfill', backfilled: 2, orphansRevoked: 0 });
    expect(t.store.keys('index/ca/')).toHaveLength(2);
    expect(second).toMatchObject({ phase: 'scan', listed: 2, orphansRevoked: 0, candidates: 0, passComplete: true });
    expect(t.ca.certificates().every((c) => c.status === 'ISSUE')).toBe(true);
  });

  it('revokes a certificate no record knows once it is older than the grace period, and reports it', async () => {
    // prepare
    const t = await setup();
    const kept = await t.issue(1);
    await t.scan(); // backfill
    const orphan = await t.stray();
    // act
    const early = await t.scan();
    t.clock.advance(GRACE);
    const late = await t.scan();
    // assess
    expect(early).toMatchObject({ orphansRevoked: 0, candidates: 1 });
    expect(late).toMatchObject({ orphansRevoked: 1, candidates: 0 });
    expect(t.ca.certificates().find((c) => c.identifier === orphan.identifier)!.status).toBe('REVOKE');
    expect(t.ca.certificates().find((c) => c.serialNumber === kept.serialNumber)!.status).toBe('ISSUE');
    const audit = t.lines.map((l) => JSON.parse(l)).filter((l) => l.msg === 'audit' && l.reason === 'orphan');
    expect(audit).toEqual([
      expect.objectContaining({ action: 'certificate.revoke', serialNumber: orphan.serialNumber }),
    ]);
    expect(t.lines.some((l) => l.includes('"event":"inventory.orphan_revoked"'))).toBe(true);
  });

  it('never revokes what an issuance still pending may adopt; adopted, it becomes known', async () => {
    // prepare: an issuance whose answer was lost: CAS holds the certificate, only the pending object knows of it
    const t = await setup();
    await t.scan(); // backfill
    t.ca.loseNextAnswer(new Error('socket hang up'));
    await t.issue(1).catch(() => undefined);
    // act
    t.clock.advance(2 * GRACE);
    const whilePending = await t.scan();
    const adopted = await t.service.finishPending(
      systemPrincipal('renew-worker'),
      t.store.keys('pending/')[0].split('/')[1],
    );
    const afterwards = await t.scan();
    // assess
    expect(whilePending).toMatchObject({ orphansRevoked: 0, candidates: 1 });
    expect(adopted?.status).toBe('ACTIVE');
    expect(afterwards).toMatchObject({ orphansRevoked: 0, candidates: 0 });
    expect(t.ca.certificates().every((c) => c.status === 'ISSUE')).toBe(true);
  });

  it("filters on its own side when CAS ignores the ParentIdentifier filter: another CA's certificates are left alone", async () => {
    const t = await setup();
    t.ca.listIgnoresParent = true;
    await t.scan(); // backfill
    const foreign = await t.stray('someone-elses-sub-ca');
    t.clock.advance(2 * GRACE);
    await t.scan();
    const report = await t.scan();
    expect(t.ca.certificates().find((c) => c.identifier === foreign.identifier)!.status).toBe('ISSUE');
    expect(report.orphansRevoked).toBe(0);
  });

  it('once a pass is done, a run costs what changed: one list call and two OSS requests when nothing did', async () => {
    // prepare: 30 certificates, backfilled and scanned once
    const t = await setup();
    for (let n = 0; n < 30; n += 1) await t.issue(n);
    t.clock.advance(1000);
    await t.scan();
    await t.scan();
    t.clock.advance(60_000);
    const listCalls = t.ca.calls.listClientCertificates;
    const describeCalls = t.ca.calls.describeClientCertificate;
    const oss = { ...t.store.calls };
    // act
    const quiet = await t.scan();
    // assess
    expect(quiet).toMatchObject({ pages: 1, listed: 0, checked: 0 });
    expect(t.ca.calls.listClientCertificates - listCalls).toBe(1);
    expect(t.ca.calls.describeClientCertificate - describeCalls).toBe(0);
    expect(t.store.calls.get - oss.get).toBe(1); // the scan's state
    expect(t.store.calls.put - oss.put).toBe(1);
    expect(t.store.calls.exists - oss.exists).toBe(0);
    expect(JSON.parse(t.store.objects.get(INVENTORY_STATE_KEY)!.toString()).phase).toBe('scan');
  });
});

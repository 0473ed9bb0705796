// A fleet of 300 records of which 30 are due (two batches, the second one partial), through the emulator:
// renew-scheduler's timer handler lists the index and invokes renew-worker asynchronously through the emulated FC;
// renew-worker renews through the real certificate service and the emulated CAS. Then the same 30 are due again with
// 5% of CAS and OSS calls failing. The fleet-scale proof (10,000 and 100,000 records, a rate-limited CA) is
// `npm run bench -- renew` (bench/renew.ts); this is the same path at a size `npm test` can afford.
import { Faults } from '../../../local/emulator/index.js';
import type { ClientCertificate } from '../../../shared/domain/client-certificate.js';
import { renewalIndexKey, parseRenewalIndexKey } from '../../../shared/domain/renewal/schedule.js';
import { runInventoryScan } from '../../../shared/renewal/inventory.js';
import { createLogger } from '../../../shared/log/index.js';
import { startRig, listAll, type Rig } from './rig.js';

/** mulberry32: a seeded random source, so a failing run can be replayed. */
function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const DUE = 30;
const NOT_DUE = 270;
const BATCHES = Math.ceil(DUE / 25); // RENEW_BATCH_SIZE 25: 25 + 5

describe('renewal at fleet scale (emulator)', () => {
  let rig: Rig;
  let due: ClientCertificate[];
  let notDue: Array<{ id: string; indexKey: string; record: string }>;

  beforeAll(async () => {
    rig = await startRig({ workerConcurrency: 4 });
    due = await rig.seedDue(DUE);
    notDue = rig.seedNotDue(NOT_DUE);
  }, 60_000);
  afterAll(() => rig?.close());

  /** Certificates per common name; `valid`: only those not revoked. */
  const certificatesByCommonName = (valid = false) => {
    const byName = new Map<string, number>();
    for (const c of rig.emulator.cas.listClientCertificates())
      if (!valid || c.status === 'ISSUE') byName.set(c.commonName, (byName.get(c.commonName) ?? 0) + 1);
    return byName;
  };

  it(`one sweep renews exactly the ${DUE} due certificates, once each, and touches nothing else`, async () => {
    // Prepare
    const metaBefore = notDue.map((n) => rig.emulator.oss.getObjectMeta(rig.emulator.bucket, `records/${n.id}.json`));
    rig.emulator.faults.resetCounts();

    // Act
    const sweep = await rig.sweep();

    // Assess: the scheduler found the due ones (one index page, plus the pending and results listings) ...
    expect(sweep).toMatchObject({ ok: true, result: { due: DUE, batches: BATCHES, dispatched: DUE, undispatched: 0 } });
    const calls = rig.emulator.faults.byAction();
    // index pages + pending + sweep results + the expiry index (idempotency entries and attempts past their time)
    expect(calls.ListObjectsV2).toBe(4);
    expect(calls.InvokeFunction).toBe(BATCHES);
    // ... and the CA issued exactly one certificate per due record.
    expect(calls.CreateClientCertificateWithCsr).toBe(DUE);
    expect(rig.emulator.cas.listClientCertificates()).toHaveLength(2 * DUE);
    expect([...certificatesByCommonName().values()].every((n) => n === 2)).toBe(true);
    // Reads grow with the due certificates, not the fleet (10 times as many records).
    expect(calls.GetObject).toBeLessThanOrEqual(5 * DUE);

    const renewed = await Promise.all(due.map((d) => rig.record(d.id)));
    for (const [i, record] of renewed.entries()) {
      expect(record.current.generation).toBe(2);
      expect(record.previous[0]).toMatchObject({
        generation: 1,
        serialNumber: due[i].current.serialNumber,
        casIdentifier: due[i].current.casIdentifier,
      });
      expect(record.renewal).toMatchObject({ failedAttempts: 0, lastRenewedAt: expect.any(String) });
      expect(Date.parse(record.current.notAfter)).toBeGreaterThan(Date.parse(due[i].current.notAfter) - 1);
    }
    // The old certificates stay valid: not revoked at the CA, not expired.
    const statuses = await Promise.all(due.map((d) => rig.ca.status(d.current.casIdentifier)));
    expect(new Set(statuses)).toEqual(new Set(['good']));
    expect(due.every((d) => Date.parse(d.current.notAfter) > Date.now())).toBe(true);

    // Nothing else changed: the records not due are byte-for-byte as seeded, their index keys are where they were.
    const metaAfter = notDue.map((n) => rig.emulator.oss.getObjectMeta(rig.emulator.bucket, `records/${n.id}.json`));
    expect(metaAfter.map((m) => m?.etag)).toEqual(metaBefore.map((m) => m?.etag));
    const index = await listAll(rig.store, 'index/renew/');
    expect(index).toHaveLength(NOT_DUE + DUE);
    expect(index).toEqual(expect.arrayContaining(notDue.map((n) => n.indexKey)));
    for (const record of renewed) expect(index).toContain(renewalIndexKey(new Date(record.renewal.renewAt), record.id));
    expect(await listAll(rig.store, 'pending/')).toEqual([]);

    // One summary line for the sweep, written by the next scheduler run from the workers' batch results.
    await rig.sweep();
    const summaries = rig.logs.filter((l) => l.msg === 'renewal sweep summary' && l.sweepId === sweep.result.sweepId);
    expect(summaries).toEqual([
      expect.objectContaining({
        due: DUE,
        renewed: DUE,
        failed: 0,
        skipped: 0,
        batches: BATCHES,
        outcome: 'complete',
        durationMs: expect.any(Number),
      }),
    ]);
  }, 60_000);

  it(`with 5% of CAS and OSS calls failing, repeated sweeps renew all ${DUE} once each and record the failures`, async () => {
    // Prepare: the same certificates are due again; then calls start failing at random (seeded).
    for (const d of due) {
      const record = await rig.record(d.id);
      const renewAt = new Date(Date.now() - 60_000);
      rig.emulator.oss.putObjectDirect(
        rig.emulator.bucket,
        `records/${d.id}.json`,
        JSON.stringify({ ...record, renewal: { ...record.renewal, renewAt: renewAt.toISOString() } }),
      );
      rig.emulator.oss.putObjectDirect(rig.emulator.bucket, renewalIndexKey(renewAt, d.id), '');
      await rig.store.delete(renewalIndexKey(new Date(record.renewal.renewAt), d.id));
    }
    const actions = [
      'CreateClientCertificateWithCsr',
      'PutObject',
      'GetObject',
      'HeadObject',
      'DeleteObject',
      'ListObjectsV2',
    ];
    actions.forEach((action, i) =>
      rig.emulator.faults.failRandomly(
        action,
        0.05,
        i % 2 ? Faults.internal() : Faults.unavailable(),
        seeded(1000 + i),
      ),
    );
    rig.emulator.faults.resetCounts();

    // Act: sweep until every due record is at generation 3 (bounded), checking the failure records after the first.
    const failuresSeen: ClientCertificate['renewal'][] = [];
    let sweeps = 0;
    let done = false;
    while (!done && sweeps < 15) {
      sweeps += 1;
      await rig.sweep();
      const records = await Promise.all(due.map((d) => readDirect(rig, d.id)));
      for (const r of records) if (r.renewal.failedAttempts > 0) failuresSeen.push(r.renewal);
      if (sweeps === 1) {
        // Failed ones carry the failure and the next attempt, and are indexed for it (not lost).
        const failing = records.filter((r) => r.renewal.failedAttempts > 0);
        expect(failing.length).toBeGreaterThan(0);
        for (const r of failing) {
          expect(r.renewal.lastFailure).toEqual({
            code: expect.stringMatching(/^(CA_UNAVAILABLE|STORAGE_UNAVAILABLE)$/),
            message: expect.any(String),
            at: expect.any(String),
          });
          expect(Date.parse(r.renewal.nextAttemptAt!)).toBeGreaterThanOrEqual(Date.parse(r.renewal.lastFailure!.at));
        }
      }
      done = records.every((r) => r.current.generation === 3) && (await pendingCount(rig)) === 0;
    }
    rig.emulator.faults.clear();
    // A stale index key whose delete failed is harmless (the next sweep finds the record not due and drops it):
    // one sweep without faults, as the timer would run it, before counting keys.
    await rig.sweep();
    // The safety net, as the scheduler runs it (grace 0): backfill, then one full pass over CAS.
    const scan = () =>
      runInventoryScan({
        store: rig.store,
        ca: rig.ca,
        clock: { now: () => new Date() },
        log: createLogger({ fn: 'renew-scheduler' }, 'error'),
        config: { parentIdentifier: rig.emulator.ca.subCaIdentifier, orphanGraceMs: 0, maxPages: 1000 },
      });
    while ((await scan()).phase === 'backfill');
    await scan();

    // Assess
    expect(done).toBe(true);
    expect(rig.emulator.faults.count('CreateClientCertificateWithCsr')).toBeGreaterThanOrEqual(DUE);
    // 3 valid certificates per name (original, first renewal, this renewal), whatever was retried. CAS has no
    // idempotency token: a call it finished only after our timeout (a loaded machine) is an extra certificate, which
    // the inventory scan has revoked; a retry never issues a second one while the first could still be adopted.
    expect([...certificatesByCommonName(true).values()].every((n) => n === 3)).toBe(true);
    const extras = rig.emulator.cas.listClientCertificates().length - 3 * DUE;
    expect(extras).toBeLessThanOrEqual(
      rig.emulator.cas.listClientCertificates().filter((c) => c.status === 'REVOKE').length,
    );
    // Every renewed record is clean again, and indexed exactly once.
    const index = await listAll(rig.store, 'index/renew/');
    for (const d of due) {
      const record = await rig.record(d.id);
      expect(record.renewal.failedAttempts).toBe(0);
      expect(index.filter((k) => parseRenewalIndexKey(k)?.certificateId === d.id)).toEqual([
        renewalIndexKey(new Date(record.renewal.renewAt), d.id),
      ]);
    }
    expect(failuresSeen.length).toBeGreaterThan(0);
  }, 90_000);
});

async function readDirect(rig: Rig, id: string): Promise<ClientCertificate> {
  // Read around the injected faults: the test's own reads must not fail.
  for (;;) {
    try {
      return await rig.record(id);
    } catch {
      // retry
    }
  }
}

async function pendingCount(rig: Rig): Promise<number> {
  for (;;) {
    try {
      return (await listAll(rig.store, 'pending/')).length;
    } catch {
      // retry
    }
  }
}

// A crash between any two steps of a renewal, then a sweep: finished, no second certificate (CAS issues a new one on
// every call, so this holds only because a retry adopts what an earlier call issued). For N = 0, 1, 2, ...
// the N-th emulated API call of a sweep fails (every call goes through the fault injector: OSS, CAS, FC), until a
// sweep makes fewer than N calls. After each, unfaulted sweeps must leave exactly one new certificate, the record at
// the next generation, no pending object, one index key, the new bundles and no old ones; the owner's webhook gets
// `certificate.renewed` (with the same event id if it came twice).
import { Faults, type Fault } from '../../../local/emulator/index.js';
import { systemPrincipal } from '../../../shared/auth/principal.js';
import { systemClock } from '../../../shared/domain/ports.js';
import { parseRenewalIndexKey, renewalIndexKey } from '../../../shared/domain/renewal/schedule.js';
import { startRig, listAll, WEBHOOK_SECRET, type Rig } from './rig.js';
import { startWebhookReceiver, type WebhookReceiver } from './webhook-receiver.js';

describe('a crash between any two steps of a renewal', () => {
  let rig: Rig;
  let receiver: WebhookReceiver;

  beforeAll(async () => {
    // A CA call without an answer settles for 1 s before it is searched for: the slow CA below answers 0.5 s late.
    rig = await startRig({ workerConcurrency: 1, casTimeoutMs: 1000, answerSettleMs: 1000 });
    receiver = await startWebhookReceiver(WEBHOOK_SECRET);
  });
  afterAll(async () => {
    await receiver?.close();
    await rig?.close();
  });

  /** Fails the n-th call (0-based) the emulator sees from now on with `fault`; reports which action it hit. */
  function failNthCall(n: number, fault: Fault): { hit: () => string | undefined; disarm: () => void } {
    const faults = rig.emulator.faults;
    const original = faults.onCall.bind(faults);
    let seen = 0;
    let hitAction: string | undefined;
    faults.onCall = (action: string, now?: number) => {
      const index = seen++;
      if (index === n) {
        hitAction = action;
        return fault;
      }
      return original(action, now);
    };
    return { hit: () => hitAction, disarm: () => void (faults.onCall = original) };
  }

  async function assertFinishedOnce(id: string, commonName: string, bundlesBefore: string[]) {
    const record = await rig.record(id);
    expect(record.current.generation).toBe(2);
    expect(record.renewal.failedAttempts).toBe(0);
    expect(rig.emulator.cas.listClientCertificates().filter((c) => c.commonName === commonName)).toHaveLength(2);
    expect(await listAll(rig.store, `pending/${id}/`)).toEqual([]);
    const keys = (await listAll(rig.store, 'index/renew/')).filter(
      (k) => parseRenewalIndexKey(k)?.certificateId === id,
    );
    expect(keys).toEqual([renewalIndexKey(new Date(record.renewal.renewAt), id)]);
    expect((await listAll(rig.store, `bundles/${id}/`)).sort()).toEqual(
      [record.current.bundle.p12, record.current.bundle.pem].sort(),
    );
    for (const old of bundlesBefore) expect(await rig.store.exists(old)).toBe(false);
    const renewedEvents = receiver.received.filter(
      (r) => r.event?.type === 'certificate.renewed' && r.event.subject === id,
    );
    expect(renewedEvents.length).toBeGreaterThanOrEqual(1);
    expect(new Set(renewedEvents.map((r) => r.event.id)).size).toBe(1);
    expect(
      renewedEvents.every(
        (r) =>
          r.verification.ok &&
          r.event.data.certificate.generation === 2 &&
          typeof r.event.data.p12Password === 'string',
      ),
    ).toBe(true);
  }

  it('is finished by the next sweeps without a duplicate, whichever call fails', async () => {
    const hitActions = new Set<string>();
    let n = 0;
    for (; n < 80; n += 1) {
      // Prepare: one due certificate; the n-th call of the next sweep fails
      const [due] = await rig.seedDue(1, { webhookUrl: receiver.url });
      const bundlesBefore = Object.values(due.current.bundle) as string[];
      // Earlier sweeps' batch results would shift the call positions; every sweep starts from the same calls.
      for (const key of await listAll(rig.store, 'sweeps/')) await rig.store.delete(key);
      const fault = failNthCall(n, n % 2 === 0 ? Faults.internal() : Faults.drop());
      // Act: the faulted sweep, then sweeps without faults until it is finished (bounded)
      await rig.sweep();
      fault.disarm();
      const action = fault.hit();
      for (let i = 0; i < 3 && (await rig.record(due.id)).current.generation !== 2; i += 1) await rig.sweep();
      // A pending object left behind by a late crash is finished by the next sweep too.
      if ((await listAll(rig.store, `pending/${due.id}/`)).length > 0) await rig.sweep();
      // Assess
      await assertFinishedOnce(due.id, due.commonName, bundlesBefore);
      if (!action) break; // the sweep made fewer than n calls: every step has had its turn
      hitActions.add(action);
    }
    expect(n).toBeGreaterThan(15);
    expect([...hitActions]).toEqual(
      expect.arrayContaining([
        'ListObjectsV2',
        'InvokeFunction',
        'GetObject',
        'PutObject',
        'DeleteObject',
        'CreateClientCertificateWithCsr',
      ]),
    );
  }, 150_000);

  it('a CA answer lost after the certificate was made (client timeout) is finished with the same certificate', async () => {
    // Prepare: the CA call takes longer than the client waits, but the CA still issues
    const [due] = await rig.seedDue(1, { webhookUrl: receiver.url });
    rig.emulator.faults.failNext('CreateClientCertificateWithCsr', 1, Faults.delay(1500));
    // Act
    await rig.sweep();
    const afterFirst = await rig.record(due.id);
    await rig.sweep();
    // Assess: the first attempt failed and was recorded; the retry found what CAS had issued and adopted it
    expect(afterFirst.renewal).toMatchObject({ failedAttempts: 1, lastFailure: { code: 'CA_UNAVAILABLE' } });
    await assertFinishedOnce(due.id, due.commonName, Object.values(due.current.bundle) as string[]);
  }, 60_000);

  it('renewing through the API and through the sweep at the same moment gives exactly one new certificate', async () => {
    // Prepare: five due certificates; the CA answers slowly so both sides are in flight together
    const due = await rig.seedDue(5, { webhookUrl: receiver.url });
    rig.emulator.faults.failNext('CreateClientCertificateWithCsr', 2, Faults.delay(300));
    const service = rig.serviceAt(systemClock);
    // Act: the API renews each (pinned to generation 1, as a careful client does) while the sweep runs
    const api = due.map((d) =>
      service.renew(systemPrincipal('api-caller', 'acme'), d.id, { trigger: 'api', expectedGeneration: 1 }).then(
        (r) => ({ ok: true as const, generation: r.generation, serialNumber: r.serialNumber }),
        (err: { code?: string }) => ({ ok: false as const, code: err.code }),
      ),
    );
    const [results] = await Promise.all([Promise.all(api), rig.sweep()]);
    // Assess: one new certificate per name; an API call either got that certificate or was told it was superseded
    for (const [i, d] of due.entries()) {
      const record = await rig.record(d.id);
      expect(record.current.generation).toBe(2);
      expect(rig.emulator.cas.listClientCertificates().filter((c) => c.commonName === d.commonName)).toHaveLength(2);
      const r = results[i];
      if (r.ok) expect(r).toEqual({ ok: true, generation: 2, serialNumber: record.current.serialNumber });
      else expect(r.code).toBe('RENEWAL_SUPERSEDED');
      expect(await listAll(rig.store, `pending/${d.id}/`)).toEqual([]);
    }
  }, 60_000);
});

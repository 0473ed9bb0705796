// renew-worker's review of one certificate: prepare a bucket with a record and its index key, a renewer that
// behaves like the certificate service (new generation, record, index), and a webhook sender that records events;
// act: runWorkerBatch; assess the record, the index, the events and the batch result.
import type { ClientCertificate } from '../../../shared/domain/client-certificate.js';
import {
  classifyRenewError,
  runWorkerBatch,
  type CertificateRenewer,
  type RenewedCertificate,
  type WorkerDeps,
} from '../../../shared/renewal/worker.js';
import { renewalIndexKey, renewalTime } from '../../../shared/domain/renewal/schedule.js';
import { renewalIndexKeyFor } from '../../../shared/domain/renewal/review-time.js';
import type { RenewalWorkItem } from '../../../shared/domain/renewal/sweep-plan.js';
import { batchResultKey } from '../../../shared/domain/renewal/sweep-results.js';
import { AppError, UpstreamError } from '../../../shared/errors/index.js';
import { createLogger } from '../../../shared/log/index.js';
import { summarize, type WebhookEvent } from '../../../shared/notify/index.js';
import { MemoryObjectStore } from '../../helpers/memory-object-store.js';
import { makeRecord, at, DAY, type RecordOverrides } from './records.js';

const MIN = 60_000;
const recordKey = (id: string) => `records/${id}.json`;

class FakeService implements CertificateRenewer {
  calls: Array<{ id: string; expectedGeneration: number }> = [];
  failures: unknown[] = [];
  revocationsFinished: string[] = [];
  constructor(
    private readonly store: MemoryObjectStore,
    private readonly now: () => Date,
  ) {}

  /** As the service does: the record says REVOKED once CAS confirmed every generation. */
  async finishRevocation(id: string): Promise<void> {
    this.revocationsFinished.push(id);
    const record = this.store.json<ClientCertificate>(recordKey(id))!;
    await this.store.put(
      recordKey(id),
      JSON.stringify({ ...record, status: 'REVOKED', revokedAt: this.now().toISOString() }),
    );
  }

  async renew(id: string, options: { expectedGeneration: number }): Promise<RenewedCertificate> {
    this.calls.push({ id, expectedGeneration: options.expectedGeneration });
    const failure = this.failures.shift();
    if (failure) throw failure;
    const record = this.store.json<ClientCertificate>(recordKey(id))!;
    if (record.current.generation !== options.expectedGeneration)
      throw new AppError('RENEWAL_SUPERSEDED', 409, 'superseded');
    const now = this.now();
    const notAfter = new Date(now.getTime() + record.validityDays * DAY);
    const generation = record.current.generation + 1;
    const renewed: ClientCertificate = {
      ...record,
      current: {
        ...record.current,
        generation,
        serialNumber: `s${generation}`,
        notBefore: now.toISOString(),
        notAfter: notAfter.toISOString(),
      },
      previous: [
        {
          generation: record.current.generation,
          casIdentifier: record.current.casIdentifier,
          serialNumber: record.current.serialNumber,
          notAfter: record.current.notAfter,
        },
        ...record.previous,
      ],
      renewal: {
        renewAt: renewalTime(now, notAfter).toISOString(),
        lastRenewedAt: now.toISOString(),
        failedAttempts: 0,
        expiringNotified: [],
      },
    };
    await this.store.put(recordKey(id), JSON.stringify(renewed));
    await this.store.put(renewalIndexKeyFor(renewed, now)!, '');
    for (const key of [renewalIndexKey(new Date(record.renewal.renewAt), id), renewalIndexKeyFor(record, now)])
      if (key) await this.store.delete(key);
    return {
      certificate: summarize(renewed),
      renewAt: renewed.renewal.renewAt,
      downloads: { p12: { url: 'https://x/p12', expiresAt: now.toISOString() } },
      p12Password: 'new-password',
    };
  }

  async finishPending(id: string, generation: number): Promise<RenewedCertificate | undefined> {
    const key = `pending/${id}/g${generation}.json`;
    if (!this.store.objects.has(key)) return undefined;
    await this.store.delete(key);
    const record = this.store.json<ClientCertificate>(recordKey(id))!;
    return {
      certificate: summarize(record),
      renewAt: record.renewal.renewAt,
      downloads: {},
      p12Password: 'from-pending',
    };
  }
}

function setup(overrides: RecordOverrides, options: { day: number; csrKeyReuse?: boolean } = { day: 60 }) {
  let now = at(options.day);
  const store = new MemoryObjectStore();
  const record = makeRecord({ notify: { webhookUrl: 'https://hooks.example.com/x' }, ...overrides });
  store.objects.set(recordKey(record.id), Buffer.from(JSON.stringify(record)));
  const indexKey = renewalIndexKeyFor(record, at(0)) ?? renewalIndexKey(at(60), record.id);
  store.objects.set(indexKey, Buffer.alloc(0));
  const service = new FakeService(store, () => now);
  const events: WebhookEvent<any>[] = [];
  const sleeps: number[] = [];
  const deps: WorkerDeps = {
    store,
    records: {
      get: async (id) => store.maybeJson<ClientCertificate>(recordKey(id)),
      put: async (r) => store.put(recordKey(r.id), JSON.stringify(r)),
    },
    renewer: service,
    webhooks: {
      send: async (_url, _tenant, event) => (events.push(event), { delivered: true, attempts: 1, statusCode: 200 }),
    },
    clock: { now: () => now },
    log: createLogger({ fn: 'renew-worker' }, 'error'),
    config: {
      concurrency: 2,
      csrKeyReuse: options.csrKeyReuse ?? true,
      backoff: { baseMs: 5 * MIN, maxMs: 480 * MIN, jitterRatio: 0.2 },
      throttleWaitMs: 2000,
      expiringNoticeDays: [30, 7, 1],
    },
    random: () => 0,
    sleep: async (ms) => void sleeps.push(ms),
  };
  const run = (item: Partial<RenewalWorkItem> = {}) =>
    runWorkerBatch(deps, {
      sweepId: '1900000000000-abcdef',
      trigger: 'schedule',
      batch: 0,
      batches: 1,
      items: [{ certificateId: record.id, indexKeys: [indexKey], ...item }],
    });
  const saved = () => store.json<ClientCertificate>(recordKey(record.id))!;
  return {
    store,
    record,
    indexKey,
    service,
    events,
    sleeps,
    deps,
    run,
    saved,
    setNow: (day: number) => (now = at(day)),
  };
}

describe('renew-worker review', () => {
  it('renews a due certificate once, announces it with the new password, and leaves one index key', async () => {
    // Prepare
    const t = setup({}, { day: 61 });
    // Act
    const result = await t.run();
    // Assess
    expect(result).toMatchObject({ reviewed: 1, due: 1, renewed: 1, failed: 0, skipped: 0 });
    expect(t.service.calls).toEqual([{ id: t.record.id, expectedGeneration: 1 }]);
    expect(t.saved().current.generation).toBe(2);
    expect(t.store.keys('index/renew/')).toEqual([renewalIndexKeyFor(t.saved(), at(61))]);
    expect(t.events.map((e) => e.type)).toEqual(['certificate.renewed']);
    expect(t.events[0].data).toMatchObject({
      reason: 'NearingExpiry',
      previous: { generation: 1, serialNumber: '01' },
      p12Password: 'new-password',
      certificate: { generation: 2 },
    });
    expect(t.store.json(batchResultKey('1900000000000-abcdef', 0, 1))).toMatchObject({ renewed: 1, reviewed: 1 });
  });

  it('records a failure with backoff, moves the index to the next attempt and tells the owner', async () => {
    const t = setup({}, { day: 61 });
    t.service.failures.push(
      new UpstreamError('CA_UNAVAILABLE', 'The certificate authority is unavailable; retry the same request.'),
    );
    const result = await t.run();
    expect(result).toMatchObject({ due: 1, renewed: 0, failed: 1 });
    const saved = t.saved();
    expect(saved.current.generation).toBe(1);
    expect(saved.renewal).toMatchObject({
      failedAttempts: 1,
      lastFailure: {
        code: 'CA_UNAVAILABLE',
        message: 'The certificate authority is unavailable; retry the same request.',
        at: at(61).toISOString(),
      },
      nextAttemptAt: new Date(at(61).getTime() + 5 * MIN).toISOString(),
    });
    expect(t.store.keys('index/renew/')).toEqual([renewalIndexKey(new Date(at(61).getTime() + 5 * MIN), t.record.id)]);
    // 29 days left and failing: the 30-day expiry notice goes out with the failure.
    expect(t.events.map((e) => e.type)).toEqual(['certificate.renewal_failed', 'certificate.expiring']);
    expect(t.events[0].data).toMatchObject({ failedAttempts: 1, error: { code: 'CA_UNAVAILABLE' } });
    expect(t.events[1].data).toMatchObject({
      thresholdDays: 30,
      why: 'renewal-failing',
      lastFailure: { code: 'CA_UNAVAILABLE' },
    });
    expect(t.saved().renewal.expiringNotified).toEqual([30]);
  });

  it('announces failures at the 1st, 2nd and 4th attempt only', async () => {
    const announced: number[] = [];
    for (const previous of [0, 1, 2, 3, 4]) {
      const t = setup(
        { renewal: { failedAttempts: previous, nextAttemptAt: at(60).toISOString(), expiringNotified: [30] } },
        { day: 61 },
      );
      t.service.failures.push(new UpstreamError('CA_UNAVAILABLE', 'down'));
      await t.run();
      if (t.events.some((e) => e.type === 'certificate.renewal_failed')) announced.push(previous + 1);
    }
    expect(announced).toEqual([1, 2, 4]);
  });

  it('retries throttling inside the invocation with jittered waits, without recording a failure', async () => {
    const t = setup({}, { day: 61 });
    const throttled = () =>
      new UpstreamError('CA_THROTTLED', 'slow down', Object.assign(new Error('Throttling'), { code: 'Throttling' }));
    t.service.failures.push(throttled(), throttled());
    const result = await t.run();
    expect(result).toMatchObject({ renewed: 1, failed: 0 });
    expect(t.sleeps).toHaveLength(2);
    expect(t.saved().renewal.failedAttempts).toBe(0);
  });

  it('records a failure once throttling outlasts the wait budget', async () => {
    const t = setup({ renewal: { expiringNotified: [30] } }, { day: 61 });
    t.deps.random = () => 0; // the longest jittered waits: the 2 s budget is spent after a handful of tries
    const throttled = () =>
      new UpstreamError('CA_UNAVAILABLE', 'slow down', Object.assign(new Error('Throttling'), { code: 'Throttling' }));
    t.service.failures.push(...Array.from({ length: 50 }, throttled));
    const result = await t.run();
    expect(result).toMatchObject({ renewed: 0, failed: 1 });
    expect(t.sleeps.reduce((a, b) => a + b, 0)).toBeGreaterThanOrEqual(2000);
    expect(t.sleeps.every((ms) => ms <= 1000)).toBe(true);
    expect(t.saved().renewal).toMatchObject({ failedAttempts: 1, lastFailure: { code: 'CA_UNAVAILABLE' } });
  });

  it('skips when someone else renewed it meanwhile, and records nothing', async () => {
    const t = setup({}, { day: 61 });
    // Prepare: the API renewed it between the worker's read and its call
    t.deps.records.get = (() => {
      const original = t.deps.records.get;
      let first = true;
      return async (id: string) => {
        const r = await original(id);
        if (first && r) {
          first = false;
          await t.service.renew(id, { expectedGeneration: 1 });
        }
        return r;
      };
    })();
    const result = await t.run();
    expect(result).toMatchObject({ renewed: 0, failed: 0, skipped: 1, skippedBy: { AlreadyRenewed: 1 } });
    expect(t.saved().current.generation).toBe(2);
    expect(t.saved().renewal.failedAttempts).toBe(0);
    expect(t.events).toEqual([]);
  });

  it.each<[string, RecordOverrides, number, string]>([
    ['not due yet (a stale index key)', {}, 30, 'NotDue'],
    ['revoked', { status: 'REVOKED', revokedAt: at(1).toISOString() }, 61, 'Revoked'],
    [
      'backing off',
      { renewal: { failedAttempts: 1, nextAttemptAt: at(62).toISOString(), expiringNotified: [30] } },
      61,
      'BackingOff',
    ],
  ])('skips when %s and keeps the right index key', async (_name, overrides, day, reason) => {
    const t = setup(overrides, { day });
    const result = await t.run({ indexKeys: [renewalIndexKey(at(1), t.record.id)] });
    expect(result).toMatchObject({ renewed: 0, skipped: 1, skippedBy: { [reason]: 1 } });
    expect(t.service.calls).toEqual([]);
    const wanted = renewalIndexKeyFor(t.saved(), at(day));
    expect(t.store.keys('index/renew/').filter((k) => k !== t.indexKey)).toEqual(
      wanted && wanted !== t.indexKey ? [wanted] : [],
    );
    expect(t.store.keys('index/renew/')).not.toContain(renewalIndexKey(at(1), t.record.id));
  });

  it('finishes a recorded revocation (REVOKING) instead of renewing it, and leaves no index key', async () => {
    // Prepare: a revocation whose request failed after recording the intent, and which is due by time as well
    const t = setup(
      {
        status: 'REVOKING',
        autoRenew: false,
        revocationRequestedAt: at(61).toISOString(),
        revocationReason: 'keyCompromise',
      },
      { day: 62 },
    );
    // Act
    const result = await t.run();
    // Assess
    expect(result.skippedBy).toEqual({ RevocationFinished: 1 });
    expect(t.service.revocationsFinished).toEqual([t.record.id]);
    expect(t.service.calls).toEqual([]);
    expect(t.saved().status).toBe('REVOKED');
    expect(t.store.keys('index/renew/')).toEqual([]);
    expect(t.events).toEqual([]);
  });

  it('a generation cut short at the CA is not renewed again; its owner hears why it will expire', async () => {
    // Prepare: past the renewal time, renewed once already up to the CA's notAfter
    const t = setup({ current: { cappedByCa: true } }, { day: 61 });
    // Act
    const result = await t.run();
    // Assess
    expect(result.skippedBy).toEqual({ CaExpiring: 1 });
    expect(t.service.calls).toEqual([]);
    expect(t.events.map((e) => [e.type, e.data.why])).toEqual([['certificate.expiring', 'ca-expiring']]);
    expect(t.store.keys('index/renew/')).toEqual([renewalIndexKeyFor(t.saved(), at(61))]);
  });

  it('drops the index key of a record that no longer exists', async () => {
    const t = setup({}, { day: 61 });
    t.store.objects.delete(recordKey(t.record.id));
    const result = await t.run();
    expect(result.skippedBy).toEqual({ NotFound: 1 });
    expect(t.store.keys('index/renew/')).toEqual([]);
  });

  it('sends each expiry notice once when renewal is off, and moves the index to the next threshold', async () => {
    // Prepare: auto-renewal off, 30 days left
    const t = setup({ autoRenew: false }, { day: 60 });
    // Act: two sweeps on the same day, then one at 7 days left
    await t.run();
    await t.run({ indexKeys: t.store.keys('index/renew/') });
    t.setNow(83);
    await t.run({ indexKeys: t.store.keys('index/renew/') });
    // Assess
    expect(t.events.map((e) => [e.type, e.data.thresholdDays, e.data.why])).toEqual([
      ['certificate.expiring', 30, 'auto-renew-disabled'],
      ['certificate.expiring', 7, 'auto-renew-disabled'],
    ]);
    expect(t.saved().renewal.expiringNotified).toEqual([30, 7]);
    expect(t.store.keys('index/renew/')).toEqual([renewalIndexKey(at(89), t.record.id)]);
    expect(t.service.calls).toEqual([]);
  });

  it('CSR mode without key reuse: asks the owner for a new CSR once, then only the expiry notices', async () => {
    const t = setup(
      { mode: 'csr', csrPem: 'CSR', current: { bundle: { certificate: 'bundles/x/g1/certificate.zip' } } },
      { day: 60, csrKeyReuse: false },
    );
    const first = await t.run();
    t.setNow(61);
    await t.run({ indexKeys: t.store.keys('index/renew/') });
    expect(first).toMatchObject({ failed: 1 });
    expect(t.service.calls).toEqual([]);
    expect(t.events.map((e) => [e.type, e.data.ownerAction ?? e.data.thresholdDays])).toEqual([
      ['certificate.renewal_failed', 'submit-new-csr'],
      ['certificate.expiring', 30],
    ]);
    expect(t.saved().renewal).toMatchObject({
      failedAttempts: 1,
      lastFailure: { code: 'NEW_CSR_REQUIRED' },
      nextAttemptAt: at(83).toISOString(),
    });
  });

  it('CSR mode with key reuse: renews by resubmitting (the service is called)', async () => {
    const t = setup({ mode: 'csr', csrPem: 'CSR' }, { day: 61, csrKeyReuse: true });
    expect(await t.run()).toMatchObject({ renewed: 1 });
  });

  it('a request without force renews only when something is wrong (the bundle is gone)', async () => {
    const t = setup({}, { day: 10 });
    const notDue = await t.run({ indexKeys: undefined, request: { eventId: 'e1', force: false } });
    t.store.objects.set(t.record.current.bundle.p12!, Buffer.from('p12'));
    expect(notDue.skippedBy).toEqual({});
    expect(notDue.renewed).toBe(1); // the bundle was missing in the first run
    const t2 = setup({}, { day: 10 });
    t2.store.objects.set(t2.record.current.bundle.p12!, Buffer.from('p12'));
    const skipped = await t2.run({ indexKeys: undefined, request: { eventId: 'e2', force: false } });
    expect(skipped.skippedBy).toEqual({ NotDue: 1 });
    expect(t.events[0].data.reason).toBe('BundleMissing');
  });

  it('a redelivered request for an already replaced generation is a no-op', async () => {
    const t = setup({ current: { generation: 4 } }, { day: 10 });
    const result = await t.run({ indexKeys: undefined, request: { eventId: 'e1', force: true, generation: 3 } });
    expect(result.skippedBy).toEqual({ StaleRequest: 1 });
    expect(t.service.calls).toEqual([]);
  });

  it('finishes a renewal that crashed after its record write (pending object left) and announces it', async () => {
    const t = setup({ current: { generation: 2 } }, { day: 10 });
    t.store.objects.set(`pending/${t.record.id}/g2.json`, Buffer.from('{}'));
    const result = await t.run({ pendingGeneration: 2 });
    expect(result).toMatchObject({ renewed: 1 });
    expect(t.store.keys('pending/')).toEqual([]);
    expect(t.events[0].data).toMatchObject({ reason: 'PendingRenewal', p12Password: 'from-pending' });
  });

  it('deletes a pending object superseded by a later generation', async () => {
    const t = setup({ current: { generation: 5 } }, { day: 10 });
    t.store.objects.set(`pending/${t.record.id}/g3.json`, Buffer.from('{}'));
    const result = await t.run({ pendingGeneration: 3 });
    expect(result.skippedBy).toEqual({ PendingSuperseded: 1 });
    expect(t.store.keys('pending/')).toEqual([]);
  });

  it('a storage failure while reviewing fails only that item; the batch still reports', async () => {
    const t = setup({}, { day: 61 });
    const get = t.deps.records.get;
    let calls = 0;
    t.deps.records.get = async (id) => {
      calls += 1;
      if (calls === 1) throw Object.assign(new Error('OSS 500'), { code: 'InternalError' });
      return get(id);
    };
    const result = await t.run();
    expect(result).toMatchObject({ reviewed: 1, failed: 1, renewed: 0 });
    expect(t.store.keys('index/renew/')).toEqual([t.indexKey]);
  });
});

describe('classifyRenewError', () => {
  const cause = (code: string, message = code) => Object.assign(new Error(message), { code });
  it.each<[string, unknown, string]>([
    ['CA throttling', new UpstreamError('CA_UNAVAILABLE', 'busy', cause('Throttling.User')), 'throttled'],
    [
      'a reset kept-alive socket',
      new UpstreamError('CA_UNAVAILABLE', 'busy', cause('ECONNRESET', 'socket hang up')),
      'throttled',
    ],
    ['a CA 500', new UpstreamError('CA_UNAVAILABLE', 'busy', cause('InternalError')), 'failure'],
    ['storage unavailable', new UpstreamError('STORAGE_UNAVAILABLE', 'down', cause('ServiceUnavailable')), 'failure'],
    ['superseded', new AppError('RENEWAL_SUPERSEDED', 409, 'x'), 'conflict'],
    ['revoked meanwhile', new AppError('CERTIFICATE_REVOKED', 409, 'x'), 'conflict'],
    ['gone', new AppError('NOT_FOUND', 404, 'x'), 'gone'],
    [
      'a non-retryable refusal mentioning throttling',
      new AppError('CA_REJECTED', 502, 'x', { cause: cause('Throttling') }),
      'failure',
    ],
    ['not an AppError', new Error('boom'), 'failure'],
  ])('%s -> %s', (_name, err, kind) => expect(classifyRenewError(err)).toBe(kind));
});

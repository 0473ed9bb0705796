// A first issuance (generation 1) an API request left pending: renew-worker finishes it once it is older than the
// grace period (injected clock), through the service's finishPending; a younger one may still be in its request and is
// left alone. Nothing is renewed, so no webhook event goes out.
import type { ClientCertificate } from '../../../shared/domain/client-certificate.js';
import {
  PENDING_ISSUANCE_GRACE_MS,
  runWorkerBatch,
  type CertificateRenewer,
  type RenewedCertificate,
  type WorkerDeps,
} from '../../../shared/renewal/worker.js';
import { UpstreamError } from '../../../shared/errors/index.js';
import { createLogger } from '../../../shared/log/index.js';
import { summarize, type WebhookEvent } from '../../../shared/notify/index.js';
import { MemoryObjectStore } from '../../helpers/memory-object-store.js';
import { at, makeRecord } from './records.js';

const MIN = 60_000;
const NOW = at(0);
const record = makeRecord({ notify: { webhookUrl: 'https://hooks.example.com/x' } });
const recordKey = `records/${record.id}.json`;
const pendingKey = `pending/${record.id}/g1.json`;

/** Behaves like the service: finishing writes the record and removes the pending object. */
class FinishingService implements CertificateRenewer {
  finished: Array<{ id: string; generation: number }> = [];
  failure: unknown;
  constructor(private readonly store: MemoryObjectStore) {}
  async renew(): Promise<RenewedCertificate> {
    throw new Error('a first issuance is finished, never renewed');
  }
  async finishPending(id: string, generation: number): Promise<RenewedCertificate | undefined> {
    this.finished.push({ id, generation });
    if (this.failure) throw this.failure;
    if (!this.store.objects.has(`pending/${id}/g${generation}.json`)) return undefined;
    await this.store.put(recordKey, JSON.stringify(record));
    await this.store.delete(`pending/${id}/g${generation}.json`);
    return { certificate: summarize(record), renewAt: record.renewal.renewAt, downloads: {} };
  }
  async finishRevocation(): Promise<void> {
    throw new Error('no revocation here');
  }
}

interface Situation {
  pendingAgeMs?: number;
  pendingBody?: string;
  recordExists: boolean;
  graceMs?: number;
}

function setup(input: Situation) {
  const store = new MemoryObjectStore();
  if (input.recordExists) store.objects.set(recordKey, Buffer.from(JSON.stringify(record)));
  if (input.pendingBody !== undefined) store.objects.set(pendingKey, Buffer.from(input.pendingBody));
  else if (input.pendingAgeMs !== undefined) {
    store.objects.set(
      pendingKey,
      Buffer.from(
        JSON.stringify({
          v: 1,
          kind: 'issue',
          id: record.id,
          generation: 1,
          createdAt: new Date(NOW.getTime() - input.pendingAgeMs).toISOString(),
        }),
      ),
    );
  }
  const service = new FinishingService(store);
  const events: WebhookEvent[] = [];
  const deps: WorkerDeps = {
    store,
    records: {
      get: async (id) => store.maybeJson<ClientCertificate>(`records/${id}.json`),
      put: async (r) => store.put(`records/${r.id}.json`, JSON.stringify(r)),
    },
    renewer: service,
    webhooks: {
      send: async (_url, _tenant, event) => (events.push(event), { delivered: true, attempts: 1, statusCode: 200 }),
    },
    clock: { now: () => NOW },
    sleep: async () => undefined,
    log: createLogger({ fn: 'renew-worker' }, 'error'),
    config: {
      concurrency: 1,
      csrKeyReuse: true,
      backoff: { baseMs: 5 * MIN, maxMs: 480 * MIN, jitterRatio: 0 },
      throttleWaitMs: 0,
      expiringNoticeDays: [30, 7, 1],
      ...(input.graceMs !== undefined ? { pendingIssuanceGraceMs: input.graceMs } : {}),
    },
    random: () => 0,
  };
  const run = () =>
    runWorkerBatch(deps, {
      sweepId: '1900000000000-abcdef',
      trigger: 'schedule',
      batch: 0,
      batches: 1,
      items: [{ certificateId: record.id, pendingGeneration: 1 }],
    });
  return { store, service, events, run };
}

describe('renew-worker and a pending first issuance', () => {
  it.each<[string, Situation, boolean, { renewed: number; failed: number; skipped: number }, string | undefined]>([
    // name, situation, finished?, batch counts, skip reason
    [
      'younger than the default grace: left to its request',
      { pendingAgeMs: PENDING_ISSUANCE_GRACE_MS - 1, recordExists: false },
      false,
      { renewed: 0, failed: 0, skipped: 1 },
      'PendingIssuanceInFlight',
    ],
    [
      'older than the default grace, no record: finished',
      { pendingAgeMs: PENDING_ISSUANCE_GRACE_MS, recordExists: false },
      true,
      { renewed: 1, failed: 0, skipped: 0 },
      undefined,
    ],
    [
      'older than the grace, record already written: finished',
      { pendingAgeMs: 10 * MIN, recordExists: true },
      true,
      { renewed: 1, failed: 0, skipped: 0 },
      undefined,
    ],
    [
      'a configured grace is honoured',
      { pendingAgeMs: 2 * MIN, recordExists: false, graceMs: MIN },
      true,
      { renewed: 1, failed: 0, skipped: 0 },
      undefined,
    ],
    [
      'an unreadable start time counts as old: finished',
      { pendingBody: '{"v":1}', recordExists: false },
      true,
      { renewed: 1, failed: 0, skipped: 0 },
      undefined,
    ],
    [
      'gone meanwhile, no record: nothing to do',
      { recordExists: false },
      false,
      { renewed: 0, failed: 0, skipped: 1 },
      'NotFound',
    ],
  ])('%s', async (_name, input, finished, counts, skipReason) => {
    // Prepare
    const t = setup(input);
    // Act
    const result = await t.run();
    // Assess
    expect(result).toMatchObject({ reviewed: 1, ...counts });
    expect(t.service.finished).toEqual(finished ? [{ id: record.id, generation: 1 }] : []);
    expect(t.store.objects.has(pendingKey)).toBe(
      !finished && (input.pendingAgeMs !== undefined || input.pendingBody !== undefined),
    );
    if (finished) expect(t.store.json(recordKey)).toEqual(record);
    if (skipReason) expect(result.skippedBy).toEqual({ [skipReason]: 1 });
    expect(t.events).toEqual([]);
  });

  it('a failure to finish counts as failed and leaves the pending object for the next sweep', async () => {
    // Prepare
    const t = setup({ pendingAgeMs: 10 * MIN, recordExists: false });
    t.service.failure = new UpstreamError('STORAGE_UNAVAILABLE', 'down');
    // Act
    const result = await t.run();
    // Assess
    expect(result).toMatchObject({ reviewed: 1, failed: 1, renewed: 0 });
    expect(t.store.objects.has(pendingKey)).toBe(true);
    expect(t.store.objects.has(recordKey)).toBe(false);
  });
});

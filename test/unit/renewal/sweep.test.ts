// The sweep lists only the due part of the index (plus pending renewals), fans out batches, and sums up finished
// sweeps from the workers' batch results. Prepare an in-memory bucket; act: runSweep; assess invocations and calls.
import { runSweep, dispatchRequested, type SweepDeps, type WorkerPayload } from '../../../shared/renewal/sweep.js';
import { renewalIndexKey } from '../../../shared/domain/renewal/schedule.js';
import { batchResultKey, type BatchResult } from '../../../shared/domain/renewal/sweep-results.js';
import { createLogger, setLogSink } from '../../../shared/log/index.js';
import { MemoryObjectStore } from '../../helpers/memory-object-store.js';
import { alsoKeptForFailure } from '../../support/failure-log.js';

const now = new Date('2030-06-01T00:00:00Z');
const id = (n: number) => `cc-${String(n).padStart(20, '0')}`;
const minutes = (m: number) => new Date(now.getTime() + m * 60_000);

function setup(options: { due: number; notDue: number; failInvocations?: number }) {
  const store = new MemoryObjectStore();
  for (let i = 0; i < options.due; i += 1)
    store.objects.set(renewalIndexKey(minutes(-1 - (i % 500)), id(i)), Buffer.alloc(0));
  for (let i = 0; i < options.notDue; i += 1)
    store.objects.set(renewalIndexKey(minutes(1 + i), id(100_000 + i)), Buffer.alloc(0));
  const invocations: Array<{ fn: string; payload: WorkerPayload }> = [];
  let failures = options.failInvocations ?? 0;
  const logs: any[] = [];
  const deps: SweepDeps = {
    store,
    invoker: {
      invokeAsync: async (fn, payload) => {
        if (failures > 0) {
          failures -= 1;
          throw new Error('InvokeFunction failed');
        }
        invocations.push({ fn, payload: payload as WorkerPayload });
      },
    },
    clock: { now: () => now },
    log: createLogger({ fn: 'renew-scheduler' }),
    config: {
      workerFunctionName: 'renew-worker',
      batchSize: 25,
      maxItemsPerSweep: 5000,
      invokeConcurrency: 4,
      summaryOverdueMs: 3_600_000,
    },
    random: () => 0.5,
    sleep: async () => undefined,
  };
  return { store, invocations, deps, logs };
}

describe('runSweep', () => {
  let logs: any[] = [];
  let restore: (l: string) => void;
  beforeEach(() => {
    logs = [];
    restore = setLogSink(alsoKeptForFailure((line) => logs.push(JSON.parse(line))));
  });
  afterEach(() => setLogSink(restore));

  it('dispatches exactly the due certificates in batches, listing only up to now', async () => {
    // Prepare: 60 due, 3000 not due
    const { store, invocations, deps } = setup({ due: 60, notDue: 3000 });
    // Act
    const report = await runSweep(deps, 'schedule');
    // Assess
    const ids = invocations.flatMap((i) => i.payload.items.map((item) => item.certificateId)).sort();
    expect(ids).toEqual(Array.from({ length: 60 }, (_, i) => id(i)).sort());
    expect(invocations.map((i) => i.payload.items.length).sort()).toEqual([10, 25, 25]);
    expect(new Set(invocations.map((i) => i.fn))).toEqual(new Set(['renew-worker']));
    expect(report).toMatchObject({ due: 60, batches: 3, dispatched: 60, undispatched: 0, indexPages: 1 });
    // Index pages + one pending listing + one results listing + one expiry listing: no record is read.
    expect(store.calls).toEqual({ put: 0, get: 0, exists: 0, delete: 0, list: 4, signedGetUrl: 0 });
    expect(logs.find((l) => l.msg === 'renewal sweep dispatched')).toMatchObject({ due: 60, batches: 3, count: 60 });
  });

  it('pages through a large due set with continuation', async () => {
    const { store, invocations, deps } = setup({ due: 2100, notDue: 10 });
    const report = await runSweep(deps, 'schedule');
    expect(report.indexPages).toBe(3);
    expect(invocations.reduce((n, i) => n + i.payload.items.length, 0)).toBe(2100);
    expect(store.calls.get).toBe(0);
  });

  it('includes pending renewals, and a failed invocation leaves its items for the next sweep', async () => {
    const { store, invocations, deps } = setup({ due: 30, notDue: 0, failInvocations: 3 });
    store.objects.set(`pending/${id(999)}/g4.json`, Buffer.from('{}'));
    deps.config.invokeConcurrency = 1;
    const report = await runSweep(deps, 'schedule');
    expect(report).toMatchObject({ due: 31, batches: 2, undispatched: 25 });
    expect(invocations).toHaveLength(1);
    expect(invocations[0].payload.items.find((i) => i.certificateId === id(999))).toEqual(undefined);
    expect(store.keys('index/renew/')).toHaveLength(30); // nothing removed from the index by the scheduler
  });

  it('sums up a finished sweep from its batch results into one line, then removes them', async () => {
    // Prepare: an earlier sweep with two batches that both reported
    const { store, deps } = setup({ due: 0, notDue: 0 });
    const earlier = `${now.getTime() - 60_000}-abcdef`;
    const result = (batch: number, renewed: number, failed: number, skipped: number): BatchResult => ({
      sweepId: earlier,
      trigger: 'schedule',
      batch,
      batches: 2,
      reviewed: renewed + failed + skipped,
      due: renewed + failed,
      renewed,
      failed,
      skipped,
      skippedBy: skipped ? { NotDue: skipped } : {},
      startedAt: minutes(-1).toISOString(),
      finishedAt: minutes(-0.5).toISOString(),
    });
    store.objects.set(batchResultKey(earlier, 0, 2), Buffer.from(JSON.stringify(result(0, 20, 3, 2))));
    store.objects.set(batchResultKey(earlier, 1, 2), Buffer.from(JSON.stringify(result(1, 10, 0, 1))));
    const unfinished = `${now.getTime() - 30_000}-123456`;
    store.objects.set(
      batchResultKey(unfinished, 0, 3),
      Buffer.from(JSON.stringify({ ...result(0, 1, 0, 0), sweepId: unfinished, batches: 3 })),
    );
    // Act
    const report = await runSweep(deps, 'schedule');
    // Assess
    expect(report.summaries).toEqual([
      expect.objectContaining({
        sweepId: earlier,
        due: 33,
        renewed: 30,
        failed: 3,
        skipped: 3,
        durationMs: 30_000,
        complete: true,
        skippedBy: { NotDue: 3 },
      }),
    ]);
    const line = logs.find((l) => l.msg === 'renewal sweep summary');
    expect(line).toMatchObject({
      sweepId: earlier,
      due: 33,
      renewed: 30,
      failed: 3,
      skipped: 3,
      durationMs: 30_000,
      outcome: 'complete',
    });
    expect(store.keys('sweeps/')).toEqual([batchResultKey(unfinished, 0, 3)]);
  });

  it('summarizes an overdue sweep as incomplete', async () => {
    const { store, deps } = setup({ due: 0, notDue: 0 });
    const old = `${now.getTime() - 2 * 3_600_000}-abcdef`;
    store.objects.set(
      batchResultKey(old, 1, 4),
      Buffer.from(
        JSON.stringify({
          sweepId: old,
          trigger: 'schedule',
          batch: 1,
          batches: 4,
          reviewed: 5,
          due: 5,
          renewed: 5,
          failed: 0,
          skipped: 0,
          skippedBy: {},
          startedAt: now.toISOString(),
          finishedAt: now.toISOString(),
        }),
      ),
    );
    const report = await runSweep(deps, 'schedule');
    expect(report.summaries).toEqual([
      expect.objectContaining({ sweepId: old, complete: false, batches: 4, batchesReported: 1 }),
    ]);
    expect(store.keys('sweeps/')).toEqual([]);
  });
});

describe('dispatchRequested', () => {
  it('sends one item naming the certificate and the request', async () => {
    const { invocations, deps } = setup({ due: 0, notDue: 0 });
    await dispatchRequested(deps, { eventId: 'evt-1', certificateId: id(5), generation: 2, force: true });
    expect(invocations).toEqual([
      {
        fn: 'renew-worker',
        payload: expect.objectContaining({
          trigger: 'event',
          batch: 0,
          batches: 1,
          items: [{ certificateId: id(5), request: { eventId: 'evt-1', force: true, generation: 2 } }],
        }),
      },
    ]);
  });

  it('fails (so EventBridge retries) when the worker cannot be invoked', async () => {
    const { deps } = setup({ due: 0, notDue: 0, failInvocations: 3 });
    await expect(dispatchRequested(deps, { eventId: 'e', certificateId: id(5), force: false })).rejects.toMatchObject({
      code: 'WORKER_INVOKE_FAILED',
      retryable: true,
    });
  });
});

/**
 * renew-scheduler's work: list the renewal index up to now (never the records), list pending renewals, plan, and fan
 * the plan out to renew-worker in batches by async invocation. Items left in the index are simply found again by the
 * next sweep, so a failed dispatch loses nothing.
 */
import type { AsyncInvoker, CaInventory, Clock, ObjectStore, Sleep } from '../domain/ports.js';
import { deleteExpired } from './expiry.js';
import { runInventoryScan, type InventoryConfig, type InventoryReport } from './inventory.js';
import { errorFields, type Logger } from '../log/index.js';
import { UpstreamError } from '../errors/index.js';
import { RENEWAL_INDEX_PREFIX, renewalIndexUpperBound } from '../domain/renewal/schedule.js';
import { PENDING_PREFIX, planSweep, type RenewalWorkItem } from '../domain/renewal/sweep-plan.js';
import {
  SWEEP_RESULTS_PREFIX,
  groupBatchResults,
  newSweepId,
  summarizeSweep,
  type BatchResult,
  type SweepSummary,
} from '../domain/renewal/sweep-results.js';

export interface SweepConfig {
  workerFunctionName: string;
  batchSize: number;
  /** Items per sweep at most; the rest stay in the index for the next sweep. */
  maxItemsPerSweep: number;
  /** Pending objects finished per sweep at most (a budget of their own); default `maxItemsPerSweep`. */
  maxPendingPerSweep?: number;
  /** Async invocations in flight at once. */
  invokeConcurrency: number;
  /** A sweep whose batches have not all reported after this long is summarized as incomplete. */
  summaryOverdueMs: number;
  /** The CA inventory scan (shared/renewal/inventory.ts); off without it. */
  inventory?: Omit<InventoryConfig, 'backfillPerRun'> & { backfillPerRun?: number };
}

export interface SweepDeps {
  store: ObjectStore;
  invoker: AsyncInvoker;
  /** For the inventory scan: it lists, describes and revokes, never issues. */
  ca?: CaInventory;
  clock: Clock;
  log: Logger;
  config: SweepConfig;
  random?: () => number;
  /** Waits between retried invocations (injected like the clock). */
  sleep: Sleep;
}

export interface WorkerPayload {
  sweepId: string;
  trigger: 'schedule' | 'event' | 'manual';
  batch: number;
  batches: number;
  items: RenewalWorkItem[];
}

export interface DispatchReport {
  sweepId: string;
  trigger: WorkerPayload['trigger'];
  due: number;
  batches: number;
  dispatched: number;
  undispatched: number;
  ignoredKeys: number;
  deferred: number;
  indexPages: number;
  durationMs: number;
  summaries: SweepSummary[];
  /** The inventory scan's run (absent when it is off or failed). */
  inventory?: InventoryReport;
  /** Expired idempotency entries and attempt sets deleted. */
  expired: number;
}

const LIST_PAGE = 1000;

/** Keys under `prefix` in order, page by page, stopping at `until` (exclusive) or after `max` keys. */
async function listKeys(
  store: ObjectStore,
  prefix: string,
  until: string | undefined,
  max: number,
): Promise<{ keys: string[]; pages: number }> {
  const keys: string[] = [];
  let pages = 0;
  let continuationToken: string | undefined;
  for (;;) {
    const page = await store.list({ prefix, continuationToken, maxKeys: LIST_PAGE });
    pages += 1;
    for (const key of page.keys) {
      if (until !== undefined && key >= until) return { keys, pages };
      keys.push(key);
      if (keys.length >= max) return { keys, pages };
    }
    if (!page.nextContinuationToken) return { keys, pages };
    continuationToken = page.nextContinuationToken;
  }
}

async function mapLimit<T>(items: T[], limit: number, fn: (item: T, index: number) => Promise<void>): Promise<void> {
  let next = 0;
  const workers = Array.from({ length: Math.min(Math.max(1, limit), items.length) }, async () => {
    while (next < items.length) {
      const i = next++;
      await fn(items[i], i);
    }
  });
  await Promise.all(workers);
}

async function invokeWithRetry(deps: SweepDeps, payload: WorkerPayload): Promise<boolean> {
  const sleep = deps.sleep;
  for (let attempt = 1; attempt <= 3; attempt += 1) {
    try {
      await deps.invoker.invokeAsync(deps.config.workerFunctionName, payload);
      return true;
    } catch (err) {
      deps.log.warn('renew-worker invocation failed', { attempt, batch: payload.batch, ...errorFields(err) });
      if (attempt < 3) await sleep(200 * 2 ** (attempt - 1));
    }
  }
  return false;
}

async function dispatch(
  deps: SweepDeps,
  sweepId: string,
  trigger: WorkerPayload['trigger'],
  batches: RenewalWorkItem[][],
): Promise<number> {
  let dispatched = 0;
  await mapLimit(batches, deps.config.invokeConcurrency, async (items, batch) => {
    if (await invokeWithRetry(deps, { sweepId, trigger, batch, batches: batches.length, items }))
      dispatched += items.length;
  });
  return dispatched;
}

/** Sum up finished sweeps' batch results into one summary line each, and remove them. */
export async function collectSweepSummaries(
  deps: Pick<SweepDeps, 'store' | 'clock' | 'log' | 'config'>,
): Promise<SweepSummary[]> {
  const { keys } = await listKeys(deps.store, SWEEP_RESULTS_PREFIX, undefined, 5000);
  const summaries: SweepSummary[] = [];
  for (const group of groupBatchResults(keys, deps.clock.now(), deps.config.summaryOverdueMs)) {
    if (!group.complete && !group.overdue) continue;
    const results: BatchResult[] = [];
    for (const key of group.keys) {
      const body = await deps.store.get(key);
      if (body) results.push(JSON.parse(body.toString('utf8')) as BatchResult);
    }
    if (results.length > 0) {
      const summary = summarizeSweep(group.sweepId, group.batches, results);
      summaries.push(summary);
      const { sweepId, skippedBy, batchesReported, complete, ...counts } = summary;
      deps.log.info('renewal sweep summary', {
        sweepId,
        ...counts,
        count: batchesReported,
        outcome: complete ? 'complete' : 'incomplete',
        summary: { skippedBy },
      });
    }
    for (const key of group.keys) await deps.store.delete(key);
  }
  return summaries;
}

async function summariesSafely(deps: SweepDeps): Promise<SweepSummary[]> {
  try {
    return await collectSweepSummaries(deps);
  } catch (err) {
    // Reporting must never stop renewals: the results stay and are summed up next time.
    deps.log.warn('sweep summaries not collected', errorFields(err));
    return [];
  }
}

export async function runSweep(deps: SweepDeps, trigger: 'schedule' | 'manual'): Promise<DispatchReport> {
  const started = deps.clock.now();
  const sweepId = newSweepId(started, deps.random);
  const summaries = await summariesSafely(deps);
  const max = deps.config.maxItemsPerSweep;
  const index = await listKeys(deps.store, RENEWAL_INDEX_PREFIX, renewalIndexUpperBound(started), max);
  const maxPending = deps.config.maxPendingPerSweep ?? max;
  const pending = await listKeys(deps.store, PENDING_PREFIX, undefined, maxPending);
  const plan = planSweep({
    indexKeys: index.keys,
    pendingKeys: pending.keys,
    now: started,
    batchSize: deps.config.batchSize,
    maxItems: max,
    maxPending,
  });
  const dispatched = await dispatch(deps, sweepId, trigger, plan.batches);
  const report: DispatchReport = {
    sweepId,
    trigger,
    due: plan.items.length,
    batches: plan.batches.length,
    dispatched,
    undispatched: plan.items.length - dispatched,
    ignoredKeys: plan.ignoredKeys.length,
    deferred: plan.deferred,
    indexPages: index.pages,
    durationMs: 0,
    summaries,
    ...(await housekeeping(deps)),
  };
  report.durationMs = deps.clock.now().getTime() - started.getTime();
  deps.log.info('renewal sweep dispatched', {
    sweepId,
    due: report.due,
    batches: report.batches,
    invocations: report.batches,
    count: dispatched,
    failed: report.undispatched,
    skipped: report.ignoredKeys,
    scanned: index.keys.length + pending.keys.length,
    durationMs: report.durationMs,
    summary: {
      deferred: report.deferred,
      expired: report.expired,
      ...(report.inventory
        ? { orphansRevoked: report.inventory.orphansRevoked, inventoryCandidates: report.inventory.candidates }
        : {}),
    },
  });
  return report;
}

/** After the dispatch, on the same timer: the CA inventory scan and the expiry of old objects. Neither may stop the
 * renewals: a failure is logged and the next sweep tries again. */
async function housekeeping(deps: SweepDeps): Promise<{ inventory?: InventoryReport; expired: number }> {
  let inventory: InventoryReport | undefined;
  if (deps.ca && deps.config.inventory) {
    try {
      inventory = await runInventoryScan({
        store: deps.store,
        ca: deps.ca,
        clock: deps.clock,
        log: deps.log,
        config: deps.config.inventory,
      });
    } catch (err) {
      deps.log.warn('inventory scan failed', errorFields(err));
    }
  }
  let expired = 0;
  try {
    expired = await deleteExpired(deps);
  } catch (err) {
    deps.log.warn('expired objects not deleted', errorFields(err));
  }
  return { ...(inventory ? { inventory } : {}), expired };
}

/** A `renew.requested` event: one item straight to a worker, which reads the record and applies the policy. */
export async function dispatchRequested(
  deps: SweepDeps,
  request: { eventId: string; certificateId: string; generation?: number; force: boolean },
): Promise<DispatchReport> {
  const started = deps.clock.now();
  const sweepId = newSweepId(started, deps.random);
  const item: RenewalWorkItem = {
    certificateId: request.certificateId,
    request: {
      eventId: request.eventId,
      force: request.force,
      ...(request.generation !== undefined ? { generation: request.generation } : {}),
    },
  };
  const dispatched = await dispatch(deps, sweepId, 'event', [[item]]);
  const report: DispatchReport = {
    sweepId,
    trigger: 'event',
    due: 1,
    batches: 1,
    dispatched,
    undispatched: 1 - dispatched,
    ignoredKeys: 0,
    deferred: 0,
    indexPages: 0,
    durationMs: deps.clock.now().getTime() - started.getTime(),
    summaries: [],
    expired: 0,
  };
  deps.log.info('renewal request dispatched', {
    sweepId,
    certificateId: request.certificateId,
    count: dispatched,
    failed: report.undispatched,
    durationMs: report.durationMs,
  });
  // Failing the event lets EventBridge retry it.
  if (dispatched === 0) throw new UpstreamError('WORKER_INVOKE_FAILED', 'renew-worker could not be invoked.');
  return report;
}

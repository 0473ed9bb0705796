/**
 * Per-sweep totals across asynchronous workers: each renew-worker batch leaves a small result object, and the next
 * scheduler run adds up the batches of every finished sweep into one summary line, then deletes them. FC async
 * invocations return nothing to the caller, so this is how one sweep gets one line {due, renewed, failed, skipped}.
 */
export const SWEEP_RESULTS_PREFIX = 'sweeps/';

export interface BatchResult {
  sweepId: string;
  trigger: string;
  batch: number;
  batches: number;
  /** Certificates this batch looked at. */
  reviewed: number;
  /** Of those, the ones the policy found due (renewed + failed). */
  due: number;
  renewed: number;
  failed: number;
  /** reviewed - renewed - failed. */
  skipped: number;
  /** Skip reasons with counts, e.g. {NotDue: 3, BackingOff: 1}. */
  skippedBy: Record<string, number>;
  startedAt: string;
  finishedAt: string;
}

export interface SweepSummary {
  sweepId: string;
  trigger: string;
  batches: number;
  batchesReported: number;
  reviewed: number;
  due: number;
  renewed: number;
  failed: number;
  skipped: number;
  skippedBy: Record<string, number>;
  /** From the scheduler's start (encoded in the sweep id) to the last batch's end. */
  durationMs: number;
  complete: boolean;
}

const pad = (n: number) => String(n).padStart(4, '0');

export function newSweepId(now: Date, random: () => number = Math.random): string {
  const suffix = Math.floor(random() * 0xffffff)
    .toString(16)
    .padStart(6, '0');
  return `${now.getTime()}-${suffix}`;
}

export function sweepStartedAt(sweepId: string): Date | undefined {
  const ms = Number(sweepId.split('-')[0]);
  return Number.isFinite(ms) && ms > 0 ? new Date(ms) : undefined;
}

export function batchResultKey(sweepId: string, batch: number, batches: number): string {
  return `${SWEEP_RESULTS_PREFIX}${sweepId}/${pad(batch)}-of-${pad(batches)}.json`;
}

export function parseBatchResultKey(key: string): { sweepId: string; batch: number; batches: number } | undefined {
  const m = key.match(/^sweeps\/([a-z0-9-]{8,64})\/(\d{4})-of-(\d{4})\.json$/);
  return m ? { sweepId: m[1], batch: Number(m[2]), batches: Number(m[3]) } : undefined;
}

/** Groups result keys by sweep: which sweeps are complete, and which are overdue (a batch was lost). */
export function groupBatchResults(
  keys: string[],
  now: Date,
  overdueMs: number,
): Array<{ sweepId: string; keys: string[]; batches: number; complete: boolean; overdue: boolean }> {
  const groups = new Map<string, { keys: string[]; batches: number }>();
  for (const key of keys) {
    const parsed = parseBatchResultKey(key);
    if (!parsed) continue;
    const group = groups.get(parsed.sweepId) ?? { keys: [], batches: parsed.batches };
    group.keys.push(key);
    groups.set(parsed.sweepId, group);
  }
  return [...groups.entries()].map(([sweepId, g]) => {
    const started = sweepStartedAt(sweepId);
    return {
      sweepId,
      keys: g.keys,
      batches: g.batches,
      complete: g.keys.length >= g.batches,
      overdue: started ? now.getTime() - started.getTime() > overdueMs : true,
    };
  });
}

export function summarizeSweep(sweepId: string, batches: number, results: BatchResult[]): SweepSummary {
  const skippedBy: Record<string, number> = {};
  for (const r of results)
    for (const [reason, n] of Object.entries(r.skippedBy)) skippedBy[reason] = (skippedBy[reason] ?? 0) + n;
  const started = sweepStartedAt(sweepId)?.getTime() ?? Math.min(...results.map((r) => Date.parse(r.startedAt)));
  const finished = Math.max(...results.map((r) => Date.parse(r.finishedAt)));
  const sum = (f: (r: BatchResult) => number) => results.reduce((n, r) => n + f(r), 0);
  return {
    sweepId,
    trigger: results[0]?.trigger ?? 'unknown',
    batches,
    batchesReported: results.length,
    reviewed: sum((r) => r.reviewed),
    due: sum((r) => r.due),
    renewed: sum((r) => r.renewed),
    failed: sum((r) => r.failed),
    skipped: sum((r) => r.skipped),
    skippedBy,
    durationMs: Math.max(0, finished - started),
    complete: results.length >= batches,
  };
}

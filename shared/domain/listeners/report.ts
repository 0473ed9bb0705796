/** One JSON result per listener and the run's summary: what the function logs and returns, and what the CLI renders. */
import type { FieldChange } from './diff.js';
import type { RuleName, RuleViolation } from './rules.js';
import type { VerifyReport } from './verify.js';
import type { ServerCertificatePlan } from './managed-certificate.js';

export type ListenerOutcome = 'in-sync' | 'changes-planned' | 'changed' | 'drift-repaired' | 'blocked' | 'failed';
export type RunMode = 'plan' | 'apply';

export interface ListenerResult {
  listenerId: string;
  region: string;
  name?: string;
  outcome: ListenerOutcome;
  /** The listener had been in the desired state before and someone changed it. */
  drift: boolean;
  plan: FieldChange[];
  /** blocked: the first rule broken (the seed's order) and all of them. */
  rule?: RuleName;
  violations?: RuleViolation[];
  /** failed: a machine-readable code, the step and a message. */
  reason?: string;
  stage?: string;
  message?: string;
  jobId?: string;
  probe?: VerifyReport;
  /** A managed server certificate: kept, or replaced (why, the new one), and replaced ones leaving the store. */
  serverCertificate?: ServerCertificatePlan;
  /** Set when a CA rotation decides this listener's CA (docs/rotation.md). */
  rotation?: { id: string; stage: string; ca: string; declaredCa?: string };
  durationMs: number;
}

export interface RunSummary {
  listeners: number;
  inSync: number;
  changesPlanned: number;
  changed: number;
  driftRepaired: number;
  blocked: number;
  failed: number;
  durationMs: number;
}

export interface RunReport {
  runId: string;
  mode: RunMode;
  results: ListenerResult[];
  summary: RunSummary;
}

export function summarize(results: ListenerResult[], durationMs: number): RunSummary {
  const count = (o: ListenerOutcome) => results.filter((r) => r.outcome === o).length;
  return {
    listeners: results.length,
    inSync: count('in-sync'),
    changesPlanned: count('changes-planned'),
    changed: count('changed'),
    driftRepaired: count('drift-repaired'),
    blocked: count('blocked'),
    failed: count('failed'),
    durationMs,
  };
}

export function summaryLine(report: Pick<RunReport, 'mode' | 'summary'>): string {
  const s = report.summary;
  const parts =
    report.mode === 'plan'
      ? [`${s.changesPlanned} to change`, `${s.inSync} in sync`, `${s.blocked} blocked`, `${s.failed} failed`]
      : [
          `${s.changed} changed`,
          `${s.driftRepaired} drift repaired`,
          `${s.inSync} in sync`,
          `${s.blocked} blocked`,
          `${s.failed} failed`,
        ];
  return `reconcile ${report.mode}: ${s.listeners} listener${s.listeners === 1 ? '' : 's'}: ${parts.join(', ')} (${(s.durationMs / 1000).toFixed(1)} s)`;
}

/** A run succeeded when nothing failed; blocked listeners are reported, not errors of the run. */
export function runSucceeded(report: RunReport): boolean {
  return report.summary.failed === 0;
}

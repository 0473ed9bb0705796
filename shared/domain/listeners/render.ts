/**
 * A run report as text for a terminal, in the manner of `terraform plan`: one block per listener with
 * `~ field: from -> to` lines, then a one-line total.
 */
import type { FieldValue } from './diff.js';
import type { ListenerResult, RunReport } from './report.js';
import { summaryLine } from './report.js';

const show = (v: FieldValue) => (v === null ? '(none)' : typeof v === 'boolean' ? String(v) : `"${v}"`);
/** The answer's first line (CR LF shows as `..` in the probe's printable bytes), e.g. `HTTP/1.1 200 OK`. */
const firstLine = (bytes: string) => bytes.split('..')[0];

const SYMBOL: Record<ListenerResult['outcome'], string> = {
  'in-sync': '=',
  'changes-planned': '~',
  changed: '~',
  'drift-repaired': '~',
  blocked: '!',
  failed: 'x',
};

function headline(r: ListenerResult): string {
  const label = `${r.listenerId}${r.name ? ` (${r.name})` : ''} [${r.region}]`;
  switch (r.outcome) {
    case 'in-sync':
      return `${label}: in sync`;
    case 'changes-planned':
      return `${label}: will be updated in place${r.drift ? ' (drift: it was in the desired state before)' : ''}`;
    case 'changed':
      return `${label}: updated${r.jobId ? ` (job ${r.jobId})` : ''}`;
    case 'drift-repaired':
      return `${label}: drift repaired${r.jobId ? ` (job ${r.jobId})` : ''}`;
    case 'blocked':
      return `${label}: BLOCKED by rule ${r.rule}, nothing changed`;
    case 'failed':
      return `${label}: FAILED at ${r.stage ?? '?'}: ${r.reason ?? 'error'}`;
  }
}

export function renderReport(report: RunReport): string {
  const lines: string[] = [`Reconcile ${report.mode} (run ${report.runId})`, ''];
  for (const r of report.results) {
    lines.push(`  ${SYMBOL[r.outcome]} ${headline(r)}`);
    const width = Math.max(0, ...r.plan.map((c) => c.field.length));
    for (const c of r.plan) lines.push(`      ~ ${c.field.padEnd(width)} : ${show(c.from)} -> ${show(c.to)}`);
    for (const v of r.violations ?? []) lines.push(`      ! ${v.rule}: ${v.message}`);
    if (r.outcome === 'failed' && r.message) lines.push(`      x ${r.message}`);
    const p = r.probe;
    if (p && p.verdict !== 'skipped') {
      const w = p.withClientCertificate;
      const wo = p.withoutClientCertificate;
      if (w)
        lines.push(
          `      handshake with canary client certificate: ${w.outcome}${w.errorCode ? ` (${w.errorCode})` : ''}${w.firstBytes ? `: "${firstLine(w.firstBytes)}"` : ''}`,
        );
      if (wo)
        lines.push(
          `      handshake without client certificate:     ${wo.outcome}${wo.errorCode ? ` (${wo.errorCode})` : ''}${wo.firstBytes ? `: "${firstLine(wo.firstBytes)}"` : ''}`,
        );
      lines.push(`      verification: ${p.verdict}${p.reasons.length ? ` (${p.reasons.join('; ')})` : ''}`);
    }
    lines.push('');
  }
  lines.push(summaryLine(report));
  return lines.join('\n');
}

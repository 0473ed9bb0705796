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

const REASON: Record<string, string> = {
  'no-certificate': 'the first one for this listener',
  'missing-from-store': 'the current one is gone from the certificate store',
  'renewal-window': 'the current one is in its renewal window',
  expired: 'the current one has expired',
  'declaration-changed': 'the declaration changed',
};

/** A managed server certificate's lines: what is served, what will be (or was) issued and why, what leaves the store. */
function serverCertificateLines(r: ListenerResult): string[] {
  const c = r.serverCertificate;
  if (!c) return [];
  const lines: string[] = [];
  const spec = `${c.names.join(', ')} (${c.keyAlgorithm}, ${c.validityDays} days, sub-CA ${c.issuer})`;
  const current = c.current ? `serial ${c.current.serialNumber}, expires ${c.current.notAfter}` : 'none';
  if (c.action === 'keep') {
    lines.push(`      = server certificate (managed): ${current}; renewal from ${c.renewAt ?? '?'}`);
  } else {
    const verb = r.outcome === 'changes-planned' || r.outcome === 'blocked' ? 'will issue' : 'issued';
    const why =
      c.action === 'resume'
        ? `finishing a replacement started earlier (${REASON[c.reason ?? ''] ?? c.reason})`
        : (REASON[c.reason ?? ''] ?? c.reason);
    lines.push(`      + server certificate (managed): ${verb} ${spec}: ${why}`);
    lines.push(`        current: ${current}`);
    if (c.next)
      lines.push(`        new:     serial ${c.next.serialNumber}, CertId ${c.next.certId}, expires ${c.next.notAfter}`);
  }
  for (const x of c.retire ?? [])
    lines.push(
      `      - retired server certificate ${x.certId}: ${x.removed ? 'removed from the certificate store' : `leaves the certificate store (grace ended ${x.deleteAfter})`}`,
    );
  return lines;
}

export function renderReport(report: RunReport): string {
  const lines: string[] = [`Reconcile ${report.mode} (run ${report.runId})`, ''];
  for (const r of report.results) {
    lines.push(`  ${SYMBOL[r.outcome]} ${headline(r)}`);
    const width = Math.max(0, ...r.plan.map((c) => c.field.length));
    for (const c of r.plan) lines.push(`      ~ ${c.field.padEnd(width)} : ${show(c.from)} -> ${show(c.to)}`);
    if (r.rotation)
      lines.push(
        `      @ CA decided by rotation ${r.rotation.id} (stage ${r.rotation.stage}): ${r.rotation.ca}${r.rotation.declaredCa ? ` (the desired state says ${r.rotation.declaredCa})` : ''}`,
      );
    lines.push(...serverCertificateLines(r));
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

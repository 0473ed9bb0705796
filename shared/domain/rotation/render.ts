/** A rotation report as text for a terminal: the stage, the CAs, the per-tenant share, the handshakes, what is next. */
import type { TenantShare } from './ca-rotation.js';
import type { RotationReport } from './report.js';

const share = (s: TenantShare) => `${s.holding}/${s.clients} (${s.percent}%)`;

export function renderRotationReport(r: RotationReport): string {
  const lines: string[] = [];
  const title = r.planOnly ? `CA rotation plan (${r.command})` : `CA rotation: ${r.command}`;
  lines.push(`${title}${r.rotationId ? ` — rotation ${r.rotationId}` : ''}${r.stage ? `, stage ${r.stage}` : ''}`, '');
  if (r.from && r.to) {
    lines.push(`  old CA: ${r.from.caId} (clients issued by sub-CA ${r.from.issuingCa})`);
    lines.push(`  new CA: ${r.to.caId} (clients issued by sub-CA ${r.to.issuingCa})`);
  }
  if (r.thresholdPercent !== undefined)
    lines.push(`  gate threshold: ${r.thresholdPercent}% of active clients holding a successor`);
  for (const l of r.listeners ?? [])
    lines.push(
      `  listener ${l.listenerId}${l.trusts ? `: trusts ${l.trusts}` : ''}${l.switchedAt ? `, switched ${l.switchedAt}` : ''}${l.rolledBackAt ? `, rolled back ${l.rolledBackAt}` : ''}`,
    );
  if (r.refusals?.length) {
    lines.push('', '  REFUSED, nothing changed:');
    for (const x of r.refusals) lines.push(`  ! ${x}`);
  }
  if (r.clients) {
    lines.push(
      '',
      `  active clients under the old CA: ${r.clients.total.clients} (${r.clients.csrMode} CSR mode, ${r.clients.serverKeyMode} server-key mode); holding a successor: ${share(r.clients.total)}`,
    );
    for (const [tenant, s] of Object.entries(r.clients.perTenant).sort())
      lines.push(`    tenant ${tenant}: ${share(s)}`);
  }
  if (r.successors)
    lines.push(
      `  successors: ${r.successors.issued} issued now, ${r.successors.existing} already there, ${r.successors.delivered} delivered by webhook, ${r.successors.failed.length} failed${r.successors.failed.length ? ` (${r.successors.failed.map((f) => `${f.clientId}: ${f.code ?? '?'}`).join(', ')})` : ''}`,
    );
  if (r.gate) {
    lines.push(
      `  gate: ${share(r.gate.total)} hold a successor, threshold ${r.gate.thresholdPercent}%: ${r.gate.passed ? 'PASSED' : r.gate.forced ? 'FORCED by the operator' : 'NOT PASSED'}`,
    );
    for (const [tenant, s] of Object.entries(r.gate.perTenant).sort()) lines.push(`    tenant ${tenant}: ${share(s)}`);
  }
  for (const h of r.handshakes ?? []) {
    lines.push(`  handshakes on ${h.listenerId}: ${h.verdict}`);
    lines.push(`    client under the CA it trusts now:   ${h.trusted}`);
    lines.push(`    client under the CA it no longer trusts: ${h.distrusted}`);
    lines.push(`    client without a certificate:        ${h.withoutCertificate}`);
    for (const reason of h.reasons) lines.push(`    x ${reason}`);
  }
  if (r.rollback)
    lines.push(
      `  rollback${r.rollback.automatic ? ' (automatic, after a failed switch)' : ''}: listeners back on the old CA${r.rollback.successorsRevoked ? `, ${r.rollback.successorsRevoked} successors revoked` : ''}`,
    );
  if (r.finish) {
    lines.push(
      `  old certificates: ${r.finish.revoked ? `${r.finish.revoked} revoked` : `${r.finish.renewalStopped} no longer renewed (left to expire)`}`,
    );
    if (r.finish.withoutSuccessor.length)
      lines.push(
        `  ! ${r.finish.withoutSuccessor.length} active certificates under the old CA had no successor: ${r.finish.withoutSuccessor.slice(0, 10).join(', ')}`,
      );
  }
  if (r.next.length) {
    lines.push('', '  next:');
    for (const n of r.next) lines.push(`    - ${n}`);
  }
  return lines.join('\n');
}

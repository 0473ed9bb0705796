/**
 * Revoke, durably: the intent is recorded first (status REVOKING, auto-renew off, a renewal-index key at once so the
 * sweep finishes it if we die), then every generation that may still be in someone's hands is revoked in CAS, then
 * the record says REVOKED. A failure anywhere leaves a REVOKING record: renewal refuses it, a repeated call or the
 * next sweep finishes it. Bundles and index keys go last.
 */
import { requireOperation } from '../auth/decisions.js';
import type { Principal } from '../auth/principal.js';
import type { ClientCertificate } from '../domain/client-certificate.js';
import { renewalIndexKey } from '../domain/renewal/schedule.js';
import { deleteBundles } from './bundles.js';
import type { ServiceContext } from './context.js';
import { writeRecord } from './records.js';
import type { RevocationReason } from './schemas.js';
import { toView, type ClientCertificateView } from './view.js';

/** Step 1: the decision, written before any CA call. */
async function recordIntent(
  ctx: ServiceContext,
  record: ClientCertificate,
  reason: RevocationReason,
): Promise<ClientCertificate> {
  const at = ctx.now().toISOString();
  const intent: ClientCertificate = {
    ...record,
    status: 'REVOKING',
    revocationRequestedAt: at,
    revocationReason: reason,
    autoRenew: false,
    updatedAt: at,
  };
  await writeRecord(ctx.store, intent);
  await ctx.store.put(renewalIndexKey(new Date(at), record.id), '', { contentType: 'text/plain' });
  return intent;
}

/** Steps 2 and 3 for a REVOKING record: CAS for every live generation, then the record. Idempotent. */
export async function finishRevocation(ctx: ServiceContext, record: ClientCertificate): Promise<ClientCertificate> {
  if (record.status !== 'REVOKING') return record;
  const at = ctx.now();
  // The adapter treats "already revoked" as done (confirmed with CAS), so a repeat is harmless.
  await ctx.ca.revoke(record.current.casIdentifier);
  for (const old of record.previous) {
    if (!old.revokedAt && Date.parse(old.notAfter) > at.getTime()) await ctx.ca.revoke(old.casIdentifier);
  }
  const revoked: ClientCertificate = {
    ...record,
    status: 'REVOKED',
    revokedAt: at.toISOString(),
    previous: record.previous.map((p) => (p.revokedAt ? p : { ...p, revokedAt: at.toISOString() })),
    updatedAt: at.toISOString(),
  };
  await writeRecord(ctx.store, revoked);
  ctx.log.info('certificate revoked', {
    event: 'certificate.revoked',
    certificateId: record.id,
    generation: record.current.generation,
    serialNumber: record.current.serialNumber,
    reason: record.revocationReason,
    tenant: record.tenant,
  });
  return revoked;
}

/** Every index key that may point at a revoked record, and its bundles: removed (also on a repeated call). */
async function cleanUp(ctx: ServiceContext, record: ClientCertificate): Promise<void> {
  const times = [record.renewal.renewAt, record.renewal.nextAttemptAt, record.revocationRequestedAt];
  const keys = new Set(
    times.filter((t): t is string => Boolean(t)).map((t) => renewalIndexKey(new Date(t), record.id)),
  );
  for (const key of keys) await ctx.store.delete(key);
  await deleteBundles(ctx.store, record.current.bundle);
}

export async function revokeCertificate(
  ctx: ServiceContext,
  principal: Principal,
  id: string,
  reason: RevocationReason,
): Promise<ClientCertificateView> {
  requireOperation(principal, 'revoke');
  let record = await ctx.visibleRecord(principal, id);
  if (record.status !== 'REVOKED') {
    if (record.status !== 'REVOKING') record = await recordIntent(ctx, record, reason);
    record = await finishRevocation(ctx, record);
  }
  await cleanUp(ctx, record);
  return toView(record, ctx.now());
}

/** The sweep's part: finish a revocation a failed request left half done, as that request's retry would. */
export async function finishRecordedRevocation(
  ctx: ServiceContext,
  principal: Principal,
  id: string,
): Promise<ClientCertificateView> {
  let record = await ctx.visibleRecord(principal, id);
  if (record.status === 'REVOKING') record = await finishRevocation(ctx, record);
  if (record.status === 'REVOKED') await cleanUp(ctx, record);
  return toView(record, ctx.now());
}

/**
 * Ending a pending object that cannot succeed (no poison work): the certificate issued for it, if any and if no
 * record uses it, is revoked; the object moves to `set-aside/<id>/g<generation>.json` with its reason (its sealed key
 * dropped) and its attempts are deleted, so neither the sweep nor a retry tries it again. A retry of the same
 * Idempotency-Key then starts over as a new request.
 */
import type { IssuedCertificate } from '../domain/ports.js';
import { isAppError, toPublicBody } from '../errors/index.js';
import { errorFields } from '../log/index.js';
import type { ServiceContext } from './context.js';
import { attemptPrefix, pendingKey, setAsideKey } from './ids.js';
import type { PendingIssuance, SetAsidePending } from './pending.js';
import { readRecord } from './records.js';
import { putJson } from './storage.js';

/** Errors a retry of the same pending object cannot get past: refusals and conflicts, never outages. */
export function isPermanentFailure(err: unknown): boolean {
  if (!isAppError(err) || err.retryable) return false;
  // 500s are our own faults (unreadable state): keep the object for a fix rather than drop the work.
  return err.status < 500 || err.status === 502;
}

export async function setAside(
  ctx: ServiceContext,
  pending: PendingIssuance,
  reason: unknown,
  issued: IssuedCertificate | undefined,
): Promise<void> {
  const revoked: string[] = [];
  try {
    if (issued) {
      const record = await readRecord(ctx.store, pending.id);
      const used =
        record?.current.casIdentifier === issued.identifier ||
        record?.previous.some((p) => p.casIdentifier === issued.identifier);
      if (!used) {
        await ctx.ca.revoke(issued.identifier);
        revoked.push(issued.identifier);
      }
    }
    const { secrets: _secrets, ...kept } = pending;
    const failure = toPublicBody(reason);
    const setAsideObject: SetAsidePending = {
      ...kept,
      setAsideAt: ctx.now().toISOString(),
      reason: { code: failure.code, message: failure.message },
      revoked,
    };
    await putJson(ctx.store, setAsideKey(pending.id, pending.generation), setAsideObject);
    await ctx.store.delete(pendingKey(pending.id, pending.generation));
    const attempts = await ctx.store.list({ prefix: attemptPrefix(pending.id, pending.generation), maxKeys: 100 });
    for (const key of attempts.keys) await ctx.store.delete(key);
    if (pending.idempotency) await ctx.store.delete(pending.idempotency.objectKey);
    ctx.log.warn('pending issuance set aside', {
      event: 'certificate.set_aside',
      certificateId: pending.id,
      generation: pending.generation,
      code: failure.code,
      ...(issued ? { caIdentifier: issued.identifier } : {}),
      outcome: revoked.length > 0 ? 'revoked' : 'nothing-issued',
    });
  } catch (err) {
    // Left pending: the next sweep meets the same error and tries to set it aside again.
    ctx.log.error('pending issuance not set aside', { ...errorFields(err), certificateId: pending.id });
  }
}

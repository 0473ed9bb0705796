/**
 * Finish pending work for our own functions (system principals): the oldest pending generation of a certificate,
 * as a retry would finish it (same key; what CAS already issued for it is adopted, never issued again).
 */
import type { Principal } from '../auth/principal.js';
import { ForbiddenError } from '../errors/index.js';
import type { ServiceContext } from './context.js';
import { assertCertificateId, parsePendingKey, pendingKey, pendingPrefix } from './ids.js';
import type { PendingIssuance } from './pending.js';
import { finishPending } from './renew.js';
import { getJson } from './storage.js';
import type { RenewResult } from './view.js';

export async function finishPendingWork(
  ctx: ServiceContext,
  principal: Principal,
  id: string,
  generation?: number,
): Promise<RenewResult | undefined> {
  assertCertificateId(id);
  if (principal.kind !== 'system')
    throw new ForbiddenError('operations', 'Only the service itself finishes pending work.');
  let key: string | undefined;
  if (generation !== undefined) key = pendingKey(id, generation);
  else {
    const listing = await ctx.store.list({ prefix: pendingPrefix(id), maxKeys: 10 });
    key = listing.keys
      .filter((k) => parsePendingKey(k))
      .sort((a, b) => parsePendingKey(a)!.generation - parsePendingKey(b)!.generation)[0];
  }
  if (!key) return undefined;
  const pending = await getJson<PendingIssuance>(ctx.store, key);
  if (!pending) return undefined;
  return finishPending(ctx, pending);
}

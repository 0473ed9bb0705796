/** Read: one certificate as its owner sees it, a tenant's list, and the raw record for our own functions. */
import { requireOperation } from '../auth/decisions.js';
import type { Principal } from '../auth/principal.js';
import type { ClientCertificate } from '../domain/client-certificate.js';
import { ForbiddenError } from '../errors/index.js';
import type { ServiceContext } from './context.js';
import { listCertificates, type ListResult } from './listing.js';
import type { ListQuery } from './schemas.js';
import { toView, type ClientCertificateView } from './view.js';

export async function getCertificate(
  ctx: ServiceContext,
  principal: Principal,
  id: string,
): Promise<ClientCertificateView> {
  requireOperation(principal, 'read');
  return toView(await ctx.visibleRecord(principal, id), ctx.now());
}

export async function listTenantCertificates(
  ctx: ServiceContext,
  principal: Principal,
  query: ListQuery,
): Promise<ListResult> {
  requireOperation(principal, 'read');
  return listCertificates(ctx.store, ctx.clock, principal, query, ctx.log);
}

/** System principals only: renewal and reconciliation read what the API never shows. */
export async function getRecord(ctx: ServiceContext, principal: Principal, id: string): Promise<ClientCertificate> {
  if (principal.kind !== 'system') throw new ForbiddenError('operations', 'Records are for the service itself.');
  return ctx.visibleRecord(principal, id);
}

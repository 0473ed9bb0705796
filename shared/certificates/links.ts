/** Links: fresh signed download links to the current generation's bundle (never for a revoked certificate). */
import { requireOperation } from '../auth/decisions.js';
import type { Principal } from '../auth/principal.js';
import { ConflictError, ValidationError } from '../errors/index.js';
import { signDownloads } from './bundles.js';
import type { ServiceContext } from './context.js';
import type { Downloads } from './view.js';

export interface LinksResult {
  id: string;
  generation: number;
  downloads: Downloads;
}

export async function certificateLinks(
  ctx: ServiceContext,
  principal: Principal,
  id: string,
  expiresInSeconds: number | undefined,
): Promise<LinksResult> {
  requireOperation(principal, 'links');
  const record = await ctx.visibleRecord(principal, id);
  if (record.status === 'REVOKED' || record.status === 'REVOKING')
    throw new ConflictError('CERTIFICATE_REVOKED', 'The certificate was revoked; its bundles were deleted.');
  const seconds = expiresInSeconds ?? ctx.config.linkDefaultSeconds;
  if (seconds > ctx.config.linkMaxSeconds) {
    throw new ValidationError('LINK_EXPIRY_TOO_LONG', `expiresInSeconds may be at most ${ctx.config.linkMaxSeconds}.`, {
      details: { linkMaxSeconds: ctx.config.linkMaxSeconds },
    });
  }
  const downloads = await signDownloads(ctx.store, record.current.bundle, record.commonName, seconds, ctx.now());
  return { id: record.id, generation: record.current.generation, downloads };
}

/**
 * The two operations a certificate performs on its own behalf, with no bearer token (docs/api.md#renewal-by-proof-
 * of-possession): renew itself, and ask whether it is still current. Each writes one audit line under its own
 * action; the request-scoped logger is bound with `withLogger`, as the certificate service does.
 */
import type { Logger } from '../log/index.js';
import { createPossessionContext, type PossessionDeps } from './possession-context.js';
import { renewByPossession, type RenewByPossessionRequest } from './renew-by-possession.js';
import { statusByPossession, type PossessionStatus, type StatusByPossessionRequest } from './status-by-possession.js';
import type { RenewResult } from './view.js';

export type { PossessionDeps } from './possession-context.js';
export { possessionJtiKey } from './possession-context.js';
export { RenewByPossessionRequestSchema, type RenewByPossessionRequest } from './renew-by-possession.js';
export {
  StatusByPossessionRequestSchema,
  type PossessionStatus,
  type StatusByPossessionRequest,
} from './status-by-possession.js';

export interface PossessionOperations {
  renew(id: string, request: RenewByPossessionRequest): Promise<RenewResult>;
  status(id: string, request: StatusByPossessionRequest): Promise<PossessionStatus>;
  withLogger(log: Logger): PossessionOperations;
}

export function createPossessionOperations(deps: PossessionDeps): PossessionOperations {
  const build = (log: Logger): PossessionOperations => {
    const ctx = createPossessionContext(deps, log);
    return {
      renew: (id, request) =>
        ctx.audited(
          'certificate.renew_by_possession',
          id,
          (facts) => renewByPossession(ctx, id, request, facts),
          (r) => ({ generation: r.generation }),
        ),
      status: (id, request) =>
        ctx.audited('certificate.status_by_possession', id, (facts) => statusByPossession(ctx, id, request, facts)),
      withLogger: (next) => build(next),
    };
  };
  return build(deps.log);
}

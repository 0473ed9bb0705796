/**
 * The routes a certificate uses on its own behalf, with no bearer token: it authenticates with a proof of
 * possession of its key in the body (shared/certificates/possession.ts), so the router's token check
 * is skipped (`public`) and the operation does the authentication.
 */
import {
  RenewByPossessionRequestSchema,
  StatusByPossessionRequestSchema,
  type PossessionOperations,
} from '../../shared/certificates/possession.js';
import { jsonResponse, route, type Route } from '../../shared/http/index.js';
import type { Logger } from '../../shared/log/index.js';

export function possessionRoutes(possession: PossessionOperations, log: Logger): Route[] {
  return [
    route({
      method: 'POST',
      path: '/v1/certificates/:id/renew-by-possession',
      public: true,
      body: RenewByPossessionRequestSchema,
      handle: async ({ request, params, body }) => {
        const operations = possession.withLogger(log.child({ requestId: request.requestId }));
        return jsonResponse(200, await operations.renew(params.id, body));
      },
    }),
    route({
      method: 'POST',
      path: '/v1/certificates/:id/status-by-possession',
      public: true,
      body: StatusByPossessionRequestSchema,
      handle: async ({ request, params, body }) => {
        const operations = possession.withLogger(log.child({ requestId: request.requestId }));
        return jsonResponse(200, await operations.status(params.id, body));
      },
    }),
  ];
}

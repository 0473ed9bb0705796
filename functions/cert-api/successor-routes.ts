/**
 * A CA rotation's successor, picked up by its owner (docs/rotation.md): with the bearer token that sees the
 * certificate, or by proof of possession of its key (the nlb-mtls client). Wiring only: shared/rotation/pickup.ts.
 */
import type { TokenPrincipal } from '../../shared/auth/principal.js';
import { AppError, UnauthorizedError } from '../../shared/errors/index.js';
import { jsonResponse, route, type Route } from '../../shared/http/index.js';
import type { Logger } from '../../shared/log/index.js';
import { SuccessorByPossessionRequestSchema, type SuccessorPickup } from '../../shared/rotation/pickup.js';

const unavailable = () =>
  new AppError('SUCCESSORS_UNAVAILABLE', 503, 'Successor pickup is not configured on this deployment.');

export function successorRoutes(successors: SuccessorPickup | undefined, log: Logger): Route[] {
  return [
    route({
      method: 'GET',
      path: '/v1/certificates/:id/successor',
      handle: async ({ request, caller, params }) => {
        if (!caller) throw new UnauthorizedError();
        if (!successors) throw unavailable();
        const pickup = successors.withLogger(log.child({ requestId: request.requestId }));
        return jsonResponse(200, await pickup.byToken(caller as TokenPrincipal, params.id));
      },
    }),
    route({
      method: 'POST',
      path: '/v1/certificates/:id/successor-by-possession',
      public: true,
      body: SuccessorByPossessionRequestSchema,
      handle: async ({ request, params, body }) => {
        if (!successors) throw unavailable();
        const pickup = successors.withLogger(log.child({ requestId: request.requestId }));
        return jsonResponse(200, await pickup.byPossession(params.id, body));
      },
    }),
  ];
}

/**
 * The certificate API's routes as data: path, schemas, handler. Handlers only authenticate, translate HTTP to a
 * service call and the result back; decisions live in the service.
 */
import { createAuditLog } from '../../shared/auth/audit.js';
import type { TokenPrincipal } from '../../shared/auth/principal.js';
import type { TokenAuthenticator } from '../../shared/auth/tokens.js';
import type { CertificateService } from '../../shared/certificates/service.js';
import {
  IssueRequestSchema,
  LinksRequestSchema,
  ListQuerySchema,
  RenewRequestSchema,
  RevokeRequestSchema,
} from '../../shared/certificates/schemas.js';
import { UnauthorizedError, ValidationError } from '../../shared/errors/index.js';
import { jsonResponse, route, type HttpRequest, type Route } from '../../shared/http/index.js';
import type { Logger } from '../../shared/log/index.js';
import type { Clock } from '../../shared/domain/ports.js';

export interface CertApiDeps {
  service: CertificateService;
  authenticator: TokenAuthenticator;
  log: Logger;
  /** The clock request deadlines are measured with (the service's). */
  clock: Clock;
}

/** Visible ASCII without a comma: FC joins repeated headers with commas, so a comma means two keys. */
const IDEMPOTENCY_KEY = /^[\x21-\x2b\x2d-\x7e]{1,255}$/;

/**
 * The router's `authenticate` hook: runs once a route matched and before its body is read or validated, so a
 * request without a valid token gets 401 whatever it carries. Refusals leave an audit line.
 */
export function certApiAuthenticate(deps: CertApiDeps): (request: HttpRequest) => TokenPrincipal {
  const audit = createAuditLog(deps.log);
  return (request) => {
    try {
      return deps.authenticator.authenticate(request.headers.authorization);
    } catch (err) {
      if (err instanceof UnauthorizedError) {
        audit.record({
          action: 'authenticate',
          decision: 'deny',
          result: 'denied',
          code: err.code,
          requestId: request.requestId,
        });
      }
      throw err;
    }
  };
}

export function certApiRoutes(deps: CertApiDeps): Route[] {
  /** The caller (authenticated by the router) and a service bound to this request's log lines. */
  const session = ({
    request,
    caller,
  }: {
    request: HttpRequest;
    caller: unknown;
  }): { principal: TokenPrincipal; service: CertificateService } => {
    // Only reachable through createRouter(routes, { authenticate: certApiAuthenticate(deps) }); never trust a gap.
    if (!caller) throw new UnauthorizedError();
    const log = deps.log.child({ requestId: request.requestId });
    const service = deps.service.withLogger(log);
    return {
      principal: caller as TokenPrincipal,
      service: request.deadline ? service.withDeadline(request.deadline) : service,
    };
  };

  const idempotencyKeyOf = (request: HttpRequest): string | undefined => {
    const key = request.headers['idempotency-key'];
    if (key === undefined) return undefined;
    // Two headers arrive joined ("a,b" from FC, "a, b" locally): never merged into one key.
    if (key.includes(','))
      throw new ValidationError(
        'IDEMPOTENCY_KEY_REPEATED',
        'Send one Idempotency-Key header (a key cannot contain a comma).',
      );
    if (!IDEMPOTENCY_KEY.test(key))
      throw new ValidationError(
        'IDEMPOTENCY_KEY_INVALID',
        'Idempotency-Key must be 1 to 255 visible ASCII characters (no comma).',
      );
    return key;
  };

  return [
    route({
      method: 'GET',
      path: '/healthz',
      public: true,
      handle: async () => jsonResponse(200, { status: 'ok' }),
    }),
    route({
      method: 'POST',
      path: '/v1/certificates',
      body: IssueRequestSchema,
      handle: async (input) => {
        const { principal, service } = session(input);
        const idempotencyKey = idempotencyKeyOf(input.request);
        const body = input.body;
        const result = await service.issue(principal, body, idempotencyKey);
        return jsonResponse(201, result, { location: `/v1/certificates/${result.id}` });
      },
    }),
    route({
      method: 'GET',
      path: '/v1/certificates',
      query: ListQuerySchema,
      handle: async ({ request, caller, query }) => {
        const { principal, service } = session({ request, caller });
        return jsonResponse(200, await service.list(principal, query));
      },
    }),
    route({
      method: 'GET',
      path: '/v1/certificates/:id',
      handle: async ({ request, caller, params }) => {
        const { principal, service } = session({ request, caller });
        return jsonResponse(200, await service.get(principal, params.id));
      },
    }),
    route({
      method: 'POST',
      path: '/v1/certificates/:id/links',
      body: LinksRequestSchema,
      handle: async ({ request, caller, params, body }) => {
        const { principal, service } = session({ request, caller });
        return jsonResponse(200, await service.links(principal, params.id, body.expiresInSeconds));
      },
    }),
    route({
      method: 'POST',
      path: '/v1/certificates/:id/renew',
      body: RenewRequestSchema,
      handle: async ({ request, caller, params, body }) => {
        const { principal, service } = session({ request, caller });
        const result = await service.renew(principal, params.id, {
          trigger: 'api',
          csrPem: body.csr,
          revokePrevious: body.revokePrevious,
          p12Password: body.p12Password,
          expectedGeneration: body.expectedGeneration,
        });
        return jsonResponse(200, result);
      },
    }),
    route({
      method: 'POST',
      path: '/v1/certificates/:id/revoke',
      body: RevokeRequestSchema,
      handle: async ({ request, caller, params, body }) => {
        const { principal, service } = session({ request, caller });
        return jsonResponse(200, await service.revoke(principal, params.id, body.reason));
      },
    }),
  ];
}

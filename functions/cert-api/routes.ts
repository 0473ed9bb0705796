/**
 * The certificate API's routes as data: path, schemas, handler. Handlers only authenticate, translate HTTP to a
 * service call and the result back; decisions live in the service.
 */
import { createAuditLog } from '../../shared/auth/audit.js';
import type { TokenPrincipal } from '../../shared/auth/principal.js';
import type { TokenAuthenticator } from '../../shared/auth/tokens.js';
import type { PossessionOperations } from '../../shared/certificates/possession.js';
import type { CertificateService } from '../../shared/certificates/service.js';
import {
  IssueRequestSchema,
  LinksRequestSchema,
  ListQuerySchema,
  RenewRequestSchema,
  RevokeRequestSchema,
} from '../../shared/certificates/schemas.js';
import { AppError, UnauthorizedError, ValidationError } from '../../shared/errors/index.js';
import { jsonResponse, route, type HttpRequest, type Route } from '../../shared/http/index.js';
import type { IssuanceQuota } from '../../shared/auth/issuance-quota.js';
import { RateLimitedError, type RateLimiter } from '../../shared/auth/rate-limit.js';
import type { WebhookSecrets } from '../../shared/notify/tenant-secrets.js';
import { webhookSecretRoutes } from './webhook-secret-routes.js';
import type { Logger } from '../../shared/log/index.js';
import type { Clock } from '../../shared/domain/ports.js';
import { possessionRoutes } from './possession-routes.js';
import { successorRoutes } from './successor-routes.js';
import type { SuccessorPickup } from '../../shared/rotation/pickup.js';
import { consoleRoutes, type ConsoleDeps } from './console-routes.js';

export interface CertApiDeps {
  service: CertificateService;
  authenticator: TokenAuthenticator;
  /** Renewal and status by proof of possession (no token). */
  possession: PossessionOperations;
  log: Logger;
  /** The clock request deadlines are measured with (the service's). */
  clock: Clock;
  /** Per-token request rate (per instance); none = unlimited (unit tests). */
  rateLimiter?: RateLimiter;
  /** Per-token daily issuance quota (global); none = unlimited (unit tests). */
  quota?: IssuanceQuota;
  /** Tenants' webhook signing secrets (needs WEBHOOK_MASTER_KEY); none = those endpoints answer 503. */
  webhookSecrets?: WebhookSecrets;
  /** A CA rotation's successors, picked up by their owners (docs/rotation.md); none = those endpoints answer 503. */
  successors?: SuccessorPickup;
  /** The fleet console's files and reads (./console-routes.ts). */
  console: ConsoleDeps;
}

/** Visible ASCII without a comma: FC joins repeated headers with commas, so a comma means two keys. */
const IDEMPOTENCY_KEY = /^[\x21-\x2b\x2d-\x7e]{1,255}$/;

/**
 * The router's `authenticate` hook: runs once a route matched and before its body is read or validated, so a
 * request without a valid token gets 401 whatever it carries. Refusals leave an audit line.
 */
export function certApiAuthenticate(deps: CertApiDeps): (request: HttpRequest) => Promise<TokenPrincipal> {
  const audit = createAuditLog(deps.log);
  return async (request) => {
    try {
      const principal = await deps.authenticator.authenticate(request.headers.authorization);
      deps.rateLimiter?.take(principal);
      return principal;
    } catch (err) {
      // A refused token (401) or an exhausted limit (429): one denied-authentication audit line.
      if (err instanceof RateLimitedError || (err instanceof AppError && err.status === 401)) {
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

  /** Runs `work` (which may issue a certificate) inside the token's daily quota; a 4xx gives the slot back. */
  const withQuota = async <T>(
    principal: TokenPrincipal,
    slot: string | undefined,
    work: () => Promise<T>,
  ): Promise<T> => {
    const admitted = await deps.quota?.admit(principal, slot);
    try {
      return await work();
    } catch (err) {
      if (admitted && err instanceof AppError && err.status >= 400 && err.status < 500 && err.status !== 409)
        await admitted.release();
      throw err;
    }
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
    ...webhookSecretRoutes(deps, session),
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
        // A retry with the same Idempotency-Key reuses its slot: never counted twice, never refused once admitted.
        const result = await withQuota(
          principal,
          idempotencyKey !== undefined ? `issue|${idempotencyKey}` : undefined,
          () => service.issue(principal, body, idempotencyKey),
        );
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
        const slot =
          body.expectedGeneration !== undefined ? `renew|${params.id}|${body.expectedGeneration}` : undefined;
        const result = await withQuota(principal, slot, () =>
          service.renew(principal, params.id, {
            trigger: 'api',
            csrPem: body.csr,
            revokePrevious: body.revokePrevious,
            p12Password: body.p12Password,
            expectedGeneration: body.expectedGeneration,
          }),
        );
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
    ...possessionRoutes(deps.possession, deps.log),
    ...successorRoutes(deps.successors, deps.log),
    ...consoleRoutes(deps.console, deps.log, session),
  ];
}

/**
 * `GET /v1/webhook-secret` and `POST /v1/webhook-secret/rotate`: a tenant reads or rotates its own webhook signing
 * secret (Standard Webhooks `whsec_...`, shared/notify/tenant-secrets.ts). Both need the `webhooks` operation in
 * the token's policy: the secret signs events for every certificate of the tenant, so it is a tenant-wide power.
 */
import type { TokenPrincipal } from '../../shared/auth/principal.js';
import { createAuditLog } from '../../shared/auth/audit.js';
import { requireOperation } from '../../shared/auth/decisions.js';
import { AppError, isAppError } from '../../shared/errors/index.js';
import { jsonResponse, route, type HttpRequest, type Route } from '../../shared/http/index.js';
import type { Logger } from '../../shared/log/index.js';
import type { TenantWebhookSecret, WebhookSecrets } from '../../shared/notify/tenant-secrets.js';

class WebhookSecretsUnavailableError extends AppError {
  constructor() {
    super('WEBHOOK_SECRETS_NOT_CONFIGURED', 503, 'Webhook secrets are not configured on this deployment.');
  }
}

function view(secret: TenantWebhookSecret) {
  return {
    tenant: secret.tenant,
    secret: secret.secret,
    version: secret.version,
    ...(secret.createdAt ? { createdAt: secret.createdAt } : {}),
    ...(secret.previous
      ? { previousVersion: secret.previous.version, previousValidUntil: secret.previous.validUntil }
      : {}),
  };
}

export function webhookSecretRoutes(
  deps: { webhookSecrets?: WebhookSecrets; log: Logger },
  session: (input: { request: HttpRequest; caller: unknown }) => { principal: TokenPrincipal },
): Route[] {
  const run = async (
    input: { request: HttpRequest; caller: unknown },
    action: 'webhook-secret.read' | 'webhook-secret.rotate',
    work: (secrets: WebhookSecrets, tenant: string) => Promise<TenantWebhookSecret>,
  ) => {
    const { principal } = session(input);
    const audit = createAuditLog(deps.log.child({ requestId: input.request.requestId }));
    try {
      requireOperation(principal, 'webhooks');
      if (!deps.webhookSecrets) throw new WebhookSecretsUnavailableError();
      const secret = await work(deps.webhookSecrets, principal.tenant);
      audit.record({ action, principal, decision: 'allow', result: 'success', generation: secret.version });
      // The answer holds a secret: never cached anywhere (the security headers also say no-store).
      return jsonResponse(200, view(secret), { 'cache-control': 'no-store' });
    } catch (err) {
      const denied = isAppError(err) && err.status === 403;
      audit.record({
        action,
        principal,
        decision: denied ? 'deny' : 'allow',
        result: denied ? 'denied' : 'failure',
        code: isAppError(err) ? err.code : 'INTERNAL',
      });
      throw err;
    }
  };
  return [
    route({
      method: 'GET',
      path: '/v1/webhook-secret',
      handle: (input) => run(input, 'webhook-secret.read', (secrets, tenant) => secrets.current(tenant)),
    }),
    route({
      method: 'POST',
      path: '/v1/webhook-secret/rotate',
      handle: (input) => run(input, 'webhook-secret.rotate', (secrets, tenant) => secrets.rotate(tenant)),
    }),
  ];
}

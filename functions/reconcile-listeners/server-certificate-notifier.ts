/**
 * The operator's webhook for `server-certificate.expiring` (SERVER_CERTIFICATE_WEBHOOK_URL), signed in the Standard
 * Webhooks format with tenant `system`'s secret (derived from WEBHOOK_MASTER_KEY, like every tenant's: verify it
 * with the secret `GET /v1/webhook-secret` shows a system principal, or derive it the same way). Without a webhook
 * configured, the notices are log events only.
 */
import type { Clock, ObjectStore } from '../../shared/domain/ports.js';
import type { Logger } from '../../shared/log/index.js';
import {
  createWebhookSecrets,
  createWebhookSender,
  serverCertificateExpiringEvent,
} from '../../shared/notify/index.js';
import type { ServerCertificateNotifier } from '../../shared/listeners/expiry-notices.js';

export const OPERATOR_TENANT = 'system';

export function createServerCertificateNotifier(deps: {
  webhook?: { url: string; masterKey: Buffer; allowLoopback: boolean };
  store: ObjectStore;
  clock: Clock;
  log: Logger;
}): ServerCertificateNotifier {
  const { webhook } = deps;
  if (!webhook) return { notify: async () => ({ delivered: false, configured: false }) };
  const sender = createWebhookSender({
    secretsFor: createWebhookSecrets({ masterKey: webhook.masterKey, store: deps.store, clock: deps.clock })
      .signingSecrets,
    allowLoopback: webhook.allowLoopback,
    timeoutMs: 5_000,
    maxAttempts: 3,
    backoffBaseMs: 500,
    clock: deps.clock,
    log: deps.log,
  });
  return {
    async notify(data) {
      const delivery = await sender.send(
        webhook.url,
        OPERATOR_TENANT,
        serverCertificateExpiringEvent(data, deps.clock.now()),
      );
      return { delivered: delivery.delivered, configured: true };
    },
  };
}

/**
 * Sends one signed event to one webhook: a per-attempt timeout, a few retries with backoff for timeouts, network
 * errors, 408, 429 and 5xx, no redirects followed. It never throws: a slow or failing receiver costs at most
 * `maxAttempts * timeoutMs` plus the backoff, and never undoes the renewal that was already committed.
 * Each attempt resolves the host again and connects only to addresses it checked (./guarded-transport.ts), and
 * is signed in the Standard Webhooks format with the tenant's own secret(s) (./signature.ts, ./tenant-secrets.ts).
 */
import type { Clock } from '../domain/ports.js';
import { errorFields, type Logger } from '../log/index.js';
import { createGuardedTransport, WebhookAddressError, type Resolver, type WebhookPost } from './guarded-transport.js';
import { webhookHeaders } from './signature.js';
import { checkWebhookUrl } from './webhook-url.js';
import type { WebhookEvent } from './events.js';

export interface WebhookDelivery {
  delivered: boolean;
  attempts: number;
  statusCode?: number;
  /**
   * A code, never a URL or a body: `TIMEOUT`, `NETWORK`, `HTTP_500`, `WEBHOOK_URL_INSECURE`,
   * `WEBHOOK_ADDRESS_FORBIDDEN` (the host resolves to a non-public address), `WEBHOOK_DNS_FAILED`,
   * `NO_SIGNING_SECRET`, ...
   */
  error?: string;
}

export interface WebhookSenderOptions {
  /** The tenant's signing secrets (`whsec_...`, current first; two during a rotation); none = refuse to send. */
  secretsFor: (tenant: string) => Promise<string[]>;
  allowLoopback: boolean;
  timeoutMs: number;
  maxAttempts: number;
  backoffBaseMs: number;
  clock: Clock;
  log: Logger;
  random?: () => number;
  sleep?: (ms: number) => Promise<void>;
  /** How host names are resolved (tests inject one; the default is the system resolver). */
  resolver?: Resolver;
  /** Replaces the guarded HTTP transport entirely (tests of the retry logic only). */
  post?: WebhookPost;
}

export interface WebhookSender {
  send(webhookUrl: string, tenant: string, event: WebhookEvent): Promise<WebhookDelivery>;
}

const RETRY_AFTER_CAP_MS = 10_000;

function retryable(status: number): boolean {
  return status === 408 || status === 429 || status >= 500;
}

export function createWebhookSender(options: WebhookSenderOptions): WebhookSender {
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  const random = options.random ?? Math.random;
  const post =
    options.post ?? createGuardedTransport({ allowLoopback: options.allowLoopback, resolver: options.resolver });

  return {
    async send(webhookUrl, tenant, event) {
      const fields = { eventType: event.type, certificateId: event.subject, tenant };
      let url: URL;
      try {
        url = checkWebhookUrl(webhookUrl, { allowLoopback: options.allowLoopback });
      } catch (err) {
        const code = (err as { code?: string }).code ?? 'WEBHOOK_URL_INVALID';
        options.log.warn('webhook refused', { ...fields, code, delivered: false });
        return { delivered: false, attempts: 0, error: code };
      }
      const body = JSON.stringify(event);
      // Log the origin only: webhook paths and queries often embed the receiver's own tokens.
      const webhook = url.origin;
      let last: WebhookDelivery = { delivered: false, attempts: 0 };
      let secrets: string[] | undefined;
      for (let attempt = 1; attempt <= options.maxAttempts; attempt += 1) {
        let waitMs = options.backoffBaseMs * 2 ** (attempt - 1) * (0.5 + random() / 2);
        const timestamp = Math.floor(options.clock.now().getTime() / 1000);
        // The tenant's secrets are read from the bucket: a failed read is retried like a failed send.
        if (!secrets) {
          try {
            secrets = await options.secretsFor(tenant);
          } catch (err) {
            last = { delivered: false, attempts: attempt, error: 'NO_SIGNING_SECRET' };
            options.log.debug('webhook signing secret unavailable', { ...fields, attempt, ...errorFields(err) });
            if (attempt < options.maxAttempts) await sleep(waitMs);
            continue;
          }
          if (secrets.length === 0) {
            options.log.warn('webhook not sent: no signing secret', {
              ...fields,
              code: 'NO_SIGNING_SECRET',
              delivered: false,
            });
            return { delivered: false, attempts: 0, error: 'NO_SIGNING_SECRET' };
          }
        }
        try {
          const response = await post(url, {
            timeoutMs: options.timeoutMs,
            headers: {
              'content-type': 'application/json',
              'user-agent': 'nlb-mtls-autopilot-webhook/1',
              ...webhookHeaders(secrets, event.id, timestamp, body),
            },
            body,
          });
          last = {
            delivered: response.status >= 200 && response.status < 300,
            attempts: attempt,
            statusCode: response.status,
          };
          if (last.delivered) {
            options.log.info('webhook delivered', {
              ...fields,
              webhook,
              attempt,
              statusCode: response.status,
              delivered: true,
            });
            return last;
          }
          last.error = `HTTP_${response.status}`;
          if (!retryable(response.status)) break;
          const retryAfter = Number(response.retryAfter);
          if (Number.isFinite(retryAfter) && retryAfter > 0) waitMs = Math.min(retryAfter * 1000, RETRY_AFTER_CAP_MS);
        } catch (err) {
          if (err instanceof WebhookAddressError) {
            // A refusal of the destination is final: retrying would only resolve the same name again.
            options.log.warn('webhook refused', { ...fields, webhook, code: err.code, delivered: false });
            return { delivered: false, attempts: attempt, error: err.code };
          }
          // Checked by name: the abort reason is a DOMException, not always an `instanceof Error` across realms.
          const name = (err as { name?: unknown } | null)?.name;
          const timedOut = name === 'TimeoutError' || name === 'AbortError';
          last = { delivered: false, attempts: attempt, error: timedOut ? 'TIMEOUT' : 'NETWORK' };
          options.log.debug('webhook attempt failed', { ...fields, webhook, attempt, ...errorFields(err) });
        }
        if (attempt < options.maxAttempts) await sleep(waitMs);
      }
      options.log.warn('webhook failed', {
        ...fields,
        webhook,
        attempt: last.attempts,
        statusCode: last.statusCode,
        code: last.error,
        delivered: false,
      });
      return last;
    },
  };
}

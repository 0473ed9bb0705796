/**
 * Sends one signed event to one webhook: a per-attempt timeout, a few retries with backoff for timeouts, network
 * errors, 408, 429 and 5xx, no redirects followed. It never throws: a slow or failing receiver costs at most
 * `maxAttempts * timeoutMs` plus the backoff, and never undoes the renewal that was already committed.
 */
import type { Clock } from '../domain/ports.js';
import { errorFields, type Logger } from '../log/index.js';
import { EVENT_ID_HEADER, EVENT_TYPE_HEADER, SIGNATURE_HEADER, TIMESTAMP_HEADER, signWebhook } from './signature.js';
import { checkWebhookUrl } from './webhook-url.js';
import type { WebhookEvent } from './events.js';

export interface WebhookDelivery {
  delivered: boolean;
  attempts: number;
  statusCode?: number;
  /** A code, never a URL or a body: `TIMEOUT`, `NETWORK`, `HTTP_500`, `WEBHOOK_URL_INSECURE`, `NO_SIGNING_SECRET`, ... */
  error?: string;
}

export interface WebhookSenderOptions {
  /** The signing secret for a tenant (its own, or the global one); undefined = refuse to send unsigned events. */
  secretFor: (tenant: string) => string | undefined;
  allowLoopback: boolean;
  timeoutMs: number;
  maxAttempts: number;
  backoffBaseMs: number;
  clock: Clock;
  log: Logger;
  random?: () => number;
  sleep?: (ms: number) => Promise<void>;
  fetch?: typeof fetch;
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
  const doFetch = options.fetch ?? fetch;

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
      const secret = options.secretFor(tenant);
      if (!secret) {
        options.log.warn('webhook not sent: no signing secret', {
          ...fields,
          code: 'NO_SIGNING_SECRET',
          delivered: false,
        });
        return { delivered: false, attempts: 0, error: 'NO_SIGNING_SECRET' };
      }
      const body = JSON.stringify(event);
      // Log the origin only: webhook paths and queries often embed the receiver's own tokens.
      const webhook = url.origin;
      let last: WebhookDelivery = { delivered: false, attempts: 0 };
      for (let attempt = 1; attempt <= options.maxAttempts; attempt += 1) {
        let waitMs = options.backoffBaseMs * 2 ** (attempt - 1) * (0.5 + random() / 2);
        const timestamp = Math.floor(options.clock.now().getTime() / 1000);
        try {
          const response = await doFetch(url, {
            method: 'POST',
            redirect: 'manual',
            signal: AbortSignal.timeout(options.timeoutMs),
            headers: {
              'content-type': 'application/json',
              'user-agent': 'nlb-mtls-autopilot-webhook/1',
              [TIMESTAMP_HEADER]: String(timestamp),
              [SIGNATURE_HEADER]: signWebhook(secret, timestamp, body),
              [EVENT_ID_HEADER]: event.id,
              [EVENT_TYPE_HEADER]: event.type,
            },
            body,
          });
          await response.body?.cancel().catch(() => undefined);
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
          const retryAfter = Number(response.headers.get('retry-after'));
          if (Number.isFinite(retryAfter) && retryAfter > 0) waitMs = Math.min(retryAfter * 1000, RETRY_AFTER_CAP_MS);
        } catch (err) {
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

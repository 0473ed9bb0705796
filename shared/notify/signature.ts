/**
 * Webhook signatures in the Standard Webhooks format (https://www.standardwebhooks.com/, spec v1), so receivers
 * can verify with a maintained library (the `standardwebhooks` npm package and its ports to other languages):
 *
 *   webhook-id: <event id>          webhook-timestamp: <Unix seconds>
 *   webhook-signature: v1,<base64 HMAC-SHA256(key, "<id>.<timestamp>.<raw body>")> [v1,<...> ...]
 *
 * A secret is `whsec_` + base64 of the key bytes. During a rotation an event carries one `v1,` signature per valid
 * secret (space separated), so a receiver holding either the old or the new secret accepts it.
 */
import { createHmac } from 'node:crypto';

export const WEBHOOK_ID_HEADER = 'webhook-id';
export const WEBHOOK_TIMESTAMP_HEADER = 'webhook-timestamp';
export const WEBHOOK_SIGNATURE_HEADER = 'webhook-signature';
export const WEBHOOK_SECRET_PREFIX = 'whsec_';

/** The key bytes of a `whsec_...` secret. */
export function webhookSecretKey(secret: string): Buffer {
  if (!secret.startsWith(WEBHOOK_SECRET_PREFIX)) throw new Error('a webhook secret starts with whsec_');
  const key = Buffer.from(secret.slice(WEBHOOK_SECRET_PREFIX.length), 'base64');
  if (key.length < 24) throw new Error('a webhook secret holds at least 24 bytes');
  return key;
}

/** `v1,<base64>` for one secret. */
export function signWebhook(secret: string, id: string, timestamp: number, body: string): string {
  const mac = createHmac('sha256', webhookSecretKey(secret)).update(`${id}.${timestamp}.${body}`).digest('base64');
  return `v1,${mac}`;
}

/** The three headers of one delivery attempt, signed with every secret given (newest first). */
export function webhookHeaders(
  secrets: readonly string[],
  id: string,
  timestamp: number,
  body: string,
): Record<string, string> {
  if (secrets.length === 0) throw new Error('no webhook secret');
  return {
    [WEBHOOK_ID_HEADER]: id,
    [WEBHOOK_TIMESTAMP_HEADER]: String(timestamp),
    [WEBHOOK_SIGNATURE_HEADER]: secrets.map((s) => signWebhook(s, id, timestamp, body)).join(' '),
  };
}

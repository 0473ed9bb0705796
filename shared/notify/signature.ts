/**
 * Webhook signatures: `X-Autopilot-Signature: v1=<hex HMAC-SHA256(secret, "<timestamp>.<body>")>` with the Unix
 * timestamp in `X-Autopilot-Timestamp`. Signing the timestamp with the body lets a receiver refuse replays; several
 * `v1=` values (comma separated) let a receiver accept an old and a new secret during a rotation.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

export const SIGNATURE_HEADER = 'x-autopilot-signature';
export const TIMESTAMP_HEADER = 'x-autopilot-timestamp';
export const EVENT_ID_HEADER = 'x-autopilot-event-id';
export const EVENT_TYPE_HEADER = 'x-autopilot-event-type';
export const DEFAULT_TOLERANCE_SECONDS = 300;

export function signWebhook(secret: string, timestamp: number, body: string): string {
  return `v1=${createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex')}`;
}

export type VerifyResult =
  | { ok: true }
  | { ok: false; reason: 'missing-headers' | 'bad-timestamp' | 'timestamp-out-of-tolerance' | 'signature-mismatch' };

/** For receivers (and our tests): checks one of the `v1=` values against each secret, in constant time. */
export function verifyWebhookSignature(input: {
  body: string;
  timestampHeader: string | undefined;
  signatureHeader: string | undefined;
  secrets: string[];
  nowSeconds: number;
  toleranceSeconds?: number;
}): VerifyResult {
  if (!input.timestampHeader || !input.signatureHeader) return { ok: false, reason: 'missing-headers' };
  if (!/^\d{1,12}$/.test(input.timestampHeader)) return { ok: false, reason: 'bad-timestamp' };
  const timestamp = Number(input.timestampHeader);
  if (Math.abs(input.nowSeconds - timestamp) > (input.toleranceSeconds ?? DEFAULT_TOLERANCE_SECONDS)) {
    return { ok: false, reason: 'timestamp-out-of-tolerance' };
  }
  const offered = input.signatureHeader
    .split(',')
    .map((s) => s.trim())
    .filter((s) => /^v1=[0-9a-f]{64}$/.test(s))
    .map((s) => Buffer.from(s.slice(3), 'hex'));
  for (const secret of input.secrets) {
    const expected = Buffer.from(signWebhook(secret, timestamp, input.body).slice(3), 'hex');
    if (offered.some((o) => timingSafeEqual(o, expected))) return { ok: true };
  }
  return { ok: false, reason: 'signature-mismatch' };
}

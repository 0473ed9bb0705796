// Webhook signing: HMAC-SHA256 over "<timestamp>.<body>", checked in constant time with a replay window.
import { createHmac } from 'node:crypto';
import { signWebhook, verifyWebhookSignature } from '../../../shared/notify/signature.js';

const body = JSON.stringify({ id: 'evt_1', type: 'certificate.renewed' });
const secret = 'whsec-test-0123456789';
const ts = 1_900_000_000;

describe('signWebhook', () => {
  it('is v1= and the hex HMAC-SHA256 of "<timestamp>.<body>" (what a receiver recomputes)', () => {
    const expected = createHmac('sha256', secret).update(`${ts}.${body}`).digest('hex');
    expect(signWebhook(secret, ts, body)).toBe(`v1=${expected}`);
  });
});

describe('verifyWebhookSignature', () => {
  const good = signWebhook(secret, ts, body);
  it.each<[string, Partial<Parameters<typeof verifyWebhookSignature>[0]>, object]>([
    ['valid', {}, { ok: true }],
    ['valid among several values (rotation)', { signatureHeader: `v1=${'0'.repeat(64)}, ${good}` }, { ok: true }],
    ['second secret of a rotation', { secrets: ['old-secret', secret] }, { ok: true }],
    ['wrong secret', { secrets: ['another-secret'] }, { ok: false, reason: 'signature-mismatch' }],
    ['body changed', { body: body.replace('renewed', 'expiring') }, { ok: false, reason: 'signature-mismatch' }],
    ['timestamp changed', { timestampHeader: String(ts + 1) }, { ok: false, reason: 'signature-mismatch' }],
    ['replayed after the window', { nowSeconds: ts + 301 }, { ok: false, reason: 'timestamp-out-of-tolerance' }],
    [
      'from the future beyond the window',
      { nowSeconds: ts - 301 },
      { ok: false, reason: 'timestamp-out-of-tolerance' },
    ],
    ['no signature', { signatureHeader: undefined }, { ok: false, reason: 'missing-headers' }],
    ['garbage timestamp', { timestampHeader: '12abc' }, { ok: false, reason: 'bad-timestamp' }],
    ['truncated signature', { signatureHeader: good.slice(0, 40) }, { ok: false, reason: 'signature-mismatch' }],
    ['other scheme', { signatureHeader: good.replace('v1=', 'v0=') }, { ok: false, reason: 'signature-mismatch' }],
  ])('%s', (_name, patch, expected) => {
    // Prepare
    const input = {
      body,
      timestampHeader: String(ts),
      signatureHeader: good,
      secrets: [secret],
      nowSeconds: ts + 10,
      ...patch,
    };
    // Act + assess
    expect(verifyWebhookSignature(input)).toEqual(expected);
  });
});

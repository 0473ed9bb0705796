// Webhook signatures in the Standard Webhooks format: a maintained verifier (the `standardwebhooks` package) accepts
// what we sign, with either secret during a rotation, and refuses a changed body, id, timestamp or another secret.
import { Webhook } from 'standardwebhooks';
import { signWebhook, webhookHeaders } from '../../../shared/notify/signature.js';

const body = JSON.stringify({ id: 'evt_1', type: 'certificate.renewed' });
const secret = `whsec_${Buffer.alloc(32, 1).toString('base64')}`;
const previous = `whsec_${Buffer.alloc(32, 2).toString('base64')}`;
const stranger = `whsec_${Buffer.alloc(32, 3).toString('base64')}`;
const id = 'evt_1';

function verifies(verifyWith: string, headers: Record<string, string>, payload = body): boolean {
  try {
    new Webhook(verifyWith).verify(payload, headers);
    return true;
  } catch {
    return false;
  }
}

describe('webhookHeaders', () => {
  const now = Math.floor(Date.now() / 1000);

  it('signs "<id>.<timestamp>.<body>" as v1,<base64>, what standardwebhooks itself would sign', () => {
    const expected = new Webhook(secret).sign(id, new Date(now * 1000), body);
    expect(signWebhook(secret, id, now, body)).toBe(expected);
    expect(webhookHeaders([secret], id, now, body)).toEqual({
      'webhook-id': id,
      'webhook-timestamp': String(now),
      'webhook-signature': expected,
    });
  });

  it.each<[string, string, (h: Record<string, string>) => Record<string, string>, string, boolean]>([
    ['the current secret', secret, (h) => h, body, true],
    ['the previous secret during a rotation', previous, (h) => h, body, true],
    ['another tenant secret', stranger, (h) => h, body, false],
    ['a changed body', secret, (h) => h, body.replace('renewed', 'expiring'), false],
    ['a changed id', secret, (h) => ({ ...h, 'webhook-id': 'evt_2' }), body, false],
    ['a changed timestamp', secret, (h) => ({ ...h, 'webhook-timestamp': String(now + 1) }), body, false],
    ['a replay after 10 minutes', secret, () => webhookHeaders([secret, previous], id, now - 600, body), body, false],
  ])('verification with %s -> %s', (_label, verifyWith, patch, payload, expected) => {
    const headers = patch(webhookHeaders([secret, previous], id, now, body));
    expect(verifies(verifyWith, headers, payload)).toBe(expected);
  });
});

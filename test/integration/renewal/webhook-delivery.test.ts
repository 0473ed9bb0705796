// Prepare a local receiver that verifies signatures; act: send events through the real sender over loopback HTTP;
// assess what the receiver saw and what the sender reports.
import { createWebhookSender, renewedEvent, type WebhookSenderOptions } from '../../../shared/notify/index.js';
import { createLogger, setLogSink } from '../../../shared/log/index.js';
import { startWebhookReceiver, type WebhookReceiver } from './webhook-receiver.js';
import { alsoKeptForFailure } from '../../support/failure-log.js';

const SECRET = `whsec_${Buffer.alloc(32, 7).toString('base64')}`;
const PASSWORD = 'p12-Password-Never-Logged-42';

const event = renewedEvent(
  {
    certificate: {
      id: 'cc-aaaaaaaaaaaaaaaaaaaa01',
      tenant: 'acme',
      commonName: 'd1.example.com',
      mode: 'server-key',
      generation: 2,
      serialNumber: '0a',
      notBefore: '2030-01-01T00:00:00.000Z',
      notAfter: '2030-04-01T00:00:00.000Z',
      autoRenew: true,
    },
    reason: 'NearingExpiry',
    previous: { generation: 1, serialNumber: '09', notAfter: '2030-02-01T00:00:00.000Z' },
    downloads: {
      p12: { url: 'https://bucket.example/x.p12?x-oss-signature=abc', expiresAt: '2030-01-01T00:15:00.000Z' },
    },
    p12Password: PASSWORD,
  },
  new Date(),
);

describe('webhook delivery to a local receiver', () => {
  let receiver: WebhookReceiver;
  const logs: string[] = [];
  let restore: (l: string) => void;

  beforeAll(async () => {
    receiver = await startWebhookReceiver(SECRET);
    restore = setLogSink(alsoKeptForFailure((line) => logs.push(line)));
  });
  afterAll(async () => {
    setLogSink(restore);
    await receiver.close();
  });
  beforeEach(() => {
    receiver.received.length = 0;
    receiver.script.length = 0;
  });

  const sender = (patch: Partial<WebhookSenderOptions> = {}) =>
    createWebhookSender({
      secretsFor: async () => [SECRET],
      allowLoopback: true,
      timeoutMs: 2000,
      maxAttempts: 3,
      backoffBaseMs: 1,
      clock: { now: () => new Date() },
      log: createLogger({ fn: 'test' }, 'debug'),
      sleep: async () => undefined,
      ...patch,
    });

  it('delivers a signed event the receiver verifies', async () => {
    // Act
    const result = await sender().send(receiver.url, 'acme', event);
    // Assess
    expect(result).toEqual({ delivered: true, attempts: 1, statusCode: 200 });
    expect(receiver.received).toHaveLength(1);
    const [got] = receiver.received;
    expect(got.verification).toEqual({ ok: true });
    expect(got.headers['webhook-id']).toBe(event.id);
    expect(got.headers['webhook-signature']).toMatch(/^v1,[A-Za-z0-9+/]+=*$/);
    expect(got.headers['content-type']).toBe('application/json');
    expect(got.event.data.p12Password).toBe(PASSWORD);
  });

  it('the receiver detects a wrong secret, and the sender does not retry a 401', async () => {
    const other = `whsec_${Buffer.alloc(32, 9).toString('base64')}`;
    const result = await sender({ secretsFor: async () => [other] }).send(receiver.url, 'acme', event);
    expect(receiver.received.map((r) => r.verification.ok)).toEqual([false]);
    expect(result).toEqual({ delivered: false, attempts: 1, statusCode: 401, error: 'HTTP_401' });
  });

  it('retries 503 and 429, with a fresh signature each time, then delivers', async () => {
    receiver.script.push(503, 429);
    const result = await sender().send(receiver.url, 'acme', event);
    expect(result).toEqual({ delivered: true, attempts: 3, statusCode: 200 });
    expect(receiver.received.every((r) => r.verification.ok)).toBe(true);
    expect(new Set(receiver.received.map((r) => r.headers['webhook-id'])).size).toBe(1);
  });

  it('gives up on a receiver that never answers, within its timeouts', async () => {
    receiver.script.push('hang', 'hang');
    const result = await sender({ timeoutMs: 300, maxAttempts: 2 }).send(receiver.url, 'acme', event);
    expect(result).toEqual({ delivered: false, attempts: 2, error: 'TIMEOUT' });
    expect(receiver.received).toHaveLength(2);
  });

  it('does not follow redirects', async () => {
    receiver.script.push(302);
    const result = await sender().send(receiver.url, 'acme', event);
    expect(result).toMatchObject({ delivered: false, attempts: 1, error: 'HTTP_302' });
  });

  it('refuses plain http to a non-loopback host and unsigned sends, without a request', async () => {
    const insecure = await sender().send('http://hooks.example.com/x', 'acme', event);
    const unsigned = await sender({ secretsFor: async () => [] }).send(receiver.url, 'acme', event);
    const notAllowed = await sender({ allowLoopback: false }).send(receiver.url, 'acme', event);
    expect([insecure.error, unsigned.error, notAllowed.error]).toEqual([
      'WEBHOOK_URL_INSECURE',
      'NO_SIGNING_SECRET',
      'WEBHOOK_URL_INSECURE',
    ]);
    expect(receiver.received).toHaveLength(0);
  });

  it('never logs the password, the link signature or the secret', () => {
    const all = logs.join('\n');
    expect(logs.length).toBeGreaterThan(0);
    expect(all).not.toContain(PASSWORD);
    expect(all).not.toContain(SECRET);
    expect(all).not.toContain('x-oss-signature=abc');
    expect(all).not.toContain('/hooks/certificates');
  });
});

/**
 * Issue 11 items 8 (rate limit, daily issuance quota) and 2 (a tenant reads and rotates its own webhook secret)
 * through the cert-api handler on the emulator.
 */
import { randomBytes } from 'node:crypto';
import { Webhook } from 'standardwebhooks';
import { createWebhookSecrets } from '../../../shared/notify/tenant-secrets.js';
import { webhookHeaders } from '../../../shared/notify/signature.js';
import { DEVICE_POLICY, startCertApiHarness, type CertApiHarness } from '../cert-api/harness.js';

const issue = (api: CertApiHarness, name: string, headers: Record<string, string> = {}) =>
  api.call({ method: 'POST', path: '/v1/certificates', body: { commonName: name, keyAlgorithm: 'EC_P256' }, headers });

describe('per-token rate limit (per instance)', () => {
  let api: CertApiHarness;
  beforeAll(async () => {
    api = await startCertApiHarness({ env: { RATE_LIMIT_PER_MINUTE: '3' }, emulator: { dataPlane: false } });
  });
  afterAll(() => api?.close());

  it('answers 429 RATE_LIMITED with Retry-After once the token used its requests, other tokens unaffected', async () => {
    const answers = [];
    for (let i = 0; i < 4; i += 1) answers.push(await api.call({ method: 'GET', path: '/v1/certificates' }));
    const other = await api.call({ method: 'GET', path: '/v1/certificates', token: api.tokens.other });
    expect(answers.map((a) => a.status)).toEqual([200, 200, 200, 429]);
    expect(answers[3].json.code).toBe('RATE_LIMITED');
    expect(Number(answers[3].headers['retry-after'])).toBeGreaterThanOrEqual(1);
    expect(other.status).toBe(200);
  });
});

describe('daily issuance quota per token (global, in the bucket)', () => {
  let api: CertApiHarness;
  beforeAll(async () => {
    api = await startCertApiHarness({ env: { ISSUANCE_QUOTA_PER_DAY: '2' }, emulator: { dataPlane: false } });
  });
  afterAll(() => api?.close());

  it('refuses the third issuance of the day with 429 and Retry-After; refused and replayed requests cost nothing', async () => {
    // a refused request (400) gives its slot back
    const bad = await api.call({ method: 'POST', path: '/v1/certificates', body: { commonName: 'a,b' } });
    const first = await issue(api, 'q1.devices.example.com', { 'idempotency-key': 'order-1' });
    const second = await issue(api, 'q2.devices.example.com');
    const third = await issue(api, 'q3.devices.example.com');
    const replay = await issue(api, 'q1.devices.example.com', { 'idempotency-key': 'order-1' });
    expect(bad.status).toBe(400);
    expect([first.status, second.status, third.status]).toEqual([201, 201, 429]);
    expect(third.json.code).toBe('ISSUANCE_QUOTA_EXCEEDED');
    const retryAfter = Number(third.headers['retry-after']);
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(retryAfter).toBeLessThanOrEqual(86_400);
    // the retry of an admitted request still gets its certificate
    expect(replay.status).toBe(201);
    expect(replay.json.id).toBe(first.json.id);
    // another token has its own quota
    expect((await issue(api, 'q4.devices.example.com', {})).status).toBe(429);
    expect(
      (
        await api.call({
          method: 'POST',
          path: '/v1/certificates',
          body: { commonName: 'q4.devices.example.com', keyAlgorithm: 'EC_P256' },
          token: api.tokens.other,
        })
      ).status,
    ).toBe(201);
  });
});

describe("a tenant's own webhook secret", () => {
  let api: CertApiHarness;
  const master = randomBytes(32);
  beforeAll(async () => {
    api = await startCertApiHarness({
      policy: { operations: [...DEVICE_POLICY.operations, 'webhooks'] },
      env: { WEBHOOK_MASTER_KEY: master.toString('base64') },
      emulator: { dataPlane: false },
    });
  });
  afterAll(() => api?.close());

  it('needs the webhooks operation', async () => {
    const answer = await api.call({ method: 'GET', path: '/v1/webhook-secret', token: api.tokens.other });
    expect(answer.status).toBe(403);
    expect(answer.json.details).toEqual({ rule: 'operations' });
  });

  it('reads and rotates it; events are signed with the new one and, for a grace period, the old one', async () => {
    // act
    const before = await api.call({ method: 'GET', path: '/v1/webhook-secret' });
    const rotated = await api.call({ method: 'POST', path: '/v1/webhook-secret/rotate' });
    const after = await api.call({ method: 'GET', path: '/v1/webhook-secret' });
    // assess: the API
    expect(before.status).toBe(200);
    expect(before.headers['cache-control']).toBe('no-store');
    expect(before.json).toMatchObject({ tenant: 'acme', version: 1, secret: expect.stringMatching(/^whsec_/) });
    expect(rotated.json).toMatchObject({ tenant: 'acme', version: 2, previousVersion: 1 });
    expect(rotated.json.secret).not.toBe(before.json.secret);
    expect(after.json.secret).toBe(rotated.json.secret);
    // assess: what renew-worker signs with (same master key, same bucket) verifies with either secret
    const worker = createWebhookSecrets({
      masterKey: master,
      store: (await import('../../../shared/alibaba/oss-store.js')).createOssObjectStore({
        endpoint: api.env.OSS_ENDPOINT,
        bucket: api.env.OSS_BUCKET,
        region: api.env.REGION,
        credentials: api.emulator.credentials,
      }),
      clock: { now: () => new Date() },
    });
    const signing = await worker.signingSecrets('acme');
    const body = '{"type":"certificate.renewed"}';
    const headers = webhookHeaders(signing, 'evt_1', Math.floor(Date.now() / 1000), body);
    expect(() => new Webhook(before.json.secret).verify(body, headers)).not.toThrow();
    expect(() => new Webhook(after.json.secret).verify(body, headers)).not.toThrow();
    expect(await worker.signingSecrets('other')).not.toContain(after.json.secret);
    // and the secret never reaches a log line
    expect(api.logs.join('\n')).not.toContain(after.json.secret.slice(6));
  });
});

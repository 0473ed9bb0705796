// Renewal through the local runner, wired from s.yaml as FC would run it: a certificate requested over HTTP from
// cert-api, renew-scheduler fired by its timer trigger, renew-worker reached by FC async invocation, the owner's
// webhook called with a signed event; a `renew.requested` CloudEvent through the EventBridge trigger; and a failing
// renewal visible through `GET /v1/certificates?status=RENEWAL_FAILING`.
import { Faults } from '../../../local/emulator/index.js';
import { startLocalStack, type LocalStack } from '../../../local/stack.js';
import { createOssObjectStore } from '../../../shared/alibaba/oss-store.js';
import type { ClientCertificate } from '../../../shared/domain/client-certificate.js';
import { renewalIndexKey } from '../../../shared/domain/renewal/schedule.js';
import { startWebhookReceiver, type WebhookReceiver } from '../../integration/renewal/webhook-receiver.js';

describe('renewal on the local stack', () => {
  let stack: LocalStack;
  let receiver: WebhookReceiver;

  const api = async (method: string, path: string, body?: unknown) => {
    const res = await fetch(`${stack.apiUrl}${path}`, {
      method,
      headers: { authorization: `Bearer ${stack.devToken}`, ...(body ? { 'content-type': 'application/json' } : {}) },
      body: body ? JSON.stringify(body) : undefined,
    });
    return { status: res.status, body: (await res.json()) as any };
  };

  /** Tests cannot wait 2/3 of a lifetime: move the record's renewal time (and its index key) a minute back. */
  const makeDue = async (id: string) => {
    const e = stack.emulator;
    const store = createOssObjectStore({
      endpoint: e.ossEndpoint,
      bucket: e.bucket,
      credentials: e.credentials,
      region: e.region,
      local: true,
    });
    const current = JSON.parse((await store.get(`records/${id}.json`))!.toString('utf8')) as ClientCertificate;
    const renewAt = new Date(Date.now() - 60_000);
    e.oss.putObjectDirect(
      e.bucket,
      `records/${id}.json`,
      JSON.stringify({ ...current, renewal: { ...current.renewal, renewAt: renewAt.toISOString() } }),
    );
    e.oss.putObjectDirect(e.bucket, renewalIndexKey(renewAt, id), '');
    await store.delete(renewalIndexKey(new Date(current.renewal.renewAt), id));
  };

  beforeAll(async () => {
    stack = await startLocalStack({
      functions: ['cert-api', 'renew-scheduler', 'renew-worker'],
      emulatorOptions: { dataPlane: false, caKeyAlgorithm: 'ECC_256' },
    });
    // The dev tenant's own signing secret, as stack.json gives it to a user (devWebhookSecret).
    receiver = await startWebhookReceiver(stack.stackInfo.devWebhookSecret);
  }, 60_000);
  afterAll(async () => {
    await receiver?.close();
    await stack?.close();
  });

  it('the timer renews a due certificate through FC async invocation and the owner gets a signed event', async () => {
    // Prepare: a certificate from the API, with a webhook, made due
    const issued = await api('POST', '/v1/certificates', {
      commonName: 'renew-e2e.example.com',
      keyAlgorithm: 'EC_P256',
      validityDays: 30,
      notify: { webhookUrl: receiver.url },
    });
    expect(issued.status).toBe(201);
    await makeDue(issued.body.id);
    const invocationsBefore = stack.emulator.fc.invocations('nlb-mtls-renew-worker');

    // Act: the scheduler's timer fires
    const [delivery] = await stack.fireTimer('renew-scheduler');
    await stack.idle();

    // Assess
    expect(delivery).toMatchObject({ ok: true, result: { due: 1, dispatched: 1 } });
    expect(stack.emulator.fc.invocations('nlb-mtls-renew-worker')).toBe(invocationsBefore + 1);
    const after = await api('GET', `/v1/certificates/${issued.body.id}`);
    expect(after.body).toMatchObject({
      generation: 2,
      renewal: { failedAttempts: 0, lastRenewedAt: expect.any(String) },
    });
    expect(after.body.serialNumber).not.toBe(issued.body.serialNumber);
    const events = receiver.received.filter((r) => r.event.subject === issued.body.id);
    expect(events.map((r) => [r.event.type, r.verification.ok])).toEqual([['certificate.renewed', true]]);
    expect(events[0].event.data).toMatchObject({
      certificate: { generation: 2, serialNumber: after.body.serialNumber },
      p12Password: expect.any(String),
    });
  });

  it('a renew.requested CloudEvent through the EventBridge trigger renews the named certificate', async () => {
    const issued = await api('POST', '/v1/certificates', {
      commonName: 'requested-e2e.example.com',
      keyAlgorithm: 'EC_P256',
      validityDays: 30,
    });
    const { deliveries } = await stack.publishEvent({
      type: 'renew.requested',
      source: 'acme.inventory',
      data: { certificateId: issued.body.id, generation: 1, force: true },
    });
    await stack.idle();
    expect(deliveries).toEqual([
      expect.objectContaining({ ok: true, result: expect.objectContaining({ trigger: 'event', dispatched: 1 }) }),
    ]);
    expect((await api('GET', `/v1/certificates/${issued.body.id}`)).body.generation).toBe(2);
    // Redelivered (same generation pinned): nothing more happens.
    await stack.publishEvent({
      type: 'renew.requested',
      source: 'acme.inventory',
      data: { certificateId: issued.body.id, generation: 1, force: true },
    });
    await stack.idle();
    expect((await api('GET', `/v1/certificates/${issued.body.id}`)).body.generation).toBe(2);
  });

  it('a failing renewal shows up in GET /v1/certificates?status=RENEWAL_FAILING with its next attempt', async () => {
    const issued = await api('POST', '/v1/certificates', {
      commonName: 'failing-e2e.example.com',
      keyAlgorithm: 'EC_P256',
      validityDays: 30,
    });
    await makeDue(issued.body.id);
    stack.emulator.faults.failNext('CreateClientCertificateWithCsr', 1, Faults.internal());
    await stack.fireTimer('renew-scheduler');
    await stack.idle();
    const failing = await api('GET', '/v1/certificates?status=RENEWAL_FAILING');
    expect(failing.status).toBe(200);
    expect(failing.body.items).toEqual([
      expect.objectContaining({
        id: issued.body.id,
        generation: 1,
        renewal: expect.objectContaining({
          failedAttempts: 1,
          nextAttemptAt: expect.any(String),
          lastFailure: expect.objectContaining({ code: 'CA_UNAVAILABLE' }),
        }),
      }),
    ]);
  });
});

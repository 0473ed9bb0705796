// Expiry notices for a listener's externally managed server certificate (a declared certId): 30, 7 and 1 days
// before it expires, each once, as a `server-certificate.expiring` log event and a signed webhook to the operator.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createPrivateKey, randomBytes } from 'node:crypto';
import { generateKeyPair, signServerCertificate } from '../../../shared/pki/index.js';
import { createOssObjectStore } from '../../../shared/alibaba/oss-store.js';
import { createWebhookSecrets } from '../../../shared/notify/tenant-secrets.js';
import { createLogger, setLogSink, type LogSink } from '../../../shared/log/index.js';
import type { Clock } from '../../../shared/domain/ports.js';
import { parseDesiredState } from '../../../shared/domain/listeners/desired-state.js';
import { startWebhookReceiver, type WebhookReceiver } from '../renewal/webhook-receiver.js';
import { declaration, startWorld, type World } from './world.js';

const DAY = 86_400_000;

describe('expiry notices for a server certificate the reconciler does not manage', () => {
  let world: World;
  let receiver: WebhookReceiver;
  let certificateId: string;
  let previousSink: LogSink;
  const lines: Array<Record<string, unknown>> = [];
  const masterKey = randomBytes(32).toString('base64');
  const clock = { t: Date.now(), now: () => new Date(clock.t) } as Clock & { t: number };

  beforeAll(async () => {
    previousSink = setLogSink((line) => lines.push(JSON.parse(line) as Record<string, unknown>));
    world = await startWorld({ jobDelayMs: 50 });
    const keyPair = await generateKeyPair('EC_P256');
    const certPem = await signServerCertificate({
      publicKey: keyPair.publicKey,
      commonName: 'www.example.com',
      sans: { dns: ['www.example.com'] },
      // From the test's clock, however long the world took to start: daysLeft is 19.
      notAfter: new Date(clock.t + 19.9 * DAY),
      issuer: {
        certificatePem: world.emulator.ca.rootCertificatePem,
        privateKey: createPrivateKey(world.emulator.ca.exportRootKeyPem()),
      },
    });
    certificateId = world.emulator.cas.uploadServerCertificate({
      name: 'short-lived',
      certPem,
      keyPem: keyPair.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    });
    const store = createOssObjectStore({
      endpoint: world.emulator.ossEndpoint,
      bucket: world.emulator.bucket,
      credentials: world.emulator.credentials,
      region: world.emulator.region,
    });
    const secrets = createWebhookSecrets({
      masterKey: Buffer.from(masterKey, 'base64'),
      store,
      clock: { now: () => new Date() },
    });
    receiver = await startWebhookReceiver((await secrets.current('system')).secret);
  });
  afterAll(async () => {
    await receiver?.close();
    await world?.close();
    setLogSink(previousSink);
  });

  const run = () => {
    const doc = parseDesiredState(
      JSON.stringify({
        version: 1,
        listeners: [
          declaration(world.emulator.listeners[0].listenerId, certificateId, { mutualAuth: false, ca: undefined }),
        ],
      }),
    );
    const runtime = world.runtime(
      doc,
      { SERVER_CERTIFICATE_WEBHOOK_URL: receiver.url, WEBHOOK_MASTER_KEY: masterKey, ALLOW_LOOPBACK_WEBHOOKS: 'true' },
      { clock, log: createLogger({}, 'warn') },
    );
    return world.run(runtime, { mode: 'plan' });
  };
  const events = () => lines.filter((l) => l.event === 'server-certificate.expiring');

  it("the 30-day notice goes once, signed with tenant system's secret, and says which listener serves it", async () => {
    await run();
    await run();
    expect(receiver.received).toHaveLength(1);
    const [hook] = receiver.received;
    expect(hook.verification).toEqual({ ok: true });
    expect(hook.event).toMatchObject({
      type: 'server-certificate.expiring',
      data: {
        certId: certificateId.split('-')[0],
        certIdentifier: certificateId,
        commonName: 'www.example.com',
        thresholdDays: 30,
        daysLeft: 19,
        listenerIds: [world.emulator.listeners[0].listenerId],
      },
    });
    expect(events()).toEqual([
      expect.objectContaining({ level: 'warn', due: 30, delivered: true, commonName: 'www.example.com' }),
    ]);
  });

  it('then the 7-day and the 1-day notices, each once', async () => {
    clock.t += 14 * DAY;
    await run();
    await run();
    clock.t += 5.5 * DAY;
    await run();
    await run();
    expect(receiver.received.map((r) => (r.event as { data: { thresholdDays: number } }).data.thresholdDays)).toEqual([
      30, 7, 1,
    ]);
    expect(events().map((e) => e.due)).toEqual([30, 7, 1]);
  });
});

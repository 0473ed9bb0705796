// What an owner receives: signed webhook events checked by a local receiver (and a wrong secret detected), the new
// bundle fetched through the event's link and opened with openssl using the event's password, CSR-mode renewals
// for the same key or a request for a new CSR, expiry notices; and a slow receiver that blocks nothing.
import { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { systemPrincipal } from '../../../shared/auth/principal.js';
import { systemClock } from '../../../shared/domain/ports.js';
import { parseRenewalIndexKey, renewalIndexKey } from '../../../shared/domain/renewal/schedule.js';
import { buildCsr, generateKeyPair, inspectCertificate } from '../../../shared/pki/index.js';
import { makeTempDir, openssl } from '../../helpers/tools.js';
import { startRig, listAll, WEBHOOK_SECRET, type Rig } from './rig.js';
import { startWebhookReceiver, type WebhookReceiver } from './webhook-receiver.js';

const spki = (pem: string) =>
  new X509Certificate(pem).publicKey.export({ type: 'spki', format: 'der' }).toString('hex');

describe('renewal notifications and CSR mode (emulator)', () => {
  let rig: Rig;
  let receiver: WebhookReceiver;

  beforeAll(async () => {
    rig = await startRig({
      workerConcurrency: 2,
      workerEnv: {
        WEBHOOK_TIMEOUT_MS: '300',
      },
    });
    receiver = await startWebhookReceiver(WEBHOOK_SECRET);
  });
  afterAll(async () => {
    await receiver?.close();
    await rig?.close();
  });
  beforeEach(() => {
    receiver.received.length = 0;
    receiver.script.length = 0;
  });

  it('sends a signed certificate.renewed event whose link and password open the new .p12 with openssl', async () => {
    // Prepare
    const [due] = await rig.seedDue(1, { webhookUrl: receiver.url });
    const tmp = makeTempDir();
    try {
      // Act
      await rig.sweep();
      // Assess: one event, verified with the secret, describing the new generation
      expect(receiver.received).toHaveLength(1);
      const [{ event, verification, headers }] = receiver.received;
      expect(verification).toEqual({ ok: true });
      expect(headers['webhook-id']).toBe(event.id);
      const record = await rig.record(due.id);
      expect(event).toMatchObject({
        type: 'certificate.renewed',
        subject: due.id,
        data: {
          reason: 'NearingExpiry',
          certificate: { generation: 2, serialNumber: record.current.serialNumber, notAfter: record.current.notAfter },
          previous: { generation: 1, serialNumber: due.current.serialNumber },
        },
      });
      const { downloads, p12Password } = event.data;
      expect(Object.keys(downloads).sort()).toEqual(['p12', 'pem']);
      // The owner downloads the new bundle through the signed link and opens it with the password from the event.
      const p12 = Buffer.from(await (await fetch(downloads.p12.url)).arrayBuffer());
      const file = tmp.write('client.p12', p12);
      expect((await openssl(['pkcs12', '-in', file, '-info', '-noout', '-passin', `pass:${p12Password}`])).code).toBe(
        0,
      );
      expect(
        (
          await openssl([
            'pkcs12',
            '-in',
            file,
            '-clcerts',
            '-nokeys',
            '-passin',
            `pass:${p12Password}`,
            '-out',
            tmp.path('client.crt'),
          ])
        ).code,
      ).toBe(0);
      expect(inspectCertificate(readFileSync(tmp.path('client.crt'), 'utf8')).serialNumber).toBe(
        record.current.serialNumber,
      );
      // The password and the links' signatures never reach the logs.
      const logText = rig.logs.map((l) => JSON.stringify(l)).join('\n');
      expect(logText).not.toContain(p12Password);
      expect(logText).not.toContain(
        new URL(downloads.p12.url).searchParams.get('x-oss-signature') ?? 'no-signature-in-url',
      );
    } finally {
      tmp.cleanup();
    }
  });

  it("another tenant's event is signed with that tenant's own secret: acme's receiver refuses it; the renewal stands", async () => {
    const [due] = await rig.seedDue(1, { webhookUrl: receiver.url, tenant: 'other' });
    await rig.sweep();
    expect(receiver.received.map((r) => r.verification.ok)).toEqual([false]);
    expect((await rig.record(due.id)).current.generation).toBe(2);
    expect(rig.logs.some((l) => l.msg === 'webhook failed' && l.certificateId === due.id && l.statusCode === 401)).toBe(
      true,
    );
  });

  it('a receiver that never answers neither blocks nor undoes the renewal', async () => {
    const [due] = await rig.seedDue(1, { webhookUrl: receiver.url });
    receiver.script.push('hang', 'hang');
    const sweep = await rig.sweep();
    expect(sweep.ok).toBe(true);
    expect((await rig.record(due.id)).current.generation).toBe(2);
    expect(rig.logs.some((l) => l.msg === 'webhook failed' && l.certificateId === due.id && l.code === 'TIMEOUT')).toBe(
      true,
    );
  });

  it('CSR mode renews for the same public key by resubmitting the stored CSR', async () => {
    const [due] = await rig.seedDue(1, { webhookUrl: receiver.url, mode: 'csr' });
    await rig.sweep();
    const record = await rig.record(due.id);
    expect(record.current.generation).toBe(2);
    const oldPem = rig.emulator.cas.getClientCertificate(due.current.casIdentifier)!.certificatePem;
    const newPem = rig.emulator.cas.getClientCertificate(record.current.casIdentifier)!.certificatePem;
    expect(spki(newPem)).toBe(spki(oldPem));
    expect(receiver.received[0].event.data).toMatchObject({ certificate: { mode: 'csr', generation: 2 } });
    expect(receiver.received[0].event.data.p12Password).toBeUndefined();
    expect(Object.keys(receiver.received[0].event.data.downloads)).toEqual(['certificate']);
  });

  it('sends each expiry notice once when auto-renewal is off', async () => {
    // 30-day certificate: the 30-day threshold has been crossed since issuance
    const [cert] = await rig.seedDue(1, { webhookUrl: receiver.url, autoRenew: false });
    await rig.sweep();
    await rig.sweep();
    const notices = receiver.received.filter((r) => r.event.subject === cert.id);
    expect(notices.map((r) => [r.event.type, r.event.data.thresholdDays, r.event.data.why])).toEqual([
      ['certificate.expiring', 30, 'auto-renew-disabled'],
    ]);
    const record = await rig.record(cert.id);
    expect(record.current.generation).toBe(1);
    expect(record.renewal.expiringNotified).toEqual([30]);
    // Indexed for the 7-day notice, nothing earlier.
    const keys = (await listAll(rig.store, 'index/renew/')).filter(
      (k) => parseRenewalIndexKey(k)?.certificateId === cert.id,
    );
    expect(keys).toEqual([renewalIndexKey(new Date(Date.parse(record.current.notAfter) - 7 * 86_400_000), cert.id)]);
  });
});

describe('CSR mode without key reuse (RENEW_CSR_KEY_REUSE=false)', () => {
  let rig: Rig;
  let receiver: WebhookReceiver;
  beforeAll(async () => {
    rig = await startRig({ workerEnv: { RENEW_CSR_KEY_REUSE: 'false' } });
    receiver = await startWebhookReceiver(WEBHOOK_SECRET);
  });
  afterAll(async () => {
    await receiver?.close();
    await rig?.close();
  });

  it('asks the owner for a new CSR once, issues nothing, and a renewal with the new CSR clears it', async () => {
    // Prepare
    const [due] = await rig.seedDue(1, { webhookUrl: receiver.url, mode: 'csr' });
    rig.emulator.faults.resetCounts();
    // Act: two sweeps
    await rig.sweep();
    await rig.sweep();
    // Assess: one request for a new CSR (plus the 30-day notice: nobody can renew it now), no certificate issued
    expect(rig.emulator.faults.count('CreateClientCertificateWithCsr')).toBe(0);
    const types = receiver.received.map((r) => [r.event.type, r.event.data.ownerAction ?? r.event.data.thresholdDays]);
    expect(types).toEqual([
      ['certificate.renewal_failed', 'submit-new-csr'],
      ['certificate.expiring', 30],
    ]);
    expect(receiver.received.every((r) => r.verification.ok)).toBe(true);
    const asked = await rig.record(due.id);
    expect(asked.renewal).toMatchObject({ failedAttempts: 1, lastFailure: { code: 'NEW_CSR_REQUIRED' } });
    expect(asked.renewal.nextAttemptAt).toBe(
      new Date(Date.parse(asked.current.notAfter) - 7 * 86_400_000).toISOString(),
    );

    // Act: the owner renews through the API with a CSR for a new key
    const keyPair = await generateKeyPair('EC_P256');
    const csrPem = await buildCsr({ keyPair, commonName: due.commonName });
    await rig
      .serviceAt(systemClock)
      .renew(systemPrincipal('owner', 'acme'), due.id, { trigger: 'api', csrPem, expectedGeneration: 1 });

    // Assess: new key certified, failure cleared, one index key at the new renewal time
    const renewed = await rig.record(due.id);
    expect(renewed.current.generation).toBe(2);
    expect(renewed.renewal.failedAttempts).toBe(0);
    const pem = rig.emulator.cas.getClientCertificate(renewed.current.casIdentifier)!.certificatePem;
    expect(spki(pem)).toBe(keyPair.publicKey.export({ type: 'spki', format: 'der' }).toString('hex'));
    const keys = (await listAll(rig.store, 'index/renew/')).filter(
      (k) => parseRenewalIndexKey(k)?.certificateId === due.id,
    );
    expect(keys).toEqual([renewalIndexKey(new Date(renewed.renewal.renewAt), due.id)]);
  });
});

// A managed listener server certificate on the emulator, with the reconciler's clock injected: planned, issued by
// the sub-CA and served (the handshake shows its serial and name), rotated in its renewal window, the old one
// removed from the certificate store after the grace period; a crash between steps resumes with the same
// certificate; what the CA would refuse is refused at plan time with nothing issued and nothing sent to NLB.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { X509Certificate } from 'node:crypto';
import { Faults } from '../../../local/emulator/index.js';
import type { Clock } from '../../../shared/domain/ports.js';
import { parseDesiredState, type DesiredStateDocument } from '../../../shared/domain/listeners/desired-state.js';
import type { ManagedCertificateState } from '../../../shared/domain/listeners/managed-certificate.js';
import { managedStateKey } from '../../../shared/listeners/managed-certificates.js';
import { probeTls } from '../../../shared/tls-probe/index.js';
import { createOssObjectStore } from '../../../shared/alibaba/oss-store.js';
import { renderReport } from '../../../shared/domain/listeners/render.js';
import { declaration, startWorld, type World } from './world.js';

const DAY = 86_400_000;

describe('a managed listener server certificate', () => {
  let world: World;
  let listenerId: string;
  const clock = { t: Date.now(), now: () => new Date(clock.t) } as Clock & { t: number };
  const managed = {
    names: ['www.example.com', 'api.example.com'],
    keyAlgorithm: 'EC_P256' as const,
    validityDays: 90,
    renewBeforeDays: 30,
    retireAfterHours: 24,
  };
  // Through the parser, as the function reads its file: defaults applied, bad names refused with their path.
  const doc = (m: Record<string, unknown> = managed): DesiredStateDocument =>
    parseDesiredState(
      JSON.stringify({
        version: 1,
        listeners: [
          declaration(listenerId, world.emulator.serverCertificate.certificateId, {
            mutualAuth: false,
            ca: undefined,
            serverCertificate: { managed: m },
          }),
        ],
      }),
    );
  const state = async (): Promise<ManagedCertificateState> => {
    const store = createOssObjectStore({
      endpoint: world.emulator.ossEndpoint,
      bucket: world.emulator.bucket,
      credentials: world.emulator.credentials,
      region: world.emulator.region,
    });
    return JSON.parse((await store.get(managedStateKey(listenerId)))!.toString('utf8')) as ManagedCertificateState;
  };
  const served = () =>
    probeTls({
      host: '127.0.0.1',
      port: world.emulator.listeners[0].port,
      servername: 'www.example.com',
      request: 'none',
      httpHost: 'www.example.com',
      timeoutMs: 3000,
    });

  beforeAll(async () => {
    world = await startWorld({ jobDelayMs: 50 });
    listenerId = world.emulator.listeners[0].listenerId;
  });
  afterAll(() => world.close());

  it('plans the first certificate without making anything, then issues, uploads and serves it', async () => {
    const runtime = world.runtime(doc(), {}, clock);
    const plan = await world.run(runtime, { mode: 'plan' });
    const [p] = plan.results;
    expect(p.outcome).toBe('changes-planned');
    expect(p.serverCertificate).toMatchObject({ action: 'replace', reason: 'no-certificate', names: managed.names });
    expect(p.plan).toContainEqual({
      field: 'serverCertificateId',
      from: world.emulator.serverCertificate.certificateId,
      to: '(new)',
    });
    expect(renderReport(plan)).toContain(
      '+ server certificate (managed): will issue www.example.com, api.example.com (EC_P256, 90 days',
    );
    expect(world.emulator.faults.count('CreateServerCertificateWithCsr')).toBe(0);
    expect(world.emulator.faults.count('UploadUserCertificate')).toBe(0);

    const applied = await world.run(runtime, { mode: 'apply' });
    const [r] = applied.results;
    expect(r).toMatchObject({ outcome: 'changed', probe: { verdict: 'passed' } });
    const s = await state();
    expect(s.current?.serialNumber).toBe(r.serverCertificate?.next?.serialNumber);
    expect(s.pending).toBeUndefined(); // no key anywhere in our state once the store holds it
    expect(JSON.stringify(s)).not.toContain('PRIVATE KEY');

    const seen = await served();
    expect(seen.peerCertificate).toMatchObject({
      commonName: 'www.example.com',
      dnsNames: ['www.example.com', 'api.example.com'],
      issuer: 'Emulated PCA Sub CA',
      serialNumber: s.current!.serialNumber,
    });
    // The listener serves leaf + sub-CA, so a client holding only the root verifies it.
    const verified = await probeTls({
      host: '127.0.0.1',
      port: world.emulator.listeners[0].port,
      servername: 'www.example.com',
      request: 'none',
      httpHost: 'www.example.com',
      timeoutMs: 3000,
      trustedCaPem: world.emulator.ca.rootCertificatePem,
    });
    expect(verified.serverAuthorized).toBe(true);

    const again = await world.run(runtime, { mode: 'apply' });
    expect(again.results[0]).toMatchObject({ outcome: 'in-sync', serverCertificate: { action: 'keep' } });
    expect(world.emulator.faults.count('CreateServerCertificateWithCsr')).toBe(1);
  });

  it('rotates in the renewal window: a new serial is served and proven, the old one leaves the store after the grace period', async () => {
    const before = await state();
    const old = before.current!;
    clock.t += 61 * DAY; // renewAt = notAfter - 30 days
    const runtime = world.runtime(doc(), {}, clock);
    const plan = await world.run(runtime, { mode: 'plan' });
    expect(plan.results[0].serverCertificate).toMatchObject({ action: 'replace', reason: 'renewal-window' });

    const rotated = await world.run(runtime, { mode: 'apply' });
    const [r] = rotated.results;
    expect(r.outcome).toBe('changed');
    expect(r.plan.map((c) => c.field)).toEqual(['serverCertificateId']);
    const after = await state();
    expect(after.current!.serialNumber).not.toBe(old.serialNumber);
    expect(after.retired).toEqual([expect.objectContaining({ certId: old.certId, serialNumber: old.serialNumber })]);
    expect((await served()).peerCertificate?.serialNumber).toBe(after.current!.serialNumber);
    // Within the grace period the old one stays in the store.
    expect(world.emulator.cas.userCertificates().map((c) => String(c.certId))).toContain(old.certId);

    clock.t += 23 * 3_600_000;
    await world.run(runtime, { mode: 'apply' });
    expect(world.emulator.cas.userCertificates().map((c) => String(c.certId))).toContain(old.certId);

    clock.t += 2 * 3_600_000;
    const retired = await world.run(runtime, { mode: 'apply' });
    expect(retired.results[0]).toMatchObject({
      outcome: 'in-sync',
      serverCertificate: { action: 'keep', retire: [{ certId: old.certId, removed: true }] },
    });
    expect(world.emulator.cas.userCertificates().map((c) => String(c.certId))).not.toContain(old.certId);
    expect((await state()).retired).toEqual([]);
    expect(world.emulator.faults.count('CreateServerCertificateWithCsr')).toBe(2);
  });

  it('a crash after the CA issued (the upload failed) resumes with the same certificate: none issued twice', async () => {
    clock.t += 70 * DAY; // the current one is now past its renewal time
    const runtime = world.runtime(doc(), {}, clock);
    const issuedBefore = world.emulator.faults.count('CreateServerCertificateWithCsr');
    world.emulator.faults.failNext('UploadUserCertificate', 1, Faults.internal());
    const broken = await world.run(runtime, { mode: 'apply' });
    expect(broken.results[0]).toMatchObject({ outcome: 'failed', stage: 'server-certificate' });
    const pending = (await state()).pending!;
    expect(pending.issued?.serialNumber).toBeTruthy();
    expect(pending.uploaded).toBeUndefined();

    const resumed = await world.run(runtime, { mode: 'apply' });
    expect(resumed.results[0]).toMatchObject({ outcome: 'changed', serverCertificate: { action: 'resume' } });
    expect(world.emulator.faults.count('CreateServerCertificateWithCsr')).toBe(issuedBefore + 1);
    expect((await state()).current!.serialNumber).toBe(pending.issued!.serialNumber);
    expect((await served()).peerCertificate?.serialNumber).toBe(pending.issued!.serialNumber);
  });

  it('refuses at plan time what the CA would refuse, and issues nothing and changes nothing', async () => {
    const issued = world.emulator.faults.count('CreateServerCertificateWithCsr');
    const updates = world.emulator.faults.count('UpdateListenerAttribute');
    const rsa = await world.run(world.runtime(doc({ ...managed, keyAlgorithm: 'RSA_2048' }), {}, clock), {
      mode: 'apply',
    });
    expect(rsa.results[0]).toMatchObject({ outcome: 'blocked', rule: 'managed-certificate-issuable' });
    expect(rsa.results[0].violations?.[0].message).toMatch(/not of the sub-CA's key family \(EC\)/);

    const subCaEnd = Date.parse(new X509Certificate(world.emulator.ca.subCaCertificatePem).validTo);
    const tooLong = Math.ceil((subCaEnd - clock.t) / DAY) + 10;
    const long = await world.run(
      world.runtime(doc({ ...managed, validityDays: tooLong, renewBeforeDays: 30 }), {}, clock),
      { mode: 'plan' },
    );
    expect(long.results[0]).toMatchObject({ outcome: 'blocked', rule: 'managed-certificate-issuable' });
    expect(long.results[0].violations?.[0].message).toMatch(/would outlive the issuing sub-CA/);

    const other = await world.run(world.runtime(doc({ ...managed, names: ['other.example.com'] }), {}, clock), {
      mode: 'apply',
    });
    expect(other.results[0]).toMatchObject({ outcome: 'blocked', rule: 'server-certificate-covers-probe-host' });

    expect(() => world.runtime(doc({ ...managed, names: ['www.example.com', 'bad_name.example.com'] }))).toThrow(
      /listeners\.0\.serverCertificate\.managed\.names\.1: "bad_name\.example\.com" has an invalid label/,
    );
    expect(() => world.runtime(doc({ ...managed, names: ['www.*.example.com'] }))).toThrow(
      /wildcard that is not the whole leftmost label/,
    );
    expect(world.emulator.faults.count('CreateServerCertificateWithCsr')).toBe(issued);
    expect(world.emulator.faults.count('UpdateListenerAttribute')).toBe(updates);
  });
});

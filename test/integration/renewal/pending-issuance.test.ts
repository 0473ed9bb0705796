// A first issuance whose record write fails after the CA has issued (as if the process died there) leaves
// `pending/<id>/g1.json` and a certificate in CAS with no record. The renewal sweep finishes it once it is older than
// the grace period (renew-worker's clock moved past it): same key, and the certificate CAS issued is adopted from the
// attempt that got it (CAS has no idempotency token: calling again would issue a second one); the record, bundles and
// index are written and the pending object is removed. A caller that retries with its Idempotency-Key then gets that
// same certificate.
import { randomBytes } from 'node:crypto';
import { Faults } from '../../../local/emulator/index.js';
import { systemPrincipal } from '../../../shared/auth/principal.js';
import { IssueRequestSchema } from '../../../shared/certificates/schemas.js';
import { systemClock } from '../../../shared/domain/ports.js';
import { parseRenewalIndexKey } from '../../../shared/domain/renewal/schedule.js';
import { PENDING_ISSUANCE_GRACE_MS } from '../../../shared/renewal/worker.js';
import { listAll, startRig, type Rig } from './rig.js';

describe('a first issuance that failed after the CA call', () => {
  let rig: Rig;
  let workerClockOffsetMs = 0;
  const caller = systemPrincipal('api-caller', 'acme');

  beforeAll(async () => {
    rig = await startRig({
      workerConcurrency: 1,
      workerClock: { now: () => new Date(Date.now() + workerClockOffsetMs) },
    });
  });
  afterAll(async () => {
    await rig?.close();
  });

  const requestFor = () =>
    IssueRequestSchema.parse({
      commonName: `first-${randomBytes(4).toString('hex')}.devices.example.com`,
      keyAlgorithm: 'EC_P256',
    });
  const casCertificatesFor = (commonName: string) =>
    rig.emulator.cas.listClientCertificates().filter((c) => c.commonName === commonName);

  /** The OSS write number `passes + 1` after now answers 500 (`passes` writes go through first). */
  function failWriteAfter(passes: number): void {
    rig.emulator.faults.failNext('PutObject', passes, Faults.delay(0));
    rig.emulator.faults.failNext('PutObject', 1, Faults.internal());
  }

  /** The failed request's id, asserting what it left: a pending object and bundles, no record, one CAS certificate. */
  async function leftBehind(commonName: string): Promise<string> {
    const pending = await listAll(rig.store, 'pending/');
    expect(pending).toHaveLength(1);
    const id = pending[0].match(/^pending\/(cc-[a-z0-9]+)\/g1\.json$/)![1];
    expect(await rig.store.exists(`records/${id}.json`)).toBe(false);
    expect(await rig.store.exists(`index/tenant/acme/${id}`)).toBe(true); // the write just before the record's
    expect(casCertificatesFor(commonName)).toHaveLength(1);
    return id;
  }

  async function assertFinished(id: string, commonName: string) {
    const [certificate] = casCertificatesFor(commonName);
    expect(casCertificatesFor(commonName)).toHaveLength(1);
    const record = await rig.record(id);
    expect(record).toMatchObject({
      id,
      tenant: 'acme',
      commonName,
      status: 'ACTIVE',
      current: { generation: 1, casIdentifier: certificate.identifier },
    });
    for (const key of Object.values(record.current.bundle)) expect(await rig.store.exists(key as string)).toBe(true);
    expect(Object.keys(record.current.bundle).sort()).toEqual(['p12', 'pem']);
    expect(
      (await listAll(rig.store, 'index/renew/')).filter((k) => parseRenewalIndexKey(k)?.certificateId === id),
    ).toHaveLength(1);
    expect(await listAll(rig.store, 'pending/')).toEqual([]);
    return record;
  }

  it('without an Idempotency-Key: left alone within the grace period, then finished by a sweep with no second certificate', async () => {
    // Prepare: writes of a keyless issuance: pending, attempt claim, attempt answer, .p12, PEM zip, CA index, tenant
    // index, record (the 8th fails)
    const request = requestFor();
    const service = rig.serviceAt(systemClock);
    const caCallsBefore = rig.emulator.faults.count('CreateClientCertificateWithCsr');
    failWriteAfter(7);
    await expect(service.issue(caller, request)).rejects.toMatchObject({ code: 'STORAGE_UNAVAILABLE' });
    const id = await leftBehind(request.commonName);

    // Act 1: a sweep while the request could still be in flight
    workerClockOffsetMs = 0;
    await rig.sweep();
    // Assess 1: untouched
    expect(await listAll(rig.store, `pending/${id}/`)).toEqual([`pending/${id}/g1.json`]);
    expect(await rig.store.exists(`records/${id}.json`)).toBe(false);

    // Act 2: a sweep past the grace period
    workerClockOffsetMs = PENDING_ISSUANCE_GRACE_MS + 60_000;
    await rig.sweep();
    // Assess 2: finished with the certificate CAS had already issued, without asking CAS again
    await assertFinished(id, request.commonName);
    expect(rig.emulator.faults.count('CreateClientCertificateWithCsr') - caCallsBefore).toBe(1);
    expect(rig.logs.some((l) => l.msg === 'pending issuance finished' && l.certificateId === id)).toBe(true);
  }, 60_000);

  it("with an Idempotency-Key: finished by a sweep, and the caller's retry gets the same certificate", async () => {
    // Prepare: writes of a keyed issuance: expiry key, idempotency entry, pending, attempt claim, attempt answer, .p12,
    // PEM zip, CA index, tenant index, record (the 10th fails)
    const request = requestFor();
    const service = rig.serviceAt(systemClock);
    const idempotencyKey = `retry-${randomBytes(6).toString('hex')}`;
    failWriteAfter(9);
    await expect(service.issue(caller, request, idempotencyKey)).rejects.toMatchObject({ code: 'STORAGE_UNAVAILABLE' });
    const id = await leftBehind(request.commonName);

    // Act: the sweep past the grace period, then the caller's retry
    workerClockOffsetMs = PENDING_ISSUANCE_GRACE_MS + 60_000;
    await rig.sweep();
    const record = await assertFinished(id, request.commonName);
    const retried = await service.issue(caller, request, idempotencyKey);

    // Assess: the same certificate, with the generated password and fresh links; still one certificate in CAS
    expect(retried).toMatchObject({ id, generation: 1, serialNumber: record.current.serialNumber, status: 'ACTIVE' });
    expect(typeof retried.p12Password).toBe('string');
    expect(Object.keys(retried.downloads).sort()).toEqual(['p12', 'pem']);
    expect(casCertificatesFor(request.commonName)).toHaveLength(1);
    expect(await listAll(rig.store, 'pending/')).toEqual([]);
  }, 60_000);
});

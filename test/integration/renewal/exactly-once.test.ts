// The exactly-once invariant against the emulated CAS, which (like CAS) issues a NEW certificate on every call and
// has no idempotency token: under an answer lost after CAS issued, a crash between steps, concurrent same-key
// requests and an API renewal racing a sweep, every certificate CAS holds under our sub-CA ends up a generation of a
// record or revoked (by the sweep's inventory scan, grace 0 here), and no Idempotency-Key ever gets two certificates.
// Run with both ASSUMED answers to a repeated CustomIdentifier (issue another / refuse): the design holds either way.
import { randomBytes } from 'node:crypto';
import { Faults } from '../../../local/emulator/index.js';
import { systemPrincipal } from '../../../shared/auth/principal.js';
import { IssueRequestSchema } from '../../../shared/certificates/schemas.js';
import type { ClientCertificate } from '../../../shared/domain/client-certificate.js';
import { systemClock } from '../../../shared/domain/ports.js';
import { PENDING_ISSUANCE_GRACE_MS } from '../../../shared/renewal/worker.js';
import { listAll, startRig, type Rig } from './rig.js';

describe.each(['new', 'refuse'] as const)(
  'exactly once when CAS answers a repeated CustomIdentifier with "%s"',
  (mode) => {
    let rig: Rig;
    let workerClockOffsetMs = 0;
    const caller = systemPrincipal('api-caller', 'acme');
    /** Every certificate an Idempotency-Key was answered with. */
    const answers = new Map<string, Set<string>>();
    const requests = new Map<string, ReturnType<typeof requestFor>>();

    beforeAll(async () => {
      rig = await startRig({
        workerConcurrency: 2,
        casTimeoutMs: 1000,
        inventory: { orphanGraceMs: 0 },
        workerClock: { now: () => new Date(Date.now() + workerClockOffsetMs) },
      });
      rig.emulator.cas.behave({ customIdentifierRepeats: mode });
      await rig.sweep(); // the scan's first run: backfill (nothing to index yet)
    });
    afterAll(async () => {
      await rig?.close();
    });

    const requestFor = () =>
      IssueRequestSchema.parse({
        commonName: `once-${randomBytes(4).toString('hex')}.devices.example.com`,
        keyAlgorithm: 'EC_P256',
      });
    const casFor = (commonName: string) =>
      rig.emulator.cas.listClientCertificates().filter((c) => c.commonName === commonName);
    const answered = (key: string, serialNumber: string) =>
      answers.set(key, (answers.get(key) ?? new Set()).add(serialNumber));

    it('an answer lost after CAS issued: the retry adopts it once it settled', async () => {
      const service = rig.serviceAt(systemClock, { answerSettleMs: 2000 });
      const request = requestFor();
      const key = `lost-${mode}`;
      requests.set(key, request);
      rig.emulator.faults.failNext('CreateClientCertificateWithCsr', 1, Faults.delay(1500));
      const first = await service.issue(caller, request, key).catch((err: { code?: string }) => err);
      const retry = await service.issue(caller, request, key);
      answered(key, retry.serialNumber);
      expect(first).toMatchObject({ code: 'CA_UNAVAILABLE' });
      expect(casFor(request.commonName)).toHaveLength(1);
    }, 30_000);

    it('an answer later than the settle time: a second certificate, the late one left for the scan', async () => {
      const service = rig.serviceAt(systemClock, { answerSettleMs: 0 });
      const request = requestFor();
      const key = `late-${mode}`;
      requests.set(key, request);
      rig.emulator.faults.failNext('CreateClientCertificateWithCsr', 1, Faults.delay(1500));
      await service.issue(caller, request, key).catch(() => undefined);
      const retry = await service.issue(caller, request, key);
      answered(key, retry.serialNumber);
      await new Promise((r) => setTimeout(r, 800)); // the late call lands at CAS
      expect(casFor(request.commonName)).toHaveLength(2);
    }, 30_000);

    it('a crash after CAS issued (the record write fails), no retry: the sweep finishes it with that certificate', async () => {
      const service = rig.serviceAt(systemClock);
      const request = requestFor();
      // writes of a keyless issuance: pending, attempt, attempt answer, .p12, PEM zip, CA index, tenant index, record
      rig.emulator.faults.failNext('PutObject', 7, Faults.delay(0));
      rig.emulator.faults.failNext('PutObject', 1, Faults.internal());
      await expect(service.issue(caller, request)).rejects.toMatchObject({ code: 'STORAGE_UNAVAILABLE' });
      workerClockOffsetMs = PENDING_ISSUANCE_GRACE_MS + 60_000;
      await rig.sweep();
      workerClockOffsetMs = 0;
      const [certificate] = casFor(request.commonName);
      expect(casFor(request.commonName)).toHaveLength(1);
      const records = await Promise.all(
        (await listAll(rig.store, 'records/')).map(
          async (k) => JSON.parse((await rig.store.get(k))!.toString()) as ClientCertificate,
        ),
      );
      expect(records.find((r) => r.commonName === request.commonName)?.current.casIdentifier).toBe(
        certificate.identifier,
      );
    }, 30_000);

    it('six concurrent requests with one Idempotency-Key: one certificate, one answer', async () => {
      const service = rig.serviceAt(systemClock);
      const request = requestFor();
      const key = `twins-${mode}`;
      requests.set(key, request);
      const results = await Promise.all(Array.from({ length: 6 }, () => service.issue(caller, request, key)));
      for (const r of results) answered(key, r.serialNumber);
      expect(casFor(request.commonName)).toHaveLength(1);
    }, 30_000);

    it('an API renewal racing a sweep: one new certificate per certificate', async () => {
      const due = await rig.seedDue(3);
      rig.emulator.faults.failNext('CreateClientCertificateWithCsr', 2, Faults.delay(300));
      const service = rig.serviceAt(systemClock);
      await Promise.all([
        ...due.map((d) =>
          service.renew(caller, d.id, { trigger: 'api', expectedGeneration: 1 }).catch(() => undefined),
        ),
        rig.sweep(),
      ]);
      for (const d of due) {
        expect((await rig.record(d.id)).current.generation).toBe(2);
        expect(casFor(d.commonName)).toHaveLength(2);
      }
    }, 30_000);

    it('afterwards: every CAS certificate under the sub-CA is a record generation or revoked, and no key got two', async () => {
      // Act: the sweep's inventory scan (grace 0) settles what is left; a replay of every key answers again
      await rig.sweep();
      await rig.sweep();
      const service = rig.serviceAt(systemClock);
      for (const [key, request] of requests) answered(key, (await service.issue(caller, request, key)).serialNumber);
      // Assess
      const generations = new Set<string>();
      for (const k of await listAll(rig.store, 'records/')) {
        const r = JSON.parse((await rig.store.get(k))!.toString()) as ClientCertificate;
        generations.add(r.current.casIdentifier);
        for (const p of r.previous) generations.add(p.casIdentifier);
      }
      const loose = rig.emulator.cas
        .listClientCertificates()
        .filter((c) => c.parentIdentifier === rig.emulator.ca.subCaIdentifier)
        .filter((c) => c.status === 'ISSUE' && !generations.has(c.identifier));
      expect(loose.map((c) => c.commonName)).toEqual([]);
      expect(
        rig.emulator.cas.listClientCertificates().filter((c) => c.status === 'REVOKE').length,
      ).toBeGreaterThanOrEqual(1);
      for (const [key, serials] of answers)
        expect({ key, certificates: serials.size }).toEqual({ key, certificates: 1 });
      expect(rig.logs.some((l) => l.msg === 'orphan certificate revoked')).toBe(true);
    }, 30_000);
  },
);

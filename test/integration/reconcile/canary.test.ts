// Prepare: the emulator, the certificate service and the canary provider with a clock the test moves. Act: ask
// for the canary across its life (first use, reuse, renewal when due, lost state, a crash mid-issue).
// Assess: CAS issues exactly what it should, the key is sealed at rest and always matches the certificate.
import { createPrivateKey, createPublicKey, randomBytes } from 'node:crypto';
import { Faults, type Emulator } from '../../../local/emulator/index.js';
import { startCanaryRig } from './canary-rig.js';
import { createRpcCaller } from '../../../shared/alibaba/rpc.js';
import { createCasPcaClient } from '../../../shared/alibaba/cas-pca.js';
import { createCertificateService } from '../../../shared/certificates/service.js';
import { loadAlibabaConfig } from '../../../shared/config/alibaba.js';
import {
  createCanaryProvider,
  CANARY_PRINCIPAL,
  CANARY_STATE_KEY,
} from '../../../functions/reconcile-listeners/canary.js';
import { createPcaReads, PCA_API_VERSION } from '../../../functions/reconcile-listeners/pca-reads.js';
import { chainsTo, generateKeyPair, keyMatchesCertificate, splitPemCertificates } from '../../../shared/pki/index.js';
import { createStateCipher } from '../../../shared/certificates/sealing.js';
import { createLogger } from '../../../shared/log/index.js';
import type { ObjectStore } from '../../../shared/domain/ports.js';
import type { CanaryProvider } from '../../../shared/domain/listeners/ports.js';
import { systemSleep } from '../../../shared/domain/ports.js';
import { eventually } from '../../helpers/eventually.js';

const DAY = 86_400_000;

describe('the canary client certificate', () => {
  let emulator: Emulator;
  let store: ObjectStore;
  let canary: CanaryProvider;
  let service: ReturnType<typeof createCertificateService>;
  let now = new Date();
  const clock = { now: () => now };
  const stateKey = randomBytes(32);
  const issued = () => emulator.cas.listClientCertificates().length;

  beforeAll(async () => {
    const rig = await startCanaryRig({ caKeyAlgorithm: 'ECC_256', clock, stateKey });
    ({ emulator, store, service } = rig);
    canary = createCanaryProvider({ service, store, pca: rig.pca, stateKey, clock, log: rig.log, validityDays: 30 });
  });
  afterAll(() => emulator.close());

  const publicKeyOf = (pem: string) => createPublicKey(pem).export({ type: 'spki', format: 'der' }).toString('base64');

  it('is issued once, chains to the root, and its key is sealed at rest', async () => {
    const before = issued();

    const first = await canary.current();
    const again = await canary.current();

    expect(issued() - before).toBe(1);
    expect(again.certificateId).toBe(first.certificateId);
    const [leaf, ...chain] = splitPemCertificates(first.certificateChainPem);
    expect(chainsTo(leaf, chain, emulator.ca.rootCertificatePem)).toBe(true);
    expect(keyMatchesCertificate(createPrivateKey(first.privateKeyPem), leaf)).toBe(true);
    const atRest = (await store.get(CANARY_STATE_KEY))!.toString('utf8');
    expect(atRest).not.toMatch(/PRIVATE KEY/);
    expect(JSON.parse(atRest)).toMatchObject({ certificateId: first.certificateId, key: { alg: 'A256GCM' } });
  });

  it('is renewed when due, keeping its key (the stored CSR is resubmitted)', async () => {
    const first = await canary.current();
    const before = issued();
    now = new Date(now.getTime() + 25 * DAY); // past 2/3 of 30 days

    const renewed = await canary.current();

    expect(issued() - before).toBe(1);
    expect(renewed.certificateId).toBe(first.certificateId);
    expect(renewed.notAfter.getTime()).toBeGreaterThan(first.notAfter.getTime());
    expect(publicKeyOf(renewed.privateKeyPem)).toBe(publicKeyOf(first.privateKeyPem));
    expect((await service.getRecord(CANARY_PRINCIPAL, renewed.certificateId)).current.generation).toBe(2);
  });

  it('is replaced when its state is lost', async () => {
    const old = await canary.current();
    await store.delete(CANARY_STATE_KEY);

    const replacement = await canary.current();

    expect(replacement.certificateId).not.toBe(old.certificateId);
    expect(publicKeyOf(replacement.privateKeyPem)).not.toBe(publicKeyOf(old.privateKeyPem));
    // The lost state cannot name the old canary: it stays ACTIVE until it expires (and is still an issued client).
    expect((await service.getRecord(CANARY_PRINCIPAL, old.certificateId)).status).toBe('ACTIVE');
  });

  it('finishes an issuance that crashed after the CA call with the same certificate, not a second one', async () => {
    // Back to the real time: finding what CAS issued for a lost answer compares our clock with the CA's.
    now = new Date();
    await store.delete(CANARY_STATE_KEY);
    // A CA client with a short read timeout (fresh sockets): the CA issues after 800 ms, the caller gave up at 300.
    const alibaba = loadAlibabaConfig(emulator.env());
    const impatient = createCertificateService({
      ca: createCasPcaClient({ ...alibaba.cas, readTimeoutMs: 300 }, alibaba.credentials),
      store,
      clock,
      sleep: systemSleep,
      log: createLogger({}, 'error'),
      // The test waits for the CA itself (below): a call without an answer is searched for at once.
      timing: { answerSettleMs: 0 },
      config: {
        parentIdentifier: emulator.ca.subCaIdentifier,
        stateKey,
        linkDefaultSeconds: 900,
        linkMaxSeconds: 900,
        defaultValidityDays: 30,
        maxValidityDays: 30,
      },
    });
    const pca = createPcaReads(createRpcCaller(PCA_API_VERSION, alibaba.cas, alibaba.credentials));
    const crashing = createCanaryProvider({
      service: impatient,
      store,
      pca,
      stateKey,
      clock,
      log: createLogger({}, 'error'),
      validityDays: 30,
    });
    const before = issued();
    emulator.faults.failNext('CreateClientCertificateWithCsr', 1, Faults.delay(800));

    await expect(crashing.current()).rejects.toBeDefined();
    await eventually(() => issued() > before, 'the CA finishes the request the caller abandoned');
    const issuedByCrash = issued() - before;
    const recovered = await crashing.current();

    expect(issuedByCrash).toBe(1);
    expect(issued() - before).toBe(1);
    const [leaf] = splitPemCertificates(recovered.certificateChainPem);
    expect(emulator.cas.listClientCertificates().filter((c) => c.certificatePem.trim() === leaf.trim())).toHaveLength(
      1,
    );
  });

  it('is replaced, and the old one revoked, when the sealed key no longer matches its certificate', async () => {
    const current = await canary.current();
    const state = JSON.parse((await store.get(CANARY_STATE_KEY))!.toString('utf8'));
    const otherKey = (await generateKeyPair('EC_P256')).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
    await store.put(
      CANARY_STATE_KEY,
      JSON.stringify({
        ...state,
        key: createStateCipher(stateKey).seal({ privateKeyPem: otherKey }, CANARY_STATE_KEY),
      }),
    );

    const replacement = await canary.current();

    expect(replacement.certificateId).not.toBe(current.certificateId);
    expect((await service.getRecord(CANARY_PRINCIPAL, current.certificateId)).status).toBe('REVOKED');
    const [leaf] = splitPemCertificates(replacement.certificateChainPem);
    expect(keyMatchesCertificate(createPrivateKey(replacement.privateKeyPem), leaf)).toBe(true);
  });
});

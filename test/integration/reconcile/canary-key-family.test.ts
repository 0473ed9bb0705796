// The canary under an RSA sub-CA. CAS certifies only client keys of the sub-CA's own family (docs/cloud-fidelity.md,
// D9), so a canary that always made an EC key failed verification on every listener of an RSA deployment; and the
// refused CSR, kept as pending work, was refused again on every run. Prepare: an emulator whose private CA is RSA.
// Act: ask for the canary, once fresh and once after a stale EC pending issuance. Assess: an RSA canary that
// chains to the root, and the stale pending work dropped after one refusal.
import { createPrivateKey, randomBytes } from 'node:crypto';
import type { Emulator } from '../../../local/emulator/index.js';
import { startCanaryRig } from './canary-rig.js';
import { createCanaryProvider, CANARY_STATE_KEY } from '../../../functions/reconcile-listeners/canary.js';
import { buildCsr, chainsTo, generateKeyPair, splitPemCertificates } from '../../../shared/pki/index.js';
import { createStateCipher } from '../../../shared/certificates/sealing.js';
import type { ObjectStore } from '../../../shared/domain/ports.js';

describe('the canary under an RSA sub-CA', () => {
  let emulator: Emulator;
  let store: ObjectStore;
  let makeCanary: (objectKey: string) => ReturnType<typeof createCanaryProvider>;
  const clock = { now: () => new Date() };
  const stateKey = randomBytes(32);

  beforeAll(async () => {
    const rig = await startCanaryRig({ caKeyAlgorithm: 'RSA_2048', clock, stateKey });
    ({ emulator, store } = rig);
    const { service, pca, log } = rig;
    const parentIdentifier = emulator.ca.subCaIdentifier;
    makeCanary = (objectKey) =>
      createCanaryProvider({
        service,
        store,
        pca,
        stateKey,
        clock,
        log,
        validityDays: 30,
        objectKey,
        parentIdentifier,
      });
  });
  afterAll(() => emulator.close());

  it('makes an RSA key, and the canary chains to the root', async () => {
    const canary = await makeCanary(CANARY_STATE_KEY).current();

    expect(createPrivateKey(canary.privateKeyPem).asymmetricKeyType).toBe('rsa');
    const [leaf, ...chain] = splitPemCertificates(canary.certificateChainPem);
    expect(chainsTo(leaf, chain, emulator.ca.rootCertificatePem)).toBe(true);
  });

  it('drops a pending issuance the CA family refuses, and the next run issues', async () => {
    const objectKey = 'reconcile/canary-stale.json';
    const keyPair = await generateKeyPair('EC_P256');
    const privateKeyPem = keyPair.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
    const pending = {
      idempotencyKey: `reconcile-canary-${randomBytes(12).toString('hex')}`,
      key: createStateCipher(stateKey).seal({ privateKeyPem }, objectKey),
      csrPem: await buildCsr({ keyPair, commonName: 'nlb-mtls-autopilot-canary' }),
    };
    await store.put(objectKey, JSON.stringify({ version: 1, pending }), { contentType: 'application/json' });
    const canary = makeCanary(objectKey);

    await expect(canary.current()).rejects.toMatchObject({ code: 'KEY_ALGORITHM_MISMATCH' });
    const after = JSON.parse((await store.get(objectKey))!.toString('utf8')) as { pending?: unknown };
    expect(after.pending).toBeUndefined();
    const issued = await canary.current();
    expect(createPrivateKey(issued.privateKeyPem).asymmetricKeyType).toBe('rsa');
  });
});

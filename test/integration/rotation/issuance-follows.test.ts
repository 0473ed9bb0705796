// Issuance follows a CA rotation by itself (docs/rotation.md "Issuance follows the rotation"): cert-api and
// renew-worker, wired from their env as deployed, issue from the rotation's new sub-CA once the listener trusts the
// new CA (no PCA_PARENT_IDENTIFIER change, no restart), and from the configured one again after a rollback. What
// they issue passes the listener's handshake (curl as the seed does) each time; proofs of possession by a
// certificate of either sub-CA are accepted while the rotation runs.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { randomBytes } from 'node:crypto';
import { buildCertApiDeps } from '../../../functions/cert-api/deps.js';
import { buildRenewWorkerDeps } from '../../../functions/renew-worker/deps.js';
import { signPossessionProof } from '../../../shared/auth/possession-proof.js';
import { hashToken } from '../../../shared/auth/tokens.js';
import { systemPrincipal } from '../../../shared/auth/principal.js';
import { readRecord } from '../../../shared/certificates/records.js';
import { createCertificateService } from '../../../shared/certificates/service.js';
import { bundleObjectKeys } from '../../../shared/certificates/ids.js';
import { createAlibabaAdapters } from '../../../shared/alibaba/adapters.js';
import { createOssObjectStore } from '../../../shared/alibaba/oss-store.js';
import { loadCertApiConfig } from '../../../shared/config/cert-api.js';
import type { ObjectStore } from '../../../shared/domain/ports.js';
import { buildCsr, chainsTo, generateKeyPair } from '../../../shared/pki/index.js';
import { prepareRotation } from '../../../shared/rotation/prepare.js';
import { rollbackRotation } from '../../../shared/rotation/rollback.js';
import { switchRotation } from '../../../shared/rotation/switch.js';
import { curl, makeTempDir, type TempDir } from '../../helpers/tools.js';
import { DEVICE_POLICY } from '../cert-api/harness.js';
import { startRig, type Rig } from './rig.js';

/** The rig's bucket, with a put to any of `keys` failing as a process that dies there would. */
function crashingOn(keys: string[]): ObjectStore {
  const store = createOssObjectStore({
    endpoint: rigRef.world.emulator.ossEndpoint,
    bucket: rigRef.world.emulator.bucket,
    credentials: rigRef.world.emulator.credentials,
    region: rigRef.world.emulator.region,
  });
  return {
    ...store,
    put: async (key, body, options) => {
      if (keys.includes(key)) throw new Error(`injected crash before writing ${key}`);
      return store.put(key, body, options);
    },
  };
}
let rigRef: Rig;

describe('issuance follows the CA rotation', () => {
  let rig: Rig;
  let tmp: TempDir;
  let env: Record<string, string>;
  let oldSubCaPem: string;
  let newSubCaPem: string;
  const keyPair = generateKeyPair('EC_P256');

  beforeAll(async () => {
    rig = await startRig();
    rigRef = rig;
    tmp = makeTempDir();
    tmp.write('root.crt', rig.world.emulator.ca.rootCertificatePem);
    oldSubCaPem = rig.world.emulator.ca.subCaCertificatePem;
    newSubCaPem = rig.target.subCaCertificatePem;
    env = {
      ...rig.world.env,
      API_TOKENS: JSON.stringify([
        {
          tokenSha256: hashToken(randomBytes(24).toString('base64url')),
          tenant: 'dev',
          name: 'dev-ci',
          policy: {
            ...DEVICE_POLICY,
            commonNamePatterns: ['*.example.com'],
            operations: ['issue', 'read', 'renew'],
            renewByPossession: true,
          },
        },
      ]),
      WEBHOOK_MASTER_KEY: rig.masterKey,
      ALLOW_LOOPBACK_WEBHOOKS: 'true',
    };
  });
  afterAll(async () => {
    await rig?.close();
    tmp?.cleanup();
  });

  /** A fresh cert-api instance (cold start, as after a deploy or a scale-out) issues a CSR-mode certificate. */
  async function issueThroughCertApi(commonName: string): Promise<{ id: string; certificatePem: string }> {
    const { service } = buildCertApiDeps(env);
    const keys = await keyPair;
    const issued = await service.issue(systemPrincipal('test', 'dev'), {
      commonName,
      sans: { dns: [], uri: [], email: [], ip: [] },
      validityDays: 30,
      csr: await buildCsr({ keyPair: keys, commonName }),
      autoRenew: true,
      labels: {},
    });
    return { id: issued.id, certificatePem: await currentPem(issued.id) };
  }

  async function currentPem(id: string): Promise<string> {
    const record = (await readRecord(rig.store, id))!;
    return rig.world.emulator.cas.getClientCertificate(record.current.casIdentifier)!.certificatePem;
  }

  /** A scheduled renewal as renew-worker performs it (a fresh worker instance). */
  async function scheduledRenewal(id: string): Promise<string> {
    const worker = buildRenewWorkerDeps(env);
    const record = (await readRecord(rig.store, id))!;
    const renewed = await worker.renewer.renew(id, {
      trigger: 'schedule',
      expectedGeneration: record.current.generation,
      reason: 'NearingExpiry',
    });
    expect(renewed.certificate.generation).toBe(record.current.generation + 1);
    return currentPem(id);
  }

  /** The seed's curl through the listener with this certificate and its sub-CA. */
  async function handshake(name: string, certificatePem: string, subCaPem: string) {
    tmp.write(`${name}.crt`, certificatePem + subCaPem);
    tmp.write(`${name}.key`, (await keyPair).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString());
    const port = rig.world.emulator.listeners[0].port;
    return curl([
      '-sS',
      '--cert',
      tmp.path(`${name}.crt`),
      '--key',
      tmp.path(`${name}.key`),
      '--cacert',
      tmp.path('root.crt'),
      '--resolve',
      `www.example.com:${port}:127.0.0.1`,
      `https://www.example.com:${port}/`,
    ]);
  }

  let before: { id: string; certificatePem: string };
  let after: { id: string; certificatePem: string };

  it('before a rotation: the configured sub-CA issues', async () => {
    before = await issueThroughCertApi('before.example.com');
    expect(chainsTo(before.certificatePem, [], oldSubCaPem)).toBe(true);
    expect((await handshake('before', before.certificatePem, oldSubCaPem)).code).toBe(0);
  });

  it('after the switch: a new issuance and a scheduled renewal come from the new sub-CA and pass the handshake', async () => {
    const to = { toCa: rig.target.rootIdentifier, issuingCa: rig.target.subCaIdentifier, thresholdPercent: 0 };
    await prepareRotation(rig.deps(), to);
    // Still prepared: the listener trusts the old CA, so the old sub-CA keeps issuing.
    const prepared = await issueThroughCertApi('prepared.example.com');
    expect(chainsTo(prepared.certificatePem, [], oldSubCaPem)).toBe(true);

    // A scheduled renewal of it whose CAS call is answered, but the process dies before its bundle is written...
    const crashed = createCertificateService({
      ...createAlibabaAdapters('renew-worker', loadCertApiConfig(env)),
      store: crashingOn(Object.values(bundleObjectKeys(prepared.id, 2, 'csr'))),
      sleep: async () => undefined,
      config: {
        parentIdentifier: rig.world.env.PCA_PARENT_IDENTIFIER,
        stateKey: Buffer.from(env.STATE_KEY, 'base64'),
        linkDefaultSeconds: 900,
        linkMaxSeconds: 900,
        defaultValidityDays: 30,
        maxValidityDays: 30,
      },
    });
    await expect(
      crashed.renew(systemPrincipal('renew-worker'), prepared.id, { trigger: 'schedule', expectedGeneration: 1 }),
    ).rejects.toThrow(/certificate store is unavailable/); // the injected crash, as the service reports it

    expect((await switchRotation(rig.deps())).stage).toBe('switched');
    const casCalls = rig.world.emulator.faults.count('CreateClientCertificateWithCsr');
    // ...cannot be finished after it: its certificate is not under the sub-CA that issues now. It is set aside
    // (set-aside.ts: that certificate is revoked; the listener no longer trusts it anyway), the record keeps its
    // generation 1, and the next scheduled renewal issues under the new sub-CA; no CAS call in between.
    const worker = buildRenewWorkerDeps(env);
    await expect(worker.renewer.finishPending(prepared.id, 2)).rejects.toMatchObject({
      code: 'ISSUED_CERTIFICATE_REJECTED',
    });
    expect(rig.world.emulator.faults.count('CreateClientCertificateWithCsr')).toBe(casCalls);
    expect((await readRecord(rig.store, prepared.id))?.current.generation).toBe(1);
    expect(chainsTo(await scheduledRenewal(prepared.id), [], newSubCaPem)).toBe(true);

    after = await issueThroughCertApi('after.example.com');
    expect(chainsTo(after.certificatePem, [], newSubCaPem)).toBe(true);
    expect(chainsTo(after.certificatePem, [], oldSubCaPem)).toBe(false);
    const admitted = await handshake('after', after.certificatePem, newSubCaPem);
    expect(admitted.code).toBe(0);
    expect(admitted.stdout).toMatch(/ECS0[12]/);

    // The certificate issued before the switch, renewed on schedule: its new generation is under the new sub-CA.
    expect((await handshake('before', before.certificatePem, oldSubCaPem)).code).not.toBe(0);
    const renewed = await scheduledRenewal(before.id);
    expect(chainsTo(renewed, [], newSubCaPem)).toBe(true);
    expect((await handshake('renewed', renewed, newSubCaPem)).code).toBe(0);
  });

  it('while the rotation runs, a proof by a certificate of the new sub-CA is accepted (status by possession)', async () => {
    expect(chainsTo(after.certificatePem, [], newSubCaPem)).toBe(true);
    const { possession } = buildCertApiDeps(env);
    const proof = signPossessionProof({
      privateKey: (await keyPair).privateKey,
      chainPems: [after.certificatePem],
      certificateId: after.id,
      audience: 'nlb-mtls:status',
      now: new Date(),
    });
    const status = await possession.status(after.id, { proof });
    expect(status).toMatchObject({ id: after.id, current: true, status: 'ACTIVE' });
  });

  it('after a rollback: the configured sub-CA issues and renews again, and its certificates pass the handshake', async () => {
    expect((await rollbackRotation(rig.deps())).stage).toBe('rolled-back');
    const back = await issueThroughCertApi('back.example.com');
    expect(chainsTo(back.certificatePem, [], oldSubCaPem)).toBe(true);
    expect((await handshake('back', back.certificatePem, oldSubCaPem)).code).toBe(0);
    const renewed = await scheduledRenewal(after.id);
    expect(chainsTo(renewed, [], oldSubCaPem)).toBe(true);
    expect((await handshake('after-renewed', renewed, oldSubCaPem)).code).toBe(0);
  });
});

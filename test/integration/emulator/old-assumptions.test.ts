// Prepare: the strict emulator and the requests the code sent before the audit (docs/cloud-fidelity.md D2, D6,
// D7, D15). Act: send them as the old code did. Assess: each is caught, loudly: a ContractViolation answer plus a
// recorded violation (which would fail the test that sent it), or the refusal the real API gives.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { startEmulator, type Emulator } from '../../../local/emulator/index.js';
import { takeContractViolations } from '../../../local/emulator/contracts/violations.js';
import { parseDesiredState } from '../../../shared/domain/listeners/desired-state.js';
import { buildCsr, generateKeyPair } from '../../../shared/pki/index.js';
import { NLB_VERSION, PCA_VERSION, rpcClient, rpcFailure } from './rpc-support.js';

describe('the strict emulator fails what the code assumed before the audit', () => {
  let emulator: Emulator;

  beforeAll(async () => {
    emulator = await startEmulator({ region: 'cn-shanghai', jobDelayMs: 20, dataPlane: false });
  });
  afterAll(() => emulator.close());

  it('D2: CreateClientCertificateWithCsr with a ClientToken (the old idempotency) is a contract violation', async () => {
    const keyPair = await generateKeyPair('RSA_2048');
    const oldRequest = {
      ParentIdentifier: emulator.ca.subCaIdentifier,
      Csr: await buildCsr({ keyPair, commonName: 'device-1.example.com' }),
      CommonName: 'device-1.example.com',
      BeforeTime: Math.floor(Date.now() / 1000),
      AfterTime: Math.floor(Date.now() / 1000) + 86400,
      ClientToken: 'cc-1:1',
    };

    const err = await rpcFailure(rpcClient(emulator, PCA_VERSION)('CreateClientCertificateWithCsr', oldRequest));

    expect([err.code, err.statusCode]).toEqual(['ContractViolation', 400]);
    expect(err.message).toMatch(/contracts\/cas-2020-06-30\/CreateClientCertificateWithCsr\.json/);
    expect(takeContractViolations()).toEqual([
      {
        api: 'cas/2020-06-30/CreateClientCertificateWithCsr',
        kind: 'request',
        detail: 'parameter ClientToken is not a parameter of CreateClientCertificateWithCsr',
      },
    ]);
    expect(emulator.cas.listClientCertificates()).toHaveLength(0); // refused before anything was issued
  });

  it('D15: GetJobStatus with RegionId (sent on every NLB call before) is a contract violation', async () => {
    const { JobId } = await rpcClient(emulator, NLB_VERSION)<{ JobId: string }>('UpdateListenerAttribute', {
      ListenerId: emulator.listeners[0].listenerId,
      IdleTimeout: 600,
    });

    const err = await rpcFailure(rpcClient(emulator, NLB_VERSION)('GetJobStatus', { JobId, RegionId: 'cn-shanghai' }));

    expect(err.code).toBe('ContractViolation');
    expect(takeContractViolations().map((v) => v.detail)).toEqual([
      'parameter RegionId is not a parameter of GetJobStatus',
    ]);
  });

  it('D7: the ids NLB reports (lsn-...@443) broke the old declaration pattern; they are accepted now', () => {
    const oldPattern = /^lsn-[A-Za-z0-9-]{1,64}$/;
    const reported = emulator.listeners[0].listenerId;
    const declaration = (listenerId: string) =>
      `version: 1\nlisteners:\n  - { region: cn-shanghai, listenerId: ${listenerId}, mutualAuth: off, serverCertificate: { certId: 1 }, securityPolicy: tls_cipher_policy_1_2, probe: { host: www.example.com, port: 443 } }\n`;

    expect(oldPattern.test(reported)).toBe(false);
    expect(parseDesiredState(declaration(reported)).listeners[0].listenerId).toBe(reported);
  });

  it("D6: a server certificate id built as <CertId>-<listener region> is refused; CAS's CertIdentifier is taken", async () => {
    const certId = emulator.serverCertificate.certId;
    const nlb = rpcClient(emulator, NLB_VERSION);
    const update = (id: string) =>
      rpcFailure(
        nlb('UpdateListenerAttribute', {
          ListenerId: emulator.listeners[1].listenerId,
          CertificateIds: [id],
          DryRun: true,
        }),
      );

    const built = await update(`${certId}-cn-shanghai`);
    const identifier = await update(emulator.serverCertificate.certificateId);

    expect(emulator.serverCertificate.certificateId).toBe(`${certId}-cn-hangzhou`);
    expect(built.code).toBe('ResourceNotFound.Certificate');
    expect(identifier.code).toBe('DryRunOperation');
  });
});

import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { startEmulator, type Emulator } from '../../../local/emulator/index.js';
import type { RpcCaller } from '../../../shared/alibaba/rpc.js';
import { buildCsr, createCertificateAuthority, generateKeyPair } from '../../../shared/pki/index.js';
import { curl, makeTempDir, type TempDir } from '../../helpers/tools.js';
import { NLB_VERSION, PCA_VERSION, rpcClient } from './rpc-support.js';

describe("the emulated NLB data plane, driven with curl as in the manual's step 6", () => {
  let emulator: Emulator;
  let nlb: RpcCaller;
  let tmp: TempDir;
  let listenerId: string;
  let port: number;

  /** One request per curl process (a new TLS connection each time): the answer body, or the exit code. */
  const get = async (extra: string[] = [], p = port): Promise<string> => {
    const r = await curl([
      '-sS',
      '--max-time',
      '5',
      '--cacert',
      tmp.path('root.crt'),
      '--resolve',
      `www.example.com:${p}:127.0.0.1`,
      ...extra,
      `https://www.example.com:${p}/`,
    ]);
    return r.code === 0 ? r.stdout.trim() : `exit ${r.code}`;
  };
  const withCert = (crt: string, key: string) => ['--cert', tmp.path(crt), '--key', tmp.path(key)];

  const configure = async (settings: Record<string, string | boolean | string[]>) => {
    await nlb('UpdateListenerAttribute', { ListenerId: listenerId, ...settings });
    await emulator.nlb.whenRunning(listenerId);
  };

  beforeAll(async () => {
    emulator = await startEmulator({ jobDelayMs: 50, caKeyAlgorithm: 'ECC_256' });
    nlb = rpcClient(emulator, NLB_VERSION);
    tmp = makeTempDir();
    ({ listenerId, port } = emulator.listeners[0]);
    tmp.write('root.crt', emulator.ca.rootCertificatePem);

    // A client certificate the way the project gets one: key kept locally, CSR signed by the PCA sub-CA through the API.
    const keyPair = await generateKeyPair('EC_P256');
    const issued = await rpcClient(emulator, PCA_VERSION)<{ X509Certificate: string; CertificateChain: string }>(
      'CreateClientCertificateWithCsr',
      {
        ParentIdentifier: emulator.ca.subCaIdentifier,
        Csr: await buildCsr({ keyPair, commonName: 'www.example.com' }),
        Days: 30,
        Immediately: 2,
      },
    );
    tmp.write('client.key', keyPair.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString());
    tmp.write('client.crt', issued.X509Certificate + emulator.ca.subCaCertificatePem); // leaf + sub-CA, as the PEM bundle ships it
    tmp.write('leaf-only.crt', issued.X509Certificate);

    const foreignCa = await createCertificateAuthority({
      commonName: 'Somebody Else CA',
      notAfter: new Date(Date.now() + 86400_000 * 30),
    });
    const foreign = await emulator.cas.issueTestClient({ issuer: foreignCa });
    tmp.write('foreign.crt', foreign.certificatePem);
    tmp.write('foreign.key', foreign.privateKeyPem);
    const fromRoot = await emulator.cas.issueTestClient({ issuer: 'root' });
    tmp.write('from-root.crt', fromRoot.certificatePem);
    tmp.write('from-root.key', fromRoot.privateKeyPem);
  });
  afterAll(async () => {
    await emulator.close();
    tmp.cleanup();
  });

  it('with mutual auth off, a plain TLS client gets through and requests alternate between ECS01 and ECS02', async () => {
    const answers = [await get(), await get(), await get(), await get()];
    expect(new Set(answers)).toEqual(new Set(['ECS01', 'ECS02']));
    expect(answers[0]).not.toBe(answers[1]);
    expect(answers[2]).toBe(answers[0]);
  });

  it('the new settings apply only when the job finishes: the listener serves the old ones while Configuring', async () => {
    emulator.nlb.setJobDelay(listenerId, Infinity);
    await nlb('UpdateListenerAttribute', {
      ListenerId: listenerId,
      CaEnabled: true,
      CaCertificateIds: [emulator.ca.rootIdentifier],
    });
    const whileConfiguring = await get();
    emulator.nlb.finishJobs(listenerId);
    emulator.nlb.setJobDelay(listenerId, 50);
    const afterJob = await get();
    expect(whileConfiguring).toMatch(/^ECS0[12]$/);
    expect(afterJob).toMatch(/^exit /);
  });

  describe('mutual auth on with the PCA root as the listener CA', () => {
    beforeAll(() => configure({ CaEnabled: true, CaCertificateIds: [emulator.ca.rootIdentifier] }));

    it('a client certificate from the PCA (leaf + sub-CA) gets answers from both backends', async () => {
      const answers = [
        await get(withCert('client.crt', 'client.key')),
        await get(withCert('client.crt', 'client.key')),
      ];
      expect(answers.sort()).toEqual(['ECS01', 'ECS02']);
    });

    // No certificate: OpenSSL's fatal alert in the handshake (curl 35/56). A chain that does not lead to the CA:
    // refused with close_notify before any byte reaches a backend (curl 52, "empty reply"; docs/local-emulator.md).
    it.each([
      ['no client certificate', () => [] as string[], /^exit (35|56)$/],
      ['a certificate from another CA', () => withCert('foreign.crt', 'foreign.key'), /^exit 52$/],
      [
        'the leaf without its sub-CA (the root alone cannot link it)',
        () => withCert('leaf-only.crt', 'client.key'),
        /^exit 52$/,
      ],
    ])('%s is refused at the TLS layer', async (_name, args, expected) => {
      expect(await get(args())).toMatch(expected);
    });
  });

  describe('mutual auth on with the PCA sub-CA as the listener CA', () => {
    beforeAll(() => configure({ CaEnabled: true, CaCertificateIds: [emulator.ca.subCaIdentifier] }));

    it("accepts the sub-CA's client with or without the intermediate in the chain", async () => {
      expect(await get(withCert('client.crt', 'client.key'))).toMatch(/^ECS0[12]$/);
      expect(await get(withCert('leaf-only.crt', 'client.key'))).toMatch(/^ECS0[12]$/);
    });

    it('refuses a client issued directly by the root, and a foreign one', async () => {
      expect(await get(withCert('from-root.crt', 'from-root.key'))).toMatch(/^exit /);
      expect(await get(withCert('foreign.crt', 'foreign.key'))).toMatch(/^exit /);
    });
  });

  it('the TLS policy decides the protocol versions: TLS 1.3 only with _1_2_strict_with_1_3', async () => {
    await configure({ CaEnabled: false });
    const on12 = await get(['--tlsv1.3']);
    await configure({ SecurityPolicyId: 'tls_cipher_policy_1_2_strict_with_1_3' });
    const on13 = await get(['--tlsv1.3']);
    expect(on12).toMatch(/^exit /);
    expect(on13).toMatch(/^ECS0[12]$/);
  });

  it('the rule-breaking second listener also serves TLS on its own port', async () => {
    expect(await get([], emulator.listeners[1].port)).toMatch(/^ECS0[12]$/);
  });
});

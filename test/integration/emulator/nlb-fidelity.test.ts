// Prepare: emulators set as the published models show NLB (and with the switches for what no page settles).
// Act: NLB calls through the project's signed RPC caller, handshakes with openssl. Assess: listener ids with and
// without `@port`, CertIdentifier server certificate ids, custom tls- policies, at most 20 ids per List call, the CA
// id a listener reports, and refusals that are TLS alerts.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { startEmulator, type Emulator } from '../../../local/emulator/index.js';
import type { RpcCaller } from '../../../shared/alibaba/rpc.js';
import { makeTempDir, openssl, type TempDir } from '../../helpers/tools.js';
import { NLB_VERSION, rpcClient, rpcFailure } from './rpc-support.js';

interface ListenerView {
  ListenerId: string;
  CaCertificateIds: string[];
  CertificateIds: string[];
  SecurityPolicyId: string;
}

describe('emulated NLB ids and policies, as the models show them', () => {
  let emulator: Emulator;
  let nlb: RpcCaller;
  let listenerId: string;

  beforeAll(async () => {
    emulator = await startEmulator({
      region: 'cn-shanghai',
      jobDelayMs: 20,
      dataPlane: false,
      fidelity: { caIdForm: 'nlb', listListenersIdForm: 'port' },
    });
    nlb = rpcClient(emulator, NLB_VERSION);
    listenerId = emulator.listeners[0].listenerId;
  });
  afterAll(() => emulator.close());

  const update = async (settings: Record<string, unknown>) => {
    await nlb('UpdateListenerAttribute', { ListenerId: listenerId, ...settings });
    await emulator.nlb.whenRunning(listenerId);
    return nlb<ListenerView>('GetListenerAttribute', { ListenerId: listenerId });
  };

  it('names listeners lsn-...@port and finds them by either form; a wrong port finds nothing', async () => {
    const bare = listenerId.split('@')[0];

    const byFull = await nlb<ListenerView>('GetListenerAttribute', { ListenerId: listenerId });
    const byBare = await nlb<ListenerView>('GetListenerAttribute', { ListenerId: bare });
    const wrongPort = await rpcFailure(nlb('GetListenerAttribute', { ListenerId: `${bare}@8080` }));
    const listed = await nlb<{ Listeners: ListenerView[] }>('ListListeners', { ListenerIds: [bare] });

    expect(listenerId).toMatch(/^lsn-[a-z0-9]{20}@443$/);
    expect([byFull.ListenerId, byBare.ListenerId]).toEqual([listenerId, listenerId]);
    expect(wrongPort.code).toBe('ResourceNotFound.listener');
    expect(listed.Listeners.map((l) => l.ListenerId)).toEqual([listenerId]); // listListenersIdForm: port
  });

  it('refuses more than 20 ids in one List call, as the model allows', async () => {
    const ids = Array.from({ length: 21 }, (_, i) => `lsn-x${i}`);

    const err = await rpcFailure(nlb('ListListeners', { ListenerIds: ids }));

    expect([err.code, err.statusCode]).toEqual(['InvalidParameter', 400]);
    expect(err.message).toMatch(/ListenerIds.*At most 20/);
  });

  it("takes server certificates by CAS's CertIdentifier: the CAS site, not the listener's region", async () => {
    const certId = emulator.serverCertificate.certId;

    const wrong = await rpcFailure(
      nlb('UpdateListenerAttribute', { ListenerId: listenerId, CertificateIds: [`${certId}-cn-shanghai`] }),
    );
    const view = await update({ CertificateIds: [`${certId}-cn-hangzhou`] });

    expect(emulator.serverCertificate.certificateId).toBe(`${certId}-cn-hangzhou`);
    expect(wrong.code).toBe('ResourceNotFound.Certificate');
    expect(view.CertificateIds).toEqual([`${certId}-cn-hangzhou`]);
  });

  it('accepts a custom tls- policy that exists, lists it, and refuses one that does not', async () => {
    const listed = await nlb<{ SecurityPolicies: Array<{ SecurityPolicyId: string; TlsVersion: string }> }>(
      'ListSecurityPolicy',
      {},
    );
    const custom = listed.SecurityPolicies[0].SecurityPolicyId;

    const view = await update({ SecurityPolicyId: custom });
    const unknown = await rpcFailure(
      nlb('UpdateListenerAttribute', { ListenerId: listenerId, SecurityPolicyId: 'tls-doesnotexist00' }),
    );

    expect(custom).toMatch(/^tls-[a-z0-9]+$/);
    expect(listed.SecurityPolicies[0].TlsVersion).toBe('TLSv1.2');
    expect(view.SecurityPolicyId).toBe(custom);
    expect(unknown.code).toBe('ResourceNotFound.securitypolicy');
    await update({ SecurityPolicyId: 'tls_cipher_policy_1_2' });
  });

  it('with caIdForm nlb, reports the CA under an id of its own, the same in GetListenerAttribute and ListListenerCertificates', async () => {
    const view = await update({ CaEnabled: true, CaCertificateIds: [emulator.ca.rootIdentifier] });
    const certs = await nlb<{ Certificates: Array<{ CertificateId: string; CertificateType: string }> }>(
      'ListListenerCertificates',
      { ListenerId: listenerId, CertType: 'Ca' },
    );
    // The reported id is accepted back, as an id NLB gave out.
    const again = await update({ CaCertificateIds: view.CaCertificateIds });

    expect(view.CaCertificateIds).toHaveLength(1);
    expect(view.CaCertificateIds[0]).not.toBe(emulator.ca.rootIdentifier);
    expect(certs.Certificates.map((c) => [c.CertificateType, c.CertificateId])).toEqual([
      ['Ca', view.CaCertificateIds[0]],
    ]);
    expect(again.CaCertificateIds).toEqual(view.CaCertificateIds);
  });
});

describe('refusals on the emulated TLS data plane are TLS alerts, never a bare TCP close', () => {
  let emulator: Emulator;
  let tmp: TempDir;
  let listener: Emulator['listeners'][number];

  beforeAll(async () => {
    emulator = await startEmulator({ jobDelayMs: 20 });
    tmp = makeTempDir();
    listener = emulator.listeners[0];
    tmp.write('root.crt', emulator.ca.rootCertificatePem);
    // The listener trusts the sub-CA only: a client signed by the root directly must not get in.
    await rpcClient(emulator, NLB_VERSION)('UpdateListenerAttribute', {
      ListenerId: listener.listenerId,
      CaEnabled: true,
      CaCertificateIds: [emulator.ca.subCaIdentifier],
    });
    await emulator.nlb.whenRunning(listener.listenerId);
  });
  afterAll(async () => {
    await emulator.close();
    tmp.cleanup();
  });

  const handshake = async (client?: { certificatePem: string; privateKeyPem: string; intermediatePems: string[] }) => {
    const args = ['s_client', '-connect', `127.0.0.1:${listener.port}`, '-servername', 'www.example.com'];
    if (client) {
      tmp.write('c.crt', [client.certificatePem, ...client.intermediatePems].join(''));
      tmp.write('c.key', client.privateKeyPem);
      args.push('-cert', tmp.path('c.crt'), '-key', tmp.path('c.key'));
    }
    const r = await openssl([...args, '-CAfile', tmp.path('root.crt'), '-ign_eof'], {
      input: 'GET / HTTP/1.0\r\nHost: www.example.com\r\n\r\n',
      timeoutMs: 10_000,
    });
    return `${r.stdout}\n${r.stderr}`;
  };

  it('answers a client of the trusted sub-CA, refuses a root-signed one (close_notify) and a certificate-less one (fatal alert)', async () => {
    const good = await handshake(await emulator.cas.issueTestClient({ issuer: 'sub' }));
    const rootSigned = await handshake(await emulator.cas.issueTestClient({ issuer: 'root' }));
    const none = await handshake();

    expect(good).toMatch(/ECS0[12]/);
    // Node verifies the chain after the handshake: the refusal is a close_notify alert ("closed"), not an EOF.
    expect(rootSigned).toMatch(/^closed/m);
    expect(rootSigned).not.toMatch(/unexpected eof|ECS0[12]/);
    // The seed's policy is TLS 1.2: OpenSSL's own fatal alert is handshake_failure (TLS 1.3: certificate_required).
    expect(none).toMatch(/alert (number (40|116)|handshake failure|certificate required)/i);
    expect(none).not.toMatch(/ECS0[12]/);
  });
});

import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { startEmulator, type Emulator } from '../../../local/emulator/index.js';
import type { RpcCaller } from '../../../shared/alibaba/rpc.js';
import { NLB_VERSION, rpcClient, rpcFailure } from './rpc-support.js';

interface ListenerView {
  ListenerId: string;
  ListenerStatus: string;
  CaEnabled: boolean;
  CaCertificateIds: string[];
  CertificateIds: string[];
  SecurityPolicyId: string;
  ServerGroupId: string;
}

describe('emulated NLB 2022-04-30 through the signed RPC caller', () => {
  let emulator: Emulator;
  let nlb: RpcCaller;
  let listenerId: string;

  beforeAll(async () => {
    emulator = await startEmulator({ jobDelayMs: 150, dataPlane: false, caKeyAlgorithm: 'ECC_256' });
    nlb = rpcClient(emulator, NLB_VERSION);
    listenerId = emulator.listeners[0].listenerId;
  });
  afterAll(() => emulator.close());

  const listener = (id = listenerId) =>
    nlb<ListenerView & { RequestId: string }>('GetListenerAttribute', { ListenerId: id });

  it('GetListenerAttribute answers the seeded TCPSSL listener with the real field names', async () => {
    const view = await listener();
    expect(view).toMatchObject({
      ListenerId: listenerId,
      ListenerProtocol: 'TCPSSL',
      ListenerPort: 443,
      ListenerStatus: 'Running',
      CaEnabled: false,
      CaCertificateIds: [],
      CertificateIds: [emulator.serverCertificate.certificateId],
      SecurityPolicyId: 'tls_cipher_policy_1_2',
      LoadBalancerId: emulator.listeners[0].loadBalancerId,
    });
    expect(view.RequestId).toMatch(/^[0-9A-F-]{36}$/);
    expect(view).not.toHaveProperty('emulator');
  });

  it('GetListenerAttribute of an unknown listener answers 404 ResourceNotFound.listener', async () => {
    const err = await rpcFailure(listener('lsn-doesnotexist000000000'));
    expect([err.code, err.statusCode]).toEqual(['ResourceNotFound.listener', 404]);
  });

  it('UpdateListenerAttribute is a job: Configuring with the old settings, then Running with the new ones', async () => {
    const { JobId } = await nlb<{ JobId: string }>('UpdateListenerAttribute', {
      ListenerId: listenerId,
      CaEnabled: true,
      CaCertificateIds: [emulator.ca.rootIdentifier],
    });

    const during = await listener();
    const jobDuring = await nlb<{ Status: string }>('GetJobStatus', { JobId });
    await emulator.nlb.whenRunning(listenerId);
    const after = await listener();
    const jobAfter = await nlb<{ Status: string }>('GetJobStatus', { JobId });

    expect([during.ListenerStatus, during.CaEnabled, jobDuring.Status]).toEqual(['Configuring', false, 'processing']);
    expect([after.ListenerStatus, after.CaEnabled, after.CaCertificateIds, jobAfter.Status]).toEqual([
      'Running',
      true,
      [emulator.ca.rootIdentifier],
      'Succeeded',
    ]);
  });

  it('refuses a change while the listener is Configuring with IncorrectStatus.listener', async () => {
    await nlb('UpdateListenerAttribute', { ListenerId: listenerId, SecurityPolicyId: 'tls_cipher_policy_1_2_strict' });
    const err = await rpcFailure(
      nlb('UpdateListenerAttribute', { ListenerId: listenerId, SecurityPolicyId: 'tls_cipher_policy_1_2' }),
    );
    await emulator.nlb.whenRunning(listenerId);
    expect([err.code, err.statusCode]).toEqual(['IncorrectStatus.listener', 400]);
    expect((await listener()).SecurityPolicyId).toBe('tls_cipher_policy_1_2_strict');
  });

  it('DryRun validates, answers 400 DryRunOperation and changes nothing', async () => {
    const before = emulator.nlb.getListener(listenerId);
    const err = await rpcFailure(
      nlb('UpdateListenerAttribute', { ListenerId: listenerId, CaEnabled: false, DryRun: true }),
    );
    expect([err.code, err.statusCode]).toEqual(['DryRunOperation', 400]);
    expect(emulator.nlb.getListener(listenerId)).toEqual(before);
  });

  it('DryRun still reports a real problem instead of DryRunOperation', async () => {
    const err = await rpcFailure(
      nlb('UpdateListenerAttribute', {
        ListenerId: listenerId,
        CaCertificateIds: ['0123456789abcdef0123456789abcdef'],
        DryRun: true,
      }),
    );
    expect(err.code).toBe('ResourceNotFound.CaCertificate');
  });

  it('the same ClientToken with the same parameters returns the same job and starts no second one', async () => {
    const params = { ListenerId: listenerId, IdleTimeout: 600, ClientToken: 'token-same-1' };
    const first = await nlb<{ JobId: string }>('UpdateListenerAttribute', params);
    const second = await nlb<{ JobId: string }>('UpdateListenerAttribute', params); // while Configuring: still idempotent
    await emulator.nlb.whenRunning(listenerId);
    const third = await nlb<{ JobId: string }>('UpdateListenerAttribute', params);
    expect(second.JobId).toBe(first.JobId);
    expect(third.JobId).toBe(first.JobId);
    expect(emulator.nlb.getListener(listenerId)?.ListenerStatus).toBe('Running');
  });

  it('the same ClientToken with other parameters answers IdempotenceSignatureMismatch', async () => {
    await nlb('UpdateListenerAttribute', { ListenerId: listenerId, IdleTimeout: 300, ClientToken: 'token-mismatch' });
    await emulator.nlb.whenRunning(listenerId);
    const err = await rpcFailure(
      nlb('UpdateListenerAttribute', { ListenerId: listenerId, IdleTimeout: 301, ClientToken: 'token-mismatch' }),
    );
    expect([err.code, err.statusCode]).toEqual(['IdempotenceSignatureMismatch', 400]);
  });

  it.each([
    [
      'two CA certificates',
      () => ({ CaCertificateIds: [emulator.ca.rootIdentifier, emulator.ca.subCaIdentifier] }),
      'IllegalParamSize.certificateIds',
      400,
    ],
    [
      'two server certificates',
      () => ({ CertificateIds: [emulator.serverCertificate.certificateId, emulator.serverCertificate.certificateId] }),
      'IllegalParamSize.certificateIds',
      400,
    ],
    [
      'an unknown CA',
      () => ({ CaCertificateIds: ['ffffffffffffffffffffffffffffffff'] }),
      'ResourceNotFound.CaCertificate',
      404,
    ],
    [
      'an unknown server certificate',
      () => ({ CertificateIds: ['99999999-cn-hangzhou'] }),
      'ResourceNotFound.Certificate',
      400,
    ],
    [
      'an unknown TLS policy',
      () => ({ SecurityPolicyId: 'tls_cipher_policy_9_9' }),
      'ResourceNotFound.securitypolicy',
      404,
    ],
    ['an idle timeout out of range', () => ({ IdleTimeout: 5 }), 'IllegalParam.IdleTimeout', 400],
    ['mutual auth on without a CA', () => ({ CaEnabled: true, CaCertificateIds: [] as string[] }), 'IllegalParam', 400],
  ])('refuses %s', async (_name, params, code, status) => {
    emulator.nlb.patchListener(listenerId, { CaEnabled: false, CaCertificateIds: [] });
    const err = await rpcFailure(nlb('UpdateListenerAttribute', { ListenerId: listenerId, ...params() }));
    expect([err.code, err.statusCode]).toEqual([code, status]);
    expect(emulator.nlb.getListener(listenerId)?.ListenerStatus).toBe('Running');
  });

  it('refuses a server group that breaks the TCPSSL rule (client-IP preservation on)', async () => {
    const breaking = emulator.nlb.serverGroups().find((g) => g.PreserveClientIpEnabled)!;
    const err = await rpcFailure(
      nlb('UpdateListenerAttribute', { ListenerId: listenerId, ServerGroupId: breaking.ServerGroupId }),
    );
    expect([err.code, err.statusCode]).toEqual(['IllegalParam', 400]);
  });

  it('a hung job keeps the listener Configuring until the test finishes it', async () => {
    emulator.nlb.setJobDelay(listenerId, Infinity);
    const { JobId } = await nlb<{ JobId: string }>('UpdateListenerAttribute', {
      ListenerId: listenerId,
      IdleTimeout: 450,
    });
    await new Promise((r) => setTimeout(r, 300));
    const stuck = await nlb<{ Status: string }>('GetJobStatus', { JobId });
    emulator.nlb.finishJobs(listenerId);
    emulator.nlb.setJobDelay(listenerId, 150);
    const done = await nlb<{ Status: string }>('GetJobStatus', { JobId });
    expect([stuck.Status, done.Status]).toEqual(['processing', 'Succeeded']);
  });

  it('GetJobStatus of an unknown job answers 404', async () => {
    const err = await rpcFailure(nlb('GetJobStatus', { JobId: 'no-such-job' }));
    expect(err.statusCode).toBe(404);
  });

  it('ListListeners pages with MaxResults and NextToken and filters by protocol and load balancer', async () => {
    const added = await emulator.nlb.addListeners(45);
    const seen: string[] = [];
    let token: string | undefined;
    let pages = 0;
    do {
      const page = await nlb<{
        Listeners: Array<{ ListenerId: string }>;
        NextToken?: string;
        TotalCount: number;
        MaxResults: number;
      }>('ListListeners', {
        LoadBalancerIds: [added[0].loadBalancerId],
        ListenerProtocol: 'TCPSSL',
        MaxResults: 20,
        NextToken: token,
      });
      seen.push(...page.Listeners.map((l) => l.ListenerId));
      expect([page.TotalCount, page.MaxResults]).toEqual([45, 20]);
      token = page.NextToken;
      pages++;
    } while (token);
    expect(pages).toBe(3);
    // ListListeners reports ids as its model's example does, without the `@port` the listener was created with.
    expect(added[0].listenerId).toMatch(/^lsn-[a-z0-9]+@10000$/);
    expect(seen.sort()).toEqual(added.map((l) => l.listenerId.split('@')[0]).sort());
  });

  it('ListListeners refuses a malformed NextToken and MaxResults above 100', async () => {
    expect((await rpcFailure(nlb('ListListeners', { NextToken: 'garbage!' }))).code).toBe('IllegalParam.NextToken');
    expect((await rpcFailure(nlb('ListListeners', { MaxResults: 101 }))).code).toBe('InvalidParameter');
  });

  it('ListServerGroups shows protocol and client-IP preservation of both seeded groups', async () => {
    const { ServerGroups } = await nlb<{
      ServerGroups: Array<{
        ServerGroupId: string;
        Protocol: string;
        PreserveClientIpEnabled: boolean;
        ServerCount: number;
      }>;
    }>('ListServerGroups', {});
    const good = ServerGroups.find((g) => g.ServerGroupId === emulator.nlb.getListener(listenerId)?.ServerGroupId);
    const breaking = ServerGroups.find(
      (g) => g.ServerGroupId === emulator.nlb.getListener(emulator.listeners[1].listenerId)?.ServerGroupId,
    );
    expect(good).toMatchObject({ Protocol: 'TCP', PreserveClientIpEnabled: false, ServerCount: 2 });
    expect(breaking).toMatchObject({ Protocol: 'TCP', PreserveClientIpEnabled: true, ServerCount: 2 });
  });

  it('ListListenerCertificates lists the server and CA certificates by type', async () => {
    emulator.nlb.patchListener(listenerId, { CaEnabled: true, CaCertificateIds: [emulator.ca.subCaIdentifier] });
    const all = await nlb<{ Certificates: Array<{ CertificateId: string; CertificateType: string }> }>(
      'ListListenerCertificates',
      { ListenerId: listenerId },
    );
    const ca = await nlb<{ CertificateIds: string[] }>('ListListenerCertificates', {
      ListenerId: listenerId,
      CertType: 'Ca',
    });
    expect(all.Certificates.map((c) => [c.CertificateType, c.CertificateId])).toEqual([
      ['Server', emulator.serverCertificate.certificateId],
      ['Ca', emulator.ca.subCaIdentifier],
    ]);
    expect(ca.CertificateIds).toEqual([emulator.ca.subCaIdentifier]);
  });

  it('ListServerGroupServers lists the two ECS backends of a group; an unknown group answers 404', async () => {
    const groupId = emulator.nlb.getListener(listenerId)!.ServerGroupId;
    const { Servers } = await nlb<{
      Servers: Array<{ ServerId: string; Description: string; Port: number; ServerGroupId: string }>;
    }>('ListServerGroupServers', { ServerGroupId: groupId });
    const unknown = await rpcFailure(nlb('ListServerGroupServers', { ServerGroupId: 'sgp-unknown' }));
    expect(Servers.map((s) => [s.Description, s.Port, s.ServerGroupId])).toEqual([
      ['ECS01', 80, groupId],
      ['ECS02', 80, groupId],
    ]);
    expect([unknown.code, unknown.statusCode]).toEqual(['ResourceNotFound.serverGroup', 404]);
  });

  it('ListListenerCertificates refuses an unknown listener and an unknown CertType', async () => {
    expect((await rpcFailure(nlb('ListListenerCertificates', { ListenerId: 'lsn-unknown' }))).code).toBe(
      'ResourceNotFound.listener',
    );
    expect(
      (await rpcFailure(nlb('ListListenerCertificates', { ListenerId: listenerId, CertType: 'Client' }))).code,
    ).toBe('InvalidParameter');
  });

  it('a missing required parameter answers MissingParameter', async () => {
    const err = await rpcFailure(nlb('GetListenerAttribute', {}));
    expect([err.code, err.statusCode]).toEqual(['MissingParameter', 400]);
  });

  it('an unknown action answers 404 InvalidAction.NotFound', async () => {
    const err = await rpcFailure(nlb('DeleteLoadBalancer', { LoadBalancerId: 'x' }));
    expect([err.code, err.statusCode]).toEqual(['InvalidAction.NotFound', 404]);
  });
});

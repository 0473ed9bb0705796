// Prepare: a fake NLB with listeners in known states. Act: reconcileListeners in plan or apply mode.
// Assess: outcomes, the plan, and the calls that reached NLB (mutating ones above all).
import { reconcileListeners } from '../../../shared/listeners/reconcile.js';
import { Rules } from '../../../shared/domain/listeners/rules.js';
import type { ListenerMtls } from '../../../shared/domain/listeners/desired-state.js';
import { FakeNlb, fakeProber, makeDeps, seedListener } from './fake-world.js';

const declare = (listenerId: string, port: number, patch: Partial<ListenerMtls> = {}): ListenerMtls => ({
  region: 'cn-hangzhou',
  listenerId,
  mutualAuth: true,
  caCertificateId: 'ca-root',
  serverCertId: '100',
  securityPolicyId: 'tls_cipher_policy_1_2',
  probe: { host: 'www.example.com', port, sni: 'www.example.com', address: '127.0.0.1', request: 'http' },
  ...patch,
});
const MUTATING = 'UpdateListenerAttribute';

describe('reconcileListeners', () => {
  let nlb: FakeNlb;
  beforeEach(() => {
    nlb = new FakeNlb();
    seedListener(nlb, 'lsn-seed', 8443);
    seedListener(nlb, 'lsn-rulebreaker', 8444, {}, { preserveClientIpEnabled: true });
  });
  const desired = () => [declare('lsn-seed', 8443), declare('lsn-rulebreaker', 8444)];

  it('plans without changing anything', async () => {
    const { deps, applied } = makeDeps(nlb);

    const report = await reconcileListeners(deps, desired(), { mode: 'plan', runId: 'r1' });

    expect(report.results.map((r) => [r.listenerId, r.outcome])).toEqual([
      ['lsn-seed', 'changes-planned'],
      ['lsn-rulebreaker', 'blocked'],
    ]);
    expect(report.results[0].plan).toEqual([
      { field: 'caEnabled', from: false, to: true },
      { field: 'caCertificateId', from: null, to: 'ca-root' },
    ]);
    expect(nlb.count(MUTATING)).toBe(0);
    expect(nlb.count('UpdateListenerAttribute(DryRun)')).toBe(0);
    expect(applied.saves).toBe(0);
  });

  it('applies, verifies, then finds everything in sync with zero mutating calls; a later drift is repaired as drift', async () => {
    const { deps } = makeDeps(nlb);

    const first = await reconcileListeners(deps, desired(), { mode: 'apply', runId: 'r1' });
    const callsAfterFirst = nlb.count(MUTATING);
    const second = await reconcileListeners(deps, desired(), { mode: 'apply', runId: 'r2' });
    nlb.listeners.get('lsn-seed')!.caEnabled = false; // someone clicked in the console
    const third = await reconcileListeners(deps, desired(), { mode: 'apply', runId: 'r3' });

    expect(first.results[0]).toMatchObject({
      outcome: 'changed',
      drift: false,
      jobId: 'job-1',
      probe: { verdict: 'passed' },
    });
    expect(first.results[0].probe!.withClientCertificate!.outcome).toBe('answered');
    expect(first.results[0].probe!.withoutClientCertificate!.outcome).toBe('refused');
    expect(callsAfterFirst).toBe(1);
    expect(second.results[0]).toMatchObject({ outcome: 'in-sync', plan: [] });
    expect(nlb.count(MUTATING)).toBe(2);
    expect(third.results[0]).toMatchObject({
      outcome: 'drift-repaired',
      drift: true,
      plan: [{ field: 'caEnabled', from: false, to: true }],
    });
    expect(third.summary).toMatchObject({ listeners: 2, driftRepaired: 1, blocked: 1, failed: 0 });
  });

  it('leaves the rule-breaking listener untouched and names the rule', async () => {
    const { deps } = makeDeps(nlb);

    const report = await reconcileListeners(deps, desired(), { mode: 'apply', runId: 'r1' });

    expect(report.results[1]).toMatchObject({ outcome: 'blocked', rule: Rules.clientIpPreservationOff });
    expect(nlb.calls.filter((c) => c.listenerId === 'lsn-rulebreaker' && c.action.startsWith('Update'))).toEqual([]);
    expect(nlb.listeners.get('lsn-rulebreaker')!.caEnabled).toBe(false);
  });

  it('retries throttling and lock conflicts with the same ClientToken', async () => {
    nlb.failNext(MUTATING, 'Throttling', 'Conflict.Lock');
    const { deps } = makeDeps(nlb);

    const report = await reconcileListeners(deps, [declare('lsn-seed', 8443)], { mode: 'apply', runId: 'r1' });

    expect(report.results[0].outcome).toBe('changed');
    const tokens = nlb.calls.filter((c) => c.action === MUTATING).map((c) => c.token);
    expect(tokens).toHaveLength(3);
    expect(new Set(tokens).size).toBe(1);
  });

  it('ends a job that never finishes in a clear failure without a second update', async () => {
    nlb.pollsPerJob = Infinity;
    const { deps } = makeDeps(nlb);

    const report = await reconcileListeners(deps, [declare('lsn-seed', 8443)], { mode: 'apply', runId: 'r1' });

    expect(report.results[0]).toMatchObject({ outcome: 'failed', stage: 'job', reason: 'JobTimeout', jobId: 'job-1' });
    expect(report.results[0].message).toMatch(/did not finish within 1 s; no second update was sent/);
    expect(nlb.count(MUTATING)).toBe(1);
  });

  it('stops at a failed dry run: no real update', async () => {
    nlb.failNext('UpdateListenerAttribute(DryRun)', 'ResourceNotFound.CaCertificate');
    const { deps } = makeDeps(nlb);

    const report = await reconcileListeners(deps, [declare('lsn-seed', 8443)], { mode: 'apply', runId: 'r1' });

    expect(report.results[0]).toMatchObject({
      outcome: 'failed',
      stage: 'dry-run',
      reason: 'ResourceNotFound.CaCertificate',
    });
    expect(nlb.count(MUTATING)).toBe(0);
  });

  it('fails verification when the canary does not chain to the declared CA', async () => {
    const { deps } = makeDeps(nlb);

    const report = await reconcileListeners(deps, [declare('lsn-seed', 8443, { caCertificateId: 'ca-new' })], {
      mode: 'apply',
      runId: 'r1',
    });

    expect(report.results[0]).toMatchObject({
      outcome: 'failed',
      stage: 'verify',
      reason: 'VerifyFailed',
      jobId: 'job-1',
    });
    expect(report.results[0].message).toMatch(/the canary client certificate was not let in: refused/);
  });

  it('refuses a CA change that would lock out active clients, unless forced', async () => {
    nlb.listeners.get('lsn-seed')!.caEnabled = true;
    nlb.listeners.get('lsn-seed')!.caCertificateIds = ['ca-root'];
    const clients = [
      { id: 'cc-1', commonName: 'a', certificatePem: 'leaf:ca-root', intermediatePems: [] },
      { id: 'cc-2', commonName: 'b', certificatePem: 'leaf:ca-new', intermediatePems: [] },
    ];
    const { deps } = makeDeps(nlb, { inventory: { listActive: async () => clients } });
    const rotate = [declare('lsn-seed', 8443, { caCertificateId: 'ca-new' })];

    const refused = await reconcileListeners(deps, rotate, { mode: 'apply', runId: 'r1' });
    const forced = await reconcileListeners(deps, rotate, {
      mode: 'apply',
      runId: 'r2',
      forceCaChange: true,
      verify: false,
    });

    expect(refused.results[0]).toMatchObject({ outcome: 'blocked', rule: Rules.caChangeKeepsClients });
    expect(refused.results[0].violations![0].message).toMatch(
      /would lock out 1 of 1 active client certificates \(cc-1\)/,
    );
    expect(forced.results[0]).toMatchObject({
      outcome: 'changed',
      plan: [{ field: 'caCertificateId', from: 'ca-root', to: 'ca-new' }],
    });
    expect(nlb.count(MUTATING)).toBe(1);
  });

  it('fails verification when the data plane lets a client without a certificate in', async () => {
    const { deps } = makeDeps(nlb, { prober: fakeProber(nlb, { enforce: false }) });

    const report = await reconcileListeners(deps, [declare('lsn-seed', 8443)], { mode: 'apply', runId: 'r1' });

    expect(report.results[0]).toMatchObject({ outcome: 'failed', stage: 'verify', reason: 'VerifyFailed' });
    expect(report.results[0].message).toMatch(/a client without a certificate was let in: answered/);
  });

  it('turns mutual auth off only when declared off, and then expects a client without a certificate to get in', async () => {
    nlb.listeners.get('lsn-seed')!.caEnabled = true;
    nlb.listeners.get('lsn-seed')!.caCertificateIds = ['ca-root'];
    const { deps } = makeDeps(nlb);

    const report = await reconcileListeners(
      deps,
      [declare('lsn-seed', 8443, { mutualAuth: false, caCertificateId: undefined })],
      { mode: 'apply', runId: 'r1' },
    );

    expect(report.results[0]).toMatchObject({
      outcome: 'changed',
      plan: [{ field: 'caEnabled', from: true, to: false }],
      probe: { verdict: 'passed' },
    });
    expect(nlb.listeners.get('lsn-seed')!.caEnabled).toBe(false);
  });

  it('reads in batches: 45 in-sync listeners cost 3 ListListeners and 3 ListServerGroups calls', async () => {
    const many = Array.from({ length: 45 }, (_, i) => `lsn-${i}`);
    many.forEach((id, i) => seedListener(nlb, id, 9000 + i, { caEnabled: true, caCertificateIds: ['ca-root'] }));
    const { deps } = makeDeps(nlb);

    const report = await reconcileListeners(
      deps,
      many.map((id, i) => declare(id, 9000 + i)),
      { mode: 'apply', runId: 'r1', verify: false },
    );

    expect(report.summary.inSync).toBe(45);
    expect(nlb.count('ListListeners')).toBe(3);
    expect(nlb.count('ListServerGroups')).toBe(3);
    expect(nlb.count('GetListenerAttribute')).toBe(0);
    expect(nlb.count(MUTATING)).toBe(0);
  });

  it('runs one declared listener on request and refuses an undeclared one', async () => {
    const { deps } = makeDeps(nlb);

    const one = await reconcileListeners(deps, desired(), { mode: 'plan', runId: 'r1', listenerId: 'lsn-rulebreaker' });

    expect(one.results.map((r) => r.listenerId)).toEqual(['lsn-rulebreaker']);
    await expect(
      reconcileListeners(deps, desired(), { mode: 'plan', runId: 'r1', listenerId: 'lsn-nope' }),
    ).rejects.toMatchObject({ code: 'LISTENER_NOT_DECLARED' });
  });
});

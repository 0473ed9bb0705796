// Prepare: the emulator with the seed's topology and the reconciler's real adapters. Act: plan and apply runs,
// with drift made behind our back and faults injected into NLB. Assess: outcomes, the calls that reached the
// emulated NLB (mutating ones above all), the listener's state and the handshakes.
import { Faults } from '../../../local/emulator/index.js';
import { Rules } from '../../../shared/domain/listeners/rules.js';
import { declaration, startWorld, type World } from './world.js';

const UPDATE = 'UpdateListenerAttribute';

describe('reconcile-listeners against the emulator', () => {
  let world: World;
  let seed: string;
  let ruleBreaker: string;
  let serverCertificateId: string;

  beforeAll(async () => {
    world = await startWorld();
    [seed, ruleBreaker] = world.emulator.listeners.map((l) => l.listenerId);
    serverCertificateId = world.emulator.serverCertificate.certificateId;
  });
  afterAll(() => world.close());
  beforeEach(() => {
    world.emulator.faults.clear();
    world.emulator.faults.resetCounts();
  });

  it('applies mutual auth, repairs a drift made in the console, then finds everything in sync with zero mutating calls', async () => {
    const runtime = world.runtime({
      version: 1,
      listeners: [declaration(seed, serverCertificateId), declaration(ruleBreaker, serverCertificateId)],
    });

    const plan = await world.run(runtime, { mode: 'plan' });
    const planCalls = world.emulator.faults.count(UPDATE);
    const applied = await world.run(runtime, { mode: 'apply' });
    world.emulator.nlb.patchListener(seed, { CaEnabled: false }); // someone clicked in the console
    const repaired = await world.run(runtime, { mode: 'apply' });
    world.emulator.faults.resetCounts();
    const steady = await world.run(runtime, { mode: 'apply' });

    expect(plan.results[0]).toMatchObject({
      outcome: 'changes-planned',
      plan: [
        { field: 'caEnabled', from: false, to: true },
        { field: 'caCertificateId', from: null, to: world.emulator.ca.rootIdentifier },
      ],
    });
    expect(planCalls).toBe(0);
    expect(applied.results[0]).toMatchObject({ outcome: 'changed', probe: { verdict: 'passed' } });
    expect(applied.results[0].probe!.withClientCertificate).toMatchObject({
      outcome: 'answered',
      clientCertificateSent: true,
    });
    expect(applied.results[0].probe!.withoutClientCertificate!.outcome).toBe('refused');
    expect(world.emulator.nlb.getListener(seed)).toMatchObject({
      CaEnabled: true,
      CaCertificateIds: [world.emulator.ca.rootIdentifier],
      ListenerStatus: 'Running',
    });
    expect(repaired.results[0]).toMatchObject({
      outcome: 'drift-repaired',
      drift: true,
      plan: [{ field: 'caEnabled', from: false, to: true }],
      probe: { verdict: 'passed' },
    });
    expect(steady.results[0]).toMatchObject({ outcome: 'in-sync', plan: [], probe: { verdict: 'passed' } });
    expect(world.emulator.faults.count(UPDATE)).toBe(0);
    // Batched reads: one ListListeners and one ListServerGroups for both listeners, no per-listener reads when in sync.
    expect(world.emulator.faults.count('ListListeners')).toBe(1);
    expect(world.emulator.faults.count('GetListenerAttribute')).toBe(0);
  });

  it('reports the rule-breaking listener as blocked with the exact rule and leaves it untouched', async () => {
    const before = world.emulator.nlb.getListener(ruleBreaker);
    const runtime = world.runtime({ version: 1, listeners: [declaration(ruleBreaker, serverCertificateId)] });

    const report = await world.run(runtime, { mode: 'apply' });

    expect(report.results[0]).toMatchObject({ outcome: 'blocked', rule: Rules.clientIpPreservationOff });
    expect(report.results[0].violations![0].message).toMatch(/has client-IP preservation on/);
    expect(world.emulator.faults.count(UPDATE)).toBe(0);
    expect(world.emulator.nlb.getListener(ruleBreaker)).toEqual(before);
  });

  it('retries throttling and lock conflicts on reads, the dry run and the update, and repairs the listener once', async () => {
    world.emulator.nlb.patchListener(seed, { SecurityPolicyId: 'tls_cipher_policy_1_0' });
    const runtime = world.runtime({ version: 1, listeners: [declaration(seed, serverCertificateId)] });
    const { faults } = world.emulator;
    faults.failNext('ListListeners', 1, Faults.throttling());
    faults.failNext(UPDATE, 1, Faults.throttling()); // the dry run
    faults.failNext(UPDATE, 1, Faults.conflictLock()); // the dry run again
    // Arm the update's faults once the dry run has passed: throttled, locked, then a timeout after which NLB
    // still applies the first request (the retry carries the same ClientToken: no second job).
    const update = runtime.engine.gateway.updateListener;
    runtime.engine.gateway.updateListener = (...args) => {
      if (faults.count(UPDATE) === 3) {
        faults.failNext(UPDATE, 1, Faults.throttling());
        faults.failNext(UPDATE, 1, Faults.conflictLock());
        faults.failNext(UPDATE, 1, Faults.systemBusy());
      }
      return update(...args);
    };
    faults.failNext('GetJobStatus', 1, Faults.throttling());

    const report = await world.run(runtime, { mode: 'apply' });

    expect(report.results[0]).toMatchObject({
      outcome: 'drift-repaired',
      plan: [{ field: 'securityPolicyId', from: 'tls_cipher_policy_1_0', to: 'tls_cipher_policy_1_2' }],
      probe: { verdict: 'passed' },
    });
    expect(faults.count(UPDATE)).toBe(3 + 4); // dry run x3, update x4 (3 refused, 1 accepted)
    expect(world.emulator.nlb.getListener(seed)!.SecurityPolicyId).toBe('tls_cipher_policy_1_2');
  });

  it('a timed-out update is resent with the same ClientToken and the listener ends in the desired state', async () => {
    world.emulator.nlb.patchListener(seed, { CaEnabled: false });
    const runtime = world.runtime(
      { version: 1, listeners: [declaration(seed, serverCertificateId)] },
      { NLB_TIMEOUT_MS: '400' },
    );
    const { faults } = world.emulator;
    const jobs: string[] = [];
    const update = runtime.engine.gateway.updateListener;
    runtime.engine.gateway.updateListener = async (...args) => {
      if (jobs.length === 0 && faults.count(UPDATE) === 1) faults.failNext(UPDATE, 1, Faults.delay(600));
      const result = await update(...args);
      jobs.push(result.jobId);
      return result;
    };

    const report = await world.run(runtime, { mode: 'apply' });

    expect(report.results[0]).toMatchObject({ outcome: 'drift-repaired' });
    expect(faults.count(UPDATE)).toBeGreaterThanOrEqual(3); // dry run, the timed-out update, its resend(s)
    expect(jobs).toEqual([report.results[0].jobId]);
    expect(world.emulator.nlb.getListener(seed)).toMatchObject({ CaEnabled: true, ListenerStatus: 'Running' });
  });

  it('ends a job that never finishes in a clear failure without a second update, and a later run finishes the work', async () => {
    world.emulator.nlb.patchListener(seed, { CaEnabled: false });
    world.emulator.nlb.setJobDelay(seed, Infinity);
    const runtime = world.runtime(
      { version: 1, listeners: [declaration(seed, serverCertificateId)] },
      { JOB_TIMEOUT_SECONDS: '1' },
    );

    const stuck = await world.run(runtime, { mode: 'apply' });
    const updatesWhileStuck = world.emulator.faults.count(UPDATE);
    const whileConfiguring = await world.run(runtime, { mode: 'apply' });
    world.emulator.nlb.setJobDelay(seed, 300);
    world.emulator.nlb.finishJobs(seed);
    const after = await world.run(runtime, { mode: 'apply' });

    expect(stuck.results[0]).toMatchObject({ outcome: 'failed', stage: 'job', reason: 'JobTimeout' });
    expect(stuck.results[0].message).toMatch(/did not finish within 1 s; no second update was sent/);
    expect(updatesWhileStuck).toBe(2); // the dry run and one update
    // The listener is still Configuring: the dry run is refused (IncorrectStatus.listener, retried) and nothing is sent.
    expect(whileConfiguring.results[0]).toMatchObject({
      outcome: 'failed',
      stage: 'dry-run',
      reason: 'IncorrectStatus.listener',
    });
    expect(world.emulator.faults.count(UPDATE) - updatesWhileStuck).toBe(6); // the dry run, tried DEFAULT_RETRY_POLICY.maxAttempts times
    expect(after.results[0]).toMatchObject({ outcome: 'in-sync', probe: { verdict: 'passed' } });
  }, 60_000);

  it('checks the active client certificates before replacing the CA, and replaces it when they all chain to the new one', async () => {
    // Today the listener trusts the sub-CA; the declaration moves it to the root above it.
    world.emulator.nlb.patchListener(seed, { CaEnabled: true, CaCertificateIds: [world.emulator.ca.subCaIdentifier] });
    const runtime = world.runtime({ version: 1, listeners: [declaration(seed, serverCertificateId)] });
    await runtime.engine.canary.current(); // at least one active certificate issued by the project: the canary

    world.emulator.faults.resetCounts();
    const report = await world.run(runtime, { mode: 'apply' });

    expect(report.results[0]).toMatchObject({
      outcome: 'drift-repaired',
      plan: [
        { field: 'caCertificateId', from: world.emulator.ca.subCaIdentifier, to: world.emulator.ca.rootIdentifier },
      ],
      probe: { verdict: 'passed' },
    });
    expect(world.emulator.faults.count('DescribeClientCertificate')).toBeGreaterThanOrEqual(2); // the inventory and the canary
  });

  it('turns mutual auth off only when declared off, and then lets a client without a certificate in', async () => {
    const runtime = world.runtime({
      version: 1,
      listeners: [declaration(seed, serverCertificateId, { mutualAuth: false, ca: undefined })],
    });

    const report = await world.run(runtime, { mode: 'apply' });
    const back = await world.run(world.runtime({ version: 1, listeners: [declaration(seed, serverCertificateId)] }), {
      mode: 'apply',
    });

    expect(report.results[0]).toMatchObject({
      outcome: 'changed',
      plan: [{ field: 'caEnabled', from: true, to: false }],
      probe: { verdict: 'passed' },
    });
    expect(report.results[0].probe!.withoutClientCertificate!.outcome).toBe('answered');
    expect(back.results[0]).toMatchObject({ outcome: 'changed', probe: { verdict: 'passed' } });
  });

  it('fails verification when the listener serves a certificate other than the declared one', async () => {
    const runtime = world.runtime({ version: 1, listeners: [declaration(seed, serverCertificateId)] });
    // The listener is in sync; the store's fingerprint for the declared certificate is made to differ from what the
    // data plane serves, as when the certificate was replaced in the store but not on the listener.
    const facts = runtime.engine.serverCertificates.getServerCertificate;
    runtime.engine.serverCertificates.getServerCertificate = async (id) => ({
      ...(await facts(id))!,
      fingerprintSha256: 'f'.repeat(64),
    });

    const report = await world.run(runtime, { mode: 'apply' });

    expect(report.results[0]).toMatchObject({ outcome: 'failed', stage: 'verify', reason: 'VerifyFailed' });
    expect(report.results[0].message).toMatch(/presents server certificate .* not the declared f{16}/);
  });
});

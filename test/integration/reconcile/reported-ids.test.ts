// Prepare: an emulator whose NLB reports the CA of a listener in a form of its own (not the PCA identifier), in a
// region other than the CAS site that names server certificates, with ListListeners ids without their port.
// Act: reconcile the seed listener declared as `lsn-...@443` with a custom tls-... policy, then again.
// Assess: the code sends the PCA identifier and CAS's CertIdentifier, reads back what the listener reports, and the
// second run is in sync with zero mutating calls; a drift is planned against the id NLB reported.
import { declaration, startWorld, type World } from './world.js';

const UPDATE = 'UpdateListenerAttribute';

describe('reconcile reads the ids NLB reports instead of assuming them', () => {
  let world: World;
  let seed: string;
  let certId: string;

  beforeAll(async () => {
    world = await startWorld({
      region: 'cn-shanghai',
      fidelity: { caIdForm: 'nlb', casSite: 'cn-hangzhou', listListenersIdForm: 'bare' },
    });
    seed = world.emulator.listeners[0].listenerId;
    certId = String(world.emulator.serverCertificate.certId);
  });
  afterAll(() => world.close());

  it('applies, recognises the CA by the id NLB reported for it, and then changes nothing', async () => {
    const customPolicy = world.emulator.nlb.securityPolicies()[0].SecurityPolicyId;
    const runtime = world.runtime({
      version: 1,
      listeners: [declaration(seed, `${certId}-cn-hangzhou`, { region: 'cn-shanghai', securityPolicy: customPolicy })],
    });

    const applied = await world.run(runtime, { mode: 'apply' });
    const listener = world.emulator.nlb.getListener(seed)!;
    world.emulator.faults.resetCounts();
    const steady = await world.run(runtime, { mode: 'apply' });

    expect(seed).toMatch(/^lsn-[a-z0-9]+@443$/);
    expect(applied.results[0]).toMatchObject({ outcome: 'changed', probe: { verdict: 'passed' } });
    // NLB keeps the CA under its own id and the server certificate under CAS's CertIdentifier (site, not region).
    expect(listener.CaCertificateIds).toHaveLength(1);
    expect(listener.CaCertificateIds[0]).not.toBe(world.emulator.ca.rootIdentifier);
    expect(listener.CaCertificateIds[0]).toMatch(/^[0-9a-f]{11}-cn-shanghai$/);
    expect(listener.CertificateIds).toEqual([`${certId}-cn-hangzhou`]);
    expect(listener.SecurityPolicyId).toBe(customPolicy);
    expect(steady.results[0]).toMatchObject({ outcome: 'in-sync', plan: [], probe: { verdict: 'passed' } });
    expect(world.emulator.faults.count(UPDATE)).toBe(0);
  });

  it('a CA drift made behind our back is planned against the reported id and repaired', async () => {
    const runtime = world.runtime({
      version: 1,
      listeners: [
        declaration(seed, `${certId}-cn-hangzhou`, {
          region: 'cn-shanghai',
          securityPolicy: world.emulator.nlb.securityPolicies()[0].SecurityPolicyId,
        }),
      ],
    });
    const reported = world.emulator.nlb.getListener(seed)!.CaCertificateIds[0];
    world.emulator.nlb.patchListener(seed, { CaEnabled: false });

    const plan = await world.run(runtime, { mode: 'plan' });
    const repaired = await world.run(runtime, { mode: 'apply' });

    expect(plan.results[0]).toMatchObject({
      outcome: 'changes-planned',
      drift: true,
      plan: [{ field: 'caEnabled', from: false, to: true }],
    });
    expect(repaired.results[0]).toMatchObject({ outcome: 'drift-repaired', probe: { verdict: 'passed' } });
    expect(world.emulator.nlb.getListener(seed)!.CaCertificateIds).toEqual([reported]);
  });
});

// A CA rotation of a single-CA listener, stage by stage on the emulator: plan, prepare (successors delivered by
// webhook), gate (per tenant), switch (dry run, update, handshakes under both CAs), then curl as the seed does: the
// client that took its successor is let in, the one that did not is refused; reconcile keeps the listener on the new
// CA; finish stops the old certificates' renewal. Refusals change nothing.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { systemPrincipal } from '../../../shared/auth/principal.js';
import { readRecord } from '../../../shared/certificates/records.js';
import { loadRotation } from '../../../shared/rotation/state-store.js';
import { planRotation } from '../../../shared/rotation/plan.js';
import { prepareRotation } from '../../../shared/rotation/prepare.js';
import { gateRotation } from '../../../shared/rotation/gate.js';
import { switchRotation } from '../../../shared/rotation/switch.js';
import { finishRotation } from '../../../shared/rotation/finish.js';
import { RotationRefusedError } from '../../../shared/rotation/common.js';
import { renderRotationReport } from '../../../shared/domain/rotation/render.js';
import { curl, makeTempDir, type TempDir } from '../../helpers/tools.js';
import { startRig, type Client, type Rig } from './rig.js';

async function refusal(work: Promise<unknown>): Promise<RotationRefusedError> {
  try {
    await work;
  } catch (err) {
    if (err instanceof RotationRefusedError) return err;
    throw err;
  }
  throw new Error('expected a refusal');
}

describe('CA rotation of a single-CA listener', () => {
  let rig: Rig;
  let tmp: TempDir;
  let alice: Client; // CSR mode, webhook: takes her successor
  let bob: Client; // CSR mode, no webhook: never picks his up
  let carol: Client; // server-key mode, webhook

  beforeAll(async () => {
    rig = await startRig();
    tmp = makeTempDir();
    tmp.write('root.crt', rig.world.emulator.ca.rootCertificatePem);
    alice = await rig.issueClient('dev', 'alice.example.com', { webhook: true });
    bob = await rig.issueClient('shop', 'bob.example.com');
    carol = await rig.issueClient('shop', 'carol.example.com', { webhook: true, mode: 'server-key' });
  });
  afterAll(async () => {
    await rig?.close();
    tmp?.cleanup();
  });

  const seedCurl = (name: string) =>
    curl([
      '-sS',
      '--cert',
      tmp.path(`${name}.crt`),
      '--key',
      tmp.path(`${name}.key`),
      '--cacert',
      tmp.path('root.crt'),
      '--resolve',
      `www.example.com:${rig.world.emulator.listeners[0].port}:127.0.0.1`,
      `https://www.example.com:${rig.world.emulator.listeners[0].port}/`,
    ]);

  it('refuses at plan time a threshold outside 0-100%, a revoked CA and an expiring one; nothing changes', async () => {
    const deps = rig.deps();
    const updates = rig.world.emulator.faults.count('UpdateListenerAttribute');
    const to = { toCa: rig.target.rootIdentifier, issuingCa: rig.target.subCaIdentifier };
    for (const thresholdPercent of [150, -1, Number.NaN]) {
      const plan = await planRotation(deps, { ...to, thresholdPercent });
      expect(plan.refusals).toEqual([expect.stringMatching(/threshold must be a percentage from 0 to 100/)]);
      const refused = await refusal(prepareRotation(deps, { ...to, thresholdPercent }));
      expect(refused.code).toBe('ROTATION_REFUSED');
    }
    const revoked = await rig.world.emulator.cas.addHierarchy();
    rig.world.emulator.cas.setCaStatus(revoked.rootIdentifier, 'REVOKE');
    expect(
      (await planRotation(deps, { toCa: revoked.rootIdentifier, issuingCa: revoked.subCaIdentifier })).refusals,
    ).toEqual([expect.stringMatching(/the new CA .* is REVOKE: a rotation needs an issued CA/)]);
    const expiring = await rig.world.emulator.cas.addHierarchy({ subCaDays: 10 });
    const plan = await planRotation(deps, { toCa: expiring.rootIdentifier, issuingCa: expiring.subCaIdentifier });
    expect(plan.refusals).toEqual([
      expect.stringMatching(/new issuing sub-CA .* expires .* \(\d+ days left, at least 30 needed\)/),
    ]);
    expect(renderRotationReport(plan)).toContain('REFUSED, nothing changed');
    const unrelated = await planRotation(deps, {
      toCa: rig.target.rootIdentifier,
      issuingCa: expiring.subCaIdentifier,
    });
    expect(unrelated.refusals).toContainEqual(expect.stringMatching(/does not chain to the new CA/));

    expect(await loadRotation(rig.store)).toBeUndefined();
    expect(rig.world.emulator.faults.count('UpdateListenerAttribute')).toBe(updates);
  });

  it('plans, then prepares: two canaries and a successor per active client under the new sub-CA, delivered by webhook', async () => {
    const deps = rig.deps();
    const to = { toCa: rig.target.rootIdentifier, issuingCa: rig.target.subCaIdentifier, thresholdPercent: 60 };
    const plan = await planRotation(deps, to);
    expect(plan.refusals).toBeUndefined();
    expect(plan.clients).toMatchObject({ total: { clients: 3, holding: 0 }, csrMode: 2, serverKeyMode: 1 });

    const prepared = await prepareRotation(deps, to);
    expect(prepared).toMatchObject({
      stage: 'prepared',
      successors: { issued: 3, existing: 0, failed: [], delivered: 2 },
    });
    const [aliceHook] = rig.receivers.dev.received;
    expect(aliceHook.verification).toEqual({ ok: true });
    expect(aliceHook.event).toMatchObject({
      type: 'certificate.successor_issued',
      data: {
        certificate: { id: alice.id },
        rotation: { toCa: rig.target.rootIdentifier },
        successor: { issuingCa: rig.target.subCaIdentifier },
      },
    });
    // CSR mode: the successor certifies the same key (public, sent in the event); server-key: a new .p12 and its password.
    tmp.write('alice.crt', aliceHook.event.data.certificatePem + aliceHook.event.data.chainPem);
    tmp.write('alice.key', alice.keyPem);
    const carolHook = rig.receivers.shop.received.find((r) => r.event.data.certificate.id === carol.id)!;
    expect(carolHook.event.data).toMatchObject({
      p12Password: expect.any(String),
      downloads: { p12: { url: expect.any(String) } },
    });
    expect(carolHook.event.data.certificatePem).toBeUndefined();

    // The listener is untouched: it still trusts the old CA, and the old certificates still get in.
    tmp.write('bob.crt', bob.certificateChainPem);
    tmp.write('bob.key', bob.keyPem);
    expect((await seedCurl('bob')).stdout).toMatch(/ECS0[12]/);
    expect((await seedCurl('alice')).code).not.toBe(0);

    // Running it again issues nothing more.
    const again = await prepareRotation(rig.deps(), {});
    expect(again.successors).toMatchObject({ issued: 0, existing: 3 });
  });

  it('gates per tenant: a delivered webhook counts as holding the successor, an undelivered one does not', async () => {
    const gate = await gateRotation(rig.deps());
    expect(gate.gate).toMatchObject({
      total: { clients: 3, holding: 2, percent: 66.66 },
      perTenant: { dev: { clients: 1, holding: 1 }, shop: { clients: 2, holding: 1, percent: 50 } },
      thresholdPercent: 60,
      passed: true,
    });
    expect(renderRotationReport(gate)).toContain('tenant shop: 1/2 (50%)');
  });

  it('switches: the new CA is proven (new canary in, old canary refused); curl: the successor gets in, the old certificate is refused', async () => {
    const updates = rig.world.emulator.faults.count('UpdateListenerAttribute');
    const switched = await switchRotation(rig.deps());
    expect(switched.stage).toBe('switched');
    expect(switched.handshakes).toEqual([
      expect.objectContaining({
        verdict: 'passed',
        trusted: 'answered',
        distrusted: expect.stringMatching(/^refused/),
      }),
    ]);
    // A dry run and the update.
    expect(rig.world.emulator.faults.count('UpdateListenerAttribute') - updates).toBe(2);
    expect(rig.world.emulator.nlb.getListener(rig.listenerId)?.CaCertificateIds).toEqual([rig.target.rootIdentifier]);

    const ok = await seedCurl('alice');
    expect(ok.code).toBe(0);
    expect(ok.stdout).toMatch(/ECS0[12]/);
    const refused = await seedCurl('bob');
    expect(refused.code).not.toBe(0);
    expect(refused.stdout).toBe('');
  });

  it('reconcile keeps the listener on the new CA while the desired state still names the old one, proven with the new canary', async () => {
    const run = await rig.reconcile('apply');
    expect(run.results[0]).toMatchObject({
      outcome: 'in-sync',
      rotation: { stage: 'switched', ca: rig.target.rootIdentifier },
      probe: { verdict: 'passed' },
    });
  });

  it('finishes: the old certificates are no longer renewed, the successors are, and the rotation is archived', async () => {
    const finished = await finishRotation(rig.deps());
    expect(finished).toMatchObject({
      stage: 'finished',
      finish: { renewalStopped: 3, revoked: 0, withoutSuccessor: [] },
    });
    for (const c of [alice, bob, carol]) expect((await readRecord(rig.store, c.id))?.autoRenew).toBe(false);
    const rotation = (await loadRotation(rig.store))!;
    expect(rotation.history.map((h) => h.event)).toEqual(
      expect.arrayContaining([
        'prepare-started',
        'prepared',
        'gate-measured',
        'switch-started',
        'switched',
        'finish-started',
        'finished',
      ]),
    );
    const service = rig.deps().serviceFor(rig.target.subCaIdentifier);
    const successors = (await service.list(systemPrincipal('test'), {})).items.filter((v) => v.labels['successor-of']);
    expect(successors.map((s) => s.labels['successor-of']).sort()).toEqual([alice.id, bob.id, carol.id].sort());
    expect(successors.every((s) => s.autoRenew)).toBe(true);
    // No second rotation step is possible; a new rotation may start.
    expect((await refusal(switchRotation(rig.deps()))).message).toMatch(/no CA rotation is in progress/);
  });
});

// A crash injected at each stage of a CA rotation (an exception escaping the stage at a chosen write or wait, with
// whatever it had done so far), then the same command run again by a fresh process: it resumes and finishes, with no
// certificate issued twice and no second NLB update. Also: the gate holds the switch below the threshold unless
// forced, and a switch whose handshakes disagree puts the listener back on the old CA by itself.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { readRecord } from '../../../shared/certificates/records.js';
import type { ProbeRequest } from '../../../shared/domain/listeners/ports.js';
import type { RotationDeps } from '../../../shared/rotation/context.js';
import { RotationRefusedError } from '../../../shared/rotation/common.js';
import { prepareRotation } from '../../../shared/rotation/prepare.js';
import { gateRotation } from '../../../shared/rotation/gate.js';
import { switchRotation, SwitchFailedError } from '../../../shared/rotation/switch.js';
import { finishRotation } from '../../../shared/rotation/finish.js';
import { rollbackRotation } from '../../../shared/rotation/rollback.js';
import { loadRotation } from '../../../shared/rotation/state-store.js';
import { InjectedCrash, startRig, type Client, type Rig } from './rig.js';

async function crashed(work: Promise<unknown>): Promise<Error> {
  try {
    await work;
  } catch (err) {
    return err as Error;
  }
  throw new Error('expected the stage to crash');
}

/** Dies at its first wait (the NLB job poll right after the update was sent). */
function diesWaiting(deps: RotationDeps): RotationDeps {
  return {
    ...deps,
    sleep: async () => {
      throw new InjectedCrash('the job poll');
    },
  };
}

describe('a CA rotation resumes after a crash at any stage', () => {
  let rig: Rig;
  let alice: Client;
  let bob: Client;
  const issued = () => rig.world.emulator.faults.count('CreateClientCertificateWithCsr');
  const updates = () => rig.world.emulator.nlb.jobs(rig.listenerId).length;
  const trusted = () => rig.world.emulator.nlb.getListener(rig.listenerId)?.CaCertificateIds;
  const stage = async () => (await loadRotation(rig.store))?.stage;

  beforeAll(async () => {
    rig = await startRig();
    alice = await rig.issueClient('dev', 'alice.example.com', { webhook: true });
    bob = await rig.issueClient('shop', 'bob.example.com');
  });
  afterAll(() => rig?.close());

  const to = () => ({ toCa: rig.target.rootIdentifier, issuingCa: rig.target.subCaIdentifier, thresholdPercent: 100 });

  it('prepare: a crash after the first successor was issued but before its record was written', async () => {
    const before = issued();
    const err = await crashed(prepareRotation(rig.deps({ put: /\/successors\// }), to()));
    expect(err).toBeInstanceOf(InjectedCrash);
    expect(await stage()).toBe('preparing');
    const resumed = await prepareRotation(rig.deps(), {});
    expect(resumed.stage).toBe('prepared');
    expect(resumed.successors).toMatchObject({ failed: [] });
    // Two canaries and one successor per client: the crashed issuance was replayed, not repeated.
    expect(issued() - before).toBe(4);
  });

  it('gate: a crash while saving its result; the gate then holds the switch below the threshold unless forced', async () => {
    expect(await crashed(gateRotation(rig.deps({ put: /^rotation\/state\.json$/ })))).toBeInstanceOf(InjectedCrash);
    const gate = await gateRotation(rig.deps());
    expect(gate.gate).toMatchObject({ total: { clients: 2, holding: 1, percent: 50 }, passed: false });
    const held = await crashed(switchRotation(rig.deps()));
    expect(held).toBeInstanceOf(RotationRefusedError);
    expect((held as RotationRefusedError).code).toBe('GATE_NOT_PASSED');
    expect(held.message).toMatch(/only 50% of active clients hold a successor \(threshold 100%; dev 1\/1, shop 0\/1\)/);
    expect(trusted()).toEqual([(await loadRotation(rig.store))!.from.caId]);
  });

  it('switch: handshakes that disagree put the listener back on the old CA by themselves', async () => {
    const deps = rig.deps();
    const newSubCa = rig.target.subCaCertificatePem.replace(/\s+/g, '');
    const lying: RotationDeps = {
      ...deps,
      // One try per proof: the lie would not change with the retries.
      config: { ...deps.config, verifyAttempts: 1 },
      prober: {
        probe: async (request: ProbeRequest) => {
          const result = await deps.prober.probe(request);
          // A listener that (wrongly) refuses clients of the new CA after the switch.
          const underNewCa = request.clientCertificateChainPem?.replace(/\s+/g, '').includes(newSubCa);
          return underNewCa && result.outcome === 'answered'
            ? { ...result, outcome: 'refused', errorCode: 'INJECTED' }
            : result;
        },
      },
    };
    const failed = await crashed(switchRotation(lying, { force: true }));
    expect(failed).toBeInstanceOf(SwitchFailedError);
    expect((failed as SwitchFailedError).report.rollback).toEqual({ automatic: true, successorsRevoked: 0 });
    const rotation = (await loadRotation(rig.store))!;
    expect(rotation).toMatchObject({ stage: 'prepared', switchFailure: { listenerId: rig.listenerId } });
    expect(trusted()).toEqual([rotation.from.caId]);
  });

  it('switch: a crash after the update was sent, while waiting for the job; the resumed switch sends no second update', async () => {
    const jobs = updates();
    expect(await crashed(switchRotation(diesWaiting(rig.deps()), { force: true }))).toBeInstanceOf(InjectedCrash);
    expect(await stage()).toBe('switching');
    const resumed = await switchRotation(rig.deps());
    expect(resumed.stage).toBe('switched');
    expect(resumed.handshakes?.[0].verdict).toBe('passed');
    expect(updates() - jobs).toBe(1);
    expect(trusted()).toEqual([rig.target.rootIdentifier]);
  });

  it('rollback: a crash while waiting for the job; the resumed rollback proves the old CA again', async () => {
    expect(await crashed(rollbackRotation(diesWaiting(rig.deps())))).toBeInstanceOf(InjectedCrash);
    expect(await stage()).toBe('rolling-back');
    const resumed = await rollbackRotation(rig.deps());
    expect(resumed).toMatchObject({
      stage: 'rolled-back',
      handshakes: [expect.objectContaining({ verdict: 'passed' })],
    });
    expect(trusted()).toEqual([(await loadRotation(rig.store))!.from.caId]);
  });

  it('finish: a crash after the first old certificate was changed; the resumed finish does the rest', async () => {
    // A new rotation to the same CA after the rollback: new successors, forced past the gate.
    await prepareRotation(rig.deps(), to());
    await switchRotation(rig.deps(), { force: true });
    expect(await crashed(finishRotation(rig.deps({ put: /^records\//, after: 1 })))).toBeInstanceOf(InjectedCrash);
    expect(await stage()).toBe('finishing');
    const resumed = await finishRotation(rig.deps());
    expect(resumed).toMatchObject({ stage: 'finished', finish: { withoutSuccessor: [] } });
    for (const c of [alice, bob]) expect((await readRecord(rig.store, c.id))?.autoRenew).toBe(false);
  });
});

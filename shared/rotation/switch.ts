/**
 * `rotate-ca switch`: the listeners' CA changes to the new one, one listener at a time: dry run, update with a
 * ClientToken, wait for the job, then the proof: a client under the new CA is let in, one under the old CA is
 * refused, one without a certificate is refused. It goes only when the gate passes now (measured again) or the
 * operator forces it. A listener that fails its proof puts every listener of the rotation back on the old CA
 * (and proves that) before the failure is reported: a failed switch never leaves clients locked out.
 */
import { caChangeAttempt, commandRefusal } from '../domain/rotation/ca-rotation.js';
import type { RotationReport } from '../domain/rotation/report.js';
import type { RotationDeps } from './context.js';
import {
  bothCanaries,
  configNext,
  currentClients,
  declaredListeners,
  measureGate,
  reportBase,
  RotationRefusedError,
  save,
  topUp,
} from './common.js';
import { proveListener, type HandshakeProof } from './handshakes.js';
import { setListenerCa } from './listener-ca.js';
import { handshakeLine, revertListeners } from './rollback.js';
import { loadRotation, saveRotation } from './state-store.js';

export class SwitchFailedError extends RotationRefusedError {
  constructor(
    message: string,
    readonly report: RotationReport,
  ) {
    super('SWITCH_FAILED', message);
  }
}

export async function switchRotation(
  deps: RotationDeps,
  options: { force?: boolean; planOnly?: boolean } = {},
): Promise<RotationReport> {
  let rotation = await loadRotation(deps.store);
  const refusal = commandRefusal('switch', rotation);
  if (refusal) throw new RotationRefusedError('ROTATION_STAGE', refusal);

  if (rotation!.stage === 'prepared') {
    const clients = await currentClients(deps, rotation!);
    if (!options.planOnly) await topUp(deps, rotation!, clients);
    const measured = await measureGate(deps, rotation!, clients);
    const gate = { ...measured.gate, ...(options.force && !measured.gate.passed ? { forced: true } : {}) };
    if (options.planOnly)
      return {
        ...reportBase(rotation!, 'switch', true),
        clients: measured.clients,
        gate,
        next: [
          gate.passed || options.force
            ? `npm run rotate-ca -- switch${options.force ? ' --force' : ''}   (each listener: dry run, update, job, handshakes under both CAs)`
            : `the gate does not pass (${gate.total.percent}% < ${gate.thresholdPercent}%): wait, or switch --force`,
        ],
      };
    if (!gate.passed && !options.force) {
      const perTenant = Object.entries(gate.perTenant)
        .map(([t, s]) => `${t} ${s.holding}/${s.clients}`)
        .join(', ');
      throw new RotationRefusedError(
        'GATE_NOT_PASSED',
        `only ${gate.total.percent}% of active clients hold a successor (threshold ${gate.thresholdPercent}%; ${perTenant}): wait for more, or switch --force`,
      );
    }
    rotation = await save(
      deps,
      { ...rotation!, gate },
      'switching',
      'switch-started',
      gate.forced ? 'forced below the threshold' : undefined,
    );
  } else if (options.planOnly) {
    return { ...reportBase(rotation!, 'switch', true), next: ['npm run rotate-ca -- switch   (finishes the switch)'] };
  }

  const declared = await declaredListeners(deps, rotation!);
  const canaries = await bothCanaries(deps, rotation!);
  const proofs: HandshakeProof[] = [];
  for (const d of declared) {
    const change = await setListenerCa(
      deps,
      d,
      rotation!.to.caId,
      { rotationId: rotation!.id, direction: 'switch', attempt: caChangeAttempt(rotation!) },
      rotation!.reportedIds,
    );
    let failure: { reasons: string[] } | undefined;
    if (change.changed && !change.outcome.ok)
      failure = { reasons: [`${change.outcome.code} at ${change.outcome.stage}: ${change.outcome.message}`] };
    if (change.changed && change.outcome.ok && Object.keys(change.outcome.reported).length)
      rotation = { ...rotation!, reportedIds: { ...rotation!.reportedIds, ...change.outcome.reported } };
    if (!failure) {
      const proof = await proveListener(deps, d, canaries.new, canaries.old, {
        trusted: 'the new CA',
        distrusted: 'the old CA',
      });
      proofs.push(proof);
      if (proof.verdict !== 'passed') failure = { reasons: proof.reasons };
    }
    if (failure) {
      // Nobody may be locked out by a switch that did not prove itself: back to the old CA, then report.
      const failed = {
        ...rotation!,
        switchFailure: { at: deps.clock.now().toISOString(), listenerId: d.listenerId, reasons: failure.reasons },
      };
      await saveRotation(deps.store, failed);
      const reverted = await revertListeners(deps, failed);
      rotation = await save(
        deps,
        reverted.rotation,
        'prepared',
        'switch-failed',
        `${d.listenerId}: ${failure.reasons.join('; ')}`,
      );
      const report: RotationReport = {
        ...reportBase(rotation, 'switch'),
        handshakes: [...proofs, ...reverted.proofs].map(handshakeLine),
        rollback: { automatic: true, successorsRevoked: 0 },
        next: ['find out why the listener did not behave (the reasons above), then switch again'],
      };
      throw new SwitchFailedError(
        `the switch of ${d.listenerId} did not prove itself (${failure.reasons.join('; ')}); every listener is back on ${rotation.from.caId}`,
        report,
      );
    }
    rotation = {
      ...rotation!,
      listeners: rotation!.listeners.map((l) =>
        l.listenerId === d.listenerId
          ? {
              ...l,
              switchedAt: l.switchedAt ?? deps.clock.now().toISOString(),
              ...(change.changed && change.outcome.ok ? { jobId: change.outcome.jobId } : {}),
            }
          : l,
      ),
    };
    await saveRotation(deps.store, rotation);
  }
  rotation = await save(deps, rotation!, 'switched', 'switched');
  return {
    ...reportBase(rotation, 'switch'),
    handshakes: proofs.map(handshakeLine),
    next: [
      ...configNext(rotation),
      'npm run rotate-ca -- finish   (old certificates stop renewing; --revoke to revoke them), or rollback',
    ],
  };
}

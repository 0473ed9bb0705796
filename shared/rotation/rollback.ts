/**
 * `rotate-ca rollback` (before `finish`): every listener of the rotation goes back to the old CA (dry run, update,
 * job, then a client under the old CA must be let in and one under the new CA refused). The successors stay valid
 * for a later attempt unless `--revoke` asks to revoke them (and the new canary). Also what a failed switch does
 * by itself, to the listeners it had switched, before it reports the failure.
 */
import { systemPrincipal } from '../auth/principal.js';
import { caChangeAttempt, commandRefusal, type CaRotation } from '../domain/rotation/ca-rotation.js';
import type { HandshakeLine, RotationReport } from '../domain/rotation/report.js';
import { errorFields } from '../log/index.js';
import type { RotationDeps } from './context.js';
import { bothCanaries, declaredListeners, reportBase, RotationRefusedError, save } from './common.js';
import { proveListener, type HandshakeProof } from './handshakes.js';
import { setListenerCa } from './listener-ca.js';
import { nextSteps } from './plan.js';
import { listSuccessors, loadRotation, saveRotation } from './state-store.js';
import { ROTATION_PRINCIPAL } from './successors.js';

export function handshakeLine(p: HandshakeProof): HandshakeLine {
  const show = (x: HandshakeProof['trusted']) => `${x.outcome}${x.errorCode ? ` (${x.errorCode})` : ''}`;
  return {
    listenerId: p.listenerId,
    verdict: p.verdict,
    trusted: show(p.trusted),
    distrusted: show(p.distrusted),
    withoutCertificate: show(p.withoutCertificate),
    reasons: p.reasons,
  };
}

/** Puts every listener of the rotation back on the old CA and proves it; saves progress per listener. */
export async function revertListeners(
  deps: RotationDeps,
  rotation: CaRotation,
): Promise<{ rotation: CaRotation; proofs: HandshakeProof[] }> {
  const declared = await declaredListeners(deps, rotation);
  const canaries = await bothCanaries(deps, rotation);
  const proofs: HandshakeProof[] = [];
  for (const d of declared) {
    const change = await setListenerCa(
      deps,
      d,
      rotation.from.caId,
      { rotationId: rotation.id, direction: 'rollback', attempt: caChangeAttempt(rotation) },
      rotation.reportedIds,
    );
    if (change.changed && !change.outcome.ok)
      throw new RotationRefusedError(
        'ROLLBACK_FAILED',
        `listener ${d.listenerId} could not be put back on ${rotation.from.caId}: ${change.outcome.code} at ${change.outcome.stage} (${change.outcome.message}); run rollback again`,
      );
    const proof = await proveListener(deps, d, canaries.old, canaries.new, {
      trusted: 'the old CA',
      distrusted: 'the new CA',
    });
    proofs.push(proof);
    if (proof.verdict !== 'passed')
      throw new RotationRefusedError(
        'ROLLBACK_NOT_PROVEN',
        `listener ${d.listenerId} is back on ${rotation.from.caId} but the handshakes disagree: ${proof.reasons.join('; ')}; run rollback again`,
      );
    rotation = {
      ...rotation,
      listeners: rotation.listeners.map((l) =>
        l.listenerId === d.listenerId
          ? { ...l, switchedAt: undefined, rolledBackAt: deps.clock.now().toISOString() }
          : l,
      ),
    };
    await saveRotation(deps.store, rotation);
  }
  return { rotation, proofs };
}

export async function rollbackRotation(
  deps: RotationDeps,
  options: { revokeSuccessors?: boolean; planOnly?: boolean } = {},
): Promise<RotationReport> {
  let rotation = await loadRotation(deps.store);
  const refusal = commandRefusal('rollback', rotation);
  if (refusal) throw new RotationRefusedError('ROTATION_STAGE', refusal);
  if (options.planOnly)
    return {
      ...reportBase(rotation!, 'rollback', true),
      next: [
        `npm run rotate-ca -- rollback${options.revokeSuccessors ? ' --revoke' : ''}   (listeners back on ${rotation!.from.caId})`,
      ],
    };
  if (rotation!.stage !== 'rolling-back')
    rotation = await save(
      deps,
      { ...rotation!, revokeSuccessors: options.revokeSuccessors ?? false },
      'rolling-back',
      'rollback-started',
    );
  const reverted = await revertListeners(deps, rotation!);
  rotation = reverted.rotation;
  let revoked = 0;
  if (rotation.revokeSuccessors) {
    const service = deps.serviceFor(rotation.to.issuingCa);
    for (const s of await listSuccessors(deps.store, rotation.id)) {
      try {
        await service.revoke(systemPrincipal(ROTATION_PRINCIPAL, s.tenant), s.successorId, 'superseded');
        revoked += 1;
      } catch (err) {
        deps.log.warn('successor not revoked', { certificateId: s.successorId, ...errorFields(err) });
      }
    }
  }
  rotation = await save(
    deps,
    rotation,
    'rolled-back',
    'rolled-back',
    revoked ? `${revoked} successors revoked` : undefined,
  );
  return {
    ...reportBase(rotation, 'rollback'),
    handshakes: reverted.proofs.map(handshakeLine),
    rollback: { automatic: false, successorsRevoked: revoked },
    next: nextSteps(rotation),
  };
}

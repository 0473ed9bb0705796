/**
 * `rotate-ca prepare`: starts a rotation (after the same checks as `plan`) or resumes one. The new CA is trusted by
 * nothing yet: the two canaries are issued (one under each issuing sub-CA) and every active client under the old CA
 * gets its successor under the new one, delivered by webhook. Re-running it issues only what is missing.
 */
import { commandRefusal, isActive } from '../domain/rotation/ca-rotation.js';
import type { RotationReport } from '../domain/rotation/report.js';
import type { RotationDeps } from './context.js';
import { bothCanaries, currentClients, measureGate, reportBase, RotationRefusedError, save, topUp } from './common.js';
import { draftRotation, nextSteps, type NewRotationRequest } from './plan.js';
import { loadRotation, saveRotation } from './state-store.js';

export async function prepareRotation(deps: RotationDeps, request: NewRotationRequest): Promise<RotationReport> {
  let rotation = await loadRotation(deps.store);
  const refusal = commandRefusal('prepare', rotation);
  if (refusal) throw new RotationRefusedError('ROTATION_STAGE', refusal);
  if (!isActive(rotation)) {
    const draft = await draftRotation(deps, request);
    if (!draft.rotation)
      throw new RotationRefusedError(
        'ROTATION_REFUSED',
        `the CA rotation cannot start: ${draft.refusals.join('; ')}`,
        draft.refusals,
      );
    rotation = draft.rotation;
    await saveRotation(deps.store, rotation);
    rotation = await save(
      deps,
      rotation,
      'preparing',
      'prepare-started',
      `${rotation.from.caId} -> ${rotation.to.caId}`,
    );
  } else if (request.toCa && request.toCa !== rotation.to.caId) {
    throw new RotationRefusedError(
      'ROTATION_STAGE',
      `rotation ${rotation.id} to ${rotation.to.caId} is in progress: finish or roll it back first`,
    );
  }
  // The canaries first: without them the switch could not be proven.
  await bothCanaries(deps, rotation);
  const clients = await currentClients(deps, rotation);
  const successors = await topUp(deps, rotation, clients);
  if (rotation.stage === 'preparing')
    rotation = await save(
      deps,
      rotation,
      'prepared',
      'prepared',
      `${clients.length} clients, ${successors.issued} successors issued`,
    );
  const measured = await measureGate(deps, rotation, clients);
  return {
    ...reportBase(rotation, 'prepare'),
    successors,
    clients: measured.clients,
    gate: measured.gate,
    next: nextSteps(rotation),
  };
}

/**
 * `rotate-ca gate`: issues successors for clients that appeared since `prepare` (or whose issuance failed), retries
 * undelivered webhooks, and measures the share of active clients holding a successor, per tenant. The result is
 * kept with the rotation; `switch` measures again and goes only above the threshold (or when forced).
 */
import { commandRefusal } from '../domain/rotation/ca-rotation.js';
import type { RotationReport } from '../domain/rotation/report.js';
import type { RotationDeps } from './context.js';
import { currentClients, measureGate, reportBase, RotationRefusedError, save, topUp } from './common.js';
import { nextSteps } from './plan.js';
import { loadRotation } from './state-store.js';

export async function gateRotation(deps: RotationDeps, options: { planOnly?: boolean } = {}): Promise<RotationReport> {
  let rotation = await loadRotation(deps.store);
  const refusal = commandRefusal('gate', rotation);
  if (refusal) throw new RotationRefusedError('ROTATION_STAGE', refusal);
  const clients = await currentClients(deps, rotation!);
  const successors = options.planOnly ? undefined : await topUp(deps, rotation!, clients);
  const measured = await measureGate(deps, rotation!, clients);
  if (!options.planOnly)
    rotation = await save(
      deps,
      { ...rotation!, gate: measured.gate },
      'prepared',
      'gate-measured',
      `${measured.gate.total.percent}% of ${measured.gate.total.clients} hold a successor (threshold ${measured.gate.thresholdPercent}%)`,
    );
  return {
    ...reportBase(rotation!, 'gate', options.planOnly),
    ...(successors ? { successors } : {}),
    clients: measured.clients,
    gate: measured.gate,
    next: measured.gate.passed
      ? ['npm run rotate-ca -- switch']
      : ['wait for more clients to pick up their successor, then gate again', ...nextSteps(rotation!).slice(1)],
  };
}

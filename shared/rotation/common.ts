/** Helpers every rotation stage shares: the rotation's listeners as declared, its canaries, its clients, saving with history. */
import { ValidationError } from '../errors/index.js';
import type { ListenerMtls } from '../domain/listeners/desired-state.js';
import { sameListener } from '../domain/listeners/listener-id.js';
import type { CanaryCredentials } from '../domain/listeners/ports.js';
import {
  gateShare,
  holdsSuccessor,
  type CaRotation,
  type GateResult,
  type RotationStage,
} from '../domain/rotation/ca-rotation.js';
import type { RotationReport } from '../domain/rotation/report.js';
import { mapWithConcurrency } from '../async/concurrency.js';
import type { RotationDeps } from './context.js';
import { clientsUnder, type RotationClient } from './clients.js';
import { ensureSuccessor, type SuccessorOutcome } from './successors.js';
import { canaryKey, getSuccessor, saveRotation } from './state-store.js';

export class RotationRefusedError extends ValidationError {
  constructor(
    code: string,
    message: string,
    readonly refusals: string[] = [message],
  ) {
    super(code, message, { details: { refusals } });
  }
}

export async function save(
  deps: RotationDeps,
  rotation: CaRotation,
  stage: RotationStage,
  event: string,
  detail?: string,
): Promise<CaRotation> {
  const now = deps.clock.now().toISOString();
  const next: CaRotation = {
    ...rotation,
    stage,
    updatedAt: now,
    history: [...rotation.history, { at: now, event, ...(detail ? { detail } : {}) }],
  };
  await saveRotation(deps.store, next);
  deps.log.info(`CA rotation ${rotation.id}: ${event}`, {
    event: 'ca-rotation.' + event,
    reason: rotation.id,
    result: stage,
  });
  return next;
}

/** The declared listeners of the rotation (the desired state says where to knock). */
export async function declaredListeners(
  deps: RotationDeps,
  rotation: Pick<CaRotation, 'listeners'>,
): Promise<ListenerMtls[]> {
  const desired = await deps.desired();
  return rotation.listeners.map((l) => {
    const d = desired.find((x) => sameListener(x.listenerId, l.listenerId));
    if (!d)
      throw new RotationRefusedError(
        'LISTENER_NOT_DECLARED',
        `listener ${l.listenerId} of the rotation is not in the desired state: it is needed to know where to knock`,
      );
    return d;
  });
}

export async function caPem(deps: RotationDeps, identifier: string): Promise<string> {
  const ca = await deps.pca.getCa(identifier);
  if (!ca) throw new RotationRefusedError('CA_NOT_FOUND', `CA ${identifier} was not found in the private CA`);
  return ca.certificatePem;
}

export function canaries(deps: RotationDeps, rotation: CaRotation) {
  return {
    old: deps.canaryFor(rotation.from.issuingCa, canaryKey(rotation.id, 'old')),
    new: deps.canaryFor(rotation.to.issuingCa, canaryKey(rotation.id, 'new')),
  };
}

export async function bothCanaries(
  deps: RotationDeps,
  rotation: CaRotation,
): Promise<{ old: CanaryCredentials; new: CanaryCredentials }> {
  const c = canaries(deps, rotation);
  return { old: await c.old.current(), new: await c.new.current() };
}

/** The active clients under the old CA now (the sub-CAs under it tried as intermediates when CAS omits the chain). */
export async function currentClients(deps: RotationDeps, rotation: CaRotation): Promise<RotationClient[]> {
  const fromPem = await caPem(deps, rotation.from.caId);
  const issuing = rotation.from.issuingCa !== rotation.from.caId ? [await caPem(deps, rotation.from.issuingCa)] : [];
  return clientsUnder(deps, fromPem, issuing);
}

const AT_ONCE = 4;

/** Successors for every client that has none yet (and another try at an undelivered webhook). */
export async function topUp(
  deps: RotationDeps,
  rotation: CaRotation,
  clients: RotationClient[],
): Promise<NonNullable<RotationReport['successors']>> {
  const outcomes: SuccessorOutcome[] = await mapWithConcurrency(clients, AT_ONCE, (c) =>
    ensureSuccessor(deps, rotation, c.record),
  );
  return {
    issued: outcomes.filter((o) => o.result === 'issued').length,
    existing: outcomes.filter((o) => o.result === 'existing').length,
    failed: outcomes
      .filter((o) => o.result === 'failed')
      .map((o) => ({ clientId: o.clientId, ...(o.code ? { code: o.code } : {}) })),
    delivered: outcomes.filter((o) => o.delivered).length,
  };
}

/** The share of `clients` holding their successor, per tenant. */
export async function measureGate(
  deps: RotationDeps,
  rotation: CaRotation,
  clients: RotationClient[],
): Promise<{ gate: GateResult; clients: NonNullable<RotationReport['clients']> }> {
  const held = await mapWithConcurrency(clients, 8, async (c) => ({
    tenant: c.record.tenant,
    holding: holdsSuccessor(await getSuccessor(deps.store, rotation.id, c.record.id)),
  }));
  const gate = gateShare(held, rotation.thresholdPercent, deps.clock.now());
  return {
    gate,
    clients: {
      total: gate.total,
      perTenant: gate.perTenant,
      csrMode: clients.filter((c) => c.record.mode === 'csr').length,
      serverKeyMode: clients.filter((c) => c.record.mode === 'server-key').length,
    },
  };
}

export function reportBase(rotation: CaRotation, command: RotationReport['command'], planOnly = false): RotationReport {
  return {
    command,
    planOnly,
    rotationId: rotation.id,
    stage: rotation.stage,
    from: rotation.from,
    to: rotation.to,
    thresholdPercent: rotation.thresholdPercent,
    listeners: rotation.listeners.map((l) => ({
      listenerId: l.listenerId,
      ...(l.switchedAt ? { switchedAt: l.switchedAt } : {}),
      ...(l.rolledBackAt ? { rolledBackAt: l.rolledBackAt } : {}),
    })),
    next: [],
  };
}

/**
 * What follows a switch: cert-api and renew-worker already issue from the new sub-CA (they follow the rotation's
 * state, shared/rotation/issuing-follower.ts); once finished, the configuration is made to say so, before any next
 * rotation (which starts from PCA_PARENT_IDENTIFIER).
 */
export function configNext(rotation: CaRotation): string[] {
  const following = `new certificates and renewals already come from the new sub-CA ${rotation.to.issuingCa}: cert-api and renew-worker follow the rotation, no restart needed`;
  if (rotation.stage !== 'finished') return [following];
  return [
    following,
    `make it permanent (before any next rotation): set PCA_PARENT_IDENTIFIER=${rotation.to.issuingCa} (cert-api, renew-worker, renew-scheduler, reconcile-listeners) and RECONCILE_DEFAULT_CA=${rotation.to.caId} (or name ca: ${rotation.to.caId} in the desired state), then deploy; locally: restart npm start with them (docs/rotation.md)`,
  ];
}

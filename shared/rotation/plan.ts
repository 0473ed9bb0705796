/**
 * `rotate-ca plan`: what the rotation in progress will do next, or, for a new one, whether it may start at all.
 * Everything here reads; nothing changes. A new rotation is refused with reasons when the threshold is not a
 * percentage, the new CA (or its issuing sub-CA) is missing, revoked, expiring or unrelated, the listeners do not
 * all trust the same CA today, or the new sub-CA could not certify the clients' keys.
 */
import { randomBytes } from 'node:crypto';
import type { ListenerMtls } from '../domain/listeners/desired-state.js';
import { sameListener } from '../domain/listeners/listener-id.js';
import {
  commandRefusal,
  isActive,
  targetCaProblems,
  thresholdProblem,
  type CaRotation,
  type RotationCa,
} from '../domain/rotation/ca-rotation.js';
import type { RotationReport } from '../domain/rotation/report.js';
import type { RotationDeps } from './context.js';
import { configNext, currentClients, measureGate, reportBase } from './common.js';
import { readListener, trusts } from './listener-ca.js';
import { loadRotation } from './state-store.js';

export interface NewRotationRequest {
  /** The CA the listeners will trust (a root, usually). */
  toCa?: string;
  /** The sub-CA under it that will issue clients; default: `toCa` itself when it is a sub-CA. */
  issuingCa?: string;
  thresholdPercent?: number;
  /** Default: every declared listener with mutual auth on. */
  listenerIds?: string[];
}

export interface Draft {
  rotation?: CaRotation;
  refusals: string[];
  listeners: ListenerMtls[];
}

/** Checks a new rotation; `rotation` is set only when nothing refuses it. Reads only. */
export async function draftRotation(deps: RotationDeps, request: NewRotationRequest): Promise<Draft> {
  const refusals: string[] = [];
  const now = deps.clock.now();
  const threshold = request.thresholdPercent ?? 100;
  const t = thresholdProblem(threshold);
  if (t) refusals.push(t);
  if (!request.toCa) refusals.push('name the new CA the listeners will trust (--to)');

  const desired = (await deps.desired()).filter((d) => d.mutualAuth);
  const listeners = request.listenerIds?.length
    ? request.listenerIds.map((id) => {
        const d = desired.find((x) => sameListener(x.listenerId, id));
        if (!d) refusals.push(`listener ${id} is not declared with mutual auth on in the desired state`);
        return d;
      })
    : desired;
  const chosen = listeners.filter((d): d is ListenerMtls => d !== undefined);
  if (chosen.length === 0) refusals.push('no listener to rotate: none is declared with mutual auth on');
  const declaredCas = [...new Set(chosen.map((d) => d.caCertificateId!))];
  if (declaredCas.length > 1)
    refusals.push(
      `the listeners are declared with different CAs (${declaredCas.join(', ')}): rotate them one CA at a time`,
    );
  if (refusals.length || !request.toCa) return { refusals, listeners: chosen };

  const from: RotationCa = { caId: declaredCas[0], issuingCa: deps.config.issuingCa };
  const [fromCa, fromIssuing, toCa] = await Promise.all([
    deps.pca.getCa(from.caId),
    deps.pca.getCa(from.issuingCa),
    deps.pca.getCa(request.toCa),
  ]);
  let issuingCa = request.issuingCa;
  if (!issuingCa) {
    if (toCa?.type === 'SUB_ROOT') issuingCa = request.toCa;
    else if (!toCa) refusals.push(`the new CA ${request.toCa} was not found in the private CA`);
    else
      refusals.push(
        `${request.toCa} is a ${toCa.type ?? 'CA'}: name the sub-CA under it that will issue clients (--issuing-ca)`,
      );
  }
  const to: RotationCa = { caId: request.toCa, issuingCa: issuingCa ?? request.toCa };
  const toIssuing = to.issuingCa === to.caId ? toCa : await deps.pca.getCa(to.issuingCa);
  if (!fromCa) refusals.push(`the listeners' CA ${from.caId} was not found in the private CA`);
  if (!fromIssuing)
    refusals.push(`the configured issuing sub-CA ${from.issuingCa} (PCA_PARENT_IDENTIFIER) was not found`);
  if (
    fromCa &&
    fromIssuing &&
    from.issuingCa !== from.caId &&
    !deps.chainsTo(fromIssuing.certificatePem, [], fromCa.certificatePem)
  )
    refusals.push(`the configured issuing sub-CA ${from.issuingCa} does not chain to the listeners' CA ${from.caId}`);
  const issuingUnderTarget =
    !!toIssuing &&
    !!toCa &&
    (to.issuingCa === to.caId || deps.chainsTo(toIssuing.certificatePem, [], toCa.certificatePem));
  if (issuingCa)
    refusals.push(
      ...targetCaProblems({ from, to, toCa, toIssuing, issuingUnderTarget }, now, deps.config.minCaDaysLeft),
    );
  if (fromIssuing?.keyFamily && toIssuing?.keyFamily && fromIssuing.keyFamily !== toIssuing.keyFamily)
    refusals.push(
      `the new sub-CA's keys are ${toIssuing.keyFamily}, the clients' are ${fromIssuing.keyFamily}: CAS certifies only keys of the sub-CA's family, so CSR-mode clients could get no successor for their key`,
    );
  for (const d of chosen) {
    const listener = await readListener(deps, d.region, d.listenerId).catch(() => undefined);
    if (!listener) refusals.push(`listener ${d.listenerId} was not found in ${d.region}`);
    else if (!trusts(listener, from.caId))
      refusals.push(
        `listener ${d.listenerId} trusts ${listener.caEnabled ? listener.caCertificateIds.join(',') || 'no CA' : 'nothing (mutual auth off)'}, not the declared ${from.caId}: run npm run reconcile -- --apply first`,
      );
  }
  if (refusals.length) return { refusals, listeners: chosen };
  const at = now.toISOString();
  return {
    refusals,
    listeners: chosen,
    rotation: {
      v: 1,
      id: `rot-${at.slice(0, 10).replace(/-/g, '')}-${randomBytes(3).toString('hex')}`,
      stage: 'preparing',
      createdAt: at,
      updatedAt: at,
      from,
      to,
      thresholdPercent: threshold,
      listeners: chosen.map((d) => ({ listenerId: d.listenerId, region: d.region })),
      history: [],
    },
  };
}

const NEXT: Record<string, string[]> = {
  preparing: ['npm run rotate-ca -- prepare   (finishes issuing and delivering successors)'],
  prepared: [
    'npm run rotate-ca -- gate      (shows the share of clients holding a successor; issues any missing)',
    'npm run rotate-ca -- switch    (when the gate passes; --force to go below the threshold)',
  ],
  switching: [
    'npm run rotate-ca -- switch    (finishes the switch)',
    'npm run rotate-ca -- rollback  (back to the old CA)',
  ],
  switched: [
    'npm run rotate-ca -- finish    (old certificates stop renewing; --revoke to revoke them)',
    'npm run rotate-ca -- rollback  (back to the old CA)',
  ],
  finishing: ['npm run rotate-ca -- finish    (finishes it)'],
  'rolling-back': ['npm run rotate-ca -- rollback  (finishes it)'],
};

export function nextSteps(rotation: CaRotation): string[] {
  const steps = [...(NEXT[rotation.stage] ?? ['npm run rotate-ca -- plan --to <new CA> ... (a new rotation)'])];
  if (rotation.stage === 'switched' || rotation.stage === 'finishing' || rotation.stage === 'finished')
    steps.push(...configNext(rotation));
  return steps;
}

export async function planRotation(deps: RotationDeps, request: NewRotationRequest): Promise<RotationReport> {
  const current = await loadRotation(deps.store);
  const last: CaRotation | undefined = current; // isActive() narrows `current` to nothing below
  if (isActive(current)) {
    const report = reportBase(current, 'plan', true);
    if (request.toCa && request.toCa !== current.to.caId)
      report.refusals = [`rotation ${current.id} to ${current.to.caId} is in progress: finish or roll it back first`];
    if (current.stage === 'prepared' || current.stage === 'preparing') {
      const measured = await measureGate(deps, current, await currentClients(deps, current));
      report.clients = measured.clients;
      report.gate = { ...measured.gate, ...(current.gate?.forced ? { forced: true } : {}) };
    }
    report.next = nextSteps(current);
    return report;
  }
  const draft = await draftRotation(deps, request);
  if (!draft.rotation) {
    // No --to after a rotation ended: say where things stand before what a new one needs.
    const ended =
      last && !request.toCa
        ? [`no CA rotation is in progress: the last one, ${last.id} to ${last.to.caId}, is ${last.stage}`]
        : [];
    return {
      command: 'plan',
      planOnly: true,
      refusals: [...ended, ...draft.refusals],
      next: ['fix the above, then plan again'],
    };
  }
  const clients = await currentClients(deps, draft.rotation);
  const measured = await measureGate(deps, draft.rotation, clients);
  return {
    ...reportBase(draft.rotation, 'plan', true),
    rotationId: undefined,
    stage: undefined,
    listeners: draft.listeners.map((d) => ({ listenerId: d.listenerId, trusts: draft.rotation!.from.caId })),
    clients: measured.clients,
    next: [
      `npm run rotate-ca -- prepare --to ${draft.rotation.to.caId}${draft.rotation.to.issuingCa !== draft.rotation.to.caId ? ` --issuing-ca ${draft.rotation.to.issuingCa}` : ''} --threshold ${draft.rotation.thresholdPercent}   (issues ${clients.length} successors and 2 canaries; the listeners are not touched)`,
    ],
  };
}

export { commandRefusal };

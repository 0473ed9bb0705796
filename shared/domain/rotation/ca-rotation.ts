/**
 * Rotating the one CA a single-CA NLB listener trusts, as an explicit state machine kept in the bucket
 * (`rotation/state.json`), with the pure decisions each stage needs. NLB trusts exactly one CA per listener and
 * checks no CRL, so there is no "trust both" window (Istio's A+B -> B): instead every client gets a successor under
 * the new CA first, the switch waits until enough clients hold theirs, and the switch is proven by two handshakes.
 *
 *   prepare  : (none) -> preparing -> prepared       successors issued and delivered (re-run: only what is missing)
 *   gate     : prepared (gate result recorded)       share of active clients holding a successor, per tenant
 *   switch   : prepared -> switching -> switched     listener CA changes; new canary in, old canary refused
 *   finish   : switched -> finishing -> finished     old certificates stop renewing (or are revoked on request)
 *   rollback : prepared|switching|switched -> rolling-back -> rolled-back   listener back on the old CA
 *
 * Every "-ing" stage is written before its work starts and every step is idempotent, so a crash anywhere is
 * resumed by running the same command again.
 */
import type { CaFacts } from '../listeners/ports.js';

export type RotationStage =
  | 'preparing'
  | 'prepared'
  | 'switching'
  | 'switched'
  | 'finishing'
  | 'finished'
  | 'rolling-back'
  | 'rolled-back';

export type RotationCommand = 'plan' | 'prepare' | 'gate' | 'switch' | 'finish' | 'rollback';

/** One CA side of the rotation: what the listener trusts, and the sub-CA under it that issues clients. */
export interface RotationCa {
  /** The CA the listener is given (usually the root: clients then send their sub-CA). */
  caId: string;
  /** The sub-CA that issues client certificates chaining to `caId`. */
  issuingCa: string;
}

export interface RotationListener {
  listenerId: string;
  region: string;
  /** Set once the listener trusts the new CA and the two handshakes proved it. */
  switchedAt?: string;
  jobId?: string;
  /** Set once a rollback put it back on the old CA and proved it. */
  rolledBackAt?: string;
}

export interface TenantShare {
  clients: number;
  holding: number;
  percent: number;
}

export interface GateResult {
  at: string;
  total: TenantShare;
  perTenant: Record<string, TenantShare>;
  thresholdPercent: number;
  passed: boolean;
  /** An operator let the switch go below the threshold. */
  forced?: boolean;
}

export interface RotationEvent {
  at: string;
  event: string;
  detail?: string;
}

/** A rotation canary: a client certificate the rotation issues itself (its key sealed beside it in the bucket). */
export interface RotationCanaryRef {
  certificateId: string;
}

export interface CaRotation {
  v: 1;
  id: string;
  stage: RotationStage;
  createdAt: string;
  updatedAt: string;
  from: RotationCa;
  to: RotationCa;
  thresholdPercent: number;
  listeners: RotationListener[];
  gate?: GateResult;
  /** finish: revoke the old certificates instead of letting them expire. */
  revokeOld?: boolean;
  /** rollback: also revoke the successors (and the new canary). */
  revokeSuccessors?: boolean;
  /** What NLB reported for each CA id sent (it may name a CA in a form of its own, audit D5). */
  reportedIds?: Record<string, string>;
  /** The last switch that failed its handshakes and was rolled back automatically. */
  switchFailure?: { at: string; listenerId: string; reasons: string[] };
  history: RotationEvent[];
}

/** Per client certificate, `rotation/<id>/successors/<certificate id>.json`. */
export interface SuccessorRecord {
  v: 1;
  rotationId: string;
  clientId: string;
  tenant: string;
  commonName: string;
  mode: 'server-key' | 'csr';
  successorId: string;
  issuedAt: string;
  /** The webhook's outcome, when the certificate has one. */
  webhook?: { deliveredAt?: string; failedAt?: string; code?: string };
  /** Fetched through the API or the nlb-mtls client. */
  pickedUpAt?: string;
  /** Server-key mode: the successor's .p12 password, sealed with STATE_KEY, until it is picked up or the rotation finishes. */
  sealedPassword?: unknown;
  /** finish: what happened to the old certificate. */
  finished?: 'renewal-stopped' | 'revoked';
}

/** Has the owner got it: a delivered webhook or a pickup. Issued but never delivered does not count. */
export function holdsSuccessor(s: SuccessorRecord | undefined): boolean {
  return Boolean(s && (s.webhook?.deliveredAt || s.pickedUpAt));
}

export function isActive(r: CaRotation | undefined): r is CaRotation {
  return Boolean(r && r.stage !== 'finished' && r.stage !== 'rolled-back');
}

/** Which commands may run in which stage; a command in its own "-ing" stage resumes it. */
const ALLOWED: Record<Exclude<RotationCommand, 'plan'>, RotationStage[]> = {
  prepare: ['preparing', 'prepared'],
  gate: ['prepared'],
  switch: ['prepared', 'switching'],
  finish: ['switched', 'finishing'],
  rollback: ['preparing', 'prepared', 'switching', 'switched', 'rolling-back'],
};

/** Why `command` cannot run now, or undefined. */
export function commandRefusal(
  command: Exclude<RotationCommand, 'plan'>,
  rotation: CaRotation | undefined,
): string | undefined {
  if (!rotation || !isActive(rotation)) {
    if (command === 'prepare') return undefined; // a new rotation
    return 'no CA rotation is in progress: start one with `prepare`';
  }
  if (ALLOWED[command].includes(rotation.stage)) return undefined;
  const next: Partial<Record<RotationStage, string>> = {
    preparing: 'prepare (to finish it)',
    prepared: 'gate, then switch',
    switching: 'switch (to finish it) or rollback',
    switched: 'finish, or rollback',
    finishing: 'finish (to finish it)',
    'rolling-back': 'rollback (to finish it)',
  };
  return `rotation ${rotation.id} is ${rotation.stage}: ${command} is not possible now; next: ${next[rotation.stage] ?? 'nothing'}`;
}

/** The share of clients holding a successor, per tenant and overall; no clients at all counts as 100%. */
export function gateShare(
  clients: Array<{ tenant: string; holding: boolean }>,
  thresholdPercent: number,
  now: Date,
): GateResult {
  const perTenant: Record<string, TenantShare> = {};
  for (const c of clients) {
    const t = (perTenant[c.tenant] ??= { clients: 0, holding: 0, percent: 0 });
    t.clients += 1;
    if (c.holding) t.holding += 1;
  }
  const pct = (s: { clients: number; holding: number }) =>
    s.clients === 0 ? 100 : Math.floor((s.holding / s.clients) * 10_000) / 100;
  for (const t of Object.values(perTenant)) t.percent = pct(t);
  const total = { clients: clients.length, holding: clients.filter((c) => c.holding).length, percent: 0 };
  total.percent = pct(total);
  return {
    at: now.toISOString(),
    total,
    perTenant,
    thresholdPercent,
    passed: total.percent >= thresholdPercent,
  };
}

/**
 * The CA a rotation says a listener must trust now: the old one until the switch, the new one after it, `hold`
 * while a switch or rollback is in flight. It speaks only for its own listeners, and only while the desired state
 * names its old or new CA (a declaration naming a third CA is the operator's newer decision).
 */
export function rotationCaFor(
  rotation: Pick<CaRotation, 'stage' | 'from' | 'to' | 'listeners'> | undefined,
  listenerBaseId: string,
  declaredCa: string | undefined,
): string | 'hold' | undefined {
  if (!rotation || rotation.stage === 'rolled-back') return undefined;
  if (!rotation.listeners.some((l) => l.listenerId.split('@')[0] === listenerBaseId)) return undefined;
  if (declaredCa !== rotation.from.caId && declaredCa !== rotation.to.caId) return undefined;
  switch (rotation.stage) {
    case 'preparing':
    case 'prepared':
      return rotation.from.caId;
    case 'switching':
    case 'rolling-back':
      return 'hold';
    default:
      return rotation.to.caId;
  }
}

export const MIN_CA_DAYS_LEFT = 30;
const DAY_MS = 86_400_000;

/** What is wrong with a threshold, or undefined. */
export function thresholdProblem(value: number): string | undefined {
  if (!Number.isFinite(value) || value < 0 || value > 100)
    return `threshold must be a percentage from 0 to 100 (got ${value})`;
  return undefined;
}

/**
 * Why the new CA cannot be rotated to: missing, revoked or otherwise not issued, expiring soon, a sub-CA that is
 * not under the CA the listener will trust, or the same CA as today. Checked at plan time: nothing changes.
 */
export function targetCaProblems(
  input: {
    from: RotationCa;
    to: RotationCa;
    toCa: CaFacts | undefined;
    toIssuing: CaFacts | undefined;
    /** The issuing sub-CA's chain reaches `to.caId` (the sub-CA itself, or a CA above it). */
    issuingUnderTarget: boolean;
  },
  now: Date,
  minDaysLeft = MIN_CA_DAYS_LEFT,
): string[] {
  const problems: string[] = [];
  const check = (label: string, id: string, ca: CaFacts | undefined) => {
    if (!ca) return problems.push(`the ${label} ${id} was not found in the private CA`);
    if (!['ISSUE', 'ISSUED', 'VALID'].includes(ca.status.toUpperCase()))
      return problems.push(`the ${label} ${id} is ${ca.status}: a rotation needs an issued CA`);
    const days = (ca.notAfter.getTime() - now.getTime()) / DAY_MS;
    if (days < minDaysLeft)
      problems.push(
        `the ${label} ${id} expires ${ca.notAfter.toISOString()} (${Math.max(0, Math.floor(days))} days left, at least ${minDaysLeft} needed)`,
      );
    return undefined;
  };
  if (input.to.caId === input.from.caId) problems.push(`the listeners already trust ${input.to.caId}`);
  check('new CA', input.to.caId, input.toCa);
  if (input.to.issuingCa !== input.to.caId) check('new issuing sub-CA', input.to.issuingCa, input.toIssuing);
  if (input.toIssuing && input.toIssuing.type && input.toIssuing.type !== 'SUB_ROOT')
    problems.push(
      `the new issuing CA ${input.to.issuingCa} is a ${input.toIssuing.type}: client certificates come from a sub-CA`,
    );
  if (input.toIssuing && !input.issuingUnderTarget)
    problems.push(`the new issuing sub-CA ${input.to.issuingCa} does not chain to the new CA ${input.to.caId}`);
  return problems;
}

/**
 * Which attempt at changing the listeners' CA this is: a new one each time a switch or rollback starts (or a switch
 * fails), the same while one is resumed. It goes into the ClientToken: NLB answers a reused token with the old job.
 */
export function caChangeAttempt(rotation: Pick<CaRotation, 'history'>): number {
  return rotation.history.filter((h) => ['switch-started', 'rollback-started', 'switch-failed'].includes(h.event))
    .length;
}

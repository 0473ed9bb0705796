/**
 * The inventory scan's decisions and state, pure: which CAS certificates need a look, which are orphans (no record
 * generation, no issuance in flight, older than the grace period), and how the scan's cursor moves. The scan
 * (shared/renewal/inventory.ts) gathers the facts and acts on these answers.
 *
 * Cost model: a pass lists only what CAS changed since the previous pass started (ListCert on the modification
 * time), so a run costs what changed, not the fleet; identifiers already proven known are remembered for a while so
 * the overlap between passes costs no second look.
 */

/** What the scan keeps between runs (`inventory/state.json`). */
export interface InventoryState {
  v: 1;
  /** The sub-CA scanned; a different one starts over. */
  parentIdentifier: string;
  /** `backfill`: records written before the CA index existed are indexed first; nothing is revoked meanwhile. */
  phase: 'backfill' | 'scan';
  /** backfill: the last `records/` key indexed. */
  backfillAfter?: string;
  /** The pass in progress: changes since `since` (absent: everything), continued from `cursor`. */
  pass: { startedAt: string; since?: string; cursor?: string };
  /** Certificates no record generation names yet: looked at again every run until known, gone or revoked. */
  candidates: Record<string, { firstSeenAt: string; notBefore?: string }>;
  /** Certificates proven to be a generation of a record, with when: skipped when a pass meets them again. */
  seen: Record<string, string>;
}

/** How long a proven identifier is remembered: longer than any pass's overlap (the list's skew and zone margin). */
export const SEEN_KEPT_MS = 2 * 86_400_000;

export function freshInventoryState(parentIdentifier: string, now: Date): InventoryState {
  return {
    v: 1,
    parentIdentifier,
    phase: 'backfill',
    pass: { startedAt: now.toISOString() },
    candidates: {},
    seen: {},
  };
}

/** The state to use: the stored one for this sub-CA, or a new one. */
export function resumeInventoryState(
  stored: InventoryState | undefined,
  parentIdentifier: string,
  now: Date,
): InventoryState {
  if (!stored || stored.v !== 1 || stored.parentIdentifier !== parentIdentifier)
    return freshInventoryState(parentIdentifier, now);
  return stored;
}

/** The backfill is done: the first pass lists everything (orphans from before the scan existed included). */
export function startScanning(state: InventoryState, now: Date): InventoryState {
  return { ...state, phase: 'scan', backfillAfter: undefined, pass: { startedAt: now.toISOString() } };
}

/** A pass reached its last page: the next one lists what changed since this one started. */
export function nextPass(state: InventoryState, now: Date): InventoryState {
  return { ...state, pass: { startedAt: now.toISOString(), since: state.pass.startedAt } };
}

export function pruneSeen(seen: Record<string, string>, now: Date): Record<string, string> {
  const cutoff = now.getTime() - SEEN_KEPT_MS;
  return Object.fromEntries(Object.entries(seen).filter(([, at]) => Date.parse(at) >= cutoff));
}

/** What a listed item needs. */
export type ItemTriage = 'skip' | 'check';

/** Revoked and expired certificates are nobody's concern; neither is one proven known in this overlap. */
export function triageItem(
  item: { identifier: string; status: string; notAfter?: Date },
  state: InventoryState,
  now: Date,
): ItemTriage {
  if (item.status === 'REVOKE') return 'skip';
  if (item.notAfter && item.notAfter.getTime() <= now.getTime()) return 'skip';
  if (state.seen[item.identifier]) return 'skip';
  return 'check';
}

/** How the scan found a certificate's owner. */
export type Ownership =
  | 'generation' // a record generation names it (CA index)
  | 'in-flight' // an issuance that may still adopt it is pending
  | 'foreign' // issued by another CA (CAS did not honour the list's filter)
  | 'gone' // revoked, expired or unknown to CAS by now
  | 'unknown';

/** Is an unknown certificate an orphan to revoke now? Its age counts from its start (the moment it was asked for:
 * this project never back-dates), or from the scan's first sighting when CAS reports no start. */
export function orphanDue(
  candidate: { firstSeenAt: string; notBefore?: string },
  ownership: Ownership,
  now: Date,
  graceMs: number,
): boolean {
  if (ownership !== 'unknown') return false;
  const since = Date.parse(candidate.notBefore ?? candidate.firstSeenAt);
  return now.getTime() - since >= graceMs;
}

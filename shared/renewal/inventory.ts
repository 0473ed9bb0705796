/**
 * The CA inventory scan, the safety net under exactly-once issuance: on the scheduler's timer it lists the client
 * certificates CAS changed under our sub-CA since the last pass (ListCert on the modification time, with a cursor
 * kept in `inventory/state.json`) and compares them with our records through the CA index (`index/ca/<identifier>`,
 * written by every issuance before its record). A certificate no record generation names, that no pending issuance
 * could still adopt, and that is older than the grace period is revoked in CAS and reported (log line, audit line,
 * count in the sweep summary). Foreign certificates (CAS ignoring the list's sub-CA filter) are filtered out here.
 *
 * First run: records written before the CA index existed are indexed (backfill) before anything is revoked, and the
 * first pass lists everything once. Every later run costs what changed since the previous pass, not the fleet.
 */
import { createAuditLog } from '../auth/audit.js';
import { systemPrincipal } from '../auth/principal.js';
import { caIndexKey, isCertificateId, pendingKey, PENDING_PREFIX, RECORDS_PREFIX } from '../certificates/ids.js';
import { parseCustomIdentifier, type PendingIssuance } from '../certificates/pending.js';
import { readRecord } from '../certificates/records.js';
import { getJson, guardedStore, putJson } from '../certificates/storage.js';
import type { CaClientCertificate, CaInventory, Clock, ObjectStore } from '../domain/ports.js';
import {
  nextPass,
  orphanDue,
  pruneSeen,
  resumeInventoryState,
  startScanning,
  triageItem,
  type InventoryState,
  type Ownership,
} from '../domain/renewal/inventory.js';
import { errorFields, type Logger } from '../log/index.js';
import { keyMatchesCertificate, parseCsr } from '../pki/index.js';

export const INVENTORY_STATE_KEY = 'inventory/state.json';

export interface InventoryConfig {
  parentIdentifier: string;
  /** A certificate no record knows is revoked once this old. */
  orphanGraceMs: number;
  /** ListCert pages per run at most; the cursor continues next run. */
  maxPages: number;
  /** Records indexed per run during the backfill. */
  backfillPerRun?: number;
}

export interface InventoryDeps {
  store: ObjectStore;
  /** Only the reading and revoking half: the scan never issues. */
  ca: CaInventory;
  clock: Clock;
  log: Logger;
  config: InventoryConfig;
}

export interface InventoryReport {
  phase: 'backfill' | 'scan';
  /** ListCert pages read this run. */
  pages: number;
  /** Certificates listed this run. */
  listed: number;
  /** Of those, looked up in our records (the rest: revoked, expired, or proven known in an earlier run). */
  checked: number;
  /** Unknown certificates still watched (in flight or within the grace period). */
  candidates: number;
  orphansRevoked: number;
  foreign: number;
  /** Records indexed (backfill only). */
  backfilled: number;
  /** The pass reached its end this run. */
  passComplete: boolean;
}

const DEFAULT_BACKFILL_PER_RUN = 2000;

export async function runInventoryScan(deps: InventoryDeps): Promise<InventoryReport> {
  const store = guardedStore(deps.store);
  const ca = deps.ca; // the adapter maps CAS failures to coded errors
  const now = deps.clock.now();
  const stored = await getJson<InventoryState>(store, INVENTORY_STATE_KEY);
  let state = resumeInventoryState(stored, deps.config.parentIdentifier, now);
  const report: InventoryReport = {
    phase: state.phase,
    pages: 0,
    listed: 0,
    checked: 0,
    candidates: 0,
    orphansRevoked: 0,
    foreign: 0,
    backfilled: 0,
    passComplete: false,
  };
  if (state.phase === 'backfill') {
    state = await backfill(store, state, deps, report, now);
  } else {
    state = await scan(store, ca, state, deps, report, now);
    state = await settleCandidates(store, ca, state, deps, report, now);
  }
  state = { ...state, seen: pruneSeen(state.seen, now) };
  report.candidates = Object.keys(state.candidates).length;
  await putJson(store, INVENTORY_STATE_KEY, state);
  deps.log.info('inventory scan', {
    event: 'inventory.scan',
    count: report.orphansRevoked,
    scanned: report.listed,
    summary: report,
  });
  return report;
}

/** Every record's generations into the CA index, page by page across runs; then the first (full) pass. */
async function backfill(
  store: ObjectStore,
  state: InventoryState,
  deps: InventoryDeps,
  report: InventoryReport,
  now: Date,
): Promise<InventoryState> {
  const budget = deps.config.backfillPerRun ?? DEFAULT_BACKFILL_PER_RUN;
  let after = state.backfillAfter;
  while (report.backfilled < budget) {
    const page = await store.list({ prefix: RECORDS_PREFIX, startAfter: after, maxKeys: Math.min(1000, budget) });
    for (const key of page.keys) {
      after = key;
      const id = key.slice(RECORDS_PREFIX.length).replace(/\.json$/, '');
      if (!isCertificateId(id)) continue;
      const record = await readRecord(store, id).catch(() => undefined);
      if (!record) continue;
      for (const g of [record.current, ...record.previous])
        await putJson(store, caIndexKey(g.casIdentifier), { id, generation: g.generation, tenant: record.tenant });
      report.backfilled += 1;
    }
    if (!page.nextContinuationToken || page.keys.length === 0) {
      deps.log.info('inventory backfill done', { event: 'inventory.backfill', count: report.backfilled });
      return startScanning(state, now);
    }
  }
  return { ...state, backfillAfter: after };
}

/** Pages through what CAS changed since the pass's start; unknown certificates become candidates. */
async function scan(
  store: ObjectStore,
  ca: CaInventory,
  state: InventoryState,
  deps: InventoryDeps,
  report: InventoryReport,
  now: Date,
): Promise<InventoryState> {
  const candidates = { ...state.candidates };
  const seen = { ...state.seen };
  let pass = { ...state.pass };
  while (report.pages < deps.config.maxPages) {
    const page = await ca.listClientCertificates({
      parentIdentifier: deps.config.parentIdentifier,
      ...(pass.since ? { modifiedSince: new Date(pass.since) } : {}),
      ...(pass.cursor ? { cursor: pass.cursor } : {}),
    });
    report.pages += 1;
    report.listed += page.items.length;
    for (const item of page.items) {
      if (candidates[item.identifier] || triageItem(item, { ...state, seen }, now) === 'skip') continue;
      report.checked += 1;
      if ((await ownershipFromIndex(store, item)) === 'generation') seen[item.identifier] = now.toISOString();
      else
        candidates[item.identifier] = {
          firstSeenAt: now.toISOString(),
          ...(item.notBefore ? { notBefore: item.notBefore.toISOString() } : {}),
        };
    }
    if (!page.cursor) {
      report.passComplete = true;
      return nextPass({ ...state, candidates, seen, pass }, now);
    }
    pass = { ...pass, cursor: page.cursor };
  }
  return { ...state, candidates, seen, pass };
}

/** Known through the CA index, or through a pending issuance its CustomIdentifier names (still in flight). */
async function ownershipFromIndex(store: ObjectStore, item: CaClientCertificate): Promise<Ownership> {
  if (await store.exists(caIndexKey(item.identifier))) return 'generation';
  const named = parseCustomIdentifier(item.customIdentifier);
  if (named && (await store.exists(pendingKey(named.id, named.generation)))) return 'in-flight';
  return 'unknown';
}

/** Each candidate: known by now, gone, someone else's, still protected, or an orphan to revoke. */
async function settleCandidates(
  store: ObjectStore,
  ca: CaInventory,
  state: InventoryState,
  deps: InventoryDeps,
  report: InventoryReport,
  now: Date,
): Promise<InventoryState> {
  const candidates = { ...state.candidates };
  const seen = { ...state.seen };
  let pending: Promise<PendingIssuance[]> | undefined;
  const audit = createAuditLog(deps.log);
  for (const [identifier, candidate] of Object.entries(candidates)) {
    try {
      if (await store.exists(caIndexKey(identifier))) {
        seen[identifier] = now.toISOString();
        delete candidates[identifier];
        continue;
      }
      if (!orphanDue(candidate, 'unknown', now, deps.config.orphanGraceMs)) continue;
      const described = await ca.describeClientCertificate(identifier);
      const verdict = settledBy(described, deps.config.parentIdentifier, now);
      if (verdict || !described) {
        if (verdict === 'foreign') report.foreign += 1;
        delete candidates[identifier];
        continue;
      }
      // A generation whose CA index entry is missing after all (written by hand, or lost): repaired, not revoked.
      if (await namedByRecord(store, described)) {
        seen[identifier] = now.toISOString();
        delete candidates[identifier];
        continue;
      }
      // An issuance still pending may adopt it (its answer was lost): never revoke what could become a generation.
      if (await inFlight(store, described, (pending ??= pendingIssuances(store)))) continue;
      await ca.revoke(identifier);
      delete candidates[identifier];
      report.orphansRevoked += 1;
      deps.log.warn('orphan certificate revoked', {
        event: 'inventory.orphan_revoked',
        caIdentifier: identifier,
        serialNumber: described.serialNumber,
        commonName: described.commonName,
        reason: 'no record generation and no pending issuance',
      });
      audit.record({
        action: 'certificate.revoke',
        principal: systemPrincipal('inventory-scan'),
        decision: 'allow',
        result: 'success',
        serialNumber: described.serialNumber,
        reason: 'orphan',
      });
    } catch (err) {
      // This one waits for the next run; the others go on.
      deps.log.warn('inventory candidate not settled', { ...errorFields(err), caIdentifier: identifier });
    }
  }
  return { ...state, candidates, seen };
}

/** Nothing left to do for it: revoked or expired already, unknown to CAS, or issued by another CA. */
function settledBy(described: CaClientCertificate | undefined, parent: string, now: Date): Ownership | undefined {
  if (!described || described.status !== 'ISSUE') return 'gone';
  if (described.notAfter && described.notAfter.getTime() <= now.getTime()) return 'gone';
  // Filtered on our side: CAS may not honour ListCert's ParentIdentifier.
  if (described.parentIdentifier !== undefined && described.parentIdentifier !== parent) return 'foreign';
  return undefined;
}

/** The record its CustomIdentifier names has it as a generation: the CA index entry is written again. */
async function namedByRecord(store: ObjectStore, described: CaClientCertificate): Promise<boolean> {
  const named = parseCustomIdentifier(described.customIdentifier);
  if (!named) return false;
  const record = await readRecord(store, named.id);
  const generation = [record?.current, ...(record?.previous ?? [])].find(
    (g) => g?.casIdentifier === described.identifier,
  );
  if (!record || !generation) return false;
  await putJson(store, caIndexKey(described.identifier), {
    id: record.id,
    generation: generation.generation,
    tenant: record.tenant,
  });
  return true;
}

/** Named by a pending issuance's CustomIdentifier, or certifying the key of one (when CAS returned no identifier). */
async function inFlight(
  store: ObjectStore,
  described: CaClientCertificate,
  pending: Promise<PendingIssuance[]>,
): Promise<boolean> {
  const named = parseCustomIdentifier(described.customIdentifier);
  if (named) return store.exists(pendingKey(named.id, named.generation));
  if (!described.certificatePem) return false;
  for (const p of await pending) {
    if (described.commonName !== undefined && p.commonName !== described.commonName) continue;
    const csr = await parseCsr(p.csrPem).catch(() => undefined);
    if (csr && keyMatchesCertificate(csr.publicKey, described.certificatePem)) return true;
  }
  return false;
}

async function pendingIssuances(store: ObjectStore): Promise<PendingIssuance[]> {
  const listing = await store.list({ prefix: PENDING_PREFIX, maxKeys: 1000 });
  const found = await Promise.all(listing.keys.map((k) => getJson<PendingIssuance>(store, k).catch(() => undefined)));
  return found.filter((p): p is PendingIssuance => Boolean(p?.csrPem));
}

/**
 * Why: the console's summary must not read every record on every page load, nor on every sweep. This step of the
 * renewal scheduler's timer keeps, per tenant, the facts of each certificate (`fleet/tenants/<t>/entries.json`)
 * and the tenant's summary (`.../summary.json`). It lists `records/` (1,000 keys and their ETags per request) and
 * reads the records whose ETag changed since the last run, plus a rolling slice of the others (each record once a
 * day), so nothing rests on ETag semantics for longer than a day. Reads are capped per run: a first run over a big
 * fleet finishes over several runs, and the summary says how many records it still lacks. Records are the truth:
 * nothing is counted up or down, so no write can be lost between two runs.
 */
import { isCertificateId, RECORDS_PREFIX } from '../certificates/ids.js';
import { readRecord } from '../certificates/records.js';
import { getJson, mapBounded, putJson } from '../certificates/storage.js';
import { decodeEntries, encodeEntries, entryOf, type FleetEntry } from '../domain/fleet/entries.js';
import { summarizeFleet, type FleetSummary } from '../domain/fleet/summary.js';
import type { Clock, ObjectStore } from '../domain/ports.js';
import { errorFields, type Logger } from '../log/index.js';
import { FLEET_TENANTS_PREFIX, fleetEntriesKey, fleetSummaryKey, tenantOfPrefix } from './keys.js';

/** `fleet/tenants/<tenant>/summary.json`. */
export interface FleetSummaryDocument {
  v: 1;
  tenant: string;
  summary: FleetSummary;
  /** Records of the fleet (any tenant) not read yet because of the per-run cap: the summary may lack them. */
  pendingRecords: number;
}

export interface FleetRefreshConfig {
  /** Record reads in flight at once (default 16). */
  readConcurrency?: number;
  /** Record reads per run at most (default 20,000): the changed ones first, then the rolling slice. */
  maxReadsPerRun?: number;
  /** Unchanged records are read again once per this many slots of the day (default 96: every 15 minutes one). */
  verificationSlots?: number;
}

export interface FleetRefreshDeps {
  store: ObjectStore;
  clock: Clock;
  log: Logger;
  config?: FleetRefreshConfig;
}

export interface FleetRefreshReport {
  tenants: number;
  certificates: number;
  /** LIST requests over `records/` (and `fleet/tenants/`). */
  listRequests: number;
  /** Records read because they changed (or are new, or were never read). */
  changedRead: number;
  /** Unchanged records read again (this run's rolling slice). */
  verified: number;
  /** Changed records left for the next run by the cap. */
  pendingRecords: number;
  /** Records that could not be read this time (their last known facts were kept). */
  readFailures: number;
  entriesWritten: number;
  summariesWritten: number;
  durationMs: number;
}

const LIST_PAGE = 1000;
const DAY_MS = 86_400_000;

interface Known {
  tenant: string;
  entry: FleetEntry;
}

/** The slot of the day in which an unchanged record is read again (FNV-1a of its id: a stable, even spread). */
export function verificationSlotOf(id: string, slots: number): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < id.length; i += 1) hash = Math.imul(hash ^ id.charCodeAt(i), 0x01000193) >>> 0;
  return hash % slots;
}

async function listTenants(store: ObjectStore): Promise<{ tenants: string[]; requests: number }> {
  const tenants: string[] = [];
  let requests = 0;
  for (let token: string | undefined; ; ) {
    const page = await store.list({
      prefix: FLEET_TENANTS_PREFIX,
      delimiter: '/',
      maxKeys: LIST_PAGE,
      continuationToken: token,
    });
    requests += 1;
    for (const prefix of page.commonPrefixes) {
      const tenant = tenantOfPrefix(prefix);
      if (tenant) tenants.push(tenant);
    }
    token = page.nextContinuationToken;
    if (!token) return { tenants, requests };
  }
}

export async function refreshFleetSummaries(deps: FleetRefreshDeps): Promise<FleetRefreshReport> {
  const { store, clock, log } = deps;
  const maxReads = deps.config?.maxReadsPerRun ?? 20_000;
  const slots = deps.config?.verificationSlots ?? 96;
  const started = clock.now();
  const currentSlot = Math.floor(started.getTime() / (DAY_MS / slots)) % slots;

  // 1. What the last run knew, tenant by tenant. An unreadable document counts as empty: its records are read again.
  const { tenants, requests } = await listTenants(store);
  let listRequests = requests;
  const known = new Map<string, Known>();
  for (const tenant of tenants) {
    let entries: FleetEntry[] | undefined;
    try {
      entries = decodeEntries(await getJson<unknown>(store, fleetEntriesKey(tenant)));
    } catch (err) {
      log.warn('fleet entries unreadable: their records are read again', { ...errorFields(err), tenant });
    }
    for (const entry of entries ?? []) known.set(entry.id, { tenant, entry });
  }

  // 2. The records as they are now: a changed ETag (or none, or an unknown record) means it must be read.
  const seen = new Set<string>();
  const changed: Array<{ id: string; etag: string }> = [];
  const verify: Array<{ id: string; etag: string }> = [];
  for (let startAfter: string | undefined; ; ) {
    const page = await store.list({ prefix: RECORDS_PREFIX, startAfter, maxKeys: LIST_PAGE });
    listRequests += 1;
    page.keys.forEach((key, i) => {
      const id = key.slice(RECORDS_PREFIX.length).replace(/\.json$/, '');
      if (!isCertificateId(id) || key !== `${RECORDS_PREFIX}${id}.json`) return;
      seen.add(id);
      const etag = page.etags?.[i] ?? '';
      if (!etag || known.get(id)?.entry.etag !== etag) changed.push({ id, etag });
      else if (verificationSlotOf(id, slots) === currentSlot) verify.push({ id, etag });
    });
    if (!page.nextContinuationToken || page.keys.length === 0) break;
    startAfter = page.keys[page.keys.length - 1];
  }
  const changedNow = changed.slice(0, maxReads);
  const toRead = [...changedNow, ...verify.slice(0, Math.max(0, maxReads - changedNow.length))];
  const pendingRecords = changed.length - changedNow.length;

  // 3. Read them. A record that is gone is dropped; one that cannot be read now keeps its old entry (with its old
  // ETag, so it is read again next time): a passing OSS error never makes certificates vanish.
  type Read = { id: string; found: Known } | { id: string; gone: true } | { id: string; failed: true };
  const fresh = await mapBounded(toRead, deps.config?.readConcurrency ?? 16, async ({ id, etag }): Promise<Read> => {
    try {
      const record = await readRecord(store, id);
      return record ? { id, found: { tenant: record.tenant, entry: entryOf(record, etag) } } : { id, gone: true };
    } catch (err) {
      log.warn('record unreadable: its last known facts are kept', { ...errorFields(err), certificateId: id });
      return { id, failed: true };
    }
  });
  const readNow = new Map(fresh.map((r) => [r.id, r]));

  // 4. Each tenant's entries: the ones not read as they were, the ones read as they are now.
  const byTenant = new Map<string, FleetEntry[]>(tenants.map((t) => [t, []]));
  const touched = new Set<string>();
  for (const [id, { tenant, entry }] of known) {
    const read = readNow.get(id);
    if (!seen.has(id) || (read && 'gone' in read)) {
      touched.add(tenant);
      continue;
    }
    if (read && 'found' in read) continue;
    byTenant.get(tenant)!.push(entry);
  }
  for (const read of fresh) {
    if (!('found' in read)) continue;
    const { tenant, entry } = read.found;
    if (!byTenant.has(tenant)) byTenant.set(tenant, []);
    byTenant.get(tenant)!.push(entry);
    const before = known.get(read.id);
    if (!before || before.tenant !== tenant || JSON.stringify(before.entry) !== JSON.stringify(entry)) {
      touched.add(tenant);
      if (before && before.tenant !== tenant) touched.add(before.tenant);
    }
  }

  // 5. Write: entries only where something changed, every summary (its numbers move with time).
  let entriesWritten = 0;
  let summariesWritten = 0;
  let certificates = 0;
  for (const [tenant, entries] of byTenant) {
    certificates += entries.length;
    if (touched.has(tenant)) {
      await putJson(store, fleetEntriesKey(tenant), encodeEntries(tenant, entries));
      entriesWritten += 1;
    }
    const doc: FleetSummaryDocument = { v: 1, tenant, summary: summarizeFleet(entries, started), pendingRecords };
    await putJson(store, fleetSummaryKey(tenant), doc);
    summariesWritten += 1;
  }

  const readFailures = fresh.filter((r) => 'failed' in r).length;
  const report: FleetRefreshReport = {
    tenants: byTenant.size,
    certificates,
    listRequests,
    changedRead: changedNow.length,
    verified: toRead.length - changedNow.length,
    pendingRecords,
    readFailures,
    entriesWritten,
    summariesWritten,
    durationMs: clock.now().getTime() - started.getTime(),
  };
  log.info('fleet summary refreshed', { summary: report });
  return report;
}

/** The scheduler's step: a failed refresh is logged and tried again on the next timer; it never fails the sweep. */
export async function refreshFleetSummariesSafely(deps: FleetRefreshDeps): Promise<FleetRefreshReport | undefined> {
  try {
    return await refreshFleetSummaries(deps);
  } catch (err) {
    deps.log.warn('fleet summary not refreshed: the console shows the previous one', errorFields(err));
    return undefined;
  }
}

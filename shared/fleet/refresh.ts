/**
 * Why: the console's summary must not read every record on every page load, nor on every sweep. This step of the
 * renewal scheduler's timer keeps, per tenant, the facts of each certificate (`fleet/tenants/<t>/entries.json`)
 * and the tenant's summary (`.../summary.json`). It lists `records/` (1,000 keys and their ETags per request) and
 * reads only the records whose ETag changed since the last run; once a day (`fullReadEveryMs`) it reads them all,
 * so nothing depends on ETag semantics for longer than that. Records are the truth: nothing is counted up or down,
 * so no write can be lost between two runs.
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
}

export interface FleetRefreshDeps {
  store: ObjectStore;
  clock: Clock;
  log: Logger;
  config?: { readConcurrency?: number; fullReadEveryMs?: number };
}

export interface FleetRefreshReport {
  tenants: number;
  certificates: number;
  /** LIST requests over `records/` (and `fleet/tenants/`). */
  listRequests: number;
  recordsRead: number;
  /** Records that could not be read this time (their last known facts were kept). */
  readFailures: number;
  /** Every record was read (first run, a stored document unreadable, or the daily full read). */
  fullRead: boolean;
  entriesWritten: number;
  summariesWritten: number;
  durationMs: number;
}

const DEFAULT_FULL_READ_EVERY_MS = 24 * 3_600_000;
const LIST_PAGE = 1000;

interface Known {
  tenant: string;
  entry: FleetEntry;
}

export async function refreshFleetSummaries(deps: FleetRefreshDeps): Promise<FleetRefreshReport> {
  const { store, clock, log } = deps;
  const started = clock.now();
  let listRequests = 0;

  // 1. What the last run knew, tenant by tenant.
  const tenants: string[] = [];
  for (let token: string | undefined; ;) {
    const page = await store.list({
      prefix: FLEET_TENANTS_PREFIX,
      delimiter: '/',
      maxKeys: LIST_PAGE,
      continuationToken: token,
    });
    listRequests += 1;
    for (const prefix of page.commonPrefixes) {
      const tenant = tenantOfPrefix(prefix);
      if (tenant) tenants.push(tenant);
    }
    token = page.nextContinuationToken;
    if (!token) break;
  }
  const known = new Map<string, Known>();
  const fullReadAt = new Map<string, number>();
  let unreadable = false;
  for (const tenant of tenants) {
    let entries: FleetEntry[] | undefined;
    let at = Number.NaN;
    try {
      const doc = await getJson<{ fullReadAt?: string }>(store, fleetEntriesKey(tenant));
      entries = doc ? decodeEntries(doc) : [];
      at = Date.parse(doc?.fullReadAt ?? '');
    } catch (err) {
      log.warn('fleet entries unreadable: every record is read again', { ...errorFields(err), tenant });
    }
    if (!entries) {
      unreadable = true;
      continue;
    }
    fullReadAt.set(tenant, at);
    for (const entry of entries) known.set(entry.id, { tenant, entry });
  }
  const lastFull = Math.min(...[...fullReadAt.values()].map((t) => (Number.isNaN(t) ? 0 : t)), started.getTime());
  const fullRead =
    unreadable ||
    tenants.length === 0 ||
    started.getTime() - lastFull >= (deps.config?.fullReadEveryMs ?? DEFAULT_FULL_READ_EVERY_MS);

  // 2. The records as they are now: a changed ETag (or none) means the record must be read.
  const seen = new Set<string>();
  const toRead: Array<{ id: string; etag: string }> = [];
  for (let startAfter: string | undefined; ;) {
    const page = await store.list({ prefix: RECORDS_PREFIX, startAfter, maxKeys: LIST_PAGE });
    listRequests += 1;
    page.keys.forEach((key, i) => {
      const id = key.slice(RECORDS_PREFIX.length).replace(/\.json$/, '');
      if (!isCertificateId(id) || key !== `${RECORDS_PREFIX}${id}.json`) return;
      seen.add(id);
      const etag = page.etags?.[i] ?? '';
      if (!fullRead && etag && known.get(id)?.entry.etag === etag) return;
      toRead.push({ id, etag });
    });
    if (!page.nextContinuationToken || page.keys.length === 0) break;
    startAfter = page.keys[page.keys.length - 1];
  }

  // 3. Read what changed. A record that is gone is dropped; one that cannot be read now keeps its old entry (with
  // its old ETag, so it is read again next time): a passing OSS error never makes certificates vanish.
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
  const failedReads = new Set(fresh.filter((r) => 'failed' in r).map((r) => r.id));

  // 4. Each tenant's entries: the unchanged ones as they were, the changed ones as read.
  const byTenant = new Map<string, FleetEntry[]>(tenants.map((t) => [t, []]));
  const changed = new Set<string>();
  const reread = new Set(toRead.map((r) => r.id));
  for (const [id, { tenant, entry }] of known) {
    const keep = failedReads.has(id) || (seen.has(id) && !reread.has(id));
    if (keep) byTenant.get(tenant)!.push(entry);
    else changed.add(tenant);
  }
  for (const item of fresh) {
    if (!('found' in item)) continue;
    const { tenant, entry } = item.found;
    if (!byTenant.has(tenant)) byTenant.set(tenant, []);
    byTenant.get(tenant)!.push(entry);
    changed.add(tenant);
  }

  // 5. Write: entries only where something changed, every summary (its numbers move with time).
  let entriesWritten = 0;
  let summariesWritten = 0;
  let certificates = 0;
  for (const [tenant, entries] of byTenant) {
    certificates += entries.length;
    if (changed.has(tenant) || fullRead || !fullReadAt.has(tenant)) {
      const at = fullRead ? started.getTime() : (fullReadAt.get(tenant) ?? lastFull);
      await putJson(store, fleetEntriesKey(tenant), encodeEntries(tenant, entries, new Date(at || started.getTime())));
      entriesWritten += 1;
    }
    const doc: FleetSummaryDocument = { v: 1, tenant, summary: summarizeFleet(entries, started) };
    await putJson(store, fleetSummaryKey(tenant), doc);
    summariesWritten += 1;
  }

  const report: FleetRefreshReport = {
    tenants: byTenant.size,
    certificates,
    listRequests,
    recordsRead: toRead.length - failedReads.size,
    readFailures: failedReads.size,
    fullRead,
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

/**
 * Why: `GET /v1/summary` answers from what the scheduler stored, never from the records: one GET for a token whose
 * policy allows every name (the tenant's own summary); for any other token the summary is computed here from the
 * tenant's entries after the same name gate every other operation uses (`canSee`), so a token never learns about
 * a certificate its policy hides. The entries and such summaries are kept in memory until the scheduler's next run
 * (the stored summary's `asOf` changes), so a warm instance answers those with one GET too.
 */
import { auditedRead } from '../auth/audited-read.js';
import { requireOperation } from '../auth/decisions.js';
import { allowsEveryName } from '../auth/name-scope.js';
import { canSee, type TokenPrincipal } from '../auth/principal.js';
import { getJson } from '../certificates/storage.js';
import { decodeEntries, type FleetEntry } from '../domain/fleet/entries.js';
import { summarizeFleet, type FleetSummary } from '../domain/fleet/summary.js';
import type { ObjectStore } from '../domain/ports.js';
import type { Logger } from '../log/index.js';
import { fleetEntriesKey, fleetSummaryKey } from './keys.js';
import type { FleetSummaryDocument } from './refresh.js';

export interface FleetSummaryAnswer {
  tenant: string;
  /** `tenant`: the whole tenant's summary; `policy`: only the certificates this token's names policy allows. */
  scope: 'tenant' | 'policy';
  /** False until renew-scheduler has made the first summary (its timer runs every 15 minutes). */
  available: boolean;
  summary?: FleetSummary;
  /** Records the scheduler has not read yet (a first run over a big fleet reads at most 20,000 per run). */
  pendingRecords?: number;
}

/** Tenants whose entries a warm instance keeps, and summaries per (tenant, run, names policy). */
const CACHED_TENANTS = 4;
const CACHED_SUMMARIES = 64;

function remember<K, V>(cache: Map<K, V>, key: K, value: V, max: number): V {
  cache.delete(key);
  cache.set(key, value);
  if (cache.size > max) cache.delete(cache.keys().next().value as K);
  return value;
}

export interface FleetReads {
  /** `log`: where the audit line goes (a request's child logger); default the one given at creation. */
  summary(principal: TokenPrincipal, log?: Logger): Promise<FleetSummaryAnswer>;
}

export function createFleetReads(deps: { store: ObjectStore; log: Logger }): FleetReads {
  const { store } = deps;
  const entriesByTenant = new Map<string, { asOf: string; entries: FleetEntry[] }>();
  const summaries = new Map<string, FleetSummary>();
  return {
    summary: (principal, log = deps.log) =>
      auditedRead(log, { action: 'fleet.summary', principal }, async () => {
        requireOperation(principal, 'read');
        return summaryFor(principal);
      }),
  };

  async function summaryFor(principal: TokenPrincipal): Promise<FleetSummaryAnswer> {
    const tenant = principal.tenant;
    const whole = allowsEveryName(principal.policy);
    const scope = whole ? 'tenant' : 'policy';
    const doc = await getJson<FleetSummaryDocument>(store, fleetSummaryKey(tenant));
    if (!doc || doc.v !== 1) return { tenant, scope, available: false };
    const pending = doc.pendingRecords ? { pendingRecords: doc.pendingRecords } : {};
    if (whole) return { tenant, scope, available: true, summary: doc.summary, ...pending };
    const asOf = doc.summary.asOf;
    const { commonNamePatterns, sanPatterns, allowWildcardNames } = principal.policy;
    const key = JSON.stringify([tenant, asOf, commonNamePatterns, sanPatterns, allowWildcardNames]);
    let summary = summaries.get(key);
    if (!summary) {
      let cached = entriesByTenant.get(tenant);
      if (cached?.asOf !== asOf) {
        const entries = decodeEntries(await getJson<unknown>(store, fleetEntriesKey(tenant)));
        if (!entries) return { tenant, scope, available: false };
        cached = remember(entriesByTenant, tenant, { asOf, entries }, CACHED_TENANTS);
      }
      const visible = cached.entries.filter((e) =>
        canSee(principal, { tenant, commonName: e.commonName, sans: e.sans }),
      );
      summary = remember(summaries, key, summarizeFleet(visible, new Date(asOf)), CACHED_SUMMARIES);
    }
    return { tenant, scope, available: true, summary, ...pending };
  }
}

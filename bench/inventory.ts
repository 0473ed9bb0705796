/**
 * `npm run bench -- inventory [--fleets 10000,100000] [--days 1] [--zone-hours 0]`: what the CA inventory scan costs
 * per run and per certificate, in CAS calls and OSS requests, for whole fleets, next to what the renewal sweep itself
 * costs on the same fleet. The real scan (shared/renewal/inventory.ts) and the real sweep (shared/renewal/sweep.ts)
 * run against counting in-memory stand-ins of the CA port and the bucket: the figures are call counts, which depend
 * on the algorithm and the fleet, not on the machine. The stand-in CA behaves as the adapter's ListCert does: it
 * lists what changed since `modifiedSince` minus the adapter's one-hour skew margin (plus `--zone-hours` when CAS reads
 * the date in a zone east of UTC, e.g. 8 for China Standard Time), 50 per page.
 *
 * Timeline per fleet: the first deploy (backfill of the CA index from the records, then one full pass over CAS), then
 * `--days` of steady state with the sweep's timer every 15 minutes: 30-day certificates renewed at 2/3 of their life
 * (fleet / 20 renewals a day, spread evenly), and one in 200 renewals leaving a late extra certificate that the
 * scan must revoke (grace 1 h).
 */
import { parseArgs } from 'node:util';
import {
  ObjectExistsError,
  type CaClientCertificate,
  type CertificateAuthority,
  type ClientCertificateListQuery,
  type ObjectListing,
  type ObjectStore,
} from '../shared/domain/ports.js';
import { createLogger, setLogSink } from '../shared/log/index.js';
import { INVENTORY_STATE_KEY, runInventoryScan, type InventoryReport } from '../shared/renewal/inventory.js';
import { runSweep } from '../shared/renewal/sweep.js';
import { renewalIndexKey } from '../shared/domain/renewal/schedule.js';

const { values } = parseArgs({
  options: {
    fleets: { type: 'string', default: '10000,100000' },
    days: { type: 'string', default: '1' },
    'zone-hours': { type: 'string', default: '0' },
  },
});
const FLEETS = values.fleets.split(',').map(Number);
const DAYS = Number(values.days);
const ZONE_MS = Number(values['zone-hours']) * 3_600_000;
const MIN = 60_000;
const DAY = 86_400_000;
const SWEEP_EVERY = 15 * MIN;
const ADAPTER_MARGIN = 3_600_000;
const PARENT = 'sub-ca-bench';

setLogSink(() => undefined);
const log = createLogger({ fn: 'bench' }, 'error');

type Counts = Record<string, number>;
const add = (counts: Counts, name: string) => (counts[name] = (counts[name] ?? 0) + 1);

class CountingStore implements ObjectStore {
  readonly objects = new Map<string, string>();
  calls: Counts = {};
  private sorted: string[] | undefined;
  async put(key: string, body: Buffer | string, options: { ifAbsent?: boolean } = {}): Promise<void> {
    add(this.calls, 'PUT');
    if (options.ifAbsent && this.objects.has(key)) throw new ObjectExistsError(key);
    if (!this.objects.has(key)) this.sorted = undefined;
    this.objects.set(key, body.toString());
  }
  async get(key: string): Promise<Buffer | null> {
    add(this.calls, 'GET');
    const v = this.objects.get(key);
    return v === undefined ? null : Buffer.from(v);
  }
  async exists(key: string): Promise<boolean> {
    add(this.calls, 'HEAD');
    return this.objects.has(key);
  }
  async delete(key: string): Promise<void> {
    add(this.calls, 'DELETE');
    if (this.objects.delete(key)) this.sorted = undefined;
  }
  async list(options: {
    prefix: string;
    startAfter?: string;
    continuationToken?: string;
    maxKeys?: number;
  }): Promise<ObjectListing> {
    add(this.calls, 'LIST');
    this.sorted ??= [...this.objects.keys()].sort();
    const after = options.continuationToken ?? options.startAfter ?? '';
    let i = lowerBound(this.sorted, after > options.prefix ? after : options.prefix);
    if (this.sorted[i] === after) i += 1;
    const max = options.maxKeys ?? 1000;
    const keys: string[] = [];
    while (i < this.sorted.length && this.sorted[i].startsWith(options.prefix) && keys.length < max)
      keys.push(this.sorted[i++]);
    const more = i < this.sorted.length && this.sorted[i].startsWith(options.prefix);
    return { keys, commonPrefixes: [], ...(more ? { nextContinuationToken: keys[keys.length - 1] } : {}) };
  }
  async signedGetUrl(key: string): Promise<string> {
    return `https://bench/${key}`;
  }
}

function lowerBound(sorted: string[], value: string): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (sorted[mid] < value) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

interface Held extends CaClientCertificate {
  modifiedAt: number;
}

/** The CA port as the CAS adapter behaves (ListCert: modification time minus the margin, 50 per page). */
class CountingCa implements CertificateAuthority {
  readonly held: Held[] = [];
  private readonly byId = new Map<string, Held>();
  calls: Counts = {};
  constructor(private readonly now: () => number) {}
  hold(identifier: string, modifiedAt: number, customIdentifier?: string): void {
    const c: Held = {
      identifier,
      status: 'ISSUE',
      serialNumber: identifier,
      parentIdentifier: PARENT,
      commonName: 'bench.example.com',
      notBefore: new Date(modifiedAt),
      notAfter: new Date(modifiedAt + 30 * DAY),
      modifiedAt,
      ...(customIdentifier ? { customIdentifier } : {}),
    };
    this.held.push(c); // held in modification order, as the bench makes them
    this.byId.set(identifier, c);
  }
  async listClientCertificates(query: ClientCertificateListQuery) {
    add(this.calls, 'ListCert');
    const since = query.modifiedSince ? query.modifiedSince.getTime() - ADAPTER_MARGIN - ZONE_MS : -Infinity;
    let i = query.cursor ? Number(query.cursor) : lowerBoundBy(this.held, since);
    const items: CaClientCertificate[] = [];
    while (i < this.held.length && items.length < 50) {
      const { modifiedAt: _m, ...item } = this.held[i++];
      items.push({ ...item, parentIdentifier: undefined });
    }
    return { items, ...(i < this.held.length ? { cursor: String(i) } : {}) };
  }
  async describeClientCertificate(identifier: string) {
    add(this.calls, 'DescribeClientCertificate');
    const c = this.byId.get(identifier);
    return c ? { ...c } : undefined;
  }
  async revoke(identifier: string) {
    add(this.calls, 'CreateRevokeClientCertificate');
    const c = this.byId.get(identifier);
    if (c && c.status === 'ISSUE') {
      // A change: it moves to the end of the modification order.
      this.held.splice(this.held.indexOf(c), 1);
      c.status = 'REVOKE';
      c.modifiedAt = this.now();
      this.held.push(c);
    }
  }
  async status() {
    return 'good' as const;
  }
  async issueWithCsr(): Promise<never> {
    throw new Error('not in this bench');
  }
  async getCaCertificate(): Promise<never> {
    throw new Error('not in this bench');
  }
}

function lowerBoundBy(held: Held[], since: number): number {
  let lo = 0;
  let hi = held.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (held[mid].modifiedAt < since) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

const id = (n: number) => `cc-bench${String(n).padStart(18, '0')}`;

interface PhaseFigures {
  phase: string;
  runs: number;
  cas: Counts;
  oss: Counts;
  listed: number;
  orphansRevoked: number;
}

function total(c: Counts): number {
  return Object.values(c).reduce((n, v) => n + v, 0);
}

async function benchFleet(fleet: number): Promise<void> {
  let now = Date.parse('2026-12-01T00:00:00Z');
  const store = new CountingStore();
  const ca = new CountingCa(() => now);
  // The fleet as the issuance pipeline leaves it: record, CA index entry, renewal index key, CAS certificate
  // (issued over the last 20 days, i.e. within 2/3 of a 30-day life).
  for (let n = 0; n < fleet; n += 1) {
    const issuedAt = now - 20 * DAY + Math.floor((n * 20 * DAY) / fleet);
    const casId = `cas-${n}-1`;
    const record = {
      id: id(n),
      tenant: 'bench',
      current: { generation: 1, casIdentifier: casId },
      previous: [],
      renewal: { renewAt: new Date(issuedAt + 20 * DAY).toISOString() },
    };
    store.objects.set(`records/${id(n)}.json`, JSON.stringify(record));
    store.objects.set(`index/ca/${casId}`, JSON.stringify({ id: id(n), generation: 1, tenant: 'bench' }));
    store.objects.set(renewalIndexKey(new Date(issuedAt + 20 * DAY), id(n)), '');
    ca.hold(casId, issuedAt, `${id(n)}-g1-a1`);
  }
  const scan = () =>
    runInventoryScan({
      store,
      ca,
      clock: { now: () => new Date(now) },
      log,
      config: { parentIdentifier: PARENT, orphanGraceMs: 3_600_000, maxPages: 200 },
    });
  const phases: PhaseFigures[] = [];
  const measure = async (phase: string, runs: () => Promise<InventoryReport[]>) => {
    store.calls = {};
    ca.calls = {};
    const reports = await runs();
    phases.push({
      phase,
      runs: reports.length,
      cas: ca.calls,
      oss: store.calls,
      listed: reports.reduce((n, r) => n + r.listed, 0),
      orphansRevoked: reports.reduce((n, r) => n + r.orphansRevoked, 0),
    });
  };

  const phase = () => (JSON.parse(store.objects.get(INVENTORY_STATE_KEY) ?? '{}') as { phase?: string }).phase;
  await measure('first deploy: backfill of the CA index', async () => {
    const reports: InventoryReport[] = [];
    do {
      reports.push(await scan());
      now += SWEEP_EVERY;
    } while (phase() === 'backfill' && reports.length < 10_000);
    return reports;
  });
  await measure('first pass: every certificate once', async () => {
    const reports: InventoryReport[] = [];
    do {
      reports.push(await scan());
      now += SWEEP_EVERY;
    } while (!reports.at(-1)!.passComplete && reports.length < 10_000);
    return reports;
  });

  // Steady state: renewals through the day, an extra (late) certificate for one renewal in a thousand.
  const renewalsPerRun = fleet / 20 / (DAY / SWEEP_EVERY);
  let carry = 0;
  let next = 0;
  let renewed = 0;
  await measure(`steady state: ${DAYS} day(s), a run every 15 min`, async () => {
    const reports: InventoryReport[] = [];
    for (let run = 0; run < (DAYS * DAY) / SWEEP_EVERY; run += 1) {
      carry += renewalsPerRun;
      for (; carry >= 1; carry -= 1) {
        const n = next++ % fleet;
        renewed += 1;
        const casId = `cas-${n}-r${renewed}`;
        ca.hold(casId, now - Math.floor(Math.random() * SWEEP_EVERY), `${id(n)}-g2-a1`);
        store.objects.set(`index/ca/${casId}`, JSON.stringify({ id: id(n), generation: 2, tenant: 'bench' }));
        if (renewed % 200 === 0) ca.hold(`late-${renewed}`, now, `${id(n)}-g2-a2`); // nobody's
      }
      now += SWEEP_EVERY;
      reports.push(await scan());
    }
    return reports;
  });

  // The sweep on the same fleet, for comparison: finding and planning what is due (1% due, as bench renew).
  store.calls = {};
  const due = Math.round(fleet / 100);
  for (let n = 0; n < due; n += 1)
    store.objects.set(renewalIndexKey(new Date(now - MIN), `cc-due${String(n).padStart(18, '0')}`), '');
  await runSweep(
    {
      store,
      invoker: { invokeAsync: async () => undefined },
      clock: { now: () => new Date(now) },
      sleep: async () => undefined,
      log,
      config: {
        workerFunctionName: 'bench-worker',
        batchSize: 25,
        maxItemsPerSweep: 5000,
        invokeConcurrency: 8,
        summaryOverdueMs: 2 * 3_600_000,
      },
    },
    'schedule',
  );
  const sweepOss = store.calls;

  console.log(
    `\nfleet ${fleet.toLocaleString('en')} (${renewalsPerRun.toFixed(1)} renewals per 15-min run in steady state):`,
  );
  console.log(
    'phase                                        | runs | CAS calls per run'.padEnd(96) +
      ' | OSS requests per run'.padEnd(60) +
      ' | per 1,000 certificates per run',
  );
  for (const p of phases) {
    const casPerRun = total(p.cas) / p.runs;
    const ossPerRun = total(p.oss) / p.runs;
    const detail = (c: Counts) =>
      Object.entries(c)
        .map(([k, v]) => `${k} ${(v / p.runs).toFixed(v / p.runs < 1 ? 2 : 1)}`)
        .join(', ');
    console.log(
      `${p.phase.padEnd(44)} | ${String(p.runs).padStart(4)} | ${casPerRun.toFixed(1).padStart(7)} (${detail(p.cas) || '-'})`.padEnd(
        96,
      ) +
        ` | ${ossPerRun.toFixed(1).padStart(8)} (${detail(p.oss)})`.padEnd(60) +
        ` | CAS ${((casPerRun * 1000) / fleet).toFixed(3)}, OSS ${((ossPerRun * 1000) / fleet).toFixed(3)}` +
        (p.orphansRevoked ? ` | orphans revoked: ${p.orphansRevoked}` : ''),
    );
  }
  console.log(
    `renewal sweep, scheduler (${due} due, 1%)`.padEnd(44) +
      ` |    1 | ${'0'.padStart(7)} (-)`.padEnd(96) +
      ` | ${String(total(sweepOss)).padStart(8)} (${Object.entries(sweepOss)
        .map(([k, v]) => `${k} ${v}`)
        .join(', ')})`.padEnd(60) +
      ` | CAS 0.000, OSS ${((total(sweepOss) * 1000) / fleet).toFixed(3)} (+ per due certificate: 1 record read and ` +
      'its renewal, bench renew)',
  );
}

console.log(
  `CA inventory scan cost (shared/renewal/inventory.ts): counting stand-ins for CAS and OSS; ListCert read ${
    ZONE_MS ? `in UTC+${ZONE_MS / 3_600_000}` : 'in UTC'
  } with the adapter's 1 h margin, 50 per page, at most 200 pages per run`,
);
for (const fleet of FLEETS) await benchFleet(fleet);

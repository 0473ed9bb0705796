/**
 * `npm run bench -- console [--fleets 10000,100000] [--tenants 1]`
 *
 * What the fleet console's summary costs at fleet scale, against the emulated OSS through the real adapter. For
 * each fleet: records seeded straight into the emulated bucket, then
 *   1. the scheduler's first refreshes (every record is new: at most 20,000 read per run, until none is left);
 *   2. a steady-state refresh after the records one 15-minute sweep changes (a 30-day fleet renewed at 2/3 of its
 *      lifetime: fleet / 20 days / 96 sweeps a day), and one after nothing changed (each also reads the day's
 *      rolling slice again: fleet / 96);
 *   3. one page load of `GET /v1/summary` for a token that sees every name (the stored summary), and for a
 *      name-restricted token (the tenant's entries, filtered by its policy);
 * each with its OSS requests, bytes and time, next to what reading every record on each page load would cost.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startEmulator } from '../local/emulator/index.js';
import { createOssObjectStore } from '../shared/alibaba/oss-store.js';
import type { TokenPrincipal } from '../shared/auth/principal.js';
import type { ClientCertificate } from '../shared/domain/client-certificate.js';
import type { ObjectStore } from '../shared/domain/ports.js';
import { systemClock } from '../shared/domain/ports.js';
import { refreshFleetSummaries } from '../shared/fleet/refresh.js';
import { fleetEntriesKey, fleetSummaryKey } from '../shared/fleet/keys.js';
import { createFleetReads } from '../shared/fleet/summary-reads.js';
import { createLogger, setLogSink } from '../shared/log/index.js';

const DAY = 86_400_000;
const arg = (name: string, fallback: string) => {
  const at = process.argv.indexOf(`--${name}`);
  return at > 0 ? process.argv[at + 1] : fallback;
};
const fleets = arg('fleets', '10000,100000').split(',').map(Number);
const tenants = Number(arg('tenants', '1'));

type Counts = Record<string, number>;
function counting(store: ObjectStore): { store: ObjectStore; take(): Counts & { bytesIn: number } } {
  let counts: Counts = {};
  let bytesIn = 0;
  const bump = (op: string) => (counts[op] = (counts[op] ?? 0) + 1);
  return {
    store: {
      put: (k, b, o) => (bump('PutObject'), store.put(k, b, o)),
      get: async (k) => {
        bump('GetObject');
        const body = await store.get(k);
        bytesIn += body?.length ?? 0;
        return body;
      },
      exists: (k) => (bump('HeadObject'), store.exists(k)),
      delete: (k) => (bump('DeleteObject'), store.delete(k)),
      list: (o) => (bump('ListObjectsV2'), store.list(o)),
      signedGetUrl: (k, o) => store.signedGetUrl(k, o),
    },
    take() {
      const out = { ...counts, bytesIn };
      counts = {};
      bytesIn = 0;
      return out;
    },
  };
}

function record(i: number, now: number): ClientCertificate {
  const id = `cc-bench${String(i).padStart(16, '0')}`;
  const notBefore = now - (i % 30) * DAY;
  const notAfter = notBefore + 30 * DAY;
  return {
    id,
    tenant: `tenant-${i % tenants}`,
    commonName: `device-${i}.${['plant', 'depot', 'lab'][i % 3]}.devices.example.com`,
    sans: { dns: [`device-${i}.devices.example.com`], uri: [], email: [], ip: [] },
    mode: 'server-key',
    keyAlgorithm: 'EC_P256',
    p12Profile: 'modern',
    validityDays: 30,
    autoRenew: i % 50 !== 0,
    labels: { site: 'bench' },
    status: 'ACTIVE',
    current: {
      generation: 1,
      casIdentifier: `cas-${i}`,
      serialNumber: i.toString(16).padStart(32, '0'),
      notBefore: new Date(notBefore).toISOString(),
      notAfter: new Date(notAfter).toISOString(),
      fingerprintSha256: 'ab'.repeat(32),
      issuedAt: new Date(notBefore).toISOString(),
      bundle: { p12: `bundles/${id}/g1/client.p12`, pem: `bundles/${id}/g1/bundle.zip` },
    },
    previous: [],
    renewal: {
      renewAt: new Date(notBefore + 20 * DAY).toISOString(),
      failedAttempts: i % 997 === 0 ? 1 : 0,
      expiringNotified: [],
    },
    createdAt: new Date(notBefore).toISOString(),
    updatedAt: new Date(notBefore).toISOString(),
    createdBy: 'token:bench',
  };
}

const policy = (commonNamePatterns: string[], allowWildcardNames: boolean): TokenPrincipal['policy'] => ({
  commonNamePatterns,
  sanPatterns: { dns: ['*'], uri: ['*'], email: ['*'], ip: ['*'] },
  keyAlgorithms: ['EC_P256'],
  maxValidityDays: 90,
  operations: ['read'],
  allowWildcardNames,
});

const ms = (t0: number) => `${(performance.now() - t0).toFixed(0)} ms`;
const mb = (bytes: number) => `${(bytes / 1e6).toFixed(1)} MB`;
const requests = (c: Counts) =>
  Object.entries(c)
    .filter(([k]) => k !== 'bytesIn')
    .map(([k, v]) => `${k} ${v}`)
    .join(', ');

async function benchFleet(size: number): Promise<void> {
  const dataDir = mkdtempSync(join(tmpdir(), 'nma-bench-console-'));
  const emulator = await startEmulator({ dataDir, seed: false });
  try {
    const raw = createOssObjectStore({
      endpoint: emulator.ossEndpoint,
      bucket: emulator.bucket,
      credentials: emulator.credentials,
      region: emulator.region,
    });
    const meter = counting(raw);
    const store = meter.store;
    const now = Date.now();
    for (let i = 0; i < size; i += 1)
      emulator.oss.putObjectDirect(
        emulator.bucket,
        `records/${record(i, now).id}.json`,
        JSON.stringify(record(i, now)),
      );
    const log = createLogger({}, 'error');
    const refresh = () => refreshFleetSummaries({ store, clock: systemClock, log });
    console.log(`\nfleet of ${size.toLocaleString('en')} certificates in ${tenants} tenant(s)`);

    let t0 = performance.now();
    let report = await refresh();
    let c = meter.take();
    console.log(
      `  first refresh                         ${requests(c)}; ${ms(t0)}; read ${mb(c.bytesIn)}; ${report.pendingRecords.toLocaleString('en')} left for the next runs`,
    );
    let runs = 1;
    t0 = performance.now();
    while (report.pendingRecords > 0) {
      report = await refresh();
      runs += 1;
    }
    c = meter.take();
    if (runs > 1)
      console.log(`  runs until every record was read      ${runs} (the others: ${requests(c)}; ${ms(t0)})`);
    const rss = process.memoryUsage().rss;

    const perSweep = Math.max(1, Math.round(size / 20 / 96));
    for (let i = 0; i < perSweep; i += 1) {
      const r = record(i * 7, now);
      const renewed = { ...r, current: { ...r.current, generation: 2 }, updatedAt: new Date().toISOString() };
      emulator.oss.putObjectDirect(emulator.bucket, `records/${r.id}.json`, JSON.stringify(renewed));
    }
    t0 = performance.now();
    report = await refresh();
    c = meter.take();
    console.log(
      `  refresh after one sweep (${perSweep} changed)  ${requests(c)}; ${ms(t0)}; changed read ${report.changedRead}, read again ${report.verified}`,
    );
    t0 = performance.now();
    report = await refresh();
    c = meter.take();
    console.log(
      `  refresh, nothing changed             ${requests(c)}; ${ms(t0)}; changed read ${report.changedRead}, read again ${report.verified}`,
    );

    const entriesBytes = (await raw.get(fleetEntriesKey('tenant-0')))!.length;
    const summaryBytes = (await raw.get(fleetSummaryKey('tenant-0')))!.length;
    const reads = createFleetReads({ store, log });
    const principal = (p: TokenPrincipal['policy']): TokenPrincipal => ({
      kind: 'token',
      tenant: 'tenant-0',
      name: 'bench',
      policy: p,
    });
    t0 = performance.now();
    const whole = await reads.summary(principal(policy(['*'], true)));
    c = meter.take();
    console.log(
      `  page load, token sees every name      ${requests(c)}; ${ms(t0)}; ${(summaryBytes / 1e3).toFixed(1)} kB (scope ${whole.scope})`,
    );
    t0 = performance.now();
    const part = await reads.summary(principal(policy(['*.plant.devices.example.com'], false)));
    c = meter.take();
    console.log(
      `  page load, name-restricted token      ${requests(c)}; ${ms(t0)}; ${mb(entriesBytes + summaryBytes)} (sees ${part.summary?.certificates.total.toLocaleString('en')})`,
    );
    t0 = performance.now();
    await reads.summary(principal(policy(['*.plant.devices.example.com'], false)));
    c = meter.take();
    console.log(`  the same again (warm instance)       ${requests(c)}; ${ms(t0)}`);
    console.log(
      `  for comparison, reading every record  ListObjectsV2 ${Math.ceil(size / 1000)} (1,000 keys each), GetObject ${size.toLocaleString('en')} per page load`,
    );
    console.log(`  process RSS after the first refreshes ${mb(rss)} (emulator and bucket included)`);
  } finally {
    await emulator.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

setLogSink(() => undefined);
for (const size of fleets) await benchFleet(size);

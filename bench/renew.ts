/**
 * `npm run bench -- renew [--fleets 10000,100000] [--due-percent 1] [--cap 20]`
 *
 * Renewal at fleet scale against the emulator. For each fleet: records seeded straight into the emulated bucket,
 * `due-percent` of them due now; then
 *   1. one sweep without limits: OSS and CAS requests, split by who made them (scheduler, worker, certificate
 *      service), per due certificate;
 *   2. the same certificates due again and one sweep with CAS CreateClientCertificateWithCsr rate-limited to `cap`
 *      calls/s: renewals per second against that cap;
 *   and the peak RSS of the process running the functions.
 * The functions (renew-scheduler, renew-worker, built from env as at an FC cold start) run in a child process, as
 * FC runs them apart from the provider; the emulator's FC server forwards each async invocation to it over IPC.
 * Due records carry fake certificate facts: a renewal never reads the old certificate.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { cpus, loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';

const DAY = 86_400_000;
const WORKER = 'nlb-mtls-renew-worker';

type Counts = Record<string, Record<string, number>>;

// ---------------------------------------------------------------------------------------------------------------
// Child: the functions' side.
async function functionsChild(): Promise<void> {
  const { createOssObjectStore } = await import('../shared/alibaba/oss-store.js');
  const { createCasPcaClient } = await import('../shared/alibaba/cas-pca.js');
  const { createCertificateService } = await import('../shared/certificates/service.js');
  const { loadRenewWorkerConfig } = await import('../shared/config/renewal.js');
  const { systemClock, systemSleep } = await import('../shared/domain/ports.js');
  const { createLogger, setLogSink } = await import('../shared/log/index.js');
  const { buildRenewSchedulerDeps } = await import('../functions/renew-scheduler/deps.js');
  const { makeHandler: makeScheduler } = await import('../functions/renew-scheduler/index.js');
  const { makeHandler: makeWorker } = await import('../functions/renew-worker/index.js');
  const { assembleWorkerDeps } = await import('../functions/renew-worker/deps.js');
  type ObjectStore = import('../shared/domain/ports.js').ObjectStore;

  // The figures come from the counters; warnings and errors are kept for the diagnosis of failures.
  setLogSink((line) => {
    if (/"level":"(warn|error)"/.test(line) && !/webhook/.test(line)) process.stderr.write(`[functions] ${line}\n`);
  });
  const counts: Counts = {};
  const counting = (store: ObjectStore, who: string): ObjectStore => {
    const bump = (op: string) => {
      counts[who] ??= {};
      counts[who][op] = (counts[who][op] ?? 0) + 1;
    };
    return {
      put: (k, b, o) => (bump('put'), store.put(k, b, o)),
      get: (k) => (bump('get'), store.get(k)),
      exists: (k) => (bump('head'), store.exists(k)),
      delete: (k) => (bump('delete'), store.delete(k)),
      list: (o) => (bump('list'), store.list(o)),
      signedGetUrl: (k, o) => store.signedGetUrl(k, o), // signed locally: no request
    };
  };

  const env = process.env;
  const schedulerDeps = buildRenewSchedulerDeps(env);
  // The sweep alone: the CA inventory scan the scheduler also runs has its own benchmark (bench inventory), and its
  // first run after a deploy reads every record once (the backfill), which is not the sweep's cost.
  const scheduler = makeScheduler({
    ...schedulerDeps,
    store: counting(schedulerDeps.store, 'scheduler'),
    config: { ...schedulerDeps.config, inventory: undefined },
  });

  const config = loadRenewWorkerConfig(env);
  const { alibaba } = config;
  const newStore = () =>
    createOssObjectStore({
      endpoint: alibaba.oss.endpoint,
      bucket: alibaba.oss.bucket,
      credentials: alibaba.credentials,
      region: alibaba.region,
      local: alibaba.oss.local,
      timeoutMs: config.ossTimeoutMs,
    });
  const log = createLogger({ fn: 'renew-worker' });
  const service = createCertificateService({
    ca: createCasPcaClient({ ...alibaba.cas, readTimeoutMs: config.casTimeoutMs }, alibaba.credentials),
    store: counting(newStore(), 'service'),
    clock: systemClock,
    sleep: systemSleep,
    log,
    config: {
      parentIdentifier: config.parentIdentifier,
      stateKey: config.stateKey,
      linkDefaultSeconds: config.linkSeconds,
      linkMaxSeconds: config.linkSeconds,
      defaultValidityDays: 30,
      maxValidityDays: config.maxValidityDays,
    },
  });
  const worker = makeWorker(
    assembleWorkerDeps({ config, store: counting(newStore(), 'worker'), service, clock: systemClock, log }),
  );

  let peakRss = process.memoryUsage().rss;
  setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage().rss)), 50).unref();

  process.on('message', async (m: { id: number; type: string; payload?: string }) => {
    const reply = (body: object) => process.send!({ id: m.id, ...body });
    try {
      if (m.type === 'sweep') {
        reply({
          ok: true,
          result: await scheduler(
            Buffer.from(
              JSON.stringify({ triggerTime: new Date().toISOString(), triggerName: 'renew-sweep', payload: 'sweep' }),
            ),
            { requestId: 'bench' },
          ),
        });
      } else if (m.type === 'invoke') {
        reply({ ok: true, result: await worker(Buffer.from(m.payload!, 'base64'), { requestId: `bench-${m.id}` }) });
      } else if (m.type === 'stats') {
        const cpu = process.cpuUsage();
        reply({
          ok: true,
          result: {
            counts,
            peakRssBytes: Math.max(peakRss, process.resourceUsage().maxRSS * 1024),
            cpuMs: (cpu.user + cpu.system) / 1000,
          },
        });
      } else if (m.type === 'reset') {
        for (const key of Object.keys(counts)) delete counts[key];
        reply({ ok: true });
      }
    } catch (err) {
      reply({ ok: false, error: err instanceof Error ? err.message : String(err) });
    }
  });
  process.send!({ id: 0, ok: true, ready: true });
}

// ---------------------------------------------------------------------------------------------------------------
// Parent: emulator, seeding, measurement.
interface Options {
  fleets: number[];
  duePercent: number;
  cap: number;
  workerConcurrency: number;
  batchSize: number;
}

function parseOptions(argv: string[]): Options {
  const value = (name: string) => {
    const i = argv.indexOf(`--${name}`);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  return {
    fleets: (value('fleets') ?? '10000,100000').split(',').map(Number),
    duePercent: Number(value('due-percent') ?? 1),
    cap: Number(value('cap') ?? 20),
    workerConcurrency: Number(value('worker-concurrency') ?? 4),
    batchSize: Number(value('batch-size') ?? 25),
  };
}

function startChild(
  env: Record<string, string>,
): Promise<{ call: (type: string, payload?: string) => Promise<any>; child: ChildProcess }> {
  const child = fork(fileURLToPath(import.meta.url), ['--functions-child'], {
    execArgv: ['--import', 'tsx/esm'],
    env: { ...process.env, ...env },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  let next = 1;
  const waiting = new Map<number, { resolve: (v: any) => void; reject: (e: Error) => void }>();
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.on('message', (m: { id: number; ok: boolean; ready?: boolean; result?: unknown; error?: string }) => {
      if (m.ready) {
        resolve({
          child,
          call: (type, payload) =>
            new Promise((res, rej) => {
              const id = next++;
              waiting.set(id, { resolve: res, reject: rej });
              child.send({ id, type, payload });
            }),
        });
        return;
      }
      const w = waiting.get(m.id);
      waiting.delete(m.id);
      if (m.ok) w?.resolve(m.result);
      else w?.reject(new Error(m.error));
    });
  });
}

const fmt = (n: number, digits = 1) => n.toFixed(digits);
const mb = (bytes: number) => bytes / 1024 / 1024;
const sum = (o: Record<string, number> | undefined) => Object.values(o ?? {}).reduce((a, b) => a + b, 0);

async function benchFleet(fleet: number, options: Options) {
  const { startEmulator } = await import('../local/emulator/index.js');
  const { renewalIndexKey, renewalTime } = await import('../shared/domain/renewal/schedule.js');
  const { createOssObjectStore } = await import('../shared/alibaba/oss-store.js');
  const { setLogSink } = await import('../shared/log/index.js');
  setLogSink(() => undefined);

  const emulator = await startEmulator({ seed: false, dataPlane: false, caKeyAlgorithm: 'ECC_256' });
  const due = Math.round((fleet * options.duePercent) / 100);
  const now = Date.now();
  const dueIds: string[] = [];
  const seedStart = performance.now();
  for (let i = 0; i < fleet; i += 1) {
    const id = `cc-bench${String(i).padStart(7, '0')}${randomBytes(5).toString('hex')}`;
    const isDue = i % Math.round(100 / options.duePercent) === 0 && dueIds.length < due;
    const notBefore = new Date(now - (isDue ? 20 : 1) * DAY);
    const notAfter = new Date(notBefore.getTime() + 30 * DAY + (isDue ? 0 : (i % 1440) * 60_000));
    const renewAt = isDue ? new Date(now - 60_000) : renewalTime(notBefore, notAfter);
    const record = {
      id,
      tenant: `t${i % 50}`,
      commonName: `device-${i}.fleet.example.com`,
      sans: { dns: [], uri: [], email: [], ip: [] },
      mode: 'server-key',
      keyAlgorithm: 'EC_P256',
      p12Profile: 'modern',
      validityDays: 30,
      autoRenew: true,
      labels: {},
      status: 'ACTIVE',
      current: {
        generation: 1,
        casIdentifier: `seed-${i}`,
        serialNumber: i.toString(16),
        notBefore: notBefore.toISOString(),
        notAfter: notAfter.toISOString(),
        fingerprintSha256: '00',
        issuedAt: notBefore.toISOString(),
        bundle: { p12: `bundles/${id}/g1/client.p12`, pem: `bundles/${id}/g1/bundle.zip` },
      },
      previous: [],
      renewal: { renewAt: renewAt.toISOString(), failedAttempts: 0, expiringNotified: [] },
      createdAt: notBefore.toISOString(),
      updatedAt: notBefore.toISOString(),
      createdBy: 'bench',
    };
    emulator.oss.putObjectDirect(emulator.bucket, `records/${id}.json`, JSON.stringify(record));
    emulator.oss.putObjectDirect(emulator.bucket, renewalIndexKey(renewAt, id), '');
    if (isDue) dueIds.push(id);
  }
  const seedSeconds = (performance.now() - seedStart) / 1000;

  const env = {
    ...emulator.env(),
    PCA_PARENT_IDENTIFIER: emulator.ca.subCaIdentifier,
    STATE_KEY: randomBytes(32).toString('base64'),
    WEBHOOK_MASTER_KEY: randomBytes(32).toString('base64'),
    RENEW_WORKER_FUNCTION: WORKER,
    RENEW_CONCURRENCY: String(options.workerConcurrency),
    RENEW_BATCH_SIZE: String(options.batchSize),
    LOG_LEVEL: 'warn',
  };
  const { call, child } = await startChild(env);
  emulator.fc.register(WORKER, async (event) => call('invoke', event.toString('base64')), {
    maxAsyncRetryAttempts: 2,
    retryDelayMs: 50,
  });

  const sweep = async () => {
    const started = performance.now();
    const result = await call('sweep');
    await emulator.fc.idle();
    return { result, seconds: (performance.now() - started) / 1000 };
  };

  // 1. Requests per sweep, without limits.
  emulator.faults.resetCounts();
  await call('reset');
  const free = await sweep();
  const freeCalls = emulator.faults.byAction();
  const freeStats = (await call('stats')) as { counts: Counts };

  // 2. The same certificates due again; CAS capped.
  const store = createOssObjectStore({
    endpoint: emulator.ossEndpoint,
    bucket: emulator.bucket,
    credentials: emulator.credentials,
    region: emulator.region,
    local: true,
  });
  for (const id of dueIds) {
    const record = JSON.parse((await store.get(`records/${id}.json`))!.toString('utf8'));
    const renewAt = new Date(Date.now() - 60_000);
    await store.delete(renewalIndexKey(new Date(record.renewal.renewAt), id));
    record.renewal.renewAt = renewAt.toISOString();
    emulator.oss.putObjectDirect(emulator.bucket, `records/${id}.json`, JSON.stringify(record));
    emulator.oss.putObjectDirect(emulator.bucket, renewalIndexKey(renewAt, id), '');
  }
  emulator.faults.rateLimit('CreateClientCertificateWithCsr', options.cap);
  const accepted: number[] = [];
  const onCall = emulator.faults.onCall.bind(emulator.faults);
  emulator.faults.onCall = (action: string, at?: number) => {
    const fault = onCall(action, at);
    if (action === 'CreateClientCertificateWithCsr' && !fault) accepted.push(Date.now());
    return fault;
  };
  emulator.faults.resetCounts();
  const cpuBefore = { parent: process.cpuUsage(), child: ((await call('stats')) as { cpuMs: number }).cpuMs };
  const capped = await sweep();
  const cappedCalls = emulator.faults.byAction();
  const stats = (await call('stats')) as { peakRssBytes: number; cpuMs: number };
  const parentCpu = process.cpuUsage(cpuBefore.parent);
  const cpu = { emulatorMs: (parentCpu.user + parentCpu.system) / 1000, functionsMs: stats.cpuMs - cpuBefore.child };
  // The renewed count from the records themselves: generation 3 after the two sweeps.
  let renewedTwice = 0;
  const failures: Record<string, number> = {};
  for (const id of dueIds) {
    const record = JSON.parse((await store.get(`records/${id}.json`))!.toString('utf8'));
    if (record.current.generation === 3) renewedTwice += 1;
    else {
      const reason = record.renewal.lastFailure
        ? `${record.renewal.lastFailure.code}: ${record.renewal.lastFailure.message}`
        : `generation ${record.current.generation}, no failure recorded`;
      failures[reason] = (failures[reason] ?? 0) + 1;
    }
  }

  child.kill();
  const parentRss = process.memoryUsage().rss;
  await emulator.close();

  const c = freeStats.counts;
  const indexPages = c.scheduler?.list ?? 0;
  return {
    fleet,
    due,
    seedSeconds,
    free: {
      seconds: free.seconds,
      dispatched: free.result.dispatched,
      cas: freeCalls.CreateClientCertificateWithCsr ?? 0,
      scheduler: sum(c.scheduler),
      indexPages,
      worker: sum(c.worker),
      workerBy: c.worker ?? {},
      service: sum(c.service),
      serviceBy: c.service ?? {},
      emulatorOss:
        (freeCalls.ListObjectsV2 ?? 0) +
        (freeCalls.GetObject ?? 0) +
        (freeCalls.PutObject ?? 0) +
        (freeCalls.DeleteObject ?? 0) +
        (freeCalls.HeadObject ?? 0),
    },
    capped: {
      seconds: capped.seconds,
      renewed: renewedTwice,
      casCalls: cappedCalls.CreateClientCertificateWithCsr ?? 0,
      casAccepted: accepted.length,
      windowPerSecond:
        accepted.length > 1 ? (accepted.length - 1) / ((accepted[accepted.length - 1] - accepted[0]) / 1000) : 0,
      perSecond: renewedTwice / capped.seconds,
      cpu,
      failures,
    },
    functionsPeakRssBytes: stats.peakRssBytes,
    emulatorRssBytes: parentRss,
  };
}

async function main() {
  const options = parseOptions(process.argv.slice(2));
  console.log(
    `renewal benchmark: fleets ${options.fleets.join(', ')}, ${options.duePercent}% due, CAS capped at ${options.cap} calls/s in phase 2`,
  );
  console.log(
    `machine: ${cpus().length} CPUs, load average ${loadavg()
      .map((l) => fmt(l, 2))
      .join(' ')} at start (other work on the machine slows every figure)`,
  );
  const results = [];
  for (const fleet of options.fleets) {
    process.stdout.write(`fleet ${fleet}: seeding, sweeping...`);
    const r = await benchFleet(fleet, options);
    results.push(r);
    console.log(` done (seeded in ${fmt(r.seedSeconds)} s)`);
  }

  console.log('\n1. One sweep, no limits: requests');
  console.log(
    'fleet     due  sweep s  CAS  | OSS: scheduler (listings)  worker  service  | per due: discovery  renewal  total',
  );
  for (const r of results) {
    const f = r.free;
    const discovery = (f.scheduler + f.worker) / r.due;
    console.log(
      `${String(r.fleet).padEnd(8)} ${String(r.due).padStart(4)}  ${fmt(f.seconds).padStart(7)}  ${String(f.cas).padStart(4)} | ${String(f.scheduler).padStart(14)} (${f.indexPages})${' '.repeat(10)}${String(f.worker).padStart(6)}  ${String(f.service).padStart(7)}  | ${fmt(discovery, 2).padStart(18)}  ${fmt(f.service / r.due, 2).padStart(7)}  ${fmt((f.scheduler + f.worker + f.service) / r.due, 2).padStart(5)}`,
    );
    console.log(
      `         worker ${JSON.stringify(f.workerBy)}  service ${JSON.stringify(f.serviceBy)}  (emulator saw ${f.emulatorOss} OSS requests)`,
    );
  }

  console.log(`\n2. The same certificates due again, CAS capped at ${options.cap}/s`);
  console.log('fleet     due  renewed  sweep s  renewals/s  CAS calls (accepted)  accepted/s in window');
  for (const r of results) {
    const c = r.capped;
    console.log(
      `${String(r.fleet).padEnd(8)} ${String(r.due).padStart(4)}  ${String(c.renewed).padStart(7)}  ${fmt(c.seconds).padStart(7)}  ${fmt(c.perSecond, 2).padStart(10)}  ${String(c.casCalls).padStart(9)} (${c.casAccepted})  ${fmt(c.windowPerSecond, 2).padStart(20)}`,
    );
    if (Object.keys(c.failures).length > 0) console.log(`         not renewed: ${JSON.stringify(c.failures)}`);
    console.log(
      `         CPU during the sweep: emulator ${fmt(c.cpu.emulatorMs / 1000)} s, functions ${fmt(c.cpu.functionsMs / 1000)} s (${fmt(c.cpu.functionsMs / c.renewed)} ms per renewal)`,
    );
  }

  console.log('\n3. Memory');
  for (const r of results)
    console.log(
      `fleet ${r.fleet}: functions process peak RSS ${fmt(mb(r.functionsPeakRssBytes))} MB; emulator process RSS ${fmt(mb(r.emulatorRssBytes))} MB (not the functions')`,
    );

  console.log(
    `\nload average at the end: ${loadavg()
      .map((l) => fmt(l, 2))
      .join(' ')}`,
  );
  console.log('\nTargets');
  const verdicts: boolean[] = [];
  const check = (ok: boolean, text: string) => {
    verdicts.push(ok);
    console.log(`${ok ? 'PASS' : 'FAIL'}  ${text}`);
  };
  for (const r of results) {
    const budget = 3 * r.due + r.free.indexPages;
    check(
      r.free.scheduler + r.free.worker <= budget,
      `fleet ${r.fleet}: OSS requests to find and decide the due ones ${r.free.scheduler + r.free.worker} <= 3 x ${r.due} due + ${r.free.indexPages} listings (${budget})`,
    );
    check(
      r.free.cas === r.due && r.free.dispatched === r.due,
      `fleet ${r.fleet}: CAS issued once per due certificate (${r.free.cas} for ${r.due})`,
    );
    check(
      r.capped.perSecond >= 0.9 * options.cap,
      `fleet ${r.fleet}: ${fmt(r.capped.perSecond, 2)} renewals/s >= 90% of the ${options.cap}/s CAS cap (${fmt(0.9 * options.cap)})`,
    );
    check(
      r.capped.renewed === r.due,
      `fleet ${r.fleet}: every due certificate renewed under the cap (${r.capped.renewed}/${r.due})`,
    );
    check(
      mb(r.functionsPeakRssBytes) <= 256,
      `fleet ${r.fleet}: functions peak RSS ${fmt(mb(r.functionsPeakRssBytes))} MB <= 256 MB`,
    );
  }
  if (results.length > 1) {
    const perDue = results.map((r) => (r.free.scheduler + r.free.worker + r.free.service) / r.due);
    const spread = (Math.max(...perDue) - Math.min(...perDue)) / Math.min(...perDue);
    check(
      spread <= 0.1,
      `OSS requests per due certificate do not grow with the fleet (${perDue.map((p) => fmt(p, 2)).join(' vs ')}: ${fmt(spread * 100)}% apart, <= 10%)`,
    );
  }
  console.log(
    `\n${verdicts.every(Boolean) ? 'all targets met' : `${verdicts.filter((v) => !v).length} target(s) missed`}`,
  );
}

if (process.argv.includes('--functions-child')) await functionsChild();
else await main();

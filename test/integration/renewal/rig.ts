// The renewal functions wired to the emulator the way FC wires them: renew-scheduler's handler with the real OSS
// store and FC async invoker, renew-worker registered with the emulator's FC server (async invocations, retries),
// and the real certificate service on the emulated CAS. Due certificates are issued for real by the emulated CA (one
// EC P-256 key, a CSR per name) and their records written straight into the bucket with a renewal time a minute ago:
// the emulated CA cannot backdate (it caps notBefore at its own start), tests cannot wait 2/3 of a lifetime, and the
// timing rule itself is unit-tested with an injected clock. The rest of a fleet (never to be touched) is seeded the
// same way with fake certificate facts.
import { randomBytes } from 'node:crypto';
import { startEmulator, type Emulator } from '../../../local/emulator/index.js';
import { createCasPcaClient } from '../../../shared/alibaba/cas-pca.js';
import { createConfiguredObjectStore } from '../../../shared/alibaba/oss-store.js';
import {
  createCertificateService,
  timingFor,
  type CertificateService,
  type IssuanceTiming,
} from '../../../shared/certificates/service.js';
import { loadRenewWorkerConfig, loadRenewSchedulerConfig } from '../../../shared/config/renewal.js';
import { loadAlibabaConfig } from '../../../shared/config/alibaba.js';
import type { ClientCertificate } from '../../../shared/domain/client-certificate.js';
import {
  systemClock,
  systemSleep,
  type CertificateAuthority,
  type Clock,
  type ObjectStore,
} from '../../../shared/domain/ports.js';
import { renewalIndexKey, renewalTime } from '../../../shared/domain/renewal/schedule.js';
import { renewalIndexKeyFor } from '../../../shared/domain/renewal/review-time.js';
import { buildCsr, generateKeyPair, inspectCertificate } from '../../../shared/pki/index.js';
import type { SweepDeps } from '../../../shared/renewal/sweep.js';
import type { WorkerDeps } from '../../../shared/renewal/worker.js';
import { createFcAsyncInvoker } from '../../../shared/alibaba/fc-invoker.js';
import { createLogger, setLogSink } from '../../../shared/log/index.js';
import { deriveWebhookSecret } from '../../../shared/notify/tenant-secrets.js';
import { makeHandler as makeSchedulerHandler } from '../../../functions/renew-scheduler/index.js';
import { makeHandler as makeWorkerHandler } from '../../../functions/renew-worker/index.js';
import { assembleWorkerDeps } from '../../../functions/renew-worker/deps.js';
import { alsoKeptForFailure } from '../../support/failure-log.js';

export const WORKER_FUNCTION = 'nlb-mtls-renew-worker';
/** The renewal tests' master key; tenant `acme`'s webhook secret (version 1) is derived from it. */
export const WEBHOOK_MASTER_KEY = Buffer.alloc(32, 0x5a).toString('base64');
export const WEBHOOK_SECRET = deriveWebhookSecret(Buffer.from(WEBHOOK_MASTER_KEY, 'base64'), 'acme', 1);
const DAY = 86_400_000;

export interface RigOptions {
  /** Extra env for renew-worker (e.g. RENEW_CSR_KEY_REUSE=false). */
  workerEnv?: Record<string, string>;
  /** Retry delays after a failure (default: 1 ms, so the next sweep retries at once). */
  backoff?: WorkerDeps['config']['backoff'];
  batchSize?: number;
  workerConcurrency?: number;
  casTimeoutMs?: number;
  /** renew-worker's clock (default: the system clock), e.g. to be past a pending issuance's grace period. */
  workerClock?: Clock;
  /** How long a CAS call without an answer settles before it is searched for (default 0: at once). */
  answerSettleMs?: number;
  /** Turns the scheduler's CA inventory scan on, with this grace period. */
  inventory?: { orphanGraceMs: number };
}

export interface Rig {
  emulator: Emulator;
  store: ObjectStore;
  ca: CertificateAuthority;
  /** The certificate service with its own clock (and timing, e.g. another settle time). */
  serviceAt(clock: Clock, timing?: Partial<IssuanceTiming>): CertificateService;
  workerDeps: WorkerDeps;
  sweepDeps: SweepDeps;
  logs: any[];
  /** Fires the scheduler as its timer does; resolves when every async worker invocation has finished. */
  sweep(): Promise<{ ok: boolean; result?: any; error?: unknown }>;
  /** Certificates the emulated CA really issued (EC P-256), recorded and indexed as due now. */
  seedDue(
    count: number,
    options?: {
      webhookUrl?: string;
      mode?: 'server-key' | 'csr';
      autoRenew?: boolean;
      validityDays?: number;
      tenant?: string;
    },
  ): Promise<ClientCertificate[]>;
  seedNotDue(count: number): Array<{ id: string; indexKey: string; record: string }>;
  record(id: string): Promise<ClientCertificate>;
  close(): Promise<void>;
}

function fleetId(n: number): string {
  return `cc-fleet${String(n).padStart(8, '0')}${randomBytes(4).toString('hex')}`;
}

export async function startRig(options: RigOptions = {}): Promise<Rig> {
  const emulator = await startEmulator({ seed: false, dataPlane: false, caKeyAlgorithm: 'ECC_256' });
  const logs: any[] = [];
  const restore = setLogSink(alsoKeptForFailure((line) => logs.push(JSON.parse(line))));
  const env = {
    ...emulator.env(),
    PCA_PARENT_IDENTIFIER: emulator.ca.subCaIdentifier,
    STATE_KEY: randomBytes(32).toString('base64'),
    WEBHOOK_MASTER_KEY,
    ALLOW_LOOPBACK_WEBHOOKS: 'true',
    WEBHOOK_TIMEOUT_MS: '2000',
    WEBHOOK_MAX_ATTEMPTS: '2',
    CAS_TIMEOUT_MS: String(options.casTimeoutMs ?? 5000),
    RENEW_WORKER_FUNCTION: WORKER_FUNCTION,
    RENEW_BATCH_SIZE: String(options.batchSize ?? 25),
    ...options.workerEnv,
  };
  const alibaba = loadAlibabaConfig(env);
  const store = createConfiguredObjectStore(alibaba, 5000);
  const ca = createCasPcaClient({ ...alibaba.cas, readTimeoutMs: options.casTimeoutMs ?? 5000 }, alibaba.credentials);
  const workerConfig = loadRenewWorkerConfig(env);
  const serviceAt = (clock: Clock, timing: Partial<IssuanceTiming> = {}) =>
    createCertificateService({
      ca,
      store,
      clock,
      sleep: systemSleep,
      log: createLogger({ fn: 'test-service' }, 'warn'),
      timing: { ...timingFor(options.casTimeoutMs ?? 5000, options.answerSettleMs ?? 0), ...timing },
      config: {
        parentIdentifier: workerConfig.parentIdentifier,
        stateKey: workerConfig.stateKey,
        linkDefaultSeconds: 900,
        linkMaxSeconds: 86_400,
        defaultValidityDays: 30,
        maxValidityDays: 397,
        allowLoopbackWebhooks: true,
      },
    });
  const workerLog = createLogger({ fn: 'renew-worker' });
  const workerDeps = assembleWorkerDeps({
    config: {
      ...workerConfig,
      concurrency: options.workerConcurrency ?? workerConfig.concurrency,
      backoff: options.backoff ?? { baseMs: 1, maxMs: 1, jitterRatio: 0 },
    },
    store,
    service: createCertificateService({
      ca,
      store,
      clock: systemClock,
      sleep: systemSleep,
      log: workerLog,
      timing: { ...timingFor(options.casTimeoutMs ?? 5000, options.answerSettleMs ?? 0), twinWaitMs: 1_000 },
      config: {
        parentIdentifier: workerConfig.parentIdentifier,
        stateKey: workerConfig.stateKey,
        linkDefaultSeconds: workerConfig.linkSeconds,
        linkMaxSeconds: workerConfig.linkSeconds,
        defaultValidityDays: 30,
        maxValidityDays: 397,
        allowLoopbackWebhooks: true,
      },
    }),
    clock: options.workerClock ?? systemClock,
    log: workerLog,
  });
  const worker = makeWorkerHandler(workerDeps);
  emulator.fc.register(WORKER_FUNCTION, (event) => worker(event, { requestId: 'fc-test' }), {
    maxAsyncRetryAttempts: 2,
    retryDelayMs: 10,
  });

  const schedulerConfig = loadRenewSchedulerConfig(env);
  const sweepDeps: SweepDeps = {
    store,
    ca,
    invoker: createFcAsyncInvoker({
      endpoint: alibaba.fc,
      credentials: alibaba.credentials,
      region: alibaba.region,
      accountId: alibaba.fc.accountId,
    }),
    clock: systemClock,
    log: createLogger({ fn: 'renew-scheduler' }),
    config: {
      workerFunctionName: schedulerConfig.workerFunctionName,
      batchSize: schedulerConfig.batchSize,
      maxItemsPerSweep: schedulerConfig.maxItemsPerSweep,
      invokeConcurrency: schedulerConfig.invokeConcurrency,
      summaryOverdueMs: schedulerConfig.summaryOverdueMs,
      ...(options.inventory
        ? {
            inventory: {
              parentIdentifier: emulator.ca.subCaIdentifier,
              orphanGraceMs: options.inventory.orphanGraceMs,
              maxPages: 100,
            },
          }
        : {}),
    },
    sleep: async () => undefined,
  };
  const scheduler = makeSchedulerHandler(sweepDeps);

  return {
    emulator,
    store,
    ca,
    serviceAt,
    workerDeps,
    sweepDeps,
    logs,
    async sweep() {
      let outcome: { ok: boolean; result?: any; error?: unknown };
      try {
        outcome = {
          ok: true,
          result: await scheduler(
            Buffer.from(
              JSON.stringify({ triggerTime: new Date().toISOString(), triggerName: 'renew-sweep', payload: 'sweep' }),
            ),
            { requestId: 'timer' },
          ),
        };
      } catch (error) {
        outcome = { ok: false, error };
      }
      await emulator.fc.idle();
      return outcome;
    },
    async seedDue(count, seedOptions = {}) {
      const keyPair = await generateKeyPair('EC_P256');
      const out: ClientCertificate[] = new Array(count);
      let next = 0;
      await Promise.all(
        Array.from({ length: Math.min(8, count) }, async () => {
          while (next < count) {
            const i = next++;
            const id = `cc-due${String(i).padStart(6, '0')}${randomBytes(6).toString('hex')}`;
            const commonName = `device-${i}-${randomBytes(3).toString('hex')}.devices.example.com`;
            const csrPem = await buildCsr({ keyPair, commonName });
            const validityDays = seedOptions.validityDays ?? 30;
            const notBefore = new Date(Math.floor(Date.now() / 1000) * 1000);
            const issued = await ca.issueWithCsr({
              parentIdentifier: emulator.ca.subCaIdentifier,
              csrPem,
              commonName,
              sans: { dns: [], uri: [], email: [], ip: [] },
              notBefore,
              notAfter: new Date(notBefore.getTime() + validityDays * DAY),
              keyAlgorithm: 'EC_P256',
              customIdentifier: `${id}-g1-a1`,
            });
            const info = inspectCertificate(issued.certificatePem);
            const mode = seedOptions.mode ?? 'server-key';
            const bundle =
              mode === 'server-key'
                ? { p12: `bundles/${id}/g1/client.p12`, pem: `bundles/${id}/g1/bundle.zip` }
                : { certificate: `bundles/${id}/g1/certificate.zip` };
            for (const key of Object.values(bundle))
              emulator.oss.putObjectDirect(emulator.bucket, key, 'seeded bundle');
            const renewAt = new Date(Date.now() - 60_000);
            const record: ClientCertificate = {
              id,
              tenant: seedOptions.tenant ?? 'acme',
              commonName,
              sans: { dns: [], uri: [], email: [], ip: [] },
              mode,
              keyAlgorithm: 'EC_P256',
              p12Profile: 'modern',
              validityDays,
              autoRenew: seedOptions.autoRenew ?? true,
              labels: {},
              status: 'ACTIVE',
              ...(mode === 'csr' ? { csrPem } : {}),
              ...(seedOptions.webhookUrl ? { notify: { webhookUrl: seedOptions.webhookUrl } } : {}),
              current: {
                generation: 1,
                casIdentifier: issued.identifier,
                serialNumber: info.serialNumber,
                notBefore: info.notBefore.toISOString(),
                notAfter: info.notAfter.toISOString(),
                fingerprintSha256: info.fingerprintSha256,
                issuedAt: notBefore.toISOString(),
                bundle,
              },
              previous: [],
              // Due now: see the file comment.
              renewal: { renewAt: renewAt.toISOString(), failedAttempts: 0, expiringNotified: [] },
              createdAt: notBefore.toISOString(),
              updatedAt: notBefore.toISOString(),
              createdBy: 'system:test-seed',
            };
            emulator.oss.putObjectDirect(emulator.bucket, `records/${id}.json`, JSON.stringify(record));
            emulator.oss.putObjectDirect(emulator.bucket, `index/tenant/${record.tenant}/${id}`, '');
            // As the issuance pipeline writes it: the inventory scan knows this certificate by it.
            emulator.oss.putObjectDirect(
              emulator.bucket,
              `index/ca/${issued.identifier}`,
              JSON.stringify({ id, generation: 1, tenant: record.tenant }),
            );
            const indexKey = record.autoRenew ? renewalIndexKey(renewAt, id) : renewalIndexKeyFor(record, new Date());
            if (indexKey) emulator.oss.putObjectDirect(emulator.bucket, indexKey, '');
            out[i] = record;
          }
        }),
      );
      return out;
    },
    seedNotDue(count) {
      // Records nobody must touch: renewal times 1..count hours from now, fake certificate facts.
      const seeded: Array<{ id: string; indexKey: string; record: string }> = [];
      const now = Date.now();
      for (let i = 0; i < count; i += 1) {
        const id = fleetId(i);
        const notBefore = new Date(now - DAY);
        const notAfter = new Date(now + 89 * DAY + i * 60_000);
        const renewAt = renewalTime(notBefore, notAfter);
        const record: ClientCertificate = {
          id,
          tenant: 'acme',
          commonName: `fleet-${i}.devices.example.com`,
          sans: { dns: [], uri: [], email: [], ip: [] },
          mode: 'server-key',
          keyAlgorithm: 'EC_P256',
          p12Profile: 'modern',
          validityDays: 90,
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
          createdBy: 'seed',
        };
        const body = JSON.stringify(record);
        const indexKey = renewalIndexKey(renewAt, id);
        emulator.oss.putObjectDirect(emulator.bucket, `records/${id}.json`, body);
        emulator.oss.putObjectDirect(emulator.bucket, indexKey, '');
        seeded.push({ id, indexKey, record: body });
      }
      return seeded;
    },
    async record(id) {
      const body = await store.get(`records/${id}.json`);
      return JSON.parse(body!.toString('utf8')) as ClientCertificate;
    },
    async close() {
      setLogSink(restore);
      await emulator.close();
    },
  };
}

/** All index keys (paging through the listing). */
export async function listAll(store: ObjectStore, prefix: string): Promise<string[]> {
  const keys: string[] = [];
  let continuationToken: string | undefined;
  for (;;) {
    const page = await store.list({ prefix, continuationToken, maxKeys: 1000 });
    keys.push(...page.keys);
    if (!page.nextContinuationToken) return keys;
    continuationToken = page.nextContinuationToken;
  }
}

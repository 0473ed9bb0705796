/**
 * Configuration of renew-scheduler and renew-worker, read once at cold start; a bad value stops the function with a
 * message naming the variable (never its value). The local runner reads this table to build their env.
 *
 * | variable | function | meaning |
 * |---|---|---|
 * | (Alibaba) | both | everything in shared/config/alibaba.ts: credentials, REGION, CAS_ENDPOINT, OSS_ENDPOINT, OSS_BUCKET, FC_ENDPOINT, FC_ACCOUNT_ID |
 * | `RENEW_WORKER_FUNCTION` | scheduler | the worker's FC function name; default `nlb-mtls-renew-worker` |
 * | `RENEW_BATCH_SIZE` | scheduler | certificates per worker invocation; default 25 |
 * | `RENEW_MAX_PER_SWEEP` | scheduler | certificates dispatched per sweep at most (the rest wait for the next); default 5000 |
 * | `RENEW_MAX_PENDING_PER_SWEEP` | scheduler | pending issuances/renewals finished per sweep at most, a budget apart from the due ones; default 500 |
 * | `ORPHAN_GRACE_SECONDS` | scheduler | a CAS certificate no record knows is revoked by the inventory scan once this old; default 3600 |
 * | `INVENTORY_MAX_PAGES` | scheduler | ListCert pages the inventory scan reads per run at most (it continues next run); default 200 |
 * | `PCA_PARENT_IDENTIFIER` | both | the PCA sub-CA whose certificates are renewed (worker) and scanned (scheduler) |
 * | `RENEW_INVOKE_CONCURRENCY` | scheduler | async invocations in flight; default 8 |
 * | `RENEW_SUMMARY_OVERDUE_MINUTES` | scheduler | a sweep whose batches have not all reported by then is summarized as incomplete; default 120 |
 * | `STATE_KEY` | worker | required: base64 of 32 bytes, the same secret as cert-api's (opens pending renewals) |
 * | `MAX_VALIDITY_DAYS` | worker | caps a renewed certificate's validity, as for cert-api; default 397 |
 * | `RENEW_CONCURRENCY` | worker | renewals in flight per invocation; default 4 |
 * | `RENEW_CSR_KEY_REUSE` | worker | `false` = CSR-mode certificates are not re-certified for the same key; the owner is asked for a new CSR; default true |
 * | `RENEW_BACKOFF_BASE_SECONDS` | worker | first retry delay after a failed renewal, doubling; default 300 |
 * | `RENEW_BACKOFF_MAX_SECONDS` | worker | longest retry delay; default 28800 (8 h) |
 * | `RENEW_THROTTLE_WAIT_SECONDS` | worker | how long one renewal keeps retrying (jittered, within the invocation) while CAS throttles or a connection resets, before it counts as a failure; default 60 |
 * | `RENEW_LINK_SECONDS` | worker | lifetime of the download links in `certificate.renewed` events; default 86400, at most 604800 |
 * | `EXPIRING_NOTICE_DAYS` | worker | comma list of days before expiry for `certificate.expiring`; default `30,7,1` |
 * | `WEBHOOK_MASTER_KEY` | worker | base64 of 32+ random bytes; each tenant's webhook signing secret is derived from it (shared/notify/tenant-secrets.ts); the same value as cert-api's (a secret) |
 * | `WEBHOOK_TIMEOUT_MS` | worker | per-attempt timeout of a webhook call; default 5000 |
 * | `WEBHOOK_MAX_ATTEMPTS` | worker | attempts per webhook event; default 3 |
 * | `ALLOW_LOOPBACK_WEBHOOKS` | worker | `true` allows `http://127.0.0.1`/`localhost` webhooks (local runs only); default false |
 * | `CA_ANSWER_SETTLE_SECONDS` | worker | as for cert-api: after a CAS call without an answer, wait this long before searching or calling again; default 15 |
 * | `CAS_TIMEOUT_MS`, `OSS_TIMEOUT_MS` | both | call timeouts; default 10000 |
 */
import * as z from 'zod';
import { loadAlibabaConfig, type AlibabaConfig } from './alibaba.js';
import {
  boolFromEnv,
  configError,
  intFromEnv,
  parseEnv,
  requiredString,
  stateKeyFromEnv,
  webhookMasterKeyFromEnv,
} from './env.js';
import type { BackoffPolicy } from '../domain/renewal/backoff.js';

const SchedulerEnvSchema = z.object({
  RENEW_WORKER_FUNCTION: z
    .string()
    .regex(/^[A-Za-z_][A-Za-z0-9_-]{0,127}$/, 'an FC function name')
    .default('nlb-mtls-renew-worker'),
  RENEW_BATCH_SIZE: intFromEnv(25, 1, 200),
  RENEW_MAX_PER_SWEEP: intFromEnv(5000, 1, 100_000),
  RENEW_MAX_PENDING_PER_SWEEP: intFromEnv(500, 1, 100_000),
  ORPHAN_GRACE_SECONDS: intFromEnv(3600, 0, 30 * 86_400),
  INVENTORY_MAX_PAGES: intFromEnv(200, 1, 10_000),
  PCA_PARENT_IDENTIFIER: z.string().min(1).optional(),
  CAS_TIMEOUT_MS: intFromEnv(10_000, 100, 120_000),
  RENEW_INVOKE_CONCURRENCY: intFromEnv(8, 1, 64),
  RENEW_SUMMARY_OVERDUE_MINUTES: intFromEnv(120, 1, 10_080),
  OSS_TIMEOUT_MS: intFromEnv(10_000, 100, 120_000),
});

const WorkerEnvSchema = z.object({
  PCA_PARENT_IDENTIFIER: requiredString('PCA_PARENT_IDENTIFIER names the sub-CA that signs client certificates'),
  STATE_KEY: stateKeyFromEnv('STATE_KEY is required (base64 of 32 random bytes, the same as cert-api)'),
  MAX_VALIDITY_DAYS: intFromEnv(397, 1, 3650),
  RENEW_CONCURRENCY: intFromEnv(4, 1, 32),
  RENEW_CSR_KEY_REUSE: boolFromEnv(true),
  RENEW_BACKOFF_BASE_SECONDS: intFromEnv(300, 1, 86_400),
  RENEW_BACKOFF_MAX_SECONDS: intFromEnv(28_800, 1, 604_800),
  RENEW_THROTTLE_WAIT_SECONDS: intFromEnv(60, 0, 600),
  RENEW_LINK_SECONDS: intFromEnv(86_400, 60, 604_800),
  EXPIRING_NOTICE_DAYS: z
    .string()
    .regex(/^\d{1,3}(,\d{1,3})*$/, 'a comma list of days such as 30,7,1')
    .optional()
    .transform((v) =>
      v ? [...new Set(v.split(',').map(Number))].filter((n) => n > 0).sort((a, b) => b - a) : [30, 7, 1],
    ),
  WEBHOOK_MASTER_KEY: webhookMasterKeyFromEnv(),
  WEBHOOK_TIMEOUT_MS: intFromEnv(5000, 100, 30_000),
  WEBHOOK_MAX_ATTEMPTS: intFromEnv(3, 1, 10),
  ALLOW_LOOPBACK_WEBHOOKS: boolFromEnv(false),
  CA_ANSWER_SETTLE_SECONDS: intFromEnv(15, 0, 600),
  CAS_TIMEOUT_MS: intFromEnv(10_000, 100, 120_000),
  OSS_TIMEOUT_MS: intFromEnv(10_000, 100, 120_000),
});

export interface RenewSchedulerConfig {
  alibaba: AlibabaConfig;
  workerFunctionName: string;
  batchSize: number;
  maxItemsPerSweep: number;
  maxPendingPerSweep: number;
  invokeConcurrency: number;
  summaryOverdueMs: number;
  /** The inventory scan runs only when the sub-CA is named. */
  parentIdentifier?: string;
  orphanGraceMs: number;
  inventoryMaxPages: number;
  casTimeoutMs: number;
  ossTimeoutMs: number;
}

export interface RenewWorkerConfig {
  alibaba: AlibabaConfig;
  parentIdentifier: string;
  stateKey: Buffer;
  maxValidityDays: number;
  concurrency: number;
  csrKeyReuse: boolean;
  backoff: BackoffPolicy;
  throttleWaitMs: number;
  linkSeconds: number;
  expiringNoticeDays: number[];
  webhook: {
    /** Derives every tenant's signing secret (shared/notify/tenant-secrets.ts). */
    masterKey: Buffer;
    timeoutMs: number;
    maxAttempts: number;
    allowLoopback: boolean;
  };
  caAnswerSettleMs: number;
  casTimeoutMs: number;
  ossTimeoutMs: number;
}

export function loadRenewSchedulerConfig(env: NodeJS.ProcessEnv = process.env): RenewSchedulerConfig {
  const alibaba = loadAlibabaConfig(env);
  const e = parseEnv(SchedulerEnvSchema, env, 'renew-scheduler');
  return {
    alibaba,
    workerFunctionName: e.RENEW_WORKER_FUNCTION,
    batchSize: e.RENEW_BATCH_SIZE,
    maxItemsPerSweep: e.RENEW_MAX_PER_SWEEP,
    maxPendingPerSweep: e.RENEW_MAX_PENDING_PER_SWEEP,
    invokeConcurrency: e.RENEW_INVOKE_CONCURRENCY,
    summaryOverdueMs: e.RENEW_SUMMARY_OVERDUE_MINUTES * 60_000,
    parentIdentifier: e.PCA_PARENT_IDENTIFIER,
    orphanGraceMs: e.ORPHAN_GRACE_SECONDS * 1000,
    inventoryMaxPages: e.INVENTORY_MAX_PAGES,
    casTimeoutMs: e.CAS_TIMEOUT_MS,
    ossTimeoutMs: e.OSS_TIMEOUT_MS,
  };
}

export function loadRenewWorkerConfig(env: NodeJS.ProcessEnv = process.env): RenewWorkerConfig {
  const alibaba = loadAlibabaConfig(env);
  const e = parseEnv(WorkerEnvSchema, env, 'renew-worker');
  if (e.RENEW_BACKOFF_BASE_SECONDS > e.RENEW_BACKOFF_MAX_SECONDS)
    configError('renew-worker', 'RENEW_BACKOFF_BASE_SECONDS must not exceed RENEW_BACKOFF_MAX_SECONDS');
  return {
    alibaba,
    parentIdentifier: e.PCA_PARENT_IDENTIFIER,
    stateKey: Buffer.from(e.STATE_KEY, 'base64'),
    maxValidityDays: e.MAX_VALIDITY_DAYS,
    concurrency: e.RENEW_CONCURRENCY,
    csrKeyReuse: e.RENEW_CSR_KEY_REUSE,
    backoff: {
      baseMs: e.RENEW_BACKOFF_BASE_SECONDS * 1000,
      maxMs: e.RENEW_BACKOFF_MAX_SECONDS * 1000,
      jitterRatio: 0.2,
    },
    throttleWaitMs: e.RENEW_THROTTLE_WAIT_SECONDS * 1000,
    // A link never outlives the STS keys that sign it (STS_LINK_MAX_SECONDS, shared/config/alibaba.ts).
    linkSeconds: Math.min(e.RENEW_LINK_SECONDS, alibaba.signedLinkMaxSeconds),
    expiringNoticeDays: e.EXPIRING_NOTICE_DAYS,
    webhook: {
      masterKey: Buffer.from(e.WEBHOOK_MASTER_KEY, 'base64'),
      timeoutMs: e.WEBHOOK_TIMEOUT_MS,
      maxAttempts: e.WEBHOOK_MAX_ATTEMPTS,
      allowLoopback: e.ALLOW_LOOPBACK_WEBHOOKS,
    },
    caAnswerSettleMs: e.CA_ANSWER_SETTLE_SECONDS * 1000,
    casTimeoutMs: e.CAS_TIMEOUT_MS,
    ossTimeoutMs: e.OSS_TIMEOUT_MS,
  };
}

/**
 * The reconcile-listeners function's configuration, read once at cold start; a bad value stops the function
 * with a message naming the variable (never its value). The local runner and `npm run reconcile` read this list.
 *
 * | variable | meaning |
 * |---|---|
 * | (Alibaba) | everything in shared/config/alibaba.ts: credentials, REGION, NLB_ENDPOINT, CAS_ENDPOINT, OSS_ENDPOINT, OSS_BUCKET |
 * | `DESIRED_STATE_FILE` | the desired-state YAML, relative to the code directory; default `config/listeners.yaml` (shipped with the function) |
 * | `RECONCILE_DEFAULT_CA` | the PCA identifier that `ca: default` means (usually the root above PCA_PARENT_IDENTIFIER) |
 * | `PCA_PARENT_IDENTIFIER` | required: the sub-CA that signs the canary client certificate (the same as cert-api's) |
 * | `STATE_KEY` | required: base64 of 32 bytes; seals the canary's private key at rest (the same secret as cert-api's) |
 * | `RECONCILE_MODE` | the mode when an event names none: `plan` (default, changes nothing) or `apply` |
 * | `CA_EXPIRY_WINDOW_DAYS` | a CA expiring within this many days blocks the listener; default 30 |
 * | `RECONCILE_CONCURRENCY` | listeners worked on at once (so at most this many NLB calls in flight); default 20 |
 * | `JOB_TIMEOUT_SECONDS` | how long to wait for an NLB job before failing (no second update is sent); default 120 |
 * | `JOB_POLL_INITIAL_MS` | first look at a job after the update; then 1.5x longer each time, up to 5 s; default 500 |
 * | `PROBE_TIMEOUT_MS` | one TLS handshake's budget; default 5000 |
 * | `CANARY_VALIDITY_DAYS` | lifetime of the canary client certificate; renewed at 2/3 of it; default 30 |
 * | `ROTATION_MIN_CA_DAYS` | a CA rotation's new CA must have at least this many days left; default 30 (docs/rotation.md) |
 * | `CAS_TIMEOUT_MS`, `NLB_TIMEOUT_MS`, `OSS_TIMEOUT_MS` | read timeouts of the API calls; default 10000 |
 * | `SERVER_CERTIFICATE_ISSUER` | the sub-CA (PCA identifier) that issues managed server certificates declared with `issuer: default`; default PCA_PARENT_IDENTIFIER |
 * | `SERVER_CERTIFICATE_NOTICE_DAYS` | comma list of days before expiry of an externally managed server certificate for `server-certificate.expiring`; default `30,7,1` |
 * | `SERVER_CERTIFICATE_WEBHOOK_URL` | optional: the operator's webhook for `server-certificate.expiring` (signed with tenant `system`'s secret, docs/renewal.md#verifying-a-webhook) |
 * | `WEBHOOK_MASTER_KEY` | signs the webhooks this function sends (SERVER_CERTIFICATE_WEBHOOK_URL, a CA rotation's successors); the same secret as cert-api's (a KMS secret in the cloud); needed with SERVER_CERTIFICATE_WEBHOOK_URL |
 * | `ALLOW_LOOPBACK_WEBHOOKS` | `true` allows an `http://127.0.0.1` webhook (local runs only); default false |
 */
import * as z from 'zod';
import { loadAlibabaConfig, type AlibabaConfig } from './alibaba.js';
import { boolFromEnv, intFromEnv, parseEnv, requiredString, stateKeyFromEnv } from './env.js';

const EnvSchema = z
  .object({
    DESIRED_STATE_FILE: z.string().min(1).default('config/listeners.yaml'),
    RECONCILE_DEFAULT_CA: z
      .string()
      .regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/, 'must be a PCA identifier')
      .optional()
      .or(z.literal('').transform(() => undefined)),
    PCA_PARENT_IDENTIFIER: requiredString(
      'PCA_PARENT_IDENTIFIER names the sub-CA that signs the canary client certificate',
    ),
    STATE_KEY: stateKeyFromEnv('STATE_KEY is required (base64 of 32 random bytes)'),
    RECONCILE_MODE: z.enum(['plan', 'apply']).default('plan'),
    CA_EXPIRY_WINDOW_DAYS: intFromEnv(30, 0, 3650),
    RECONCILE_CONCURRENCY: intFromEnv(20, 1, 100),
    JOB_TIMEOUT_SECONDS: intFromEnv(120, 1, 3600),
    JOB_POLL_INITIAL_MS: intFromEnv(500, 10, 60_000),
    PROBE_TIMEOUT_MS: intFromEnv(5_000, 100, 60_000),
    CANARY_VALIDITY_DAYS: intFromEnv(30, 1, 397),
    ROTATION_MIN_CA_DAYS: intFromEnv(30, 0, 3650),
    CAS_TIMEOUT_MS: intFromEnv(10_000, 100, 120_000),
    NLB_TIMEOUT_MS: intFromEnv(10_000, 100, 120_000),
    OSS_TIMEOUT_MS: intFromEnv(10_000, 100, 120_000),
    SERVER_CERTIFICATE_ISSUER: z
      .string()
      .regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/, 'must be a PCA identifier')
      .optional()
      .or(z.literal('').transform(() => undefined)),
    SERVER_CERTIFICATE_NOTICE_DAYS: z
      .string()
      .regex(/^\d{1,3}(,\d{1,3})*$/, 'a comma list of days such as 30,7,1')
      .optional()
      .transform((v) =>
        v ? [...new Set(v.split(',').map(Number))].filter((n) => n > 0).sort((a, b) => b - a) : [30, 7, 1],
      ),
    SERVER_CERTIFICATE_WEBHOOK_URL: z.string().max(2048).optional(),
    WEBHOOK_MASTER_KEY: z
      .string()
      .refine(
        (v) => v === '' || Buffer.from(v, 'base64').length >= 32,
        'WEBHOOK_MASTER_KEY must be base64 of at least 32 bytes',
      )
      .optional(),
    ALLOW_LOOPBACK_WEBHOOKS: boolFromEnv(false),
  })
  .superRefine((e, ctx) => {
    if (e.SERVER_CERTIFICATE_WEBHOOK_URL && !e.WEBHOOK_MASTER_KEY)
      ctx.addIssue({
        code: 'custom',
        path: ['WEBHOOK_MASTER_KEY'],
        message: 'is required with SERVER_CERTIFICATE_WEBHOOK_URL (webhooks are signed with a secret derived from it)',
      });
  });

export interface ReconcileFunctionConfig {
  alibaba: AlibabaConfig;
  desiredStateFile: string;
  defaultCaIdentifier?: string;
  parentIdentifier: string;
  stateKey: Buffer;
  defaultMode: 'plan' | 'apply';
  caExpiryWindowDays: number;
  concurrency: number;
  jobTimeoutMs: number;
  jobPollInitialMs: number;
  probeTimeoutMs: number;
  canaryValidityDays: number;
  rotationMinCaDays: number;
  casTimeoutMs: number;
  nlbTimeoutMs: number;
  ossTimeoutMs: number;
  /** The sub-CA that issues managed server certificates with `issuer: default`. */
  serverCertificateIssuer: string;
  serverCertificateNoticeDays: number[];
  serverCertificateWebhook?: { url: string; masterKey: Buffer; allowLoopback: boolean };
  /** Signs owners' webhooks (a CA rotation's successors) and the operator's; absent: no webhooks are sent. */
  webhookMasterKey?: Buffer;
  allowLoopbackWebhooks: boolean;
}

export function loadReconcileConfig(env: NodeJS.ProcessEnv = process.env): ReconcileFunctionConfig {
  const alibaba = loadAlibabaConfig(env);
  const e = parseEnv(EnvSchema, env, 'reconcile-listeners');
  return {
    alibaba,
    desiredStateFile: e.DESIRED_STATE_FILE,
    ...(e.RECONCILE_DEFAULT_CA ? { defaultCaIdentifier: e.RECONCILE_DEFAULT_CA } : {}),
    parentIdentifier: e.PCA_PARENT_IDENTIFIER,
    stateKey: Buffer.from(e.STATE_KEY, 'base64'),
    defaultMode: e.RECONCILE_MODE,
    caExpiryWindowDays: e.CA_EXPIRY_WINDOW_DAYS,
    concurrency: e.RECONCILE_CONCURRENCY,
    jobTimeoutMs: e.JOB_TIMEOUT_SECONDS * 1000,
    jobPollInitialMs: e.JOB_POLL_INITIAL_MS,
    probeTimeoutMs: e.PROBE_TIMEOUT_MS,
    canaryValidityDays: e.CANARY_VALIDITY_DAYS,
    rotationMinCaDays: e.ROTATION_MIN_CA_DAYS,
    casTimeoutMs: e.CAS_TIMEOUT_MS,
    nlbTimeoutMs: e.NLB_TIMEOUT_MS,
    ossTimeoutMs: e.OSS_TIMEOUT_MS,
    serverCertificateIssuer: e.SERVER_CERTIFICATE_ISSUER ?? e.PCA_PARENT_IDENTIFIER,
    serverCertificateNoticeDays: e.SERVER_CERTIFICATE_NOTICE_DAYS,
    ...(e.WEBHOOK_MASTER_KEY ? { webhookMasterKey: Buffer.from(e.WEBHOOK_MASTER_KEY, 'base64') } : {}),
    allowLoopbackWebhooks: e.ALLOW_LOOPBACK_WEBHOOKS,
    ...(e.SERVER_CERTIFICATE_WEBHOOK_URL && e.WEBHOOK_MASTER_KEY
      ? {
          serverCertificateWebhook: {
            url: e.SERVER_CERTIFICATE_WEBHOOK_URL,
            masterKey: Buffer.from(e.WEBHOOK_MASTER_KEY, 'base64'),
            allowLoopback: e.ALLOW_LOOPBACK_WEBHOOKS,
          },
        }
      : {}),
  };
}

/**
 * The cert-api function's configuration, read once at cold start; a bad value stops the function with a
 * message naming the variable (never its value). The local runner reads this list to build its env.
 *
 * | variable | meaning |
 * |---|---|
 * | (Alibaba) | everything in shared/config/alibaba.ts: credentials, REGION, CAS_ENDPOINT, OSS_ENDPOINT, OSS_BUCKET |
 * | `PCA_PARENT_IDENTIFIER` | required: identifier of the PCA sub-CA that signs client certificates |
 * | `API_TOKENS` | required: JSON `[{tokenSha256, tenant, name, policy: {commonNamePatterns, sanPatterns{dns,uri,email,ip}, keyAlgorithms, maxValidityDays, operations, allowWildcardNames}}]` (a secret in the cloud) |
 * | `STATE_KEY` | required: base64 of 32 random bytes; seals pending private keys and idempotent answers (AES-256-GCM) (a secret) |
 * | `LINK_DEFAULT_SECONDS` | lifetime of download links when the caller names none; default 900 |
 * | `LINK_MAX_SECONDS` | the longest link a caller may ask for; default 86400, at most 604800 (7 days, the OSS V4 limit) |
 * | `DEFAULT_VALIDITY_DAYS` | validity when the request names none; default 30 |
 * | `MAX_VALIDITY_DAYS` | the longest validity anyone may ask for (policies may allow less); default 397 |
 * | `ALLOW_LOOPBACK_WEBHOOKS` | `true` lets `notify.webhookUrl` be `http://127.0.0.1`/`localhost` (local runs only); default false |
 * | `CAS_TIMEOUT_MS` | read timeout of CAS calls; default 10000 |
 * | `OSS_TIMEOUT_MS` | timeout of OSS calls; default 10000 |
 * | `IDEMPOTENCY_TTL_HOURS` | how long an `Idempotency-Key`'s answer is kept, then deleted by the sweep; default 24 |
 * | `CA_ANSWER_SETTLE_SECONDS` | after a CAS call ended without an answer, how long nothing is searched or called again for that issuance (CAS may still be issuing); default 15 |
 * | `BUNDLE_EXAMPLE_URL` | optional `https://host:port/` written into the README of the PEM zip |
 * | `WEBHOOK_MASTER_KEY` | base64 of 32+ bytes, the same as renew-worker's: tenants read and rotate their webhook secret through the API (a secret); without it those endpoints answer 503 |
 * | `RATE_LIMIT_PER_MINUTE` | requests per minute per token and instance unless the token names its own `limits`; default 120 |
 * | `ISSUANCE_QUOTA_PER_DAY` | certificates a token may issue or renew through the API per UTC day (all instances) unless its `limits` say otherwise; default 1000 |
 * | secrets from KMS | `API_TOKENS_SECRET_NAME`, `STATE_KEY_SECRET_NAME`, `WEBHOOK_MASTER_KEY_SECRET_NAME` instead of the values (shared/secrets/cold-start.ts) |
 */
import * as z from 'zod';
import { ApiTokensSchema, type ApiToken } from '../auth/tokens.js';
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

const EnvSchema = z.object({
  PCA_PARENT_IDENTIFIER: requiredString('PCA_PARENT_IDENTIFIER names the sub-CA that signs client certificates'),
  API_TOKENS: requiredString('API_TOKENS is required (JSON list of token hashes and policies)', 2),
  STATE_KEY: stateKeyFromEnv('STATE_KEY is required (base64 of 32 random bytes)'),
  LINK_DEFAULT_SECONDS: intFromEnv(900, 1, 604_800),
  LINK_MAX_SECONDS: intFromEnv(86_400, 1, 604_800),
  DEFAULT_VALIDITY_DAYS: intFromEnv(30, 1, 3650),
  MAX_VALIDITY_DAYS: intFromEnv(397, 1, 3650),
  ALLOW_LOOPBACK_WEBHOOKS: boolFromEnv(false),
  CAS_TIMEOUT_MS: intFromEnv(10_000, 100, 120_000),
  OSS_TIMEOUT_MS: intFromEnv(10_000, 100, 120_000),
  IDEMPOTENCY_TTL_HOURS: intFromEnv(24, 1, 720),
  CA_ANSWER_SETTLE_SECONDS: intFromEnv(15, 0, 600),
  WEBHOOK_MASTER_KEY: webhookMasterKeyFromEnv().optional(),
  RATE_LIMIT_PER_MINUTE: intFromEnv(120, 1, 100_000),
  ISSUANCE_QUOTA_PER_DAY: intFromEnv(1000, 0, 1_000_000),
  BUNDLE_EXAMPLE_URL: z
    .url({ protocol: /^https?$/ })
    .optional()
    .or(z.literal('').transform(() => undefined)),
});

export interface CertApiConfig {
  alibaba: AlibabaConfig;
  parentIdentifier: string;
  tokens: ApiToken[];
  stateKey: Buffer;
  linkDefaultSeconds: number;
  linkMaxSeconds: number;
  defaultValidityDays: number;
  maxValidityDays: number;
  allowLoopbackWebhooks: boolean;
  casTimeoutMs: number;
  ossTimeoutMs: number;
  idempotencyTtlSeconds: number;
  caAnswerSettleMs: number;
  bundleExampleUrl?: string;
  webhookMasterKey?: Buffer;
  rateLimitPerMinute: number;
  issuanceQuotaPerDay: number;
}

function fail(message: string): never {
  configError('cert-api', message);
}

export function loadCertApiConfig(env: NodeJS.ProcessEnv = process.env): CertApiConfig {
  const alibaba = loadAlibabaConfig(env);
  const e = parseEnv(EnvSchema, env, 'cert-api');
  if (e.LINK_DEFAULT_SECONDS > e.LINK_MAX_SECONDS) fail('LINK_DEFAULT_SECONDS must not exceed LINK_MAX_SECONDS');
  if (e.DEFAULT_VALIDITY_DAYS > e.MAX_VALIDITY_DAYS) fail('DEFAULT_VALIDITY_DAYS must not exceed MAX_VALIDITY_DAYS');

  let tokensJson: unknown;
  try {
    tokensJson = JSON.parse(e.API_TOKENS);
  } catch {
    fail('API_TOKENS is not valid JSON');
  }
  const tokens = ApiTokensSchema.safeParse(tokensJson);
  if (!tokens.success) {
    fail(`API_TOKENS: ${tokens.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
  }
  return {
    alibaba,
    parentIdentifier: e.PCA_PARENT_IDENTIFIER,
    tokens: tokens.data,
    stateKey: Buffer.from(e.STATE_KEY, 'base64'),
    // A link never outlives the STS keys that sign it (STS_LINK_MAX_SECONDS, shared/config/alibaba.ts).
    linkDefaultSeconds: Math.min(e.LINK_DEFAULT_SECONDS, alibaba.signedLinkMaxSeconds),
    linkMaxSeconds: Math.min(e.LINK_MAX_SECONDS, alibaba.signedLinkMaxSeconds),
    defaultValidityDays: e.DEFAULT_VALIDITY_DAYS,
    maxValidityDays: e.MAX_VALIDITY_DAYS,
    allowLoopbackWebhooks: e.ALLOW_LOOPBACK_WEBHOOKS,
    casTimeoutMs: e.CAS_TIMEOUT_MS,
    ossTimeoutMs: e.OSS_TIMEOUT_MS,
    idempotencyTtlSeconds: e.IDEMPOTENCY_TTL_HOURS * 3600,
    caAnswerSettleMs: e.CA_ANSWER_SETTLE_SECONDS * 1000,
    bundleExampleUrl: e.BUNDLE_EXAMPLE_URL,
    webhookMasterKey: e.WEBHOOK_MASTER_KEY ? Buffer.from(e.WEBHOOK_MASTER_KEY, 'base64') : undefined,
    rateLimitPerMinute: e.RATE_LIMIT_PER_MINUTE,
    issuanceQuotaPerDay: e.ISSUANCE_QUOTA_PER_DAY,
  };
}

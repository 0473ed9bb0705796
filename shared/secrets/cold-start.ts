/**
 * How a function gets its secrets at cold start. In the cloud s.yaml sets `X_SECRET_NAME` (never `X`): the value
 * is read from KMS Secrets Manager with the function's role (`kms:GetSecretValue` on that secret only) before the
 * deps are built, and sources that must follow changes (API_TOKENS) keep reading it through the cached source.
 * Locally and in tests `X` itself may be set: then nothing is read and the handler is built at once, as before.
 *
 * | variable | meaning |
 * |---|---|
 * | `API_TOKENS_SECRET_NAME`, `STATE_KEY_SECRET_NAME`, `WEBHOOK_MASTER_KEY_SECRET_NAME` | KMS secret names |
 * | `KMS_ENDPOINT` | default `kms.<region>.aliyuncs.com` (`kms-vpc.<region>.aliyuncs.com` from a VPC) |
 * | `SECRETS_TTL_SECONDS` | how long a read secret is used before it is read again; default 30 (revocations) |
 */
import { createKmsSecretsClient } from '../alibaba/kms.js';
import { loadAlibabaConfig, parseEndpoint } from '../config/alibaba.js';
import { intFromEnv, parseEnv } from '../config/env.js';
import { systemClock, type Clock } from '../domain/ports.js';
import { createLogger, type Logger } from '../log/index.js';
import * as z from 'zod';
import { createCachedSecretSource, resolveSecretEnv, SECRET_NAME_SUFFIX, type SecretSource } from './secret-source.js';

export const SECRET_VARIABLES = ['API_TOKENS', 'STATE_KEY', 'WEBHOOK_MASTER_KEY'] as const;

const EnvSchema = z.object({
  KMS_ENDPOINT: z.string().optional(),
  SECRETS_TTL_SECONDS: intFromEnv(30, 1, 3600),
});

function wantsSecretStore(env: NodeJS.ProcessEnv): boolean {
  return SECRET_VARIABLES.some((name) => !env[name] && env[`${name}${SECRET_NAME_SUFFIX}`]);
}

/** The KMS-backed source when the env names any secret, else undefined. */
export function secretSourceFromEnv(
  env: NodeJS.ProcessEnv,
  options: { clock?: Clock; log?: Logger } = {},
): SecretSource | undefined {
  if (!wantsSecretStore(env)) return undefined;
  const alibaba = loadAlibabaConfig(env);
  const e = parseEnv(EnvSchema, env, 'secrets');
  const kms = createKmsSecretsClient(
    parseEndpoint(e.KMS_ENDPOINT ?? `kms.${alibaba.region}.aliyuncs.com`, alibaba.region),
    alibaba.credentials,
  );
  return createCachedSecretSource({
    fetch: async (name) => (await kms.getSecretValue(name)).secretData,
    ttlMs: e.SECRETS_TTL_SECONDS * 1000,
    clock: options.clock ?? systemClock,
    log: options.log,
  });
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- any handler shape: (event, context) => Promise
type Handler<R> = (event: any, context?: any) => Promise<R>;

/**
 * `build(env, source)` once the secrets are in `env`: at once when none comes from the store (config errors are
 * thrown here, at cold start), else on the first invocation (a failed read fails that invocation and is retried
 * by the next one).
 */
export function withSecrets<R>(
  env: NodeJS.ProcessEnv,
  fn: string,
  build: (env: NodeJS.ProcessEnv, source: SecretSource | undefined) => Handler<R>,
): Handler<R> {
  if (!wantsSecretStore(env)) return build(env, undefined);
  const source = secretSourceFromEnv(env, { log: createLogger({ fn }) })!;
  let ready: Promise<Handler<R>> | undefined;
  const init = () =>
    (ready ??= resolveSecretEnv(env, SECRET_VARIABLES, source)
      .then((resolved) => build(resolved, source))
      .catch((err: unknown) => {
        ready = undefined;
        throw err;
      }));
  return async (event, context) => (await init())(event, context);
}

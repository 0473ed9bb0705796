/**
 * Secrets (API tokens, STATE_KEY, WEBHOOK_MASTER_KEY) read from a secret store (KMS Secrets Manager in the cloud,
 * the emulator's locally), cached for `ttlMs`. A value older than the TTL is read again on the next use, so a
 * change in the store (a revoked API token) reaches every warm instance within one TTL, without a redeploy.
 * If the store cannot be read, the last value keeps being served (and the failure logged): an outage of the
 * store must not take the API down; the first read of a cold start has no such fallback and fails it.
 */
import type { Clock } from '../domain/ports.js';
import { errorFields, type Logger } from '../log/index.js';

export interface SecretSource {
  /** The secret's current value (cached at most `ttlMs`). */
  get(name: string): Promise<string>;
}

export function createCachedSecretSource(options: {
  fetch: (name: string) => Promise<string>;
  ttlMs: number;
  clock: Clock;
  log?: Logger;
}): SecretSource {
  const cache = new Map<string, { value: string; readAt: number; refreshing?: Promise<string> }>();
  return {
    async get(name) {
      const now = options.clock.now().getTime();
      const hit = cache.get(name);
      if (hit && now - hit.readAt < options.ttlMs) return hit.value;
      if (hit?.refreshing) return hit.refreshing;
      const refreshing = options.fetch(name).then(
        (value) => {
          cache.set(name, { value, readAt: options.clock.now().getTime() });
          return value;
        },
        (err: unknown) => {
          if (!hit) {
            cache.delete(name);
            throw err;
          }
          options.log?.warn('secret store unreadable: serving the last value', {
            ...errorFields(err),
            code: 'SECRET_STALE',
          });
          cache.set(name, { value: hit.value, readAt: hit.readAt });
          return hit.value;
        },
      );
      if (hit) cache.set(name, { ...hit, refreshing });
      return refreshing;
    },
  };
}

/** The variables of `names` that come from the secret store: `X_SECRET_NAME` names the secret holding `X`. */
export const SECRET_NAME_SUFFIX = '_SECRET_NAME';

/**
 * The env with every listed secret filled in: `X` as given (local runs and tests set secrets directly), else the
 * value of the secret named by `X_SECRET_NAME` (the cloud: s.yaml holds only names, never values).
 */
export async function resolveSecretEnv(
  env: NodeJS.ProcessEnv,
  names: readonly string[],
  source: SecretSource | undefined,
): Promise<NodeJS.ProcessEnv> {
  const resolved: NodeJS.ProcessEnv = { ...env };
  for (const name of names) {
    if (resolved[name]) continue;
    const secretName = env[`${name}${SECRET_NAME_SUFFIX}`];
    if (!secretName) continue;
    if (!source) throw new Error(`${name}${SECRET_NAME_SUFFIX} is set but no secret store is configured`);
    resolved[name] = await source.get(secretName);
  }
  return resolved;
}

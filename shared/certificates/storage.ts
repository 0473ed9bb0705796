/**
 * The bucket as the service uses it: every failure of the store that is not "already exists" becomes a 503
 * the caller may retry (OSS 5xx, timeouts, throttling), and JSON objects are read and written in one place.
 */
import { ObjectExistsError, type ObjectStore } from '../domain/ports.js';
import { AppError, UpstreamError, isAppError } from '../errors/index.js';

export class StorageUnavailableError extends UpstreamError {
  constructor(cause: unknown) {
    super('STORAGE_UNAVAILABLE', 'The certificate store is unavailable; retry the same request.', cause);
  }
}

function guard<T>(work: () => Promise<T>): Promise<T> {
  return work().catch((err: unknown) => {
    if (err instanceof ObjectExistsError || isAppError(err)) throw err;
    throw new StorageUnavailableError(err);
  });
}

/** The same port, with errors mapped (see above). */
export function guardedStore(store: ObjectStore): ObjectStore {
  return {
    put: (key, body, options) => guard(() => store.put(key, body, options)),
    get: (key) => guard(() => store.get(key)),
    exists: (key) => guard(() => store.exists(key)),
    delete: (key) => guard(() => store.delete(key)),
    list: (options) => guard(() => store.list(options)),
    signedGetUrl: (key, options) => guard(() => store.signedGetUrl(key, options)),
  };
}

/** Every key under `prefix`, all listing pages (1,000 keys each) read one after another. */
export async function listAllKeys(store: ObjectStore, prefix: string): Promise<string[]> {
  const keys: string[] = [];
  let continuationToken: string | undefined;
  do {
    const page = await store.list({ prefix, continuationToken, maxKeys: 1000 });
    keys.push(...page.keys);
    continuationToken = page.nextContinuationToken;
  } while (continuationToken);
  return keys;
}

export async function getJson<T>(store: ObjectStore, key: string): Promise<T | undefined> {
  const body = await store.get(key);
  if (!body) return undefined;
  try {
    return JSON.parse(body.toString('utf8')) as T;
  } catch (cause) {
    throw new AppError('STATE_UNREADABLE', 500, 'Stored state could not be read.', { cause });
  }
}

export function putJson(
  store: ObjectStore,
  key: string,
  value: unknown,
  options: { ifAbsent?: boolean } = {},
): Promise<void> {
  return store.put(key, JSON.stringify(value), { contentType: 'application/json', ifAbsent: options.ifAbsent });
}

/** Create-only write that reports whether this call created the object. */
export async function createJson(store: ObjectStore, key: string, value: unknown): Promise<boolean> {
  try {
    await putJson(store, key, value, { ifAbsent: true });
    return true;
  } catch (err) {
    if (err instanceof ObjectExistsError) return false;
    throw err;
  }
}

/** Runs `work` over `items` with at most `limit` in flight; results keep the input order. */
export async function mapBounded<T, R>(
  items: readonly T[],
  limit: number,
  work: (item: T) => Promise<R>,
): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const runners = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) {
      const i = next++;
      results[i] = await work(items[i]);
    }
  });
  await Promise.all(runners);
  return results;
}

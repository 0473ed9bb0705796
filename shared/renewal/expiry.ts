/**
 * Deletes what has outlived its use, on the scheduler's timer: `Idempotency-Key` entries past their TTL (with the
 * sealed answers and passwords they hold) and the attempts of finished issuances. The expiry index
 * (`index/expire/<epoch seconds>/<object key>`) is listed up to now only, so a run costs what expired.
 */
import { EXPIRY_INDEX_PREFIX, parseExpiryIndexKey } from '../certificates/ids.js';
import type { Clock, ObjectStore } from '../domain/ports.js';
import { errorFields, type Logger } from '../log/index.js';

export async function deleteExpired(
  deps: { store: ObjectStore; clock: Clock; log: Logger },
  max = 1000,
): Promise<number> {
  const now = deps.clock.now();
  const bound = `${EXPIRY_INDEX_PREFIX}${String(Math.floor(now.getTime() / 1000) + 1).padStart(12, '0')}/`;
  const page = await deps.store.list({ prefix: EXPIRY_INDEX_PREFIX, maxKeys: max });
  let deleted = 0;
  for (const key of page.keys) {
    if (key >= bound) break;
    const entry = parseExpiryIndexKey(key);
    try {
      if (entry?.objectKey.endsWith('/')) {
        const listing = await deps.store.list({ prefix: entry.objectKey, maxKeys: 1000 });
        for (const k of listing.keys) await deps.store.delete(k);
      } else if (entry) await deps.store.delete(entry.objectKey);
      // A key that names nothing we know is dropped too: the index only ever holds what this module reads.
      await deps.store.delete(key);
      deleted += 1;
    } catch (err) {
      deps.log.warn('expired object not deleted', { ...errorFields(err), objectKey: entry?.objectKey });
    }
  }
  return deleted;
}

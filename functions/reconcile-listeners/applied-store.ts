/**
 * What reconciliation last applied or confirmed per listener, as one JSON object in the bucket
 * (`reconcile/applied.json`): one read per run, one write when something changed.
 */
import type { ObjectStore } from '../../shared/domain/ports.js';
import type { AppliedRecord, AppliedStateStore } from '../../shared/domain/listeners/ports.js';

export const APPLIED_STATE_KEY = 'reconcile/applied.json';

export function createAppliedStateStore(store: ObjectStore): AppliedStateStore {
  return {
    async load() {
      const body = await store.get(APPLIED_STATE_KEY);
      if (!body) return {};
      const doc = JSON.parse(body.toString('utf8')) as { version?: number; listeners?: Record<string, AppliedRecord> };
      return doc.listeners ?? {};
    },
    async save(records) {
      await store.put(APPLIED_STATE_KEY, JSON.stringify({ version: 1, listeners: records }, null, 1), {
        contentType: 'application/json',
      });
    },
  };
}

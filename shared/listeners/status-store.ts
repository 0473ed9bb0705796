/**
 * Why: the reconciler's last word on each listener, kept for the console (`reconcile/status.json`, one small
 * object): after each run it is read once and written once (shared/domain/listeners/listener-status.ts merges),
 * and cert-api reads it for `GET /v1/listeners`. Saving is best effort: a run's outcome never depends on it.
 */
import type { Clock, ObjectStore } from '../domain/ports.js';
import type { RunReport } from '../domain/listeners/report.js';
import { mergeRunIntoStatus, type ListenerStatusDocument } from '../domain/listeners/listener-status.js';

export const LISTENER_STATUS_KEY = 'reconcile/status.json';

export interface ListenerStatusStore {
  read(): Promise<ListenerStatusDocument | undefined>;
  /** `complete`: the run covered every declared listener (no `listenerId` filter). */
  record(report: RunReport, options: { complete: boolean }): Promise<void>;
}

export function createListenerStatusStore(store: ObjectStore, clock: Clock): ListenerStatusStore {
  const read = async (): Promise<ListenerStatusDocument | undefined> => {
    const body = await store.get(LISTENER_STATUS_KEY);
    if (!body) return undefined;
    try {
      const doc = JSON.parse(body.toString('utf8')) as ListenerStatusDocument;
      return doc?.v === 1 && Array.isArray(doc.listeners) ? doc : undefined;
    } catch {
      return undefined; // not ours or damaged: the next run writes a fresh one
    }
  };
  return {
    read,
    async record(report, { complete }) {
      const next = mergeRunIntoStatus(await read(), report, clock.now(), complete);
      await store.put(LISTENER_STATUS_KEY, JSON.stringify(next), { contentType: 'application/json' });
    },
  };
}

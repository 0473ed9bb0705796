/**
 * Each managed listener server certificate's state, one small JSON object per listener in the bucket
 * (`reconcile/server-certificates/<listener>.json`): read once per run for that listener, written after every step
 * of a replacement so a crash resumes where it stopped (shared/listeners/managed-certificates.ts).
 */
import type { ObjectStore } from '../../shared/domain/ports.js';
import type {
  ManagedCertificateState,
  ManagedCertificateStateStore,
} from '../../shared/domain/listeners/managed-certificate.js';
import { managedStateKey } from '../../shared/listeners/managed-certificates.js';

export function createManagedCertificateStateStore(store: ObjectStore): ManagedCertificateStateStore {
  return {
    async load(listenerId) {
      const body = await store.get(managedStateKey(listenerId));
      return body ? (JSON.parse(body.toString('utf8')) as ManagedCertificateState) : undefined;
    },
    async save(state) {
      await store.put(managedStateKey(state.listenerId), JSON.stringify(state), { contentType: 'application/json' });
    },
  };
}

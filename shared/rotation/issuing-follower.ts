/**
 * Issuance follows a CA rotation by itself (docs/rotation.md "Issuance follows the rotation"): cert-api and
 * renew-worker ask here which sub-CA issues now, and which sub-CAs a proof of possession may chain to. The answer
 * comes from `rotation/state.json`, read at most once per FOLLOW_CACHE_MS per warm instance (one OSS GET, a 404
 * when no rotation was ever made), so it costs nothing measurable; a switch is followed within that time.
 */
import type { IssuingParents } from '../certificates/following-service.js';
import type { Clock, ObjectStore } from '../domain/ports.js';
import { acceptedSubCas, issuingSubCa } from '../domain/rotation/issuing.js';
import type { CaRotation } from '../domain/rotation/ca-rotation.js';
import { loadRotation } from './state-store.js';

export const FOLLOW_CACHE_MS = 30_000;

export function createIssuingFollower(deps: {
  /** The guarded store (a failed read is a retryable 503, as for the certificates themselves). */
  store: ObjectStore;
  clock: Clock;
  /** PCA_PARENT_IDENTIFIER. */
  configured: string;
  cacheMs?: number;
}): IssuingParents {
  const cacheMs = deps.cacheMs ?? FOLLOW_CACHE_MS;
  let cached: { at: number; value: Promise<CaRotation | undefined> } | undefined;
  const rotation = () => {
    const now = deps.clock.now().getTime();
    if (!cached || now - cached.at >= cacheMs || now < cached.at) {
      const value = loadRotation(deps.store);
      const entry = { at: now, value };
      cached = entry;
      // A failed read is not kept: the next call reads again.
      value.catch(() => {
        if (cached === entry) cached = undefined;
      });
    }
    return cached.value;
  };
  return {
    configured: deps.configured,
    issuing: async () => issuingSubCa(await rotation(), deps.configured),
    accepted: async () => acceptedSubCas(await rotation(), deps.configured),
  };
}

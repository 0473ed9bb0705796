/**
 * Issuance follows a CA rotation by itself (docs/rotation.md "Issuance follows the rotation"): cert-api and
 * renew-worker ask here which sub-CA issues now, and which sub-CAs a proof of possession may chain to. The answer
 * comes from `rotation/state.json` (one OSS GET of about 1 KB; a 404 when no rotation was ever made). With no rotation
 * in progress (none, finished, rolled back) the answer is kept FOLLOW_CACHE_MS per warm instance: nothing measurable.
 * While one is in progress it is read again at each issuance, renewal or proof (one small GET beside a CAS call of
 * hundreds of ms), so the first issuance after a switch or a rollback already follows it.
 */
import type { IssuingParents } from '../certificates/following-service.js';
import type { Clock, ObjectStore } from '../domain/ports.js';
import { acceptedSubCas, issuingSubCa } from '../domain/rotation/issuing.js';
import { isActive, type CaRotation } from '../domain/rotation/ca-rotation.js';
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
  /** `keepMs` is Infinity while the read is in flight (concurrent callers share it). */
  let cached: { at: number; keepMs: number; value: Promise<CaRotation | undefined> } | undefined;
  const rotation = () => {
    const now = deps.clock.now().getTime();
    if (!cached || now < cached.at || now - cached.at >= cached.keepMs) {
      const entry = { at: now, keepMs: Infinity, value: loadRotation(deps.store) };
      cached = entry;
      entry.value.then(
        (r) => void (entry.keepMs = isActive(r) ? 0 : cacheMs),
        // A failed read is not kept: the next call reads again.
        () => void (cached === entry && (cached = undefined)),
      );
    }
    return cached.value;
  };
  return {
    configured: deps.configured,
    issuing: async () => issuingSubCa(await rotation(), deps.configured),
    accepted: async () => acceptedSubCas(await rotation(), deps.configured),
  };
}

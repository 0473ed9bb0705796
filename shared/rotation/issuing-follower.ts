/**
 * Issuance follows a CA rotation by itself (docs/rotation.md "Issuance follows the rotation"): cert-api and
 * renew-worker ask here which sub-CA issues now, and which sub-CAs a proof of possession may chain to. The answer
 * comes from `rotation/state.json`, read at each issuance, renewal or proof (calls at the same time share one read):
 * one OSS GET of about 1 KB (a 404 when no rotation was ever made) beside the OSS writes and the CAS call each of them
 * makes anyway, so nothing measurable, and the first issuance after a switch or a rollback already follows it. A
 * time cache would let an instance that read "no rotation" shortly before a quick prepare-and-switch keep issuing
 * from the old sub-CA for as long as it keeps its answer.
 */
import type { IssuingParents } from '../certificates/following-service.js';
import type { ObjectStore } from '../domain/ports.js';
import { acceptedSubCas, issuingSubCa } from '../domain/rotation/issuing.js';
import type { CaRotation } from '../domain/rotation/ca-rotation.js';
import { loadRotation } from './state-store.js';

export function createIssuingFollower(deps: {
  /** The guarded store (a failed read is a retryable 503, as for the certificates themselves). */
  store: ObjectStore;
  /** PCA_PARENT_IDENTIFIER. */
  configured: string;
}): IssuingParents {
  let inFlight: Promise<CaRotation | undefined> | undefined;
  const rotation = () => {
    if (!inFlight) {
      const read = loadRotation(deps.store);
      inFlight = read;
      const done = () => void (inFlight === read && (inFlight = undefined));
      read.then(done, done);
    }
    return inFlight;
  };
  return {
    configured: deps.configured,
    issuing: async () => issuingSubCa(await rotation(), deps.configured),
    accepted: async () => acceptedSubCas(await rotation(), deps.configured),
  };
}

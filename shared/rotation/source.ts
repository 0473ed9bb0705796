/**
 * What reconcile-listeners asks of a rotation on every run: does one decide this listener's CA, and which canary
 * proves a listener trusting the new CA. One read of `rotation/state.json` per run (cached for a few seconds).
 */
import { listenerBaseId } from '../domain/listeners/listener-id.js';
import type { CanaryProvider, RotationOverride, RotationSource } from '../domain/listeners/ports.js';
import { rotationCaFor, type CaRotation } from '../domain/rotation/ca-rotation.js';
import type { Clock, ObjectStore } from '../domain/ports.js';
import { canaryKey, loadRotation } from './state-store.js';

const CACHE_MS = 5_000;

export function createRotationSource(deps: {
  store: ObjectStore;
  clock: Clock;
  canaryFor(parentIdentifier: string, objectKey: string): CanaryProvider;
}): RotationSource {
  let cached: { at: number; value: Promise<CaRotation | undefined> } | undefined;
  const current = () => {
    const now = Date.now();
    if (!cached || now - cached.at > CACHE_MS) cached = { at: now, value: loadRotation(deps.store) };
    return cached.value;
  };
  return {
    async forListener(listenerId, declaredCa): Promise<RotationOverride | undefined> {
      const rotation = await current();
      const ca = rotationCaFor(rotation, listenerBaseId(listenerId), declaredCa);
      if (!rotation || ca === undefined) return undefined;
      return {
        rotationId: rotation.id,
        stage: rotation.stage,
        ca,
        toCa: rotation.to.caId,
        toCanary: deps.canaryFor(rotation.to.issuingCa, canaryKey(rotation.id, 'new')),
      };
    },
  };
}

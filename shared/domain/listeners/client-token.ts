/**
 * ClientToken for `UpdateListenerAttribute`: derived from the listener, the desired state and the state it
 * corrects, scoped to one run. Retries within a run (and a re-delivered trigger event, which carries the same
 * run id) reuse the token, so NLB starts no second job; a later run that finds the same drift again gets a new
 * token, because NLB would answer a reused token with the old job and leave the drift in place.
 */
import { createHash } from 'node:crypto';
import type { ListenerMtls } from './desired-state.js';
import type { ListenerPlan } from './diff.js';
import { desiredFingerprintInput } from './diff.js';

export function desiredStateHash(desired: ListenerMtls): string {
  return createHash('sha256').update(desiredFingerprintInput(desired)).digest('hex');
}

/** 64 characters at most (NLB's limit), ASCII only. */
export function listenerClientToken(desired: ListenerMtls, plan: ListenerPlan, runId: string): string {
  const input = JSON.stringify([desiredFingerprintInput(desired), plan.changes, runId]);
  return `rc-${createHash('sha256').update(input).digest('hex').slice(0, 48)}`;
}

/**
 * Changes the one thing a rotation changes on a listener: the CA it trusts. The plan holds only that field, and the
 * listener's other settings are taken as they are, so the apply step (dry run, update with a ClientToken, wait for
 * the job, read back) touches nothing else. The ClientToken is derived from the rotation, the listener and the
 * direction: after a crash the same request finds NLB's same job instead of starting a second one.
 */
import { createHash } from 'node:crypto';
import type { ListenerMtls } from '../domain/listeners/desired-state.js';
import type { ListenerPlan } from '../domain/listeners/diff.js';
import type { ListenerAttributes } from '../domain/listeners/ports.js';
import { applyPlan, type ApplyOutcome } from '../listeners/apply.js';
import { withRetries, type RetryContext } from '../listeners/retry.js';
import type { RotationDeps } from './context.js';

export function retryContext(deps: Pick<RotationDeps, 'config' | 'sleep' | 'random'>): RetryContext {
  return { policy: deps.config.retry, sleep: deps.sleep, random: deps.random };
}

export async function readListener(
  deps: Pick<RotationDeps, 'gateway' | 'config' | 'sleep' | 'random'>,
  region: string,
  listenerId: string,
): Promise<ListenerAttributes> {
  return withRetries(() => deps.gateway.getListener(region, listenerId), retryContext(deps));
}

/** The listener as it is, with `caId` as its CA: the desired state of one CA change. */
export function withCa(d: ListenerMtls, listener: ListenerAttributes, caId: string): ListenerMtls {
  return {
    ...d,
    mutualAuth: true,
    caCertificateId: caId,
    securityPolicyId: listener.securityPolicyId ?? d.securityPolicyId,
  };
}

export type CaChange = { changed: false; listener: ListenerAttributes } | { changed: true; outcome: ApplyOutcome };

/** Does the listener trust `caId` (as sent, or in the form NLB reported for it: D5)? */
export function trusts(listener: ListenerAttributes, caId: string, reported: Record<string, string> = {}): boolean {
  return (
    listener.caEnabled &&
    listener.caCertificateIds.length === 1 &&
    (listener.caCertificateIds[0] === caId || reported[caId] === listener.caCertificateIds[0])
  );
}

export async function setListenerCa(
  deps: Pick<RotationDeps, 'gateway' | 'config' | 'sleep' | 'random'>,
  d: ListenerMtls,
  caId: string,
  /** `attempt`: which switch or rollback of the rotation this is (NLB answers a reused ClientToken with the old job). */
  token: { rotationId: string; direction: 'switch' | 'rollback'; attempt: number },
  reported: Record<string, string> = {},
): Promise<CaChange> {
  const listener = await readListener(deps, d.region, d.listenerId);
  if (trusts(listener, caId, reported)) return { changed: false, listener };
  const desired = withCa(d, listener, caId);
  const plan: ListenerPlan = {
    listenerId: d.listenerId,
    changes: [{ field: 'caCertificateId', from: listener.caCertificateIds.join(',') || null, to: caId }],
    update: { caEnabled: true, caCertificateIds: [caId] },
    disablesMutualAuth: false,
    caReplacement: { from: listener.caCertificateIds[0] ?? '', to: caId },
  };
  const clientToken = `rot-${createHash('sha256')
    .update(`${token.rotationId}|${d.listenerId}|${token.direction}|${caId}|${token.attempt}`)
    .digest('hex')
    .slice(0, 48)}`;
  const outcome = await applyPlan(
    { gateway: deps.gateway, retry: retryContext(deps), poll: deps.config.poll, sleep: deps.sleep },
    desired,
    plan,
    clientToken,
    { serverCertificateId: listener.certificateIds[0] ?? '', reported },
  );
  return { changed: true, outcome };
}

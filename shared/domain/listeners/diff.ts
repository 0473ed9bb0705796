/**
 * The plan as data: which listener fields differ from the desired state (field, from, to), and the one
 * `UpdateListenerAttribute` request that would close the gap. An empty plan means zero mutating calls.
 */
import type { ListenerMtls } from './desired-state.js';
import type { ListenerAttributes, ListenerUpdate } from './ports.js';

export type PlanField = 'caEnabled' | 'caCertificateId' | 'serverCertificateId' | 'securityPolicyId';
export type FieldValue = string | boolean | null;

export interface FieldChange {
  field: PlanField;
  from: FieldValue;
  to: FieldValue;
}

/** The ids the desired state means on this listener, as NLB takes and reports them. */
export interface ExpectedIds {
  /** CAS's CertIdentifier of the declared server certificate: what CertificateIds is sent. */
  serverCertificateId: string;
  /** What NLB reported for ids we sent before (AppliedRecord.reportedIds). */
  reported?: Record<string, string>;
}

/** Does an id the listener reports stand for `sent`: the same id, or what NLB reported for it after we sent it. */
export function reportedAs(sent: string, actual: string, reported: Record<string, string> | undefined): boolean {
  return actual === sent || reported?.[sent] === actual;
}

export interface ListenerPlan {
  listenerId: string;
  changes: FieldChange[];
  /** The request that applies `changes`; empty when in sync. */
  update: ListenerUpdate;
  /** True only when the desired state explicitly says `mutualAuth: off` and the listener has it on. */
  disablesMutualAuth: boolean;
  /** Set when the trusted CA would be replaced (the lock-out check applies). */
  caReplacement?: { from: string; to: string };
}

const single = (ids: string[]): string | null => (ids.length === 0 ? null : ids.join(','));

export function diffListener(desired: ListenerMtls, actual: ListenerAttributes, expected: ExpectedIds): ListenerPlan {
  const changes: FieldChange[] = [];
  const update: ListenerUpdate = {};
  let caReplacement: ListenerPlan['caReplacement'];

  if (desired.mutualAuth) {
    const ca = desired.caCertificateId!;
    const caMatches =
      actual.caCertificateIds.length === 1 && reportedAs(ca, actual.caCertificateIds[0], expected.reported);
    if (!actual.caEnabled) {
      changes.push({ field: 'caEnabled', from: false, to: true });
      update.caEnabled = true;
      // NLB needs the CA in the same request that turns verification on.
      update.caCertificateIds = [ca];
    }
    if (!caMatches) {
      changes.push({ field: 'caCertificateId', from: single(actual.caCertificateIds), to: ca });
      update.caCertificateIds = [ca];
      if (actual.caCertificateIds.length > 0) caReplacement = { from: actual.caCertificateIds[0], to: ca };
    }
  } else if (actual.caEnabled) {
    // Only reachable from an explicit `mutualAuth: off`: the schema has no default for it.
    changes.push({ field: 'caEnabled', from: true, to: false });
    update.caEnabled = false;
  }

  const serverCertificateId = expected.serverCertificateId;
  const serverCertMatches =
    actual.certificateIds.length >= 1 && reportedAs(serverCertificateId, actual.certificateIds[0], expected.reported);
  if (!serverCertMatches) {
    changes.push({ field: 'serverCertificateId', from: single(actual.certificateIds), to: serverCertificateId });
    update.certificateIds = [serverCertificateId];
  }

  if (actual.securityPolicyId !== desired.securityPolicyId) {
    changes.push({ field: 'securityPolicyId', from: actual.securityPolicyId ?? null, to: desired.securityPolicyId });
    update.securityPolicyId = desired.securityPolicyId;
  }

  return {
    listenerId: desired.listenerId,
    changes,
    update: changes.length ? update : {},
    disablesMutualAuth: update.caEnabled === false,
    ...(caReplacement ? { caReplacement } : {}),
  };
}

/** The fields of the desired state the listener must match, in a stable order: hashed for ClientTokens and applied records. */
export function desiredFingerprintInput(desired: ListenerMtls): string {
  return JSON.stringify([
    desired.listenerId,
    desired.region,
    desired.mutualAuth,
    desired.caCertificateId ?? null,
    desired.serverCertId,
    desired.securityPolicyId,
  ]);
}

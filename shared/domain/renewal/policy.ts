/**
 * Is this certificate due for renewal, and why? Pure: the caller gathers the inputs (record, clock, whether the
 * bundle is still in the bucket, a pending renewal found by the sweep, an explicit request) and acts on the answer,
 * as cert-manager's certificate policies do.
 */
import type { ClientCertificate } from '../client-certificate.js';
import { renewalTime } from './schedule.js';

/** Why a certificate is renewed now. */
export type RenewalReason =
  | 'Expired' // notAfter has passed: renew anyway, a dead certificate helps nobody
  | 'NearingExpiry' // past the renewal time (2/3 of the lifetime, or renewBeforeDays)
  | 'BundleMissing' // the current generation's files are gone from the bucket
  | 'PendingRenewal' // a renewal was started (sweep, API or a crashed worker) and must be finished
  | 'Requested'; // a `renew.requested` event with `force: true`

/** Why it is not. */
export type SkipReason =
  | 'Revoked'
  | 'AutoRenewDisabled'
  | 'NotDue'
  | 'BackingOff' // the last attempt failed and the next one is not due yet
  | 'StaleRequest' // the request named a generation that was already replaced
  | 'CaExpiring' // the current generation was already cut short at the CA's end: renewing again cannot reach further
  | 'RevocationInProgress' // a revocation is recorded (REVOKING): the sweep finishes it instead
  | 'NewCsrRequired'; // CSR mode, due, but the policy forbids certifying the same key again

export type RenewalDecision =
  | { due: true; reason: RenewalReason }
  | { due: false; reason: SkipReason; recheckAt?: Date; dueReason?: RenewalReason };

export interface RenewalInputs {
  now: Date;
  /** From a `renew.requested` event. `generation` pins the request to one generation, so a redelivered event is a no-op. */
  request?: { force: boolean; generation?: number };
  /** Only gathered when it can change the answer (not due by time); undefined = not checked. */
  bundlePresent?: boolean;
  /** Generation of a `pending/` renewal object found by the sweep. */
  pendingGeneration?: number;
}

export interface RenewalPolicyOptions {
  /** CSR mode: may the same public key be certified again (step-ca's renew)? `RENEW_CSR_KEY_REUSE`. */
  csrKeyReuse: boolean;
}

/** The stored renewal time, or the rule's when an older record lacks it. */
export function renewAtOf(record: ClientCertificate): Date {
  if (record.renewal?.renewAt) return new Date(record.renewal.renewAt);
  return renewalTime(new Date(record.current.notBefore), new Date(record.current.notAfter), record.renewBeforeDays);
}

export function isRenewalFailing(record: ClientCertificate): boolean {
  return (record.renewal?.failedAttempts ?? 0) > 0;
}

function dueReasonOf(record: ClientCertificate, inputs: RenewalInputs): RenewalReason | undefined {
  const now = inputs.now.getTime();
  if (now >= new Date(record.current.notAfter).getTime()) return 'Expired';
  if (now >= renewAtOf(record).getTime()) return 'NearingExpiry';
  if (inputs.bundlePresent === false) return 'BundleMissing';
  if (inputs.pendingGeneration === record.current.generation + 1) return 'PendingRenewal';
  if (inputs.request?.force) return 'Requested';
  return undefined;
}

export function evaluateRenewal(
  record: ClientCertificate,
  inputs: RenewalInputs,
  options: RenewalPolicyOptions,
): RenewalDecision {
  if (record.status === 'REVOKING') return { due: false, reason: 'RevocationInProgress' };
  if (record.status === 'REVOKED' || record.revokedAt) return { due: false, reason: 'Revoked' };
  if (inputs.request?.generation !== undefined && inputs.request.generation !== record.current.generation) {
    return { due: false, reason: 'StaleRequest' };
  }
  const dueReason = dueReasonOf(record, inputs);
  // Renewed once up to the CA's notAfter: another renewal would end at the same moment (a storm of certificates).
  // Only a forced request (e.g. after the sub-CA was replaced) or a renewal already in flight goes ahead.
  if (record.current.cappedByCa && dueReason !== 'PendingRenewal' && !inputs.request?.force)
    return { due: false, reason: 'CaExpiring' };
  // A pending renewal was asked for explicitly (API or earlier sweep): finish it even when auto-renewal is off.
  if (!record.autoRenew && dueReason !== 'PendingRenewal') return { due: false, reason: 'AutoRenewDisabled' };
  if (!dueReason) return { due: false, reason: 'NotDue', recheckAt: renewAtOf(record) };

  const nextAttemptAt = record.renewal?.nextAttemptAt ? new Date(record.renewal.nextAttemptAt) : undefined;
  // An explicit forced request overrides the backoff; everything else waits for it.
  if (nextAttemptAt && nextAttemptAt.getTime() > inputs.now.getTime() && !inputs.request?.force) {
    return { due: false, reason: 'BackingOff', recheckAt: nextAttemptAt, dueReason };
  }
  // Finishing a pending renewal re-uses the key sealed in it, so key reuse is not in question there.
  if (record.mode === 'csr' && !options.csrKeyReuse && dueReason !== 'PendingRenewal') {
    return { due: false, reason: 'NewCsrRequired', dueReason };
  }
  return { due: true, reason: dueReason };
}

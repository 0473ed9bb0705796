/**
 * The renewal index holds, per certificate, the next moment a sweep must look at it: its renewal time, the next
 * attempt after a failure, or (when nobody will renew it) the next expiry-notice threshold. One key per certificate,
 * so a sweep lists only what needs attention now.
 */
import type { ClientCertificate } from '../client-certificate.js';
import { nextExpiringNoticeAt, DEFAULT_EXPIRING_THRESHOLDS_DAYS } from './expiring.js';
import { isRenewalFailing, renewAtOf } from './policy.js';
import { renewalIndexKey } from './schedule.js';

export function nextReviewAt(
  record: ClientCertificate,
  now: Date,
  thresholdsDays: readonly number[] = DEFAULT_EXPIRING_THRESHOLDS_DAYS,
): Date | undefined {
  // A recorded revocation is finished by the sweep at once.
  if (record.status === 'REVOKING') return new Date(record.revocationRequestedAt ?? now);
  if (record.status === 'REVOKED' || record.revokedAt) return undefined;
  const notice = nextExpiringNoticeAt(record, now, thresholdsDays);
  // Nobody renews it (auto-renew off, or already renewed up to the CA's end): only the expiry notices are left.
  if (!record.autoRenew || record.current.cappedByCa) return notice;
  if (isRenewalFailing(record)) {
    const retry = record.renewal.nextAttemptAt ? new Date(record.renewal.nextAttemptAt) : now;
    return notice && notice < retry ? notice : retry;
  }
  return renewAtOf(record);
}

/** The index key this record should have now, or undefined when it needs no more reviews (revoked, nothing left to say). */
export function renewalIndexKeyFor(
  record: ClientCertificate,
  now: Date,
  thresholdsDays: readonly number[] = DEFAULT_EXPIRING_THRESHOLDS_DAYS,
): string | undefined {
  const at = nextReviewAt(record, now, thresholdsDays);
  return at ? renewalIndexKey(at, record.id) : undefined;
}

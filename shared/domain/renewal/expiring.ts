/**
 * `certificate.expiring` notices: sent 30, 7 and 1 days before notAfter when nobody is going to renew the certificate
 * (auto-renewal off, or renewal failing), each threshold at most once. When a sweep finds several thresholds crossed
 * at once (the 30-day one was missed) it sends only the most urgent and marks the others as done.
 */
import type { ClientCertificate } from '../client-certificate.js';
import { isRenewalFailing } from './policy.js';

const DAY_MS = 86_400_000;
export const DEFAULT_EXPIRING_THRESHOLDS_DAYS = [30, 7, 1] as const;

export interface ExpiringNotice {
  thresholdDays: number;
  /** Whole days left, rounded down (0 on the last day). */
  daysLeft: number;
  /** `renewal.expiringNotified` after this notice. */
  notified: number[];
}

/** Would nobody renew this certificate before it expires? */
export function needsExpiryWatch(record: ClientCertificate): boolean {
  if (record.status === 'REVOKED' || record.status === 'REVOKING' || record.revokedAt) return false;
  return !record.autoRenew || isRenewalFailing(record) || record.current.cappedByCa === true;
}

export function expiringNoticeDue(
  record: ClientCertificate,
  now: Date,
  thresholdsDays: readonly number[] = DEFAULT_EXPIRING_THRESHOLDS_DAYS,
): ExpiringNotice | undefined {
  if (!needsExpiryWatch(record)) return undefined;
  const left = new Date(record.current.notAfter).getTime() - now.getTime();
  if (left <= 0) return undefined; // expired: "expiring" would be wrong, and the renewal_failed events already said so
  return thresholdNoticeDue(left, record.renewal?.expiringNotified ?? [], thresholdsDays);
}

/**
 * The threshold rule shared by client and server certificate notices: with `leftMs` to go, the most urgent threshold
 * crossed and not yet `notified`, and every crossed one marked done (a missed 30-day notice is not sent after the 7).
 */
export function thresholdNoticeDue(
  leftMs: number,
  notified: readonly number[],
  thresholdsDays: readonly number[],
): ExpiringNotice | undefined {
  const crossed = thresholdsDays.filter((t) => leftMs <= t * DAY_MS);
  const fresh = crossed.filter((t) => !notified.includes(t));
  if (fresh.length === 0) return undefined;
  return {
    thresholdDays: Math.min(...fresh),
    daysLeft: Math.floor(leftMs / DAY_MS),
    notified: [...new Set([...notified, ...crossed])].sort((a, b) => b - a),
  };
}

/** When the next not-yet-sent threshold is crossed, if any is left. */
export function nextExpiringNoticeAt(
  record: ClientCertificate,
  now: Date,
  thresholdsDays: readonly number[] = DEFAULT_EXPIRING_THRESHOLDS_DAYS,
): Date | undefined {
  const notAfter = new Date(record.current.notAfter).getTime();
  const notified = record.renewal?.expiringNotified ?? [];
  const times = thresholdsDays
    .filter((t) => !notified.includes(t))
    .map((t) => Math.max(notAfter - t * DAY_MS, now.getTime()))
    .filter((t) => t < notAfter);
  return times.length > 0 ? new Date(Math.min(...times)) : undefined;
}

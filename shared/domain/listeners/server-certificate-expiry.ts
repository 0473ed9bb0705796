/**
 * Expiry notices for server certificates the reconciler does not manage (a declared `certId`): 30, 7 and 1 days
 * before notAfter, each threshold once per certificate. When several thresholds are crossed at once (the reconciler
 * was not running), only the most urgent is sent and the others are marked done, as for client certificates.
 */
import { thresholdNoticeDue } from '../renewal/expiring.js';

export const DEFAULT_SERVER_CERTIFICATE_NOTICE_DAYS = [30, 7, 1] as const;

export interface ServerCertificateNotice {
  thresholdDays: number;
  /** Whole days left, rounded down. */
  daysLeft: number;
  /** The thresholds done after this notice. */
  notified: number[];
}

/** reconcile/server-certificate-notices.json: per CertId, the notAfter it was notified for and the thresholds sent. */
export interface ServerCertificateNoticeState {
  v: 1;
  certificates: Record<string, { notAfter: string; notified: number[] }>;
}

export function serverCertificateNoticeDue(
  notAfter: Date,
  seen: { notAfter: string; notified: number[] } | undefined,
  now: Date,
  thresholdsDays: readonly number[] = DEFAULT_SERVER_CERTIFICATE_NOTICE_DAYS,
): ServerCertificateNotice | undefined {
  const left = notAfter.getTime() - now.getTime();
  if (left <= 0) return undefined; // expired: the listener is blocked by server-certificate-valid, which says so
  // A certificate replaced under the same CertId (a new notAfter) starts over.
  const notified = seen && Date.parse(seen.notAfter) === notAfter.getTime() ? seen.notified : [];
  return thresholdNoticeDue(left, notified, thresholdsDays);
}

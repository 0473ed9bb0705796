/**
 * After a run: the externally managed server certificates of the declared listeners that cross 30, 7 or 1 days
 * before expiry get one notice per threshold: a `server-certificate.expiring` event in the logs (for log alerts)
 * and, when an operator webhook is configured, a signed webhook. What was sent lives in the bucket
 * (`reconcile/server-certificate-notices.json`: one read per run, one write when something was sent), so each
 * threshold is announced once even across instances and restarts. Managed certificates are replaced instead.
 */
import type { Clock, ObjectStore } from '../domain/ports.js';
import type { ServerCertificateFacts } from '../domain/listeners/ports.js';
import {
  serverCertificateNoticeDue,
  type ServerCertificateNoticeState,
} from '../domain/listeners/server-certificate-expiry.js';
import { errorFields, type Logger } from '../log/index.js';
import type { ServerCertificateExpiringData } from '../notify/events.js';

export const NOTICE_STATE_KEY = 'reconcile/server-certificate-notices.json';

export interface ServerCertificateNotifier {
  /** Sends the webhook when one is configured; never throws. */
  notify(data: ServerCertificateExpiringData): Promise<{ delivered: boolean; configured: boolean }>;
}

export interface ExpiryNoticeDeps {
  store: ObjectStore;
  notifier: ServerCertificateNotifier;
  clock: Clock;
  log: Logger;
  thresholdsDays: readonly number[];
}

export async function noticeExpiringServerCertificates(
  deps: ExpiryNoticeDeps,
  served: Array<{ listenerId: string; facts: ServerCertificateFacts }>,
): Promise<ServerCertificateExpiringData[]> {
  if (served.length === 0) return [];
  const now = deps.clock.now();
  const byCert = new Map<string, { facts: ServerCertificateFacts; listenerIds: string[] }>();
  for (const { listenerId, facts } of served) {
    const entry = byCert.get(facts.certId) ?? { facts, listenerIds: [] };
    entry.listenerIds.push(listenerId);
    byCert.set(facts.certId, entry);
  }
  let state: ServerCertificateNoticeState;
  try {
    const body = await deps.store.get(NOTICE_STATE_KEY);
    state = body ? (JSON.parse(body.toString('utf8')) as ServerCertificateNoticeState) : { v: 1, certificates: {} };
  } catch (err) {
    // Without the record a notice could go twice: wait for the next run instead.
    deps.log.warn('server certificate notice record unreadable: no expiry notices this run', errorFields(err));
    return [];
  }
  const sent: ServerCertificateExpiringData[] = [];
  const next: ServerCertificateNoticeState = { v: 1, certificates: { ...state.certificates } };
  for (const [certId, { facts, listenerIds }] of byCert) {
    const notice = serverCertificateNoticeDue(facts.notAfter, state.certificates[certId], now, deps.thresholdsDays);
    if (!notice) continue;
    const data: ServerCertificateExpiringData = {
      certId,
      certIdentifier: facts.certIdentifier,
      commonName: facts.commonName,
      notAfter: facts.notAfter.toISOString(),
      daysLeft: notice.daysLeft,
      thresholdDays: notice.thresholdDays,
      listenerIds,
    };
    const delivery = await deps.notifier.notify(data);
    deps.log.warn(`server certificate ${certId} expires in ${notice.daysLeft} days`, {
      event: 'server-certificate.expiring',
      certificateId: certId,
      commonName: facts.commonName,
      notAfter: data.notAfter,
      due: notice.thresholdDays,
      listenerId: listenerIds.join(','),
      ...(delivery.configured ? { delivered: delivery.delivered } : {}),
    });
    next.certificates[certId] = { notAfter: data.notAfter, notified: notice.notified };
    sent.push(data);
  }
  if (sent.length) {
    try {
      await deps.store.put(NOTICE_STATE_KEY, JSON.stringify(next), { contentType: 'application/json' });
    } catch (err) {
      deps.log.warn('server certificate notice record not saved: a notice may be repeated', errorFields(err));
    }
  }
  return sent;
}

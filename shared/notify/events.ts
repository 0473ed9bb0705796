/**
 * The JSON events an owner's webhook receives, shaped as CloudEvents 1.0 (structured mode) so generic tooling can
 * route them. Event ids are derived from what happened (certificate, generation, threshold), so a redelivery after a
 * retried invocation carries the same id and a receiver can drop duplicates.
 */
import { createHash } from 'node:crypto';
import type { ClientCertificate } from '../domain/client-certificate.js';

export type WebhookEventType =
  | 'certificate.renewed'
  | 'certificate.renewal_failed'
  | 'certificate.expiring'
  | 'certificate.successor_issued'
  | 'server-certificate.expiring';

export interface WebhookEvent<T = unknown> {
  specversion: '1.0';
  id: string;
  source: 'nlb-mtls-autopilot';
  type: WebhookEventType;
  subject: string;
  time: string;
  datacontenttype: 'application/json';
  data: T;
}

export interface CertificateSummary {
  id: string;
  tenant: string;
  commonName: string;
  mode: ClientCertificate['mode'];
  generation: number;
  serialNumber: string;
  notBefore: string;
  notAfter: string;
  autoRenew: boolean;
}

export interface DownloadLink {
  url: string;
  expiresAt: string;
}

export interface RenewedData {
  certificate: CertificateSummary;
  reason: string;
  previous: { generation: number; serialNumber: string; notAfter: string };
  /** Fresh signed links to the new generation's files (p12, pem zip, or the certificate in CSR mode). */
  downloads: Record<string, DownloadLink>;
  /** Server-key mode only: the new .p12 password. The webhook is the only place it is sent for a scheduled renewal. */
  p12Password?: string;
}

export interface RenewalFailedData {
  certificate: CertificateSummary;
  error: { code: string; message: string };
  failedAttempts: number;
  nextAttemptAt?: string;
  /** What the owner should do, when it is on them (CSR mode without key reuse: send a new CSR). */
  ownerAction?: 'submit-new-csr';
}

export interface ExpiringData {
  certificate: CertificateSummary;
  daysLeft: number;
  thresholdDays: number;
  why: 'auto-renew-disabled' | 'renewal-failing' | 'ca-expiring';
  lastFailure?: { code: string; message: string; at: string };
}

export function summarize(record: ClientCertificate): CertificateSummary {
  return {
    id: record.id,
    tenant: record.tenant,
    commonName: record.commonName,
    mode: record.mode,
    generation: record.current.generation,
    serialNumber: record.current.serialNumber,
    notBefore: record.current.notBefore,
    notAfter: record.current.notAfter,
    autoRenew: record.autoRenew,
  };
}

function eventId(type: WebhookEventType, certificateId: string, discriminator: string): string {
  return `evt_${createHash('sha256').update(`${type}|${certificateId}|${discriminator}`).digest('hex').slice(0, 32)}`;
}

function envelope<T>(
  type: WebhookEventType,
  certificateId: string,
  discriminator: string,
  time: Date,
  data: T,
): WebhookEvent<T> {
  return {
    specversion: '1.0',
    id: eventId(type, certificateId, discriminator),
    source: 'nlb-mtls-autopilot',
    type,
    subject: certificateId,
    time: time.toISOString(),
    datacontenttype: 'application/json',
    data,
  };
}

export function renewedEvent(data: RenewedData, time: Date): WebhookEvent<RenewedData> {
  return envelope('certificate.renewed', data.certificate.id, `g${data.certificate.generation}`, time, data);
}

export function renewalFailedEvent(data: RenewalFailedData, time: Date): WebhookEvent<RenewalFailedData> {
  return envelope(
    'certificate.renewal_failed',
    data.certificate.id,
    `g${data.certificate.generation}|${data.failedAttempts}|${data.error.code}`,
    time,
    data,
  );
}

export function expiringEvent(data: ExpiringData, time: Date): WebhookEvent<ExpiringData> {
  return envelope(
    'certificate.expiring',
    data.certificate.id,
    `g${data.certificate.generation}|${data.thresholdDays}`,
    time,
    data,
  );
}

/** A listener's externally managed server certificate nears its end (issue 15): sent to the operator's webhook. */
export interface ServerCertificateExpiringData {
  certId: string;
  certIdentifier: string;
  commonName: string;
  notAfter: string;
  daysLeft: number;
  thresholdDays: number;
  /** The declared listeners that serve it. */
  listenerIds: string[];
}

export function serverCertificateExpiringEvent(
  data: ServerCertificateExpiringData,
  time: Date,
): WebhookEvent<ServerCertificateExpiringData> {
  return envelope('server-certificate.expiring', data.certId, `${data.notAfter}|${data.thresholdDays}`, time, data);
}

/** A client certificate got a successor under a new CA (a CA rotation, docs/rotation.md). */
export interface SuccessorIssuedData {
  /** The certificate in use today, under the CA the listener trusts now. */
  certificate: CertificateSummary;
  successor: CertificateSummary & { issuingCa: string };
  rotation: { id: string; fromCa: string; toCa: string };
  /** Fresh signed links to the successor's files. */
  downloads: Record<string, DownloadLink>;
  /** CSR mode: the successor's certificate and chain (public; the key stays with the owner). */
  certificatePem?: string;
  chainPem?: string;
  /** Server-key mode: the successor's .p12 password (sent here, and once through the successor API). */
  p12Password?: string;
  /** What the owner should do: keep both until the switch, then use the successor. */
  instructions: string;
}

export function successorIssuedEvent(data: SuccessorIssuedData, time: Date): WebhookEvent<SuccessorIssuedData> {
  return envelope(
    'certificate.successor_issued',
    data.certificate.id,
    `${data.rotation.id}|${data.successor.id}`,
    time,
    data,
  );
}

/**
 * What callers see of a record: everything useful, nothing that could rebuild a key (the record holds none)
 * and no internal object keys. `EXPIRED` is derived from the clock, never stored.
 */
import type {
  ClientCertificate,
  IssuanceMode,
  KeyAlgorithm,
  P12Profile,
  SubjectAltNames,
} from '../domain/client-certificate.js';

export interface Download {
  url: string;
  expiresAt: string;
}

/** server-key mode: the .p12 and the PEM zip; csr mode: the certificate zip only. */
export type Downloads = { p12: Download; pem: Download } | { certificate: Download };

export interface ClientCertificateView {
  id: string;
  tenant: string;
  commonName: string;
  sans: SubjectAltNames;
  mode: IssuanceMode;
  keyAlgorithm: KeyAlgorithm;
  p12Profile?: P12Profile;
  /** `REVOKING`: the revocation is recorded and being confirmed with the CA (a retried revoke or the sweep ends it). */
  status: 'ACTIVE' | 'REVOKING' | 'REVOKED' | 'EXPIRED';
  generation: number;
  serialNumber: string;
  notBefore: string;
  notAfter: string;
  fingerprintSha256: string;
  validityDays: number;
  autoRenew: boolean;
  renewBeforeDays?: number;
  renewal: {
    renewAt: string;
    lastRenewedAt?: string;
    failedAttempts: number;
    nextAttemptAt?: string;
    lastFailure?: { code: string; message: string; at: string };
  };
  notify?: { webhookUrl: string };
  labels: Record<string, string>;
  revokedAt?: string;
  revocationReason?: string;
  createdAt: string;
  updatedAt: string;
}

/** The 201 answer of an issue: `p12Password` only when the service generated it, and only here. */
export interface IssueResult extends ClientCertificateView {
  downloads: Downloads;
  p12Password?: string;
}

/** A renewal's answer: the new generation (with a new password in server-key mode unless the caller gave one). */
export interface RenewResult extends IssueResult {
  previous?: { generation: number; serialNumber: string; revoked: boolean };
}

export function viewStatus(record: ClientCertificate, now: Date): ClientCertificateView['status'] {
  if (record.status === 'REVOKED' || record.status === 'REVOKING') return record.status;
  if (record.status === 'EXPIRED' || Date.parse(record.current.notAfter) <= now.getTime()) return 'EXPIRED';
  return 'ACTIVE';
}

export function toView(record: ClientCertificate, now: Date): ClientCertificateView {
  const r = record.renewal;
  return {
    id: record.id,
    tenant: record.tenant,
    commonName: record.commonName,
    sans: record.sans,
    mode: record.mode,
    keyAlgorithm: record.keyAlgorithm,
    ...(record.mode === 'server-key' ? { p12Profile: record.p12Profile } : {}),
    status: viewStatus(record, now),
    generation: record.current.generation,
    serialNumber: record.current.serialNumber,
    notBefore: record.current.notBefore,
    notAfter: record.current.notAfter,
    fingerprintSha256: record.current.fingerprintSha256,
    validityDays: record.validityDays,
    autoRenew: record.autoRenew,
    ...(record.renewBeforeDays !== undefined ? { renewBeforeDays: record.renewBeforeDays } : {}),
    renewal: {
      renewAt: r.renewAt,
      ...(r.lastRenewedAt ? { lastRenewedAt: r.lastRenewedAt } : {}),
      failedAttempts: r.failedAttempts,
      ...(r.nextAttemptAt ? { nextAttemptAt: r.nextAttemptAt } : {}),
      ...(r.lastFailure ? { lastFailure: r.lastFailure } : {}),
    },
    ...(record.notify ? { notify: record.notify } : {}),
    labels: record.labels,
    ...(record.revokedAt ? { revokedAt: record.revokedAt } : {}),
    ...(record.revocationReason && record.status !== 'ACTIVE' ? { revocationReason: record.revocationReason } : {}),
    createdAt: record.createdAt,
    updatedAt: record.updatedAt,
  };
}

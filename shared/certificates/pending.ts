/**
 * An issuance or renewal in flight: `pending/<id>/g<generation>.json`, written create-only BEFORE the CA is
 * called. It pins everything the CA call depends on (CSR, validity, ClientToken) and holds the private key
 * and .p12 password sealed, so any retry (the caller's, or the renewal sweep's) finishes with the same key
 * and token and the CA answers with the same certificate instead of a second one. Deleted when done.
 */
import { createHash } from 'node:crypto';
import type { CertificateProfile } from '../domain/client-certificate.js';
import type { Sealed } from './sealing.js';

export interface PendingSecrets {
  privateKeyPem: string;
  p12Password: string;
  /** True when the service made the password: only then is it shown to the caller. */
  passwordGenerated: boolean;
}

/** Settings of a new record (first issuance only). */
export interface PendingRecordSettings {
  autoRenew: boolean;
  renewBeforeDays?: number;
  notify?: { webhookUrl: string };
  labels: Record<string, string>;
}

export interface PendingIssuance extends CertificateProfile {
  v: 1;
  kind: 'issue' | 'renew';
  id: string;
  generation: number;
  tenant: string;
  /** `token:<name>` or `system:<name>` */
  actor: string;
  trigger: 'api' | 'schedule' | 'event';
  createdAt: string;
  clientToken: string;
  notBefore: string;
  notAfter: string;
  /** The CSR sent to the CA: ours (server-key mode) or the caller's. */
  csrPem: string;
  /** server-key mode: sealed `PendingSecrets`, additional data = this object's key. */
  secrets?: Sealed;
  /** issue only */
  settings?: PendingRecordSettings;
  /** issue with an Idempotency-Key: where the finished answer is stored. */
  idempotency?: { objectKey: string; requestHash: string };
  /** renew only */
  revokePrevious?: boolean;
  /** renew only: renewal-index keys of the previous generation, deleted once the new one is indexed. */
  previousIndexKeys?: string[];
}

/** Same certificate id and generation, same token: the CA then answers a retried create with the same certificate. */
export function clientTokenFor(id: string, generation: number): string {
  return createHash('sha256').update(`nma:${id}:g${generation}`).digest('hex').slice(0, 40);
}

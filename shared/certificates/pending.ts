/**
 * An issuance or renewal in flight: `pending/<id>/g<generation>.json`, written create-only BEFORE the CA is
 * called. It pins what the CA call depends on (CSR, validity, the cap at the CA's end) and holds the private key
 * and .p12 password sealed, so any retry (the caller's, or the renewal sweep's) finishes with the same key.
 *
 * CAS has no idempotency token on CreateClientCertificateWithCsr: every call issues a new certificate. So each call
 * is claimed first as an attempt (`attempts/<id>/g<generation>/<n>.json`, create-only) and sends a CustomIdentifier
 * naming id, generation and attempt; before any further call, what earlier attempts may have issued is looked up and
 * adopted (./attempts.ts). The CustomIdentifier is never repeated, so the design holds whatever CAS does with a
 * repeated one (undocumented). Deleted when done; set aside (`set-aside/...`) when it cannot succeed.
 */
import type { CertificateProfile } from '../domain/client-certificate.js';
import { CERTIFICATE_ID_PATTERN } from './ids.js';
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
  v: 2;
  kind: 'issue' | 'renew';
  id: string;
  generation: number;
  tenant: string;
  /** `token:<name>` or `system:<name>` */
  actor: string;
  trigger: 'api' | 'schedule' | 'event';
  createdAt: string;
  /** The issuing CA's notAfter when it ends before `validityDays` would: no certificate may outlive it. */
  notAfterCap?: string;
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

/** What a pending object became when it could not succeed (`set-aside/<id>/g<generation>.json`): no secrets kept. */
export interface SetAsidePending extends Omit<PendingIssuance, 'secrets'> {
  setAsideAt: string;
  reason: { code: string; message: string };
  /** CAS identifiers issued for it and revoked (or to be revoked by the inventory scan). */
  revoked: string[];
}

/**
 * `<id>-g<generation>-a<attempt>`: names what a certificate was issued for, so the inventory scan and a recovery can
 * tell it apart. Only lower-case letters, digits and dashes (the model's example is hex; ASSUMED accepted).
 */
export function customIdentifierFor(id: string, generation: number, attempt: number): string {
  return `${id}-g${generation}-a${attempt}`;
}

const CUSTOM_IDENTIFIER = new RegExp(`^(${CERTIFICATE_ID_PATTERN.source.slice(1, -1)})-g(\\d{1,6})-a(\\d{1,4})$`);

export function parseCustomIdentifier(
  value: string | undefined,
): { id: string; generation: number; attempt: number } | undefined {
  const m = value?.match(CUSTOM_IDENTIFIER);
  return m ? { id: m[1], generation: Number(m[2]), attempt: Number(m[3]) } : undefined;
}

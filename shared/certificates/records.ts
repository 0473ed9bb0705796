/**
 * Records in the bucket (`records/<id>.json`) and the pure steps that build them from a finished pending
 * issuance. Building is idempotent: applying the same generation twice yields the same record.
 */
import type { BundleObjects, ClientCertificate, IssuedGeneration } from '../domain/client-certificate.js';
import type { IssuedCertificate, ObjectStore } from '../domain/ports.js';
import { renewalTime } from '../domain/renewal/schedule.js';
import type { CertificateInfo } from '../pki/index.js';
import { recordKey } from './ids.js';
import type { PendingIssuance } from './pending.js';
import { getJson, putJson } from './storage.js';

/** Earlier generations kept in `previous` (newest first). */
export const PREVIOUS_GENERATIONS_KEPT = 10;

export function readRecord(store: ObjectStore, id: string): Promise<ClientCertificate | undefined> {
  return getJson<ClientCertificate>(store, recordKey(id));
}

export function writeRecord(store: ObjectStore, record: ClientCertificate): Promise<void> {
  return putJson(store, recordKey(record.id), record);
}

export function issuedGeneration(
  pending: PendingIssuance,
  issued: IssuedCertificate,
  info: CertificateInfo,
  bundle: BundleObjects,
  now: Date,
  cappedByCa = false,
): IssuedGeneration {
  return {
    ...(cappedByCa ? { cappedByCa: true } : {}),
    generation: pending.generation,
    casIdentifier: issued.identifier,
    serialNumber: info.serialNumber,
    notBefore: info.notBefore.toISOString(),
    notAfter: info.notAfter.toISOString(),
    fingerprintSha256: info.fingerprintSha256,
    issuedAt: now.toISOString(),
    bundle,
  };
}

function freshRenewalState(
  generation: IssuedGeneration,
  renewBeforeDays: number | undefined,
  renewedAt?: string,
): ClientCertificate['renewal'] {
  return {
    renewAt: renewalTime(new Date(generation.notBefore), new Date(generation.notAfter), renewBeforeDays).toISOString(),
    ...(renewedAt ? { lastRenewedAt: renewedAt } : {}),
    failedAttempts: 0,
    expiringNotified: [],
  };
}

export function firstRecord(pending: PendingIssuance, generation: IssuedGeneration, now: Date): ClientCertificate {
  const settings = pending.settings ?? { autoRenew: true, labels: {} };
  return {
    id: pending.id,
    tenant: pending.tenant,
    commonName: pending.commonName,
    sans: pending.sans,
    mode: pending.mode,
    keyAlgorithm: pending.keyAlgorithm,
    p12Profile: pending.p12Profile,
    validityDays: pending.validityDays,
    autoRenew: settings.autoRenew,
    ...(settings.renewBeforeDays !== undefined ? { renewBeforeDays: settings.renewBeforeDays } : {}),
    ...(settings.notify ? { notify: settings.notify } : {}),
    labels: settings.labels,
    ...(pending.mode === 'csr' ? { csrPem: pending.csrPem } : {}),
    status: 'ACTIVE',
    current: generation,
    previous: [],
    renewal: freshRenewalState(generation, settings.renewBeforeDays),
    createdAt: now.toISOString(),
    updatedAt: now.toISOString(),
    createdBy: pending.actor,
  };
}

/** The record after a renewal: the new generation current, the old one first in `previous`. */
export function renewedRecord(
  record: ClientCertificate,
  pending: PendingIssuance,
  generation: IssuedGeneration,
  now: Date,
): ClientCertificate {
  const old = record.current;
  const previousEntry = {
    generation: old.generation,
    casIdentifier: old.casIdentifier,
    serialNumber: old.serialNumber,
    notAfter: old.notAfter,
    ...(pending.revokePrevious ? { revokedAt: now.toISOString() } : {}),
  };
  return {
    ...record,
    keyAlgorithm: pending.keyAlgorithm,
    validityDays: pending.validityDays,
    ...(pending.mode === 'csr' ? { csrPem: pending.csrPem } : {}),
    current: generation,
    previous: [previousEntry, ...record.previous].slice(0, PREVIOUS_GENERATIONS_KEPT),
    renewal: freshRenewalState(generation, record.renewBeforeDays, now.toISOString()),
    updatedAt: now.toISOString(),
  };
}

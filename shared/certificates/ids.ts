/**
 * Certificate ids and every bucket key built from them (docs/architecture.md). Keys are only ever built here,
 * from ids that passed `assertCertificateId` and tenants that passed the config schema.
 */
import { createHash, randomBytes } from 'node:crypto';
import type { BundleObjects, IssuanceMode } from '../domain/client-certificate.js';
import { ValidationError } from '../errors/index.js';

export const CERTIFICATE_ID_PATTERN = /^cc-[a-z0-9]{20,40}$/;

const ALPHABET = 'abcdefghijklmnopqrstuvwxyz0123456789';

/** `cc-` + 10 base-36 digits of the creation time + 16 random characters: ids sort by creation time. */
export function newCertificateId(now: Date): string {
  const time = now.getTime().toString(36).padStart(10, '0').slice(-10);
  const bytes = randomBytes(16);
  let random = '';
  for (const byte of bytes) random += ALPHABET[byte % 36];
  return `cc-${time}${random}`;
}

export function isCertificateId(value: unknown): value is string {
  return typeof value === 'string' && CERTIFICATE_ID_PATTERN.test(value);
}

export function assertCertificateId(value: unknown): asserts value is string {
  if (!isCertificateId(value)) throw new ValidationError('INVALID_ID', 'The certificate id is not valid.');
}

export const recordKey = (id: string) => `records/${id}.json`;
export const RECORDS_PREFIX = 'records/';
export const pendingPrefix = (id: string) => `pending/${id}/`;
export const pendingKey = (id: string, generation: number) => `pending/${id}/g${generation}.json`;
export const PENDING_PREFIX = 'pending/';
export const tenantIndexPrefix = (tenant: string) => `index/tenant/${tenant}/`;
export const tenantIndexKey = (tenant: string, id: string) => `${tenantIndexPrefix(tenant)}${id}`;
export const TENANT_INDEX_PREFIX = 'index/tenant/';
export const idempotencyObjectKey = (tenant: string, idempotencyKey: string) =>
  `idempotency/${tenant}/${createHash('sha256').update(idempotencyKey, 'utf8').digest('hex')}.json`;

/** One CA call for a pending object: `attempts/<id>/g<generation>/<n, 4 digits>.json` (create-only claim). */
export const attemptPrefix = (id: string, generation: number) => `attempts/${id}/g${generation}/`;
export const attemptKey = (id: string, generation: number, n: number) =>
  `${attemptPrefix(id, generation)}${String(n).padStart(4, '0')}.json`;
export function parseAttemptKey(key: string): number | undefined {
  const m = key.match(/\/(\d{4})\.json$/);
  return m ? Number(m[1]) : undefined;
}

/** A pending object that cannot succeed, set aside with its reason: the sweep no longer tries it. */
export const setAsideKey = (id: string, generation: number) => `set-aside/${id}/g${generation}.json`;
export const SET_ASIDE_PREFIX = 'set-aside/';

/** CAS identifier -> the record generation it is: `index/ca/<identifier>` (what the inventory scan reads). */
export const CA_INDEX_PREFIX = 'index/ca/';
export const caIndexKey = (identifier: string) => `${CA_INDEX_PREFIX}${identifier}`;

/** Objects to delete once their time has passed: `index/expire/<epoch seconds, 12 digits>/<object key>`. */
export const EXPIRY_INDEX_PREFIX = 'index/expire/';
export const expiryIndexKey = (at: Date, objectKey: string) =>
  `${EXPIRY_INDEX_PREFIX}${String(Math.max(0, Math.floor(at.getTime() / 1000))).padStart(12, '0')}/${objectKey}`;
/** What may be named there: an idempotency entry, or the attempts prefix of a finished issuance. */
const EXPIRING_OBJECT =
  /^(\d{12})\/(idempotency\/[a-z0-9._-]{1,64}\/[0-9a-f]{64}\.json|attempts\/cc-[a-z0-9]{20,40}\/g\d{1,6}\/)$/;
export function parseExpiryIndexKey(key: string): { at: Date; objectKey: string } | undefined {
  if (!key.startsWith(EXPIRY_INDEX_PREFIX)) return undefined;
  const m = key.slice(EXPIRY_INDEX_PREFIX.length).match(EXPIRING_OBJECT);
  return m ? { at: new Date(Number(m[1]) * 1000), objectKey: m[2] } : undefined;
}

export function bundleObjectKeys(id: string, generation: number, mode: IssuanceMode): BundleObjects {
  const base = `bundles/${id}/g${generation}/`;
  return mode === 'server-key'
    ? { p12: `${base}client.p12`, pem: `${base}bundle.zip` }
    : { certificate: `${base}certificate.zip` };
}

/** The `pending/<id>/g<generation>.json` key's parts, or undefined for anything else. */
export function parsePendingKey(key: string): { id: string; generation: number } | undefined {
  const m = key.match(/^pending\/([^/]+)\/g(\d{1,6})\.json$/);
  if (!m || !isCertificateId(m[1])) return undefined;
  return { id: m[1], generation: Number(m[2]) };
}

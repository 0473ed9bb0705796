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

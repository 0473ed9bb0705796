/** Records for the fleet-summary tests: only the fields the summary reads are meaningful, the rest is plausible. */
import type { ClientCertificate } from '../../../shared/domain/client-certificate.js';
import type { MemoryObjectStore } from '../../helpers/memory-object-store.js';

export const DAY = 86_400_000;
export const T0 = Date.parse('2026-11-30T10:00:00Z');

let n = 0;
export function fleetRecord(
  options: {
    tenant?: string;
    commonName?: string;
    dns?: string[];
    notAfterInDays?: number;
    renewInDays?: number;
    failedAttempts?: number;
    nextAttemptInMs?: number;
    autoRenew?: boolean;
    status?: ClientCertificate['status'];
  } = {},
): ClientCertificate {
  n += 1;
  const id = `cc-fleet${String(n).padStart(16, '0')}`;
  const notAfter = new Date(T0 + (options.notAfterInDays ?? 30) * DAY);
  const renewAt = new Date(T0 + (options.renewInDays ?? 20) * DAY);
  return {
    id,
    tenant: options.tenant ?? 'acme',
    commonName: options.commonName ?? `device-${n}.example.com`,
    sans: { dns: options.dns ?? [], uri: [], email: [], ip: [] },
    mode: 'server-key',
    keyAlgorithm: 'EC_P256',
    p12Profile: 'modern',
    validityDays: 30,
    autoRenew: options.autoRenew ?? true,
    labels: {},
    status: options.status ?? 'ACTIVE',
    current: {
      generation: 1,
      casIdentifier: `cas-${n}`,
      serialNumber: n.toString(16),
      notBefore: new Date(notAfter.getTime() - 30 * DAY).toISOString(),
      notAfter: notAfter.toISOString(),
      fingerprintSha256: 'ab'.repeat(32),
      issuedAt: new Date(T0 - DAY).toISOString(),
      bundle: { p12: `bundles/${id}/g1/client.p12`, pem: `bundles/${id}/g1/bundle.zip` },
    },
    previous: [],
    renewal: {
      renewAt: renewAt.toISOString(),
      failedAttempts: options.failedAttempts ?? 0,
      ...(options.nextAttemptInMs !== undefined
        ? { nextAttemptAt: new Date(T0 + options.nextAttemptInMs).toISOString() }
        : {}),
      ...(options.failedAttempts
        ? { lastFailure: { code: 'CA_UNAVAILABLE', message: 'down', at: new Date(T0).toISOString() } }
        : {}),
      expiringNotified: [],
    },
    createdAt: new Date(T0 - DAY).toISOString(),
    updatedAt: new Date(T0 - DAY).toISOString(),
    createdBy: 'token:test',
  };
}

export async function putRecords(store: MemoryObjectStore, records: ClientCertificate[]): Promise<void> {
  for (const r of records) await store.put(`records/${r.id}.json`, JSON.stringify(r));
}

// A ClientCertificate record for policy tests: 90-day certificate issued 2030-01-01, renewAt at 2/3 (day 60).
import type { ClientCertificate } from '../../../shared/domain/client-certificate.js';

export const DAY = 86_400_000;
export const ISSUED = new Date('2030-01-01T00:00:00Z');
export const at = (days: number) => new Date(ISSUED.getTime() + days * DAY);

export type RecordOverrides = Partial<Omit<ClientCertificate, 'renewal' | 'current'>> & {
  renewal?: Partial<ClientCertificate['renewal']>;
  current?: Partial<ClientCertificate['current']>;
};

export function makeRecord(overrides: RecordOverrides = {}): ClientCertificate {
  const { renewal, current, ...rest } = overrides;
  return {
    id: 'cc-aaaaaaaaaaaaaaaaaaaa01',
    tenant: 'acme',
    commonName: 'device-1.devices.example.com',
    sans: { dns: [], uri: [], email: [], ip: [] },
    mode: 'server-key',
    keyAlgorithm: 'EC_P256',
    p12Profile: 'modern',
    validityDays: 90,
    autoRenew: true,
    labels: {},
    status: 'ACTIVE',
    current: {
      generation: 1,
      casIdentifier: 'cas-1',
      serialNumber: '01',
      notBefore: ISSUED.toISOString(),
      notAfter: at(90).toISOString(),
      fingerprintSha256: 'ab',
      issuedAt: ISSUED.toISOString(),
      bundle: { p12: 'bundles/x/g1/client.p12' },
      ...current,
    },
    previous: [],
    renewal: { renewAt: at(60).toISOString(), failedAttempts: 0, expiringNotified: [], ...renewal },
    createdAt: ISSUED.toISOString(),
    updatedAt: ISSUED.toISOString(),
    createdBy: 'test',
    ...rest,
  };
}

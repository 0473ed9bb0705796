import { AccessPolicySchema, type AccessPolicy } from '../../../shared/auth/policy.js';
import {
  checkCertificateRequest,
  checkOperation,
  type CertificateRequestFacts,
} from '../../../shared/auth/decisions.js';
import {
  matchesDnsPattern,
  matchesEmailPattern,
  matchesIpPattern,
  matchesUriPattern,
} from '../../../shared/auth/name-patterns.js';

describe('name patterns', () => {
  it.each([
    ['a1.devices.example.com', '*.devices.example.com', true],
    ['A1.Devices.Example.COM', '*.devices.example.com', true],
    ['x.a1.devices.example.com', '*.devices.example.com', false],
    ['devices.example.com', '*.devices.example.com', false],
    ['x.a1.devices.example.com', '**.devices.example.com', true],
    ['a1.devices.example.com.evil.net', '*.devices.example.com', false],
    ['device-42', 'device-*', true],
    ['anything at all', '*', true],
    ['a1devices.example.com', '*.devices.example.com', false],
  ])('dns %s vs %s -> %s', (name, pattern, expected) => {
    expect(matchesDnsPattern(name, pattern)).toBe(expected);
  });

  it.each([
    ['spiffe://example.com/devices/a1', 'spiffe://example.com/devices/*', true],
    ['spiffe://example.com/devices/a1/extra', 'spiffe://example.com/devices/*', false],
    ['spiffe://example.com/devices/a1/extra', 'spiffe://example.com/devices/**', true],
    ['spiffe://evil.com/devices/a1', 'spiffe://example.com/devices/*', false],
  ])('uri %s vs %s -> %s', (uri, pattern, expected) => {
    expect(matchesUriPattern(uri, pattern)).toBe(expected);
  });

  it.each([
    ['first.last@example.com', '*@example.com', true],
    ['ops@sub.example.com', '*@example.com', false],
    ['ops@sub.example.com', '*@*.example.com', true],
    ['ops@example.com.evil.net', '*@example.com', false],
  ])('email %s vs %s -> %s', (email, pattern, expected) => {
    expect(matchesEmailPattern(email, pattern)).toBe(expected);
  });

  it.each([
    ['10.1.2.3', '10.0.0.0/8', true],
    ['11.1.2.3', '10.0.0.0/8', false],
    ['10.1.2.3', '10.1.2.3', true],
    ['2001:db8::1', '2001:db8::/32', true],
    ['2001:db9::1', '2001:db8::/32', false],
    ['10.1.2.3', '2001:db8::/32', false],
    ['10.1.2.3', '10.0.0.0/33', false],
  ])('ip %s vs %s -> %s', (ip, pattern, expected) => {
    expect(matchesIpPattern(ip, pattern)).toBe(expected);
  });
});

const policy: AccessPolicy = AccessPolicySchema.parse({
  commonNamePatterns: ['*.devices.example.com'],
  sanPatterns: { dns: ['*.devices.example.com'], ip: ['10.0.0.0/8'] },
  keyAlgorithms: ['EC_P256', 'RSA_2048'],
  maxValidityDays: 90,
  operations: ['issue', 'read'],
});

const NO_SANS = { dns: [], uri: [], email: [], ip: [] };
const facts = (overrides: Partial<CertificateRequestFacts> = {}): CertificateRequestFacts => ({
  commonName: 'a1.devices.example.com',
  keyAlgorithm: 'EC_P256',
  validityDays: 30,
  ...overrides,
  sans: { ...NO_SANS, ...overrides.sans },
});

describe('checkCertificateRequest', () => {
  it.each<[string, Partial<CertificateRequestFacts>, string | undefined]>([
    ['a request inside the policy', {}, undefined],
    [
      'a DNS and IP SAN inside the patterns',
      { sans: { dns: ['b.devices.example.com'], uri: [], email: [], ip: ['10.9.9.9'] } },
      undefined,
    ],
    ['a wildcard common name', { commonName: '*.devices.example.com' }, 'wildcardNames'],
    ['a wildcard DNS SAN', { sans: { dns: ['*.devices.example.com'], uri: [], email: [], ip: [] } }, 'wildcardNames'],
    ['a common name outside the patterns', { commonName: 'db.example.com' }, 'commonNamePatterns'],
    [
      'a DNS SAN outside the patterns',
      { sans: { dns: ['x.example.net'], uri: [], email: [], ip: [] } },
      'sanPatterns.dns',
    ],
    [
      'a URI SAN with no URI patterns',
      { sans: { dns: [], uri: ['spiffe://x/y'], email: [], ip: [] } },
      'sanPatterns.uri',
    ],
    [
      'an e-mail SAN with no e-mail patterns',
      { sans: { dns: [], uri: [], email: ['a@b.c'], ip: [] } },
      'sanPatterns.email',
    ],
    ['an IP SAN outside the block', { sans: { dns: [], uri: [], email: [], ip: ['192.168.1.1'] } }, 'sanPatterns.ip'],
    ['a key type not allowed', { keyAlgorithm: 'RSA_4096' }, 'keyAlgorithms'],
    ['validity over the maximum', { validityDays: 91 }, 'maxValidityDays'],
    ['validity at the maximum', { validityDays: 90 }, undefined],
  ])('%s -> %s', (_name, overrides, rule) => {
    expect(checkCertificateRequest(policy, facts(overrides))?.rule).toBe(rule);
  });

  it('allows wildcard names when the policy says so', () => {
    const permissive = { ...policy, allowWildcardNames: true };
    expect(checkCertificateRequest(permissive, facts({ commonName: '*.devices.example.com' }))).toBeUndefined();
  });
});

describe('checkOperation', () => {
  it.each([
    ['issue', undefined],
    ['read', undefined],
    ['revoke', 'operations'],
    ['renew', 'operations'],
  ] as const)('%s -> %s', (operation, rule) => {
    expect(checkOperation(policy, operation)?.rule).toBe(rule);
  });
});

describe('AccessPolicySchema', () => {
  it('refuses unknown fields and empty pattern lists', () => {
    expect(AccessPolicySchema.safeParse({ ...policy, extra: 1 }).success).toBe(false);
    expect(AccessPolicySchema.safeParse({ ...policy, commonNamePatterns: [] }).success).toBe(false);
    expect(AccessPolicySchema.safeParse({ ...policy, commonNamePatterns: ['a,b'] }).success).toBe(false);
  });
});

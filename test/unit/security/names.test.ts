/**
 * Issue 11 item 6: URI SAN globs match paths case-sensitively and never across an encoded separator or a dot
 * segment; URI SANs are ASCII (an IA5String); where a DNS pattern decides, only LDH labels (IDNA A-labels for
 * international names) pass, so Unicode look-alikes cannot satisfy a one-label glob.
 */
import { checkCertificateRequest } from '../../../shared/auth/decisions.js';
import { matchesDnsPattern, matchesEmailPattern, matchesUriPattern } from '../../../shared/auth/name-patterns.js';
import type { AccessPolicy } from '../../../shared/auth/policy.js';
import { checkSubjectAltNames, PkiError } from '../../../shared/pki/index.js';

const DEVICES = 'spiffe://example.com/devices/*';

describe('matchesUriPattern', () => {
  it.each<[string, string, boolean]>([
    ['spiffe://example.com/devices/d1', DEVICES, true],
    ['SPIFFE://EXAMPLE.COM/devices/d1', DEVICES, true], // scheme and host are case-insensitive
    ['spiffe://example.com/Devices/d1', DEVICES, false], // the path is not
    ['spiffe://example.com/devices/D1', 'spiffe://example.com/devices/d1', false],
    ['spiffe://example.com/devices/a%2Fb', DEVICES, false], // `*` never spans an encoded slash
    ['spiffe://example.com/devices/a%2fb', DEVICES, false],
    ['spiffe://example.com/devices/a%5Cb', DEVICES, false],
    ['spiffe://example.com/devices/%2e%2e', DEVICES, false],
    ['spiffe://example.com/devices/..', DEVICES, false],
    ['spiffe://example.com/devices/../admin', 'spiffe://example.com/devices/**', false],
    ['spiffe://example.com/devices/./d1', 'spiffe://example.com/devices/**', false],
    ['spiffe://example.com/devices/a/b', 'spiffe://example.com/devices/**', true],
  ])('%s vs %s -> %s', (uri, pattern, expected) => {
    expect(matchesUriPattern(uri, pattern)).toBe(expected);
  });
});

describe('matchesDnsPattern: LDH labels only', () => {
  it.each<[string, string, boolean]>([
    ['d1.devices.example.com', '*.devices.example.com', true],
    ['xn--bcher-kva.devices.example.com', '*.devices.example.com', true], // an IDNA A-label
    ['a\u2024b.devices.example.com', '*.devices.example.com', false], // U+2024 ONE DOT LEADER
    ['\u0430dmin.devices.example.com', '*.devices.example.com', false], // Cyrillic a
    ['bücher.devices.example.com', '*.devices.example.com', false], // a U-label: send the A-label
    ['a b.devices.example.com', '*.devices.example.com', false],
    ['d_1.devices.example.com', '*.devices.example.com', false],
    ['Alice Smith', '*', true], // the explicit allow-all pattern still allows any valid CN
  ])('%s vs %s -> %s', (name, pattern, expected) => {
    expect(matchesDnsPattern(name, pattern)).toBe(expected);
  });

  it('applies to the domain of an e-mail pattern too', () => {
    expect(matchesEmailPattern('ops@devices.example.com', '*@devices.example.com')).toBe(true);
    expect(matchesEmailPattern('ops@dev\u0456ces.example.com', '*@*.example.com')).toBe(false);
  });

  it('refuses a look-alike common name by policy (403 rule commonNamePatterns)', () => {
    const policy: AccessPolicy = {
      commonNamePatterns: ['*.devices.example.com'],
      sanPatterns: { dns: [], uri: [], email: [], ip: [] },
      keyAlgorithms: ['EC_P256'],
      maxValidityDays: 30,
      operations: ['issue'],
      allowWildcardNames: false,
    };
    const violation = checkCertificateRequest(policy, {
      commonName: 'evil\u2024corp.devices.example.com',
      sans: { dns: [], uri: [], email: [], ip: [] },
      keyAlgorithm: 'EC_P256',
      validityDays: 30,
    });
    expect(violation?.rule).toBe('commonNamePatterns');
  });
});

describe('URI SANs are ASCII without encoded separators or dot segments', () => {
  it.each([
    'spiffe://example.com/dévices/d1',
    'spiffe://example.com/devices/d1\u2024',
    'spiffe://example.com/devices/a%2Fb',
    'spiffe://example.com/devices/a%5cb',
    'spiffe://example.com/devices/%2E%2E/admin',
    'spiffe://example.com/devices/../admin',
    'spiffe://example.com/./devices',
    'spiffe://example.com/devices/a%zz',
  ])('refuses %s with SAN_INVALID', (uri) => {
    let caught: unknown;
    try {
      checkSubjectAltNames({ uri: [uri] });
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(PkiError);
    expect((caught as PkiError).code).toBe('SAN_INVALID');
  });

  it('accepts an ordinary SPIFFE id and a URN', () => {
    expect(
      checkSubjectAltNames({
        uri: ['spiffe://example.com/devices/d-1', 'urn:uuid:1b4e28ba-2fa1-11d2-883f-0016d3cca427'],
      }).uri,
    ).toHaveLength(2);
  });
});

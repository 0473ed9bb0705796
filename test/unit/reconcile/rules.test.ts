// Prepare: one healthy gathered listener, then one broken fact at a time. Act: checkSeedRules with an injected clock.
// Assess: exactly the rule the seed states, in the seed's order.
import { checkSeedRules, Rules, type GatheredListener } from '../../../shared/domain/listeners/rules.js';
import type { ListenerMtls } from '../../../shared/domain/listeners/desired-state.js';

const now = new Date('2026-06-01T00:00:00Z');
const days = (n: number) => new Date(now.getTime() + n * 86_400_000);

const desired: ListenerMtls = {
  region: 'cn-hangzhou',
  listenerId: 'lsn-1',
  mutualAuth: true,
  caCertificateId: 'ca-root',
  serverCertId: '100',
  securityPolicyId: 'tls_cipher_policy_1_2',
  probe: { host: 'www.example.com', port: 443, sni: 'www.example.com', address: 'www.example.com', request: 'http' },
};

const healthy = (): GatheredListener => ({
  listener: {
    listenerId: 'lsn-1',
    region: 'cn-hangzhou',
    protocol: 'TCPSSL',
    port: 443,
    status: 'Running',
    caEnabled: false,
    caCertificateIds: [],
    certificateIds: ['100-cn-hangzhou'],
    securityPolicyId: 'tls_cipher_policy_1_2',
    serverGroupId: 'sgp-1',
  },
  serverGroup: { serverGroupId: 'sgp-1', protocol: 'TCP', preserveClientIpEnabled: false },
  ca: { identifier: 'ca-root', certificatePem: 'PEM', status: 'ISSUE', notAfter: days(365) },
  serverCertificate: {
    certId: '100',
    certIdentifier: '100-cn-hangzhou',
    commonName: 'www.example.com',
    dnsNames: ['www.example.com'],
    notBefore: days(-10),
    notAfter: days(300),
    fingerprintSha256: 'ab',
  },
});

const policy = { now, caExpiryWindowDays: 30 };

describe('seed rules', () => {
  it('passes a listener that follows the seed', () => {
    expect(checkSeedRules(desired, healthy(), policy)).toEqual([]);
  });

  it.each<[string, (g: GatheredListener) => void, string, RegExp]>([
    ['the listener is missing', (g) => delete g.listener, Rules.listenerExists, /lsn-1 was not found/],
    [
      'the listener is TCP',
      (g) => (g.listener!.protocol = 'TCP'),
      Rules.listenerProtocolTcpSsl,
      /is TCP; mutual TLS needs TCPSSL/,
    ],
    [
      'the server group is missing',
      (g) => delete g.serverGroup,
      Rules.serverGroupExists,
      /sgp-1 of the listener was not found/,
    ],
    [
      'the server group is UDP',
      (g) => (g.serverGroup!.protocol = 'UDP'),
      Rules.serverGroupProtocolTcp,
      /sgp-1 uses UDP/,
    ],
    [
      'client-IP preservation is on',
      (g) => (g.serverGroup!.preserveClientIpEnabled = true),
      Rules.clientIpPreservationOff,
      /client-IP preservation on/,
    ],
    ['the CA is missing', (g) => delete g.ca, Rules.caIssued, /ca-root was not found/],
    ['the CA is revoked', (g) => (g.ca!.status = 'REVOKE'), Rules.caIssued, /is REVOKE, not issued/],
    [
      'the CA expires inside the window',
      (g) => (g.ca!.notAfter = days(29)),
      Rules.caNotExpiring,
      /29 days left, window 30/,
    ],
    ['the CA has expired', (g) => (g.ca!.notAfter = days(-1)), Rules.caNotExpiring, /0 days left/],
    [
      'the server certificate is missing',
      (g) => delete g.serverCertificate,
      Rules.serverCertificateValid,
      /server certificate 100 was not found/,
    ],
    [
      'the server certificate has expired',
      (g) => (g.serverCertificate!.notAfter = days(-1)),
      Rules.serverCertificateValid,
      /expired/,
    ],
    [
      'the server certificate is not yet valid',
      (g) => (g.serverCertificate!.notBefore = days(1)),
      Rules.serverCertificateValid,
      /not valid before/,
    ],
    [
      'the server certificate names another host',
      (g) => (g.serverCertificate!.dnsNames = ['api.example.com']),
      Rules.serverCertificateCoversProbeHost,
      /names api.example.com, not www.example.com/,
    ],
  ])('blocks when %s', (_name, breakIt, rule, message) => {
    const gathered = healthy();
    breakIt(gathered);

    const violations = checkSeedRules(desired, gathered, policy);

    expect(violations[0].rule).toBe(rule);
    expect(violations[0].message).toMatch(message);
  });

  it('lets a CA expiring just outside the window through', () => {
    const gathered = healthy();
    gathered.ca!.notAfter = days(30);

    expect(checkSeedRules(desired, gathered, policy)).toEqual([]);
  });

  it('does not look at a CA when mutual auth is declared off', () => {
    const gathered = healthy();
    delete gathered.ca;

    expect(checkSeedRules({ ...desired, mutualAuth: false, caCertificateId: undefined }, gathered, policy)).toEqual([]);
  });

  it('reports every broken rule, the seed order first', () => {
    const gathered = healthy();
    gathered.serverGroup!.preserveClientIpEnabled = true;
    gathered.listener!.protocol = 'TCP';

    const rules = checkSeedRules(desired, gathered, policy).map((v) => v.rule);

    expect(rules).toEqual([Rules.listenerProtocolTcpSsl, Rules.clientIpPreservationOff]);
  });
});

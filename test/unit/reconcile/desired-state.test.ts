// Prepare: desired-state documents, good and bad. Act: parse and resolve. Assess: the resolved ids, or the exact error path.
import { parseDesiredState, resolveDesiredState } from '../../../shared/domain/listeners/desired-state.js';

const listener = (overrides: Record<string, string> = {}) => {
  const fields: Record<string, string> = {
    region: 'cn-hangzhou',
    listenerId: 'lsn-abc123',
    mutualAuth: 'on',
    ca: 'default',
    serverCertificate: '{ certId: 12345 }',
    securityPolicy: 'tls_cipher_policy_1_2',
    probe: '{ host: www.example.com, port: 443 }',
    ...overrides,
  };
  return Object.entries(fields)
    .filter(([, v]) => v !== '<absent>')
    .map(([k, v], i) => `${i === 0 ? '  - ' : '    '}${k}: ${v}`)
    .join('\n');
};
function thrown(act: () => unknown): Error & { code?: string } {
  try {
    act();
  } catch (err) {
    return err as Error;
  }
  throw new Error('expected an error');
}

const doc = (...listeners: string[]) => `version: 1\nlisteners:\n${listeners.join('\n')}\n`;

describe('desired state', () => {
  it('resolves a declaration with the default CA from config; the server certificate stays a CertId (CAS names it for NLB)', () => {
    const parsed = parseDesiredState(doc(listener({ name: 'www' })));

    const [resolved] = resolveDesiredState(parsed, { defaultCaIdentifier: 'ca-root-1' });

    expect(resolved).toEqual({
      name: 'www',
      region: 'cn-hangzhou',
      listenerId: 'lsn-abc123',
      mutualAuth: true,
      caCertificateId: 'ca-root-1',
      serverCertId: '12345',
      securityPolicyId: 'tls_cipher_policy_1_2',
      probe: {
        host: 'www.example.com',
        port: 443,
        sni: 'www.example.com',
        address: 'www.example.com',
        request: 'http',
      },
    });
  });

  it.each([
    ['on', true],
    ['off', false],
    ['true', true],
    ['false', false],
  ])('reads mutualAuth: %s as %s', (value, expected) => {
    const parsed = parseDesiredState(doc(listener({ mutualAuth: value, ...(expected ? {} : { ca: '<absent>' }) })));

    expect(resolveDesiredState(parsed, { defaultCaIdentifier: 'x' })[0].mutualAuth).toBe(expected);
  });

  it('keeps an explicit PCA identifier and probe overrides', () => {
    const parsed = parseDesiredState(
      doc(
        listener({
          ca: '1a83bcbb89e5',
          probe: '{ host: www.example.com, port: 8443, sni: api.example.com, address: 127.0.0.1, request: none }',
        }),
      ),
    );

    const [resolved] = resolveDesiredState(parsed, {});

    expect(resolved.caCertificateId).toBe('1a83bcbb89e5');
    expect(resolved.probe).toEqual({
      host: 'www.example.com',
      port: 8443,
      sni: 'api.example.com',
      address: '127.0.0.1',
      request: 'none',
    });
  });

  it.each([
    ['an unknown key (strict)', doc(listener({ caEnabled: 'true' })), /listeners\.0: Unrecognized key.*caEnabled/],
    ['mutualAuth left out (never defaulted)', doc(listener({ mutualAuth: '<absent>' })), /listeners\.0\.mutualAuth/],
    [
      'no CA with mutual auth on',
      doc(listener({ ca: '<absent>' })),
      /listeners\.0\.ca: ca is required when mutualAuth is on/,
    ],
    [
      'a CA with mutual auth off',
      doc(listener({ mutualAuth: 'off' })),
      /listeners\.0\.ca: ca applies only when mutualAuth is on/,
    ],
    [
      'a listener declared twice',
      doc(listener(), listener()),
      /listeners\.1\.listenerId: lsn-abc123 is declared twice/,
    ],
    [
      'an unknown TLS policy',
      doc(listener({ securityPolicy: 'tls_cipher_policy_0_9' })),
      /listeners\.0\.securityPolicy/,
    ],
    [
      'a port out of range',
      doc(listener({ probe: '{ host: www.example.com, port: 70000 }' })),
      /listeners\.0\.probe\.port/,
    ],
    ['a bad listener id', doc(listener({ listenerId: 'abc' })), /listeners\.0\.listenerId: an NLB listener id/],
    [
      'one listener declared in both id forms',
      doc(listener(), listener({ listenerId: 'lsn-abc123@443' })),
      /listeners\.1\.listenerId: lsn-abc123@443 is declared twice/,
    ],
    [
      'a custom policy id in a form NLB does not use (spy-)',
      doc(listener({ securityPolicy: 'spy-abc' })),
      /listeners\.0\.securityPolicy/,
    ],
    [
      'the old serverCertificate.region (the id is CAS CertIdentifier now)',
      doc(listener({ serverCertificate: '{ certId: 12345, region: cn-hangzhou }' })),
      /listeners\.0\.serverCertificate\.region: is no longer used/,
    ],
    [
      'an unknown probe key',
      doc(listener({ probe: '{ host: www.example.com, port: 443, hots: x }' })),
      /listeners\.0\.probe: Unrecognized key/,
    ],
    ['another version', 'version: 2\nlisteners: []\n', /version/],
    ['no listeners', 'version: 1\nlisteners: []\n', /listeners: Too small/],
    ['broken YAML', 'version: 1\nlisteners: [\n', /not valid YAML/],
    ['a duplicated YAML key', 'version: 1\nversion: 1\nlisteners: []\n', /not valid YAML/],
  ])('refuses %s', (_name, text, message) => {
    const error = thrown(() => parseDesiredState(text));

    expect(error).toMatchObject({ code: 'DESIRED_STATE_INVALID', status: 400 });
    expect(error.message).toMatch(message);
  });

  it.each([
    ['a listener id with its port, as GetListenerAttribute reports it', { listenerId: 'lsn-bp1bpn0kn908w4nbw@443' }],
    ['a custom TLS policy (tls-...)', { securityPolicy: 'tls-bp14bb1e7dll4f0' }],
  ])('accepts %s', (_name, overrides) => {
    const [resolved] = resolveDesiredState(parseDesiredState(doc(listener(overrides))), { defaultCaIdentifier: 'x' });

    expect(resolved).toMatchObject({
      ...('listenerId' in overrides ? { listenerId: overrides.listenerId } : {}),
      ...('securityPolicy' in overrides ? { securityPolicyId: overrides.securityPolicy } : {}),
    });
  });

  it("refuses 'default' when no default CA is configured", () => {
    const parsed = parseDesiredState(doc(listener()));

    expect(() => resolveDesiredState(parsed, {})).toThrow(/no default CA is configured/);
  });
});

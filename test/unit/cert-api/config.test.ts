import { hashToken } from '../../../shared/auth/tokens.js';
import { loadCertApiConfig } from '../../../shared/config/cert-api.js';

const base = {
  ALIBABA_CLOUD_ACCESS_KEY_ID: 'LTAIexample',
  ALIBABA_CLOUD_ACCESS_KEY_SECRET: 'do-not-print-me',
  OSS_BUCKET: 'certs-bucket',
  PCA_PARENT_IDENTIFIER: 'sub-ca-1',
  STATE_KEY: Buffer.alloc(32, 1).toString('base64'),
  API_TOKENS: JSON.stringify([
    {
      tokenSha256: hashToken('tok_abcdefghijklmnop'),
      tenant: 'acme',
      name: 'ci',
      policy: { commonNamePatterns: ['*'], maxValidityDays: 30, operations: ['issue'] },
    },
  ]),
};

describe('cert-api configuration', () => {
  it('reads defaults', () => {
    const config = loadCertApiConfig(base);
    expect(config).toMatchObject({
      parentIdentifier: 'sub-ca-1',
      linkDefaultSeconds: 900,
      linkMaxSeconds: 86_400,
      defaultValidityDays: 30,
      maxValidityDays: 397,
      allowLoopbackWebhooks: false,
    });
    expect(config.stateKey).toHaveLength(32);
    expect(config.tokens[0].policy.keyAlgorithms).toEqual(['RSA_2048', 'RSA_4096', 'EC_P256']);
  });

  it.each([
    ['a missing parent CA', { PCA_PARENT_IDENTIFIER: '' }, /PCA_PARENT_IDENTIFIER/],
    [
      'a short state key',
      { STATE_KEY: Buffer.alloc(16).toString('base64') },
      /STATE_KEY must be base64 of exactly 32 bytes/,
    ],
    ['links longer than 7 days', { LINK_MAX_SECONDS: '604801' }, /LINK_MAX_SECONDS/],
    ['a default link over the maximum', { LINK_MAX_SECONDS: '600' }, /LINK_DEFAULT_SECONDS must not exceed/],
    ['tokens that are not JSON', { API_TOKENS: '[{' }, /API_TOKENS is not valid JSON/],
    [
      'a token with an unknown field',
      { API_TOKENS: JSON.stringify([{ ...JSON.parse(base.API_TOKENS)[0], admin: true }]) },
      /API_TOKENS/,
    ],
    [
      'a tenant that cannot name a folder',
      { API_TOKENS: JSON.stringify([{ ...JSON.parse(base.API_TOKENS)[0], tenant: '../x' }]) },
      /tenant/,
    ],
  ])('fails fast on %s, naming the variable', (_name, overrides, message) => {
    expect(() => loadCertApiConfig({ ...base, ...overrides })).toThrow(message);
  });

  it('never puts a secret value in its error', () => {
    let text = '';
    try {
      loadCertApiConfig({ ...base, STATE_KEY: 'c2hvcnQ=', ALIBABA_CLOUD_ACCESS_KEY_SECRET: 'do-not-print-me' });
    } catch (err) {
      text = String(err);
    }
    expect(text).toMatch(/STATE_KEY/);
    expect(text).not.toContain('c2hvcnQ=');
    expect(text).not.toContain('do-not-print-me');
  });
});

import { createTokenAuthenticator, hashToken, type ApiToken } from '../../../shared/auth/tokens.js';
import { AccessPolicySchema } from '../../../shared/auth/policy.js';

const token = 'tok_0123456789abcdefghij';
const entry: ApiToken = {
  tokenSha256: hashToken(token),
  tenant: 'acme',
  name: 'ci',
  policy: AccessPolicySchema.parse({ commonNamePatterns: ['*'], maxValidityDays: 30, operations: ['read'] }),
};

describe('bearer tokens', () => {
  const authenticator = createTokenAuthenticator([entry]);

  it("finds the principal of a known token by its hash, whatever the scheme's case", () => {
    expect(authenticator.authenticate(`Bearer ${token}`)).toMatchObject({ kind: 'token', tenant: 'acme', name: 'ci' });
    expect(authenticator.authenticate(`bearer ${token}`)).toMatchObject({ tenant: 'acme' });
  });

  it.each([
    ['no header', undefined],
    ['another scheme', `Basic ${token}`],
    ['a token with a different case', `Bearer ${token.toUpperCase()}`],
    ['a short token', 'Bearer abc'],
    ['an unknown token', 'Bearer tok_9999999999999999999999'],
    ['the hash instead of the token', `Bearer ${entry.tokenSha256}`],
  ])('refuses %s with 401', (_name, header) => {
    expect(() => authenticator.authenticate(header)).toThrow(
      expect.objectContaining({ status: 401, code: 'UNAUTHORIZED' }),
    );
  });

  it('refuses a config listing the same token twice', () => {
    expect(() => createTokenAuthenticator([entry, entry])).toThrow(/twice/);
  });
});

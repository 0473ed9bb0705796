/**
 * Issue 11 item 9: a token may carry an expiry, and a token can be revoked without a redeploy: the token list is
 * read again from the secret store at most 30 seconds after it was last read, so a revocation (the entry removed,
 * or marked `revokedAt`) takes effect within a minute on every warm instance. The clock is injected.
 */
import { AccessPolicySchema } from '../../../shared/auth/policy.js';
import {
  createRefreshingTokenAuthenticator,
  createTokenAuthenticator,
  hashToken,
  TOKEN_REFRESH_SECONDS,
} from '../../../shared/auth/tokens.js';
import { createCachedSecretSource } from '../../../shared/secrets/secret-source.js';

const token = 'tok_lifecycle_0123456789abcdef';
const policy = AccessPolicySchema.parse({ commonNamePatterns: ['*'], maxValidityDays: 30, operations: ['read'] });
const entry = (extra: Record<string, unknown> = {}) => ({
  tokenSha256: hashToken(token),
  tenant: 'acme',
  name: 'ci',
  policy,
  ...extra,
});

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
    return undefined;
  } catch (err) {
    return (err as { code?: string }).code;
  }
}

async function asyncCodeOf(fn: () => Promise<unknown>): Promise<string | undefined> {
  try {
    await fn();
    return undefined;
  } catch (err) {
    return (err as { code?: string }).code;
  }
}

describe('token expiry', () => {
  it('accepts a token before its expiresAt and refuses it after (401 TOKEN_EXPIRED)', () => {
    let now = new Date('2026-12-01T00:00:00Z');
    const auth = createTokenAuthenticator([entry({ expiresAt: '2026-12-01T12:00:00Z' })], { now: () => now });
    expect(codeOf(() => auth.authenticate(`Bearer ${token}`))).toBeUndefined();
    now = new Date('2026-12-01T12:00:00Z');
    expect(codeOf(() => auth.authenticate(`Bearer ${token}`))).toBe('TOKEN_EXPIRED');
  });

  it('refuses a token marked revokedAt (401 TOKEN_REVOKED)', () => {
    const auth = createTokenAuthenticator([entry({ revokedAt: '2026-11-30T08:00:00Z' })], {
      now: () => new Date('2026-12-01T00:00:00Z'),
    });
    expect(codeOf(() => auth.authenticate(`Bearer ${token}`))).toBe('TOKEN_REVOKED');
  });
});

describe('revocation through the secret store, without a redeploy', () => {
  it.each<[string, object[]]>([
    ['marked revokedAt', [entry({ revokedAt: '2026-12-01T00:00:10Z' })]],
    ['removed from the list', [{ ...entry(), tokenSha256: hashToken('tok_someone_else_0123456789') }]],
  ])('a token %s is refused on every instance within one refresh period (<= 1 minute)', async (_label, after) => {
    // prepare: the secret as KMS holds it, a clock we move, an authenticator as a warm instance has it
    let stored = JSON.stringify([entry()]);
    let now = new Date('2026-12-01T00:00:00Z');
    const clock = { now: () => now };
    const source = createCachedSecretSource({
      fetch: async () => stored,
      ttlMs: TOKEN_REFRESH_SECONDS * 1000,
      clock,
    });
    const auth = createRefreshingTokenAuthenticator({ load: () => source.get('nlb-mtls/api-tokens'), clock });
    expect(await asyncCodeOf(() => auth.authenticate(`Bearer ${token}`))).toBeUndefined();

    // act: the operator revokes the token in the secret store
    stored = JSON.stringify(after);
    now = new Date(now.getTime() + 10_000);
    const soonAfter = await asyncCodeOf(() => auth.authenticate(`Bearer ${token}`));
    now = new Date(now.getTime() + TOKEN_REFRESH_SECONDS * 1000);
    const oneRefreshLater = await asyncCodeOf(() => auth.authenticate(`Bearer ${token}`));

    // assess: served from the cache for at most one refresh period, refused after it
    expect(TOKEN_REFRESH_SECONDS).toBeLessThanOrEqual(30);
    expect(soonAfter).toBeUndefined();
    expect(['TOKEN_REVOKED', 'UNAUTHORIZED']).toContain(oneRefreshLater);
  });
});

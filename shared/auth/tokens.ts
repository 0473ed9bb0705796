/**
 * Bearer tokens as configured in `API_TOKENS` (in the cloud: a KMS secret, see shared/secrets/): only the SHA-256
 * of each token is stored, so a leaked config grants nothing. A lookup hashes the presented token and finds its
 * entry by hash (no comparison on secrets). A token may expire (`expiresAt`) and be revoked (`revokedAt`, or its
 * entry removed): with the list read from the secret store, `createRefreshingTokenAuthenticator` re-reads it at
 * most every TOKEN_REFRESH_SECONDS, so a revocation holds on every instance within a minute, with no redeploy.
 */
import { createHash } from 'node:crypto';
import * as z from 'zod';
import { AppError, UnauthorizedError } from '../errors/index.js';
import { systemClock, type Clock } from '../domain/ports.js';
import { AccessPolicySchema } from './policy.js';
import type { TokenPrincipal } from './principal.js';

/** How long a warm instance may use the token list it read from the secret store before reading it again. */
export const TOKEN_REFRESH_SECONDS = 30;

/** Tenants name folders in the bucket: lower-case letters, digits and dashes only. */
export const TenantSchema = z
  .string()
  .regex(/^[a-z0-9][a-z0-9-]{0,62}$/, 'tenant: lower-case letters, digits and dashes, at most 63');

/** Per-token limits (cert-api's defaults apply where absent): requests per minute and issuances per UTC day. */
export const TokenLimitsSchema = z.strictObject({
  requestsPerMinute: z.int().min(1).max(100_000).optional(),
  issuancesPerDay: z.int().min(0).max(1_000_000).optional(),
});
export type TokenLimits = z.infer<typeof TokenLimitsSchema>;

export const ApiTokenSchema = z.strictObject({
  tokenSha256: z.string().regex(/^[0-9a-f]{64}$/, 'tokenSha256: 64 lower-case hex digits'),
  tenant: TenantSchema,
  name: z.string().regex(/^[A-Za-z0-9._-]{1,64}$/, 'name: 1 to 64 letters, digits, . _ -'),
  policy: AccessPolicySchema,
  /** The token is refused from this instant on (ISO 8601). */
  expiresAt: z.iso.datetime({ offset: true }).optional(),
  /** Revoked at this instant: refused from then on (kept in the list so the audit trail can name it). */
  revokedAt: z.iso.datetime({ offset: true }).optional(),
  limits: TokenLimitsSchema.optional(),
});
export type ApiToken = z.infer<typeof ApiTokenSchema>;
export const ApiTokensSchema = z.array(ApiTokenSchema).min(1);

export function hashToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

export interface TokenAuthenticator {
  /** The principal for an `Authorization` header value; 401 when missing, malformed, unknown, expired or revoked. */
  authenticate(authorization: string | undefined): TokenPrincipal | Promise<TokenPrincipal>;
  /** The token list in force now (renewal by possession asks whether any of a tenant's tokens enables it). */
  tokens(): readonly ApiToken[] | Promise<readonly ApiToken[]>;
}
export interface StaticTokenAuthenticator extends TokenAuthenticator {
  authenticate(authorization: string | undefined): TokenPrincipal;
}
export interface RefreshingTokenAuthenticator extends TokenAuthenticator {
  authenticate(authorization: string | undefined): Promise<TokenPrincipal>;
}

// The scheme is case-insensitive (RFC 9110); the token68 characters are those of RFC 6750.
const BEARER = /^bearer ([A-Za-z0-9._~+/=-]{16,512})$/i;

class TokenRefusedError extends AppError {
  constructor(code: 'TOKEN_EXPIRED' | 'TOKEN_REVOKED', message: string) {
    super(code, 401, message);
  }
}

function indexTokens(tokens: readonly ApiToken[]): Map<string, ApiToken> {
  const byHash = new Map(tokens.map((t) => [t.tokenSha256, t]));
  if (byHash.size !== tokens.length) throw new Error('API_TOKENS lists the same token twice');
  return byHash;
}

function principalFor(byHash: Map<string, ApiToken>, authorization: string | undefined, now: Date): TokenPrincipal {
  const match = authorization?.trim().match(BEARER);
  if (!match) throw new UnauthorizedError();
  const entry = byHash.get(hashToken(match[1]));
  if (!entry) throw new UnauthorizedError('The bearer token is not valid.');
  if (entry.revokedAt && Date.parse(entry.revokedAt) <= now.getTime())
    throw new TokenRefusedError('TOKEN_REVOKED', 'The bearer token was revoked.');
  if (entry.expiresAt && Date.parse(entry.expiresAt) <= now.getTime())
    throw new TokenRefusedError('TOKEN_EXPIRED', 'The bearer token has expired.');
  return {
    kind: 'token',
    tenant: entry.tenant,
    name: entry.name,
    policy: entry.policy,
    ...(entry.limits ? { limits: entry.limits } : {}),
  };
}

/** A fixed token list (API_TOKENS given directly, e.g. locally): expiry and `revokedAt` still apply. */
export function createTokenAuthenticator(
  tokens: readonly ApiToken[],
  clock: Clock = systemClock,
): StaticTokenAuthenticator {
  const byHash = indexTokens(tokens);
  return { authenticate: (authorization) => principalFor(byHash, authorization, clock.now()), tokens: () => tokens };
}

/** Parses the JSON of API_TOKENS; the message names what is wrong, never a value. */
export function parseApiTokens(json: string): ApiToken[] {
  let raw: unknown;
  try {
    raw = JSON.parse(json);
  } catch {
    throw new Error('API_TOKENS is not valid JSON');
  }
  const parsed = ApiTokensSchema.safeParse(raw);
  if (!parsed.success)
    throw new Error(`API_TOKENS: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
  return parsed.data;
}

/**
 * The token list from a source that changes (the KMS secret, cached by the caller for TOKEN_REFRESH_SECONDS).
 * A new text is parsed once; a text that does not parse keeps the last good list (and the error surfaces in the
 * logs of the caller's source), so a typo in the secret cannot lock every caller out.
 */
export function createRefreshingTokenAuthenticator(options: {
  load: () => Promise<string>;
  clock?: Clock;
  onInvalid?: (err: unknown) => void;
}): RefreshingTokenAuthenticator {
  const clock = options.clock ?? systemClock;
  let last: { text: string; tokens: ApiToken[]; byHash: Map<string, ApiToken> } | undefined;
  const current = async () => {
    const text = await options.load();
    if (text !== last?.text) {
      try {
        const tokens = parseApiTokens(text);
        last = { text, tokens, byHash: indexTokens(tokens) };
      } catch (err) {
        if (!last) throw err;
        options.onInvalid?.(err);
      }
    }
    return last!;
  };
  return {
    async authenticate(authorization) {
      return principalFor((await current()).byHash, authorization, clock.now());
    },
    async tokens() {
      return (await current()).tokens;
    },
  };
}

/**
 * Bearer tokens as configured in `API_TOKENS`: only the SHA-256 of each token is stored, so a leaked config
 * grants nothing. A lookup hashes the presented token and finds its entry by hash (no comparison on secrets).
 */
import { createHash } from 'node:crypto';
import { z } from 'zod';
import { UnauthorizedError } from '../errors/index.js';
import { AccessPolicySchema } from './policy.js';
import type { TokenPrincipal } from './principal.js';

/** Tenants name folders in the bucket: lower-case letters, digits and dashes only. */
export const TenantSchema = z
  .string()
  .regex(/^[a-z0-9][a-z0-9-]{0,62}$/, 'tenant: lower-case letters, digits and dashes, at most 63');

export const ApiTokenSchema = z.strictObject({
  tokenSha256: z.string().regex(/^[0-9a-f]{64}$/, 'tokenSha256: 64 lower-case hex digits'),
  tenant: TenantSchema,
  name: z.string().min(1).max(64),
  policy: AccessPolicySchema,
});
export type ApiToken = z.infer<typeof ApiTokenSchema>;
export const ApiTokensSchema = z.array(ApiTokenSchema).min(1);

export function hashToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

export interface TokenAuthenticator {
  /** The principal for an `Authorization` header value; 401 when missing, malformed or unknown. */
  authenticate(authorization: string | undefined): TokenPrincipal;
}

// The scheme is case-insensitive (RFC 9110); the token68 characters are those of RFC 6750.
const BEARER = /^bearer ([A-Za-z0-9._~+/=-]{16,512})$/i;

export function createTokenAuthenticator(tokens: readonly ApiToken[]): TokenAuthenticator {
  const byHash = new Map(tokens.map((t) => [t.tokenSha256, t]));
  if (byHash.size !== tokens.length) throw new Error('API_TOKENS lists the same token twice');
  return {
    authenticate(authorization) {
      const match = authorization?.trim().match(BEARER);
      if (!match) throw new UnauthorizedError();
      const entry = byHash.get(hashToken(match[1]));
      if (!entry) throw new UnauthorizedError('The bearer token is not valid.');
      return { kind: 'token', tenant: entry.tenant, name: entry.name, policy: entry.policy };
    },
  };
}

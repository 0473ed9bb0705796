/**
 * Which policy governs a renewal by proof of possession (no bearer token is presented): the policies of the
 * certificate's tenant's tokens in force (not expired or revoked) that set `renewByPossession`. The renewal passes when one of them allows the
 * renewed certificate's facts, exactly as `checkCertificateRequest` judges an API request. Pure.
 */
import type { KeyAlgorithm } from '../domain/client-certificate.js';
import { checkCertificateRequest, type CertificateRequestFacts, type PolicyViolation } from './decisions.js';
import type { ApiToken } from './tokens.js';

export interface PossessionViolation {
  rule: PolicyViolation['rule'] | 'renewByPossession';
  message: string;
}

/** Token entries may carry an end of life (`expiresAt`, `revokedAt`); a token past it enables nothing. */
type Dated = { expiresAt?: string; revokedAt?: string };

function inForce(token: ApiToken & Dated, now: Date): boolean {
  const ended = (at: string | undefined) => at !== undefined && Date.parse(at) <= now.getTime();
  return !ended(token.expiresAt) && !ended(token.revokedAt);
}

export function possessionEnabledTokens(tokens: readonly ApiToken[], tenant: string, now: Date): ApiToken[] {
  return tokens.filter((t) => t.tenant === tenant && t.policy.renewByPossession === true && inForce(t, now));
}

/** The enabling token whose policy allows `facts`, or the reason none does. */
export function possessionPolicyFor(
  tokens: readonly ApiToken[],
  tenant: string,
  facts: CertificateRequestFacts,
  now: Date,
): { token: ApiToken } | { violation: PossessionViolation } {
  const enabled = possessionEnabledTokens(tokens, tenant, now);
  if (enabled.length === 0) {
    return {
      violation: {
        rule: 'renewByPossession',
        message: "Renewal by possession is not enabled for this certificate's tenant.",
      },
    };
  }
  let first: PolicyViolation | undefined;
  for (const token of enabled) {
    const violation = checkCertificateRequest(token.policy, facts);
    if (!violation) return { token };
    first ??= violation;
  }
  return { violation: first! };
}

const FAMILY_SIZE: Record<KeyAlgorithm, { family: 'rsa' | 'ec'; size: number }> = {
  RSA_2048: { family: 'rsa', size: 2048 },
  RSA_3072: { family: 'rsa', size: 3072 },
  RSA_4096: { family: 'rsa', size: 4096 },
  EC_P256: { family: 'ec', size: 256 },
  EC_P384: { family: 'ec', size: 384 },
};

/**
 * A certificate renewing itself keeps its key family and never gets weaker (an EC P-384 certificate cannot come
 * back as P-256, nor as RSA). A stronger key of the same family is fine when the policy allows it.
 */
export function keyChangeViolation(current: KeyAlgorithm, next: KeyAlgorithm): PossessionViolation | undefined {
  const a = FAMILY_SIZE[current];
  const b = FAMILY_SIZE[next];
  if (a.family === b.family && b.size >= a.size) return undefined;
  return {
    rule: 'keyAlgorithms',
    message: `A certificate renewing itself keeps its key type: this one has ${current}, the CSR has ${next}.`,
  };
}

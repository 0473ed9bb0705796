/** Who is asking: an API caller (token, tenant, policy) or one of our own functions acting for every tenant. */
import type { SubjectAltNames } from '../domain/client-certificate.js';
import { namesAllowed } from './decisions.js';
import type { AccessPolicy } from './policy.js';

export interface TokenPrincipal {
  kind: 'token';
  tenant: string;
  /** The token's name from config, for audit lines (never the token itself). */
  name: string;
  policy: AccessPolicy;
  /** The token's own limits, when its entry names any (cert-api's defaults otherwise). */
  limits?: { requestsPerMinute?: number; issuancesPerDay?: number };
}

/** Renewal and reconciliation: no name policy, every tenant's certificates; `tenant` names what it issues itself. */
export interface SystemPrincipal {
  kind: 'system';
  name: string;
  tenant?: string;
}

export type Principal = TokenPrincipal | SystemPrincipal;

export function systemPrincipal(name: string, tenant?: string): SystemPrincipal {
  return { kind: 'system', name, tenant };
}

/** The tenant a new certificate belongs to. */
export function tenantOf(principal: Principal): string {
  return principal.kind === 'token' ? principal.tenant : (principal.tenant ?? 'system');
}

/**
 * A principal sees a certificate when it is a system principal, or the certificate is its tenant's AND every name
 * in it (CN and SANs) is one its policy allows. This is the one gate of every operation on an existing certificate
 * (read, list, links, renew, revoke): a token restricted to some names cannot reach (and so cannot download the
 * key of) its tenant's other certificates; they answer as if they did not exist.
 */
export function canSee(
  principal: Principal,
  certificate: { tenant: string; commonName: string; sans: SubjectAltNames },
): boolean {
  if (principal.kind === 'system') return true;
  return principal.tenant === certificate.tenant && namesAllowed(principal.policy, certificate);
}

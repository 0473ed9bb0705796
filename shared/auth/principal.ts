/** Who is asking: an API caller (token, tenant, policy) or one of our own functions acting for every tenant. */
import type { AccessPolicy } from './policy.js';

export interface TokenPrincipal {
  kind: 'token';
  tenant: string;
  /** The token's name from config, for audit lines (never the token itself). */
  name: string;
  policy: AccessPolicy;
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

/** A principal sees a certificate when it is a system principal or the certificate is its tenant's. */
export function canSee(principal: Principal, tenant: string): boolean {
  return principal.kind === 'system' || principal.tenant === tenant;
}

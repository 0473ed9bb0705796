/**
 * Why: the bucket keys of the fleet summary, built in one place from a tenant that passed the token schema
 * (`[a-z0-9-]`): per tenant the entries (the scheduler's working state, and what a name-restricted token's
 * summary is computed from) and the summary of the whole tenant.
 */
export const FLEET_TENANTS_PREFIX = 'fleet/tenants/';
export const fleetEntriesKey = (tenant: string) => `${FLEET_TENANTS_PREFIX}${tenant}/entries.json`;
export const fleetSummaryKey = (tenant: string) => `${FLEET_TENANTS_PREFIX}${tenant}/summary.json`;

const TENANT = /^[a-z0-9][a-z0-9-]{0,62}$/;

/** `fleet/tenants/<tenant>/` -> the tenant, or undefined for anything else found under the prefix. */
export function tenantOfPrefix(prefix: string): string | undefined {
  const m = prefix.match(/^fleet\/tenants\/([^/]+)\/$/);
  return m && TENANT.test(m[1]) ? m[1] : undefined;
}

/**
 * Why: a summary made for a whole tenant may only be shown to a token that could see every one of the tenant's
 * certificates anyway. That is the case exactly when every name check passes whatever the name: `*` (which allows
 * everything) among the common-name patterns and the patterns of every SAN type, and wildcard names allowed.
 */
import type { AccessPolicy } from './policy.js';

const SAN_TYPES = ['dns', 'uri', 'email', 'ip'] as const;

export function allowsEveryName(policy: AccessPolicy): boolean {
  return (
    policy.allowWildcardNames &&
    policy.commonNamePatterns.includes('*') &&
    SAN_TYPES.every((type) => policy.sanPatterns[type].includes('*'))
  );
}

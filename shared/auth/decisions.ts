/**
 * Pure policy decisions (cert-manager's style): each check returns the violated rule, or nothing. The rule is
 * the policy field's name, so a 403 tells the caller exactly which part of its policy said no.
 */
import type { KeyAlgorithm, SubjectAltNames } from '../domain/client-certificate.js';
import { ForbiddenError } from '../errors/index.js';
import {
  matchesAny,
  matchesDnsPattern,
  matchesEmailPattern,
  matchesIpPattern,
  matchesUriPattern,
} from './name-patterns.js';
import type { AccessPolicy, Operation, SubjectAttributeType } from './policy.js';
import type { Principal } from './principal.js';

export type PolicyRule =
  | 'operations'
  | 'wildcardNames'
  | 'commonNamePatterns'
  | 'sanPatterns.dns'
  | 'sanPatterns.uri'
  | 'sanPatterns.email'
  | 'sanPatterns.ip'
  | 'keyAlgorithms'
  | 'maxValidityDays'
  | 'subjectAttributes';

export interface PolicyViolation {
  rule: PolicyRule;
  message: string;
}

/** What a policy judges about a certificate request (issue or renew). */
export interface CertificateRequestFacts {
  commonName: string;
  sans: SubjectAltNames;
  keyAlgorithm: KeyAlgorithm;
  validityDays: number;
  /** CSR subject attributes besides CN (CSR mode). */
  subjectAttributes?: ReadonlyArray<{ type: SubjectAttributeType; value: string }>;
}

export function checkOperation(policy: AccessPolicy, operation: Operation): PolicyViolation | undefined {
  if (policy.operations.includes(operation)) return undefined;
  return { rule: 'operations', message: `The token's policy does not allow the '${operation}' operation.` };
}

const SAN_RULES = [
  { type: 'dns', rule: 'sanPatterns.dns', label: 'DNS', matcher: matchesDnsPattern },
  { type: 'uri', rule: 'sanPatterns.uri', label: 'URI', matcher: matchesUriPattern },
  { type: 'email', rule: 'sanPatterns.email', label: 'e-mail', matcher: matchesEmailPattern },
  { type: 'ip', rule: 'sanPatterns.ip', label: 'IP', matcher: matchesIpPattern },
] as const;

/** Only the names: the check applied to every operation on an existing certificate (see principal.canSee). */
export function checkNames(
  policy: AccessPolicy,
  names: { commonName: string; sans: SubjectAltNames },
): PolicyViolation | undefined {
  if (!policy.allowWildcardNames && [names.commonName, ...names.sans.dns].some((name) => name.includes('*'))) {
    return { rule: 'wildcardNames', message: "The token's policy does not allow wildcard names." };
  }
  if (!matchesAny(names.commonName, policy.commonNamePatterns, matchesDnsPattern)) {
    return {
      rule: 'commonNamePatterns',
      message: `The token's policy does not allow the common name '${names.commonName}'.`,
    };
  }
  for (const { type, rule, label, matcher } of SAN_RULES) {
    const patterns = policy.sanPatterns[type];
    for (const value of names.sans[type]) {
      if (patterns.length === 0) return { rule, message: `The token's policy does not allow ${label} SANs.` };
      if (!matchesAny(value, patterns, matcher))
        return { rule, message: `The token's policy does not allow the ${label} SAN '${value}'.` };
    }
  }
  return undefined;
}

export function namesAllowed(policy: AccessPolicy, names: { commonName: string; sans: SubjectAltNames }): boolean {
  return checkNames(policy, names) === undefined;
}

/** `*` in an attribute pattern stands for any run of characters; matching is exact and case-sensitive otherwise. */
function matchesAttribute(value: string, pattern: string): boolean {
  if (pattern === '*') return true;
  const source = pattern
    .split('*')
    .map((part) => part.replace(/[.+?^${}()|[\]\\/]/g, '\\$&'))
    .join('.+');
  return new RegExp(`^${source}$`, 'u').test(value);
}

export function checkSubjectAttributes(
  policy: AccessPolicy,
  attributes: ReadonlyArray<{ type: SubjectAttributeType; value: string }>,
): PolicyViolation | undefined {
  for (const { type, value } of attributes) {
    const patterns = policy.subjectAttributes?.[type] ?? [];
    if (!patterns.some((p) => matchesAttribute(value, p)))
      return {
        rule: 'subjectAttributes',
        message: `The token's policy does not allow the subject attribute ${type}='${value}' in a CSR.`,
      };
  }
  return undefined;
}

export function checkCertificateRequest(
  policy: AccessPolicy,
  facts: CertificateRequestFacts,
): PolicyViolation | undefined {
  const names = checkNames(policy, facts);
  if (names) return names;
  const subject = checkSubjectAttributes(policy, facts.subjectAttributes ?? []);
  if (subject) return subject;
  if (!policy.keyAlgorithms.includes(facts.keyAlgorithm)) {
    return { rule: 'keyAlgorithms', message: `The token's policy does not allow ${facts.keyAlgorithm} keys.` };
  }
  if (facts.validityDays > policy.maxValidityDays) {
    return {
      rule: 'maxValidityDays',
      message: `The token's policy allows at most ${policy.maxValidityDays} days of validity.`,
    };
  }
  return undefined;
}

export function forbidden(violation: PolicyViolation): ForbiddenError {
  return new ForbiddenError(violation.rule, violation.message);
}

/** Throws 403 unless the principal may run `operation`; system principals may run everything. */
export function requireOperation(principal: Principal, operation: Operation): void {
  if (principal.kind === 'system') return;
  const violation = checkOperation(principal.policy, operation);
  if (violation) throw forbidden(violation);
}

/**
 * What one API token may do: which names it may put in a certificate, which keys, how long, which operations.
 * Patterns are globs: `*` stands for one or more characters inside one DNS label (or URI path segment, or
 * e-mail local part), `**` for any run of characters, and a pattern that is exactly `*` allows everything.
 * IP patterns are addresses or CIDR blocks (`10.0.0.0/8`, `2001:db8::/32`).
 */
import * as z from 'zod';
import type { KeyAlgorithm } from '../domain/client-certificate.js';

export const KEY_ALGORITHM_VALUES = [
  'RSA_2048',
  'RSA_3072',
  'RSA_4096',
  'EC_P256',
  'EC_P384',
] as const satisfies readonly KeyAlgorithm[];
export const KeyAlgorithmSchema = z.enum(KEY_ALGORITHM_VALUES);

/**
 * `read` covers get and list (and the fleet summary, computed over the names the token may see); `webhooks` reads
 * and rotates the TENANT's webhook signing secret (a tenant-wide power: whoever holds it can sign events for every
 * certificate of the tenant, so it is granted explicitly); `listeners` reads the reconciler's last report on the
 * deployment's NLB listeners (not a tenant's data: they serve every tenant, so it is never implied either).
 */
export const OPERATIONS = ['issue', 'read', 'links', 'renew', 'revoke', 'webhooks', 'listeners'] as const;
export const OperationSchema = z.enum(OPERATIONS);
export type Operation = z.infer<typeof OperationSchema>;

const PatternSchema = z
  .string()
  .min(1)
  .max(255)
  .regex(/^[^\s,]+$/, 'patterns hold no spaces or commas');

export const SanPatternsSchema = z.strictObject({
  dns: z.array(PatternSchema).max(100).default([]),
  uri: z.array(PatternSchema).max(100).default([]),
  email: z.array(PatternSchema).max(100).default([]),
  ip: z.array(PatternSchema).max(100).default([]),
});

/** Subject attributes besides CN a CSR may carry, by type, as globs over the value (case-sensitive). */
export const SUBJECT_ATTRIBUTE_TYPES = ['C', 'ST', 'L', 'O', 'OU'] as const;
export type SubjectAttributeType = (typeof SUBJECT_ATTRIBUTE_TYPES)[number];
const AttributePatternSchema = z
  .string()
  .min(1)
  .max(64)
  .regex(/^[^\p{C}]+$/u, 'no control characters');
const attributePatterns = () => z.array(AttributePatternSchema).max(100).optional();
export const SubjectAttributesSchema = z.strictObject({
  C: attributePatterns(),
  ST: attributePatterns(),
  L: attributePatterns(),
  O: attributePatterns(),
  OU: attributePatterns(),
});

export const AccessPolicySchema = z.strictObject({
  commonNamePatterns: z.array(PatternSchema).min(1).max(100),
  sanPatterns: SanPatternsSchema.default({ dns: [], uri: [], email: [], ip: [] }),
  keyAlgorithms: z.array(KeyAlgorithmSchema).min(1).default(['RSA_2048', 'RSA_4096', 'EC_P256']),
  maxValidityDays: z.int().min(1).max(3650),
  operations: z.array(OperationSchema).min(1),
  /** Names containing `*` (wildcard certificates) are refused unless this is set. */
  allowWildcardNames: z.boolean().default(false),
  /** CSR subject attributes other than CN: none unless listed here (e.g. `{"O": ["Acme Devices"]}`). */
  subjectAttributes: SubjectAttributesSchema.optional(),
  /** Certificates of this token's tenant may renew themselves by proof of possession (no token): docs/api.md. */
  renewByPossession: z.boolean().optional(),
});
export type AccessPolicy = z.infer<typeof AccessPolicySchema>;

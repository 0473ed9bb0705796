/**
 * The API's request bodies and query, strict: an unknown field is a 400, not something silently ignored.
 * Checks that need config or the caller's policy (validity maximum, webhook hosts, name policy) and those
 * with their own error codes (common name, CSR, password) run in the service, after these.
 */
import { isIP } from 'node:net';
import * as z from 'zod';

/** Key types a caller may ask the service to generate (issue 4). CSRs may carry any type the policy allows. */
export const GeneratedKeyAlgorithmSchema = z.enum(['RSA_2048', 'RSA_4096', 'EC_P256']);
export const P12ProfileSchema = z.enum(['modern', 'compat']);

const LABEL = /^[a-z0-9][a-z0-9._-]{0,62}$/;
const DNS_NAME = /^(\*\.)?(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)*[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/i;
// CAS takes SAN values as one comma-separated string, so no value may hold a comma.
const noComma = (v: string) => !v.includes(',');

export const DnsNameSchema = z.string().max(253).regex(DNS_NAME, 'not a DNS name');
export const UriSanSchema = z
  .string()
  .max(2048)
  .refine(
    (v) => /^[a-z][a-z0-9+.-]*:[^\s]+$/i.test(v) && URL.canParse(v) && noComma(v),
    'not an absolute URI without spaces or commas',
  );
export const EmailSanSchema = z.email().max(254).refine(noComma, 'no commas');
export const IpSanSchema = z
  .string()
  .max(45)
  .refine((v) => isIP(v) !== 0, 'not an IPv4 or IPv6 address');

export const SansSchema = z.strictObject({
  dns: z.array(DnsNameSchema).max(50).default([]),
  uri: z.array(UriSanSchema).max(50).default([]),
  email: z.array(EmailSanSchema).max(50).default([]),
  ip: z.array(IpSanSchema).max(50).default([]),
});

export const NotifySchema = z.strictObject({ webhookUrl: z.string().min(1).max(2048) });

export const LabelsSchema = z
  .record(z.string().regex(LABEL, 'label keys: lower-case letters, digits, . _ -'), z.string().max(256))
  .refine((labels) => Object.keys(labels).length <= 20, 'at most 20 labels');

/** The refusal of a server-key-only field in CSR mode, the same on issue and on renew. */
export function csrModeFieldMessage(field: string): string {
  return `${field} does not apply when a csr is sent (the key stays with the caller)`;
}

export const IssueRequestSchema = z
  .strictObject({
    // Length and characters are checked by checkCommonName (code COMMON_NAME_INVALID), not here.
    commonName: z.string().min(1).max(1024),
    sans: SansSchema.default({ dns: [], uri: [], email: [], ip: [] }),
    // No upper bound here: any whole number above the configured maximum gets VALIDITY_TOO_LONG from the service.
    validityDays: z.number().min(1).refine(Number.isInteger, 'a whole number of days').optional(),
    keyAlgorithm: GeneratedKeyAlgorithmSchema.optional(),
    csr: z.string().min(1).optional(),
    p12Profile: P12ProfileSchema.optional(),
    p12Password: z.string().optional(),
    autoRenew: z.boolean().default(true),
    renewBeforeDays: z.int().min(1).max(3650).optional(),
    notify: NotifySchema.optional(),
    labels: LabelsSchema.default({}),
  })
  .superRefine((body, ctx) => {
    if (body.csr === undefined) return;
    for (const field of ['keyAlgorithm', 'p12Profile', 'p12Password'] as const) {
      if (body[field] !== undefined)
        ctx.addIssue({ code: 'custom', path: [field], message: csrModeFieldMessage(field) });
    }
  });
export type IssueRequest = z.infer<typeof IssueRequestSchema>;

export const RenewRequestSchema = z
  .strictObject({
    csr: z.string().min(1).optional(),
    revokePrevious: z.boolean().default(false),
    p12Password: z.string().optional(),
    /** Renew only if this is still the current generation: a retried call then never renews twice. */
    expectedGeneration: z.int().min(1).optional(),
  })
  .superRefine((body, ctx) => {
    if (body.csr !== undefined && body.p12Password !== undefined)
      ctx.addIssue({ code: 'custom', path: ['p12Password'], message: csrModeFieldMessage('p12Password') });
  });
export type RenewRequest = z.infer<typeof RenewRequestSchema>;

export const REVOCATION_REASONS = [
  'unspecified',
  'keyCompromise',
  'affiliationChanged',
  'superseded',
  'cessationOfOperation',
] as const;
export const RevokeRequestSchema = z.strictObject({ reason: z.enum(REVOCATION_REASONS).default('unspecified') });
export type RevocationReason = (typeof REVOCATION_REASONS)[number];

export const LinksRequestSchema = z.strictObject({ expiresInSeconds: z.int().min(1).optional() });

export const LIST_STATUS_FILTERS = ['ACTIVE', 'REVOKED', 'EXPIRED', 'RENEWAL_FAILING'] as const;
export const ListQuerySchema = z.strictObject({
  status: z.enum(LIST_STATUS_FILTERS).optional(),
  commonNamePrefix: z.string().min(1).max(64).optional(),
  limit: z
    .string()
    .regex(/^\d{1,3}$/, 'an integer from 1 to 100')
    .transform(Number)
    .pipe(z.int().min(1).max(100))
    .optional(),
  nextToken: z.string().min(1).max(512).optional(),
});
export type ListQuery = z.infer<typeof ListQuerySchema>;

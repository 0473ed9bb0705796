/**
 * Everything the emulated private CA does where the published CAS 2020-06-30 models are silent, in one place.
 * Each entry is ASSUMED: the emulator has to answer something, but the project's code must work whatever the real
 * CA does here (tests flip the switches to prove it). Documented behaviour lives in pca.ts / pca-actions.ts with its
 * source; nothing here is imported by code under test.
 */

/** What a second CreateClientCertificateWithCsr with an already used `CustomIdentifier` does. The model only says
 * "a unique key". `new`: issue another certificate anyway (the default, the worse case for us); `refuse`: fail. */
export type CustomIdentifierRepeats = 'new' | 'refuse';
export const DEFAULT_CUSTOM_IDENTIFIER_REPEATS: CustomIdentifierRepeats = 'new';
export const CUSTOM_IDENTIFIER_TAKEN = {
  status: 400,
  code: 'InvalidParameter.CustomIdentifier',
  message: 'The CustomIdentifier is already used by another certificate.',
} as const;

/** Revoking a certificate that is already revoked: refused (no error code is published; this one is ours). */
export const ALREADY_REVOKED = {
  status: 400,
  code: 'IncorrectCertificateStatus',
  message: 'The certificate is not in a status that allows this operation.',
} as const;

/** An identifier the CA does not know (no per-action not-found code is published). */
export const CERTIFICATE_NOT_FOUND = { status: 404, code: 'NotFound.Certificate' } as const;

/** A client key whose family differs from the sub-CA's. The rule is documented (Algorithm: "must be the same as that
 * of the sub-CA certificate"); the error code is not. */
export const KEY_FAMILY_MISMATCH = {
  status: 400,
  code: 'InvalidParameter.Algorithm',
  message: 'The algorithm of the client certificate must be the same as that of the sub-CA certificate.',
} as const;

/** `BeforeTime` in the past: undocumented whether CAS back-dates. The emulator refuses a start more than this far
 * before its own clock, so code that back-dates fails loudly here. */
export const BACKDATE_TOLERANCE_MS = 5 * 60_000;
export const BEFORE_TIME_IN_PAST = {
  status: 400,
  code: 'InvalidParameter.BeforeTime',
  message: 'BeforeTime must not be in the past.',
} as const;

/** With `Immediately` 0 (the documented default) the answer holds no certificate; we assume it still names the
 * certificate (Identifier, SerialNumber), as the response model's fields suggest. */
export const IMMEDIATELY_ZERO_KEEPS_IDENTIFIER = true;

/** ListCert's `AfterDate`/`BeforeDate` texts (`2024-05-13 12:59:45`) carry no zone: the emulator reads them as
 * China Standard Time (UTC+8), the console's zone, so a caller that writes UTC sees more, never less. */
export const LIST_CERT_DATE_OFFSET_MS = 8 * 3_600_000;

/** Whether ListCert honours its `ParentIdentifier` filter (documented as a filter; items carry no parent to check).
 * Tests switch it off to prove a scan filters on its own side. */
export const LIST_CERT_FILTERS_BY_PARENT = true;

/** ListCert's `MaxResults` has no documented maximum; the emulator caps a page at this. */
export const LIST_CERT_MAX_RESULTS = 100;

/** Subject attributes: the model documents defaults (Organization "Alibaba Inc.", OrganizationUnit "Aliyun CDN",
 * Locality and State of the sub-CA's organization) but not whether they are added to a CSR's subject. The emulator
 * certifies the CSR's common name only; the project checks only the common name and SANs of what it receives, so
 * either answer passes. */
export const SUBJECT_DEFAULTS_APPLIED = false;

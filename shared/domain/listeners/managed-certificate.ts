/**
 * A listener's server certificate managed by the reconciler: what the desired state declares (names, key
 * algorithm, lifetime, renew-before), the state kept in the bucket between runs, and the pure decisions: is a new
 * certificate due, and why; would the private CA refuse it; which retired certificates may leave the store.
 *
 * Sources for what CAS refuses (CreateServerCertificateWithCsr, contracts/cas-2020-06-30): the key's algorithm
 * family must be the sub-CA's ("The encryption algorithm of the server certificate must be the same as that of the
 * subordinate CA certificate"); the validity "cannot exceed the validity period of the subordinate CA certificate";
 * `Domain` is "domain names and IP addresses ... separate multiple values with commas". X.509 limits the common
 * name to 64 characters (RFC 5280 ub-common-name). ASSUMED (undocumented): which name syntax CAS refuses; we refuse
 * what no TLS client would accept (not a host name, a wildcard other than a whole leftmost label, a comma).
 */
import { createHash } from 'node:crypto';
import { isIP } from 'node:net';
import * as z from 'zod';
import type { KeyAlgorithm } from '../client-certificate.js';
import type { CaFacts } from './ports.js';

const DAY_MS = 86_400_000;
const HOUR_MS = 3_600_000;
/** RFC 5280 ub-common-name. */
export const MAX_COMMON_NAME = 64;
const DNS_LABEL = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;

/** Why a name cannot go into a server certificate, or undefined when it can. */
export function serverNameProblem(name: string): string | undefined {
  if (name !== name.trim() || name.length === 0) return 'is empty or has spaces around it';
  if (name.includes(',')) return 'contains a comma (CAS takes the names as one comma-separated list)';
  if (isIP(name)) return undefined;
  if (name.length > 253) return 'is longer than 253 characters';
  if (name !== name.toLowerCase()) return 'must be lower case';
  const labels = name.split('.');
  if (labels.length < 2) return 'is not a fully qualified host name';
  for (const [i, label] of labels.entries()) {
    if (label === '*') {
      if (i !== 0) return 'has a wildcard that is not the whole leftmost label';
      if (labels.length < 3) return 'is a wildcard for a top-level domain';
      continue;
    }
    if (label.includes('*')) return 'has a wildcard that is not the whole leftmost label';
    if (!DNS_LABEL.test(label)) return `has an invalid label ${JSON.stringify(label)}`;
  }
  return undefined;
}

export const MANAGED_KEY_ALGORITHMS = ['EC_P256', 'EC_P384', 'RSA_2048', 'RSA_4096'] as const;

export const ManagedServerCertificateSchema = z
  .strictObject({
    /** The first is the common name; all go into the certificate as SANs (DNS names or IP addresses). */
    names: z.array(z.string()).min(1).max(50),
    keyAlgorithm: z.enum(MANAGED_KEY_ALGORITHMS).default('EC_P256'),
    validityDays: z.int().min(1).max(3650).default(90),
    /** A new certificate this long before the current one expires; default: at 2/3 of its lifetime. */
    renewBeforeDays: z.int().min(1).max(3650).optional(),
    /** The sub-CA that issues it: a PCA identifier, or `default` (SERVER_CERTIFICATE_ISSUER, else PCA_PARENT_IDENTIFIER). */
    issuer: z
      .union([
        z.literal('default'),
        z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/, "a PCA identifier or 'default'"),
      ])
      .default('default'),
    /** How long a replaced certificate stays in the certificate store (a listener may still be switching to the new one). */
    retireAfterHours: z
      .int()
      .min(0)
      .max(24 * 90)
      .default(24),
  })
  .superRefine((m, ctx) => {
    m.names.forEach((name, i) => {
      const problem = serverNameProblem(name);
      if (problem) ctx.addIssue({ code: 'custom', path: ['names', i], message: `${JSON.stringify(name)} ${problem}` });
    });
    if (new Set(m.names).size !== m.names.length)
      ctx.addIssue({ code: 'custom', path: ['names'], message: 'a name is listed twice' });
    if (m.names[0] && m.names[0].length > MAX_COMMON_NAME)
      ctx.addIssue({
        code: 'custom',
        path: ['names', 0],
        message: `the first name becomes the common name, which X.509 limits to ${MAX_COMMON_NAME} characters: put a shorter name first`,
      });
    if (m.renewBeforeDays !== undefined && m.renewBeforeDays >= m.validityDays)
      ctx.addIssue({ code: 'custom', path: ['renewBeforeDays'], message: 'must be less than validityDays' });
  });
export type ManagedServerCertificateDeclaration = z.infer<typeof ManagedServerCertificateSchema>;

/** The declaration with `issuer: default` resolved to a PCA identifier. */
export interface ManagedServerCertificate {
  names: string[];
  keyAlgorithm: KeyAlgorithm;
  validityDays: number;
  renewBeforeDays?: number;
  issuer: string;
  retireAfterHours: number;
}

/** What must be true of a certificate for it to satisfy the declaration (changing any of it means a new one). */
export function managedSpecHash(spec: ManagedServerCertificate): string {
  const input = JSON.stringify([spec.names, spec.keyAlgorithm, spec.validityDays, spec.issuer]);
  return createHash('sha256').update(input).digest('hex').slice(0, 32);
}

/** A certificate we issued, uploaded and put on the listener (or are about to). */
export interface ManagedCertificateRef {
  certId: string;
  certIdentifier: string;
  serialNumber: string;
  /** The private CA's identifier of the certificate. */
  casIdentifier: string;
  notBefore: string;
  notAfter: string;
  fingerprintSha256: string;
  specHash: string;
}

/** A replacement in flight: each step records what it did, so a crash resumes at the next one. */
export interface PendingServerCertificate {
  startedAt: string;
  reason: RenewalReason;
  specHash: string;
  /** Sent as CustomIdentifier, derived from the listener and the start time. */
  customIdentifier: string;
  csrPem: string;
  /** Sealed with STATE_KEY; deleted once the certificate store holds the key (it is never needed again). */
  sealedKey?: unknown;
  issued?: { casIdentifier: string; serialNumber: string; certificatePem: string; chainPems: string[] };
  uploaded?: ManagedCertificateRef;
}

export interface RetiredCertificate {
  certId: string;
  certIdentifier: string;
  serialNumber: string;
  retiredAt: string;
  deleteAfter: string;
}

/** reconcile/server-certificates/<listener>.json */
export interface ManagedCertificateState {
  v: 1;
  listenerId: string;
  current?: ManagedCertificateRef;
  pending?: PendingServerCertificate;
  retired: RetiredCertificate[];
}

export type RenewalReason =
  | 'no-certificate'
  | 'missing-from-store'
  | 'renewal-window'
  | 'expired'
  | 'declaration-changed';

export type ManagedCertificateDecision =
  | { action: 'keep'; renewAt: Date }
  | { action: 'replace'; reason: RenewalReason; renewAt?: Date }
  | { action: 'resume'; pending: PendingServerCertificate };

/** cert-manager's rule: renewBefore when it is shorter than the lifetime, else at 2/3 of the lifetime actually issued. */
export function renewAtOf(notBefore: Date, notAfter: Date, renewBeforeDays: number | undefined): Date {
  const lifetime = notAfter.getTime() - notBefore.getTime();
  const before = renewBeforeDays !== undefined ? renewBeforeDays * DAY_MS : lifetime / 3;
  return new Date(notAfter.getTime() - (before < lifetime ? before : lifetime / 3));
}

/**
 * Is a new certificate due? `inStore`: the store still has the current certificate (false when someone deleted it).
 * A pending replacement is always finished first, whatever the clock says.
 */
export function decideManagedCertificate(
  spec: ManagedServerCertificate,
  state: ManagedCertificateState | undefined,
  inStore: boolean,
  now: Date,
): ManagedCertificateDecision {
  if (state?.pending) return { action: 'resume', pending: state.pending };
  const current = state?.current;
  if (!current) return { action: 'replace', reason: 'no-certificate' };
  if (!inStore) return { action: 'replace', reason: 'missing-from-store' };
  const notAfter = new Date(current.notAfter);
  const renewAt = renewAtOf(new Date(current.notBefore), notAfter, spec.renewBeforeDays);
  if (current.specHash !== managedSpecHash(spec)) return { action: 'replace', reason: 'declaration-changed', renewAt };
  if (now >= notAfter) return { action: 'replace', reason: 'expired', renewAt };
  if (now >= renewAt) return { action: 'replace', reason: 'renewal-window', renewAt };
  return { action: 'keep', renewAt };
}

/** The validity a new certificate asks for, from the reconciler's clock (BeforeTime/AfterTime, whole seconds). */
export function requestedValidity(spec: ManagedServerCertificate, now: Date): { notBefore: Date; notAfter: Date } {
  const notBefore = new Date(Math.floor(now.getTime() / 1000) * 1000);
  return { notBefore, notAfter: new Date(notBefore.getTime() + spec.validityDays * DAY_MS) };
}

/** Retired certificates whose grace period is over. */
export function retirementsDue(state: ManagedCertificateState | undefined, now: Date): RetiredCertificate[] {
  return (state?.retired ?? []).filter((r) => Date.parse(r.deleteAfter) <= now.getTime());
}

export function retire(ref: ManagedCertificateRef, graceHours: number, now: Date): RetiredCertificate {
  return {
    certId: ref.certId,
    certIdentifier: ref.certIdentifier,
    serialNumber: ref.serialNumber,
    retiredAt: now.toISOString(),
    deleteAfter: new Date(now.getTime() + graceHours * HOUR_MS).toISOString(),
  };
}

const familyOf = (a: KeyAlgorithm) => (a.startsWith('EC_') ? 'EC' : 'RSA');

/**
 * Would the private CA refuse to issue this certificate under `issuer`? Checked before anything is made, so a
 * refusal blocks the listener at plan time with a reason instead of failing half-way.
 */
export function issuanceProblems(
  spec: ManagedServerCertificate,
  issuer: (CaFacts & { keyFamily?: 'RSA' | 'EC' | 'unknown'; type?: string }) | undefined,
  now: Date,
): string[] {
  if (!issuer) return [`the issuing sub-CA ${spec.issuer} was not found in the private CA`];
  const problems: string[] = [];
  if (issuer.type && issuer.type !== 'SUB_ROOT')
    problems.push(`${spec.issuer} is a ${issuer.type} CA: only a subordinate CA issues server certificates`);
  if (!['ISSUE', 'ISSUED', 'VALID'].includes(issuer.status.toUpperCase()))
    problems.push(`the issuing sub-CA ${spec.issuer} is ${issuer.status}, not issued`);
  if (issuer.keyFamily && issuer.keyFamily !== 'unknown' && issuer.keyFamily !== familyOf(spec.keyAlgorithm))
    problems.push(
      `keyAlgorithm ${spec.keyAlgorithm} is not of the sub-CA's key family (${issuer.keyFamily}): CAS issues server certificates only for keys of the sub-CA's algorithm`,
    );
  const { notAfter } = requestedValidity(spec, now);
  if (notAfter > issuer.notAfter)
    problems.push(
      `validityDays ${spec.validityDays} would outlive the issuing sub-CA (it expires ${issuer.notAfter.toISOString()}): CAS refuses a certificate longer than its sub-CA`,
    );
  return problems;
}

/** Serial numbers compared as CAS, OpenSSL and Node print them: lower-case hex without leading zeros. */
export function normalizeSerial(serial: string): string {
  return serial
    .toLowerCase()
    .replace(/:/g, '')
    .replace(/^0+(?=.)/, '');
}

/** Where each listener's managed-certificate state lives (one small object per listener). */
export interface ManagedCertificateStateStore {
  load(listenerId: string): Promise<ManagedCertificateState | undefined>;
  save(state: ManagedCertificateState): Promise<void>;
}

/** What the plan and the report show about a managed server certificate. */
export interface ServerCertificatePlan {
  action: 'keep' | 'replace' | 'resume';
  reason?: RenewalReason;
  names: string[];
  keyAlgorithm: KeyAlgorithm;
  validityDays: number;
  issuer: string;
  renewAt?: string;
  current?: { certId: string; serialNumber: string; notAfter: string };
  /** After apply: the certificate now served. */
  next?: { certId: string; serialNumber: string; notAfter: string };
  /** Replaced certificates leaving the store: `removed` once deleted. */
  retire?: Array<{ certId: string; deleteAfter: string; removed?: boolean }>;
}

/**
 * Renew: a new generation of an existing certificate through the same crash-safe pipeline as issue. A renewal in
 * flight for the next generation is finished rather than started again; `expectedGeneration` makes a retried call
 * a no-op once the generation moved on. A certificate with a revocation recorded (REVOKING or REVOKED) is refused.
 */
import { requireOperation } from '../auth/decisions.js';
import type { Principal } from '../auth/principal.js';
import { renewalIndexKey } from '../domain/renewal/schedule.js';
import { renewalIndexKeyFor } from '../domain/renewal/review-time.js';
import { AppError, ConflictError, ValidationError } from '../errors/index.js';
import { PendingSupersededError } from './attempts.js';
import { currentAnswer } from './answer.js';
import type { ServiceContext } from './context.js';
import { pendingKey } from './ids.js';
import { completePending, openPending } from './issuance.js';
import type { PendingIssuance } from './pending.js';
import type { ParsedCsr } from '../pki/index.js';
import { checkKeyFamily } from './preflight.js';
import { checkGivenPassword, checkPolicy, parseCallerCsr } from './request-checks.js';
import { csrModeFieldMessage } from './schemas.js';
import { getJson } from './storage.js';
import type { RenewResult } from './view.js';

export interface RenewOptions {
  /** csr mode: the new CSR. Without one, API renewals are refused and scheduled ones resubmit the stored CSR. */
  csrPem?: string;
  revokePrevious?: boolean;
  trigger: 'api' | 'schedule' | 'event';
  /** Renew only if this is still the current generation (else finish its pending renewal, or 409 RENEWAL_SUPERSEDED). */
  expectedGeneration?: number;
  /** server-key mode: the new bundle's password; generated (and returned) when absent. */
  p12Password?: string;
}

export class CertificateRevokedError extends ConflictError {
  constructor() {
    super('CERTIFICATE_REVOKED', 'The certificate was revoked; it cannot be renewed.');
  }
}

/** Runs a pending renewal (or issuance) to its end, with the replaced generation for the answer. */
export async function finishPending(ctx: ServiceContext, pending: PendingIssuance): Promise<RenewResult> {
  const completion = await completePending(ctx, pending);
  return { ...completion.result, ...(completion.previous ? { previous: completion.previous } : {}) };
}

export async function renewCertificate(
  ctx: ServiceContext,
  principal: Principal,
  id: string,
  options: RenewOptions,
): Promise<RenewResult> {
  requireOperation(principal, 'renew');
  const record = await ctx.visibleRecord(principal, id);
  if (record.status === 'REVOKED' || record.status === 'REVOKING') throw new CertificateRevokedError();
  const current = record.current.generation;
  if (options.expectedGeneration !== undefined && options.expectedGeneration !== current) {
    const inFlight = await getJson<PendingIssuance>(ctx.store, pendingKey(id, options.expectedGeneration + 1));
    if (inFlight && inFlight.kind === 'renew') return finishPending(ctx, inFlight);
    throw new AppError('RENEWAL_SUPERSEDED', 409, 'The certificate was already renewed past the expected generation.', {
      details: { currentGeneration: current },
    });
  }
  const inFlight = await getJson<PendingIssuance>(ctx.store, pendingKey(id, current + 1));
  if (inFlight) return finishPending(ctx, inFlight);

  let csrPem: string | undefined;
  let subjectAttributes: ParsedCsr['subjectAttributes'] | undefined;
  let keyAlgorithm = record.keyAlgorithm;
  if (record.mode === 'csr') {
    // Refused as on issue (not silently ignored): a CSR-mode bundle holds no key, so no password applies.
    if (options.p12Password !== undefined) {
      throw new ValidationError('VALIDATION_FAILED', 'The request body is invalid.', {
        details: { issues: [{ path: 'p12Password', code: 'custom', message: csrModeFieldMessage('p12Password') }] },
      });
    }
    const given = options.csrPem ?? (options.trigger === 'api' ? undefined : record.csrPem);
    if (!given)
      throw new ValidationError('CSR_REQUIRED', 'This certificate was issued for a CSR: send a new csr to renew it.');
    const csr = await parseCallerCsr(given, { commonName: record.commonName, sans: record.sans });
    csrPem = csr.pem;
    subjectAttributes = csr.subjectAttributes;
    keyAlgorithm = csr.keyAlgorithm;
  } else {
    if (options.csrPem !== undefined)
      throw new ValidationError(
        'CSR_NOT_ALLOWED',
        "This certificate's key is made by the service; renew it without a csr.",
      );
    if (options.p12Password !== undefined) checkGivenPassword(options.p12Password);
  }
  const validityDays = Math.min(record.validityDays, ctx.config.maxValidityDays);
  checkPolicy(principal, {
    commonName: record.commonName,
    sans: record.sans,
    keyAlgorithm,
    validityDays,
    subjectAttributes,
  });
  const issuingCa = await ctx.issuingCa.facts();
  checkKeyFamily(keyAlgorithm, issuingCa.keyFamily);

  const now = ctx.now();
  const previousIndexKeys = [
    ...new Set(
      [renewalIndexKey(new Date(record.renewal.renewAt), id), renewalIndexKeyFor(record, now)].filter(
        (k): k is string => Boolean(k),
      ),
    ),
  ];
  const pending = await openPending(ctx, {
    kind: 'renew',
    id,
    generation: current + 1,
    tenant: record.tenant,
    actor: `${principal.kind}:${principal.name}`,
    trigger: options.trigger,
    commonName: record.commonName,
    sans: record.sans,
    mode: record.mode,
    keyAlgorithm,
    p12Profile: record.p12Profile,
    validityDays,
    csrPem,
    p12Password: options.p12Password,
    revokePrevious: options.revokePrevious ?? false,
    previousIndexKeys,
    // A renewal near the CA's end is cut at the CA's notAfter rather than refused (as Vault truncates).
    notAfterCap: issuingCa.notAfter,
  });
  if (pending) {
    try {
      return await finishPending(ctx, pending);
    } catch (err) {
      // Finished by a twin renewal meanwhile: not a fault, answer with its work.
      if (!(err instanceof PendingSupersededError)) throw err;
    }
  }
  // Finished by a concurrent renewal between our two reads: answer with what it made (no password: not ours).
  return currentAnswer(ctx, await ctx.visibleRecord(principal, id));
}

/**
 * `POST /v1/certificates/{id}/renew-by-possession`: the certificate renews itself, authenticated by a proof of
 * possession of its key instead of a bearer token (possession-context.ts). Only the record's current, unrevoked,
 * unexpired generation may; the renewal goes through the certificate service with the record's own names and
 * lifetime, a key of the same family, within the tenant's policy: nothing the certificate did not already have.
 */
import { keyChangeViolation, possessionEnabledTokens, possessionPolicyFor } from '../auth/possession-policy.js';
import type { TokenPrincipal } from '../auth/principal.js';
import type { ClientCertificate } from '../domain/client-certificate.js';
import { AppError, ConflictError, ForbiddenError, ValidationError } from '../errors/index.js';
import { parseCsr } from '../pki/index.js';
import { spkiDer } from '../pki/keys.js';
import type { AuditFacts, PossessionContext, Standing } from './possession-context.js';
import { parseCallerCsr } from './request-checks.js';
import type { RenewResult } from './view.js';
import * as z from 'zod';

export const RenewByPossessionRequestSchema = z.strictObject({
  /** Compact JWS signed by the current certificate's key (docs/api.md#renewal-by-proof-of-possession). */
  proof: z.string().min(1).max(16_384),
  /** CSR mode: the new key's CSR (same names as the certificate). Absent for server-key certificates. */
  csr: z.string().min(1).max(65_536).optional(),
});
export type RenewByPossessionRequest = z.infer<typeof RenewByPossessionRequestSchema>;

/** Only the record's current, unrevoked, unexpired generation may renew itself. */
function checkRenewable(ctx: PossessionContext, record: ClientCertificate, standing: Standing): void {
  if (standing.revoked)
    throw new ConflictError('CERTIFICATE_REVOKED', 'The certificate was revoked; it cannot renew itself.');
  if (!standing.current) {
    throw new AppError(
      'CERTIFICATE_SUPERSEDED',
      409,
      'This certificate was already renewed; only the current certificate can renew itself.',
      { details: { currentGeneration: record.current.generation, presentedGeneration: standing.generation } },
    );
  }
  if (Date.parse(record.current.notAfter) <= ctx.now().getTime())
    throw new ConflictError(
      'CERTIFICATE_EXPIRED',
      'The certificate has expired; it cannot renew itself. Request a new one with a token.',
    );
}

/** The CSR of a CSR-mode renewal: the certificate's own names, a key of the same family and no weaker. */
async function checkCsr(record: ClientCertificate, csrPem: string | undefined) {
  if (record.mode === 'server-key') {
    if (csrPem !== undefined)
      throw new ValidationError(
        'CSR_NOT_ALLOWED',
        "This certificate's key is made by the service; renew it without a csr.",
      );
    return { keyAlgorithm: record.keyAlgorithm, csrPem: undefined };
  }
  if (csrPem === undefined)
    throw new ValidationError('CSR_REQUIRED', 'This certificate was issued for a CSR: send a csr for the new key.');
  // The CA takes the names from the record, so a CSR asking for others is refused (CSR_SAN_MISMATCH).
  const csr = await parseCallerCsr(csrPem, { commonName: record.commonName, sans: record.sans });
  const change = keyChangeViolation(record.keyAlgorithm, csr.keyAlgorithm);
  if (change) throw new ForbiddenError(change.rule, change.message);
  return { keyAlgorithm: csr.keyAlgorithm, csrPem: csr.pem };
}

export async function renewByPossession(
  ctx: PossessionContext,
  id: string,
  request: RenewByPossessionRequest,
  facts: AuditFacts,
): Promise<RenewResult> {
  const { deps, log, now } = ctx;
  const { record, standing } = await ctx.authenticate(id, request.proof, 'nlb-mtls:renew', request.csr, facts);
  if (await alreadyRenewedFor(record, standing, request.csr)) return answerAgain(ctx, record, facts);
  checkRenewable(ctx, record, standing);
  const csr = await checkCsr(record, request.csr);
  const validityDays = Math.min(record.validityDays, deps.maxValidityDays);
  const allowed = possessionPolicyFor(
    await deps.tokens(),
    record.tenant,
    { commonName: record.commonName, sans: record.sans, keyAlgorithm: csr.keyAlgorithm, validityDays },
    now(),
  );
  if ('violation' in allowed) throw new ForbiddenError(allowed.violation.rule, allowed.violation.message);
  // The certificate acts in its tenant with the enabling token's limits and nothing but 'renew'.
  const principal: TokenPrincipal = {
    kind: 'token',
    tenant: record.tenant,
    name: `possession:${id}`,
    policy: { ...allowed.token.policy, operations: ['renew'] },
  };
  facts.principal = principal;
  return deps.service.withLogger(log).renew(principal, id, {
    trigger: 'api',
    csrPem: csr.csrPem,
    expectedGeneration: standing.generation,
  });
}

/**
 * A retry of a renewal that already happened: the presented certificate is the generation just before the
 * current one, and the CSR (self-signed, so its sender holds the key) is for the current certificate's key.
 * The device lost the answer (a network failure after the service renewed); it gets the same certificate again
 * instead of a refusal it could never get past. Never for server-key certificates (their bundle holds the key).
 */
async function alreadyRenewedFor(
  record: ClientCertificate,
  standing: Standing,
  csrPem: string | undefined,
): Promise<boolean> {
  if (standing.current || standing.revoked || record.status === 'REVOKED') return false;
  if (record.mode !== 'csr' || !csrPem || !record.csrPem) return false;
  if (standing.generation !== record.current.generation - 1) return false;
  const [sent, current] = await Promise.all([parseCsr(csrPem), parseCsr(record.csrPem)]);
  return spkiDer(sent.publicKey).equals(spkiDer(current.publicKey));
}

async function answerAgain(
  ctx: PossessionContext,
  record: ClientCertificate,
  facts: { principal?: TokenPrincipal; reason?: string },
): Promise<RenewResult> {
  const [enabling] = possessionEnabledTokens(await ctx.deps.tokens(), record.tenant, ctx.now());
  if (!enabling)
    throw new ForbiddenError(
      'renewByPossession',
      "Renewal by possession is not enabled for this certificate's tenant.",
    );
  const principal: TokenPrincipal = {
    kind: 'token',
    tenant: record.tenant,
    name: `possession:${record.id}`,
    policy: { ...enabling.policy, operations: ['read', 'links'] },
  };
  facts.principal = principal;
  facts.reason = 'already-renewed';
  const service = ctx.deps.service.withLogger(ctx.log);
  const view = await service.get(principal, record.id);
  const { downloads } = await service.links(principal, record.id);
  return { ...view, downloads };
}

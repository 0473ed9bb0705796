/**
 * Renewal (and a status read) authenticated by the certificate itself: the caller holds no bearer token, only the
 * current certificate's key, and proves it with a short-lived JWS (shared/auth/possession-proof.ts). Gathers the
 * facts (proof, record, tenant policy, CSR), refuses with one code per reason, consumes the proof's `jti`
 * create-only so it cannot be replayed, then renews through the certificate service with the record's own names
 * and lifetime: nothing the certificate did not already have can be asked for.
 */
import { createHash } from 'node:crypto';
import { createAuditLog, type AuditAction } from '../auth/audit.js';
import { keyChangeViolation, possessionEnabledTokens, possessionPolicyFor } from '../auth/possession-policy.js';
import {
  PossessionProofError,
  verifyPossessionProof,
  type PossessionAudience,
  type VerifiedProof,
} from '../auth/possession-proof.js';
import type { TokenPrincipal } from '../auth/principal.js';
import type { ApiToken } from '../auth/tokens.js';
import type { ClientCertificate } from '../domain/client-certificate.js';
import type { Clock, ObjectStore } from '../domain/ports.js';
import {
  AppError,
  ConflictError,
  ForbiddenError,
  NotFoundError,
  ValidationError,
  isAppError,
} from '../errors/index.js';
import type { Logger } from '../log/index.js';
import type { IssuingCa } from './authority.js';
import { assertCertificateId, isCertificateId } from './ids.js';
import { readRecord } from './records.js';
import { parseCallerCsr } from './request-checks.js';
import { parseCsr } from '../pki/index.js';
import { spkiDer } from '../pki/keys.js';
import type { CertificateService } from './service.js';
import { createJson } from './storage.js';
import { sameSans } from './verification.js';
import { viewStatus, type ClientCertificateView, type RenewResult } from './view.js';
import { z } from 'zod';

export const RenewByPossessionRequestSchema = z.strictObject({
  /** Compact JWS signed by the current certificate's key (docs/api.md#renewal-by-proof-of-possession). */
  proof: z.string().min(1).max(16_384),
  /** CSR mode: the new key's CSR (same names as the certificate). Absent for server-key certificates. */
  csr: z.string().min(1).max(65_536).optional(),
});
export type RenewByPossessionRequest = z.infer<typeof RenewByPossessionRequestSchema>;

export const StatusByPossessionRequestSchema = z.strictObject({ proof: z.string().min(1).max(16_384) });
export type StatusByPossessionRequest = z.infer<typeof StatusByPossessionRequestSchema>;

/** What a device learns about its own certificate. */
export interface PossessionStatus {
  id: string;
  status: ClientCertificateView['status'];
  /** True when the presented certificate is the record's current generation. */
  current: boolean;
  presented: { generation: number; serialNumber: string };
  generation: number;
  serialNumber: string;
  notAfter: string;
  renewAt: string;
  autoRenew: boolean;
}

export interface PossessionDeps {
  service: CertificateService;
  /** The guarded store (errors mapped to 503), as the service uses it. */
  store: ObjectStore;
  clock: Clock;
  log: Logger;
  /** API_TOKENS as they are now (the list may be refreshed from a secret): their policies say which tenants allow
   *  renewal by possession, and within what. */
  tokens: () => readonly ApiToken[] | Promise<readonly ApiToken[]>;
  /** The sub-CA that issues client certificates: a proving certificate must be signed by it. */
  issuingCa: IssuingCa;
  maxValidityDays: number;
}

export interface PossessionOperations {
  renew(id: string, request: RenewByPossessionRequest): Promise<RenewResult>;
  status(id: string, request: StatusByPossessionRequest): Promise<PossessionStatus>;
  withLogger(log: Logger): PossessionOperations;
}

/** `possession/jti/<id>/<sha256(jti)>.json`: written create-only, so the second use of a proof finds it. */
export const possessionJtiKey = (id: string, jti: string) =>
  `possession/jti/${id}/${createHash('sha256').update(jti, 'utf8').digest('hex')}.json`;

class ProofReplayedError extends AppError {
  constructor() {
    super('PROOF_REPLAYED', 401, 'This proof of possession was already used: sign a fresh one for each request.');
  }
}

type Standing = { generation: number; current: boolean; revoked: boolean };

/** What the audit line of a possession request says beyond its outcome. */
interface AuditFacts {
  serialNumber?: string;
  principal?: TokenPrincipal;
  reason?: string;
}

/** Which generation of the record the proving certificate is, matched by serial (and fingerprint when current). */
function standingOf(record: ClientCertificate, proof: VerifiedProof): Standing | undefined {
  const serial = proof.certificate.serialNumber;
  if (
    record.current.serialNumber === serial &&
    record.current.fingerprintSha256 === proof.certificate.fingerprintSha256
  )
    return { generation: record.current.generation, current: true, revoked: record.status === 'REVOKED' };
  const old = record.previous.find((p) => p.serialNumber === serial);
  if (!old) return undefined;
  return { generation: old.generation, current: false, revoked: record.status === 'REVOKED' || Boolean(old.revokedAt) };
}

export function createPossessionOperations(deps: PossessionDeps): PossessionOperations {
  return build(deps.log);

  function build(log: Logger): PossessionOperations {
    const audit = createAuditLog(log);
    const now = () => deps.clock.now();

    async function audited<T>(
      action: AuditAction,
      id: string,
      work: (facts: AuditFacts) => Promise<T>,
      outcome?: (value: T) => { generation?: number },
    ): Promise<T> {
      const facts: AuditFacts = {};
      const certificateId = isCertificateId(id) ? id : undefined;
      try {
        const value = await work(facts);
        audit.record({
          action,
          principal: facts.principal,
          decision: 'allow',
          result: 'success',
          certificateId,
          serialNumber: facts.serialNumber,
          reason: facts.reason,
          ...(outcome ? outcome(value) : {}),
        });
        return value;
      } catch (err) {
        const refused = isAppError(err) && err.status >= 400 && err.status < 500;
        audit.record({
          action,
          principal: facts.principal,
          decision: refused ? 'deny' : 'allow',
          result: refused ? 'denied' : 'failure',
          code: isAppError(err) ? err.code : 'INTERNAL',
          rule: err instanceof ForbiddenError ? String(err.details?.rule ?? '') : undefined,
          reason: err instanceof PossessionProofError ? String(err.details?.reason ?? '') : undefined,
          certificateId,
          serialNumber: facts.serialNumber,
        });
        throw err;
      }
    }

    /** The proof checked against our sub-CA, and the record it names; nothing is written yet. */
    async function authenticate(
      id: string,
      token: string,
      audience: PossessionAudience,
      csrPem: string | undefined,
      facts: { serialNumber?: string },
    ): Promise<{ proof: VerifiedProof; record: ClientCertificate; standing: Standing }> {
      assertCertificateId(id);
      const issuerPem = (await deps.issuingCa.facts()).pem;
      const proof = verifyPossessionProof(token, { now: now(), audience, certificateId: id, issuerPem, csrPem });
      facts.serialNumber = proof.certificate.serialNumber;
      // Part of authentication: a proof works once, whatever happens next (a second use is PROOF_REPLAYED).
      await consume(id, proof);
      const record = await readRecord(deps.store, id);
      if (!record) throw new NotFoundError();
      const standing = standingOf(record, proof);
      if (!standing)
        throw new PossessionProofError('certificate', 'The certificate does not belong to this certificate id.');
      return { proof, record, standing };
    }

    async function consume(id: string, proof: VerifiedProof): Promise<void> {
      const fresh = await createJson(deps.store, possessionJtiKey(id, proof.claims.jti), {
        v: 1,
        exp: new Date(proof.claims.exp * 1000).toISOString(),
        usedAt: now().toISOString(),
      });
      if (!fresh) throw new ProofReplayedError();
    }

    /** Only the record's current, unrevoked, unexpired generation may renew itself. */
    function checkRenewable(record: ClientCertificate, standing: Standing): void {
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
      if (Date.parse(record.current.notAfter) <= now().getTime())
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
      const csr = await parseCallerCsr(csrPem, record.commonName);
      const named = csr.sans.dns.length + csr.sans.uri.length + csr.sans.email.length + csr.sans.ip.length > 0;
      // The CA takes the names from the record, so a CSR asking for others would be silently narrowed: refuse it.
      if (named && !sameSans(csr.sans, record.sans))
        throw new ValidationError(
          'CSR_NAME_MISMATCH',
          "The CSR's subject alternative names differ from the certificate's.",
        );
      const change = keyChangeViolation(record.keyAlgorithm, csr.keyAlgorithm);
      if (change) throw new ForbiddenError(change.rule, change.message);
      return { keyAlgorithm: csr.keyAlgorithm, csrPem: csr.pem };
    }

    async function renew(id: string, request: RenewByPossessionRequest, facts: AuditFacts): Promise<RenewResult> {
      const { record, standing } = await authenticate(id, request.proof, 'nlb-mtls:renew', request.csr, facts);
      if (await alreadyRenewedFor(record, standing, request.csr)) return answerAgain(record, facts);
      checkRenewable(record, standing);
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
      record: ClientCertificate,
      facts: { principal?: TokenPrincipal; reason?: string },
    ): Promise<RenewResult> {
      const [enabling] = possessionEnabledTokens(await deps.tokens(), record.tenant, now());
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
      const service = deps.service.withLogger(log);
      const view = await service.get(principal, record.id);
      const { downloads } = await service.links(principal, record.id);
      return { ...view, downloads };
    }

    async function status(
      id: string,
      request: StatusByPossessionRequest,
      facts: { serialNumber?: string },
    ): Promise<PossessionStatus> {
      const { proof, record, standing } = await authenticate(id, request.proof, 'nlb-mtls:status', undefined, facts);
      if (possessionEnabledTokens(await deps.tokens(), record.tenant, now()).length === 0)
        throw new ForbiddenError(
          'renewByPossession',
          "Proof of possession is not enabled for this certificate's tenant.",
        );
      return {
        id: record.id,
        status: viewStatus(record, now()),
        current: standing.current,
        presented: { generation: standing.generation, serialNumber: proof.certificate.serialNumber },
        generation: record.current.generation,
        serialNumber: record.current.serialNumber,
        notAfter: record.current.notAfter,
        renewAt: record.renewal.renewAt,
        autoRenew: record.autoRenew,
      };
    }

    return {
      renew: (id, request) =>
        audited(
          'certificate.renew_by_possession',
          id,
          (facts) => renew(id, request, facts),
          (r) => ({ generation: r.generation }),
        ),
      status: (id, request) => audited('certificate.status_by_possession', id, (facts) => status(id, request, facts)),
      withLogger: (next) => build(next),
    };
  }
}

/**
 * What both possession operations (renew-by-possession.ts, status-by-possession.ts) share: their dependencies,
 * the authentication of a request by its proof (shared/auth/possession-proof.ts against our sub-CA, the proof's
 * `jti` consumed create-only, the record it names and which generation the proving certificate is), and one
 * audit line per request under the operation's own action.
 */
import { createHash } from 'node:crypto';
import { createAuditLog, type AuditAction } from '../auth/audit.js';
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
import { AppError, ForbiddenError, NotFoundError, isAppError } from '../errors/index.js';
import type { Logger } from '../log/index.js';
import type { IssuingCa } from './authority.js';
import { assertCertificateId, isCertificateId } from './ids.js';
import { readRecord } from './records.js';
import type { CertificateService } from './service.js';
import { createJson } from './storage.js';

export interface PossessionDeps {
  service: CertificateService;
  /** The guarded store (errors mapped to 503), as the service uses it. */
  store: ObjectStore;
  clock: Clock;
  log: Logger;
  /** API_TOKENS as they are now (the list may be refreshed from a secret): their policies say which tenants allow
   *  renewal by possession, and within what. */
  tokens: () => readonly ApiToken[] | Promise<readonly ApiToken[]>;
  /** The sub-CA that issues client certificates: a proving certificate must be signed by it (or by one of `alsoIssuingCas`). */
  issuingCa: IssuingCa;
  /** More sub-CAs a proving certificate may be signed by now: a CA rotation's new one (shared/rotation/issuing-follower.ts). */
  alsoIssuingCas?: () => Promise<IssuingCa[]>;
  maxValidityDays: number;
}

/** `possession/jti/<id>/<sha256(jti)>.json`: written create-only, so the second use of a proof finds it. */
export const possessionJtiKey = (id: string, jti: string) =>
  `possession/jti/${id}/${createHash('sha256').update(jti, 'utf8').digest('hex')}.json`;

class ProofReplayedError extends AppError {
  constructor() {
    super('PROOF_REPLAYED', 401, 'This proof of possession was already used: sign a fresh one for each request.');
  }
}

/** Which generation of the record the proving certificate is. */
export interface Standing {
  generation: number;
  current: boolean;
  revoked: boolean;
}

/** What the audit line of a possession request says beyond its outcome. */
export interface AuditFacts {
  serialNumber?: string;
  principal?: TokenPrincipal;
  reason?: string;
}

export interface Authenticated {
  proof: VerifiedProof;
  record: ClientCertificate;
  standing: Standing;
}

/** Matched by serial (and by fingerprint for the current generation); undefined when it is not one of the record's. */
export function standingOf(record: ClientCertificate, proof: VerifiedProof): Standing | undefined {
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

export interface PossessionContext {
  deps: PossessionDeps;
  log: Logger;
  now(): Date;
  authenticate(
    id: string,
    token: string,
    audience: PossessionAudience,
    csrPem: string | undefined,
    facts: AuditFacts,
  ): Promise<Authenticated>;
  audited<T>(
    action: AuditAction,
    id: string,
    work: (facts: AuditFacts) => Promise<T>,
    outcome?: (value: T) => { generation?: number },
  ): Promise<T>;
}

export function createPossessionContext(deps: PossessionDeps, log: Logger): PossessionContext {
  const audit = createAuditLog(log);
  const now = () => deps.clock.now();

  async function consume(id: string, proof: VerifiedProof): Promise<void> {
    const fresh = await createJson(deps.store, possessionJtiKey(id, proof.claims.jti), {
      v: 1,
      exp: new Date(proof.claims.exp * 1000).toISOString(),
      usedAt: now().toISOString(),
    });
    if (!fresh) throw new ProofReplayedError();
  }

  return {
    deps,
    log,
    now,
    async authenticate(id, token, audience, csrPem, facts) {
      assertCertificateId(id);
      const proof = await verifyAgainstIssuers(deps, token, { now: now(), audience, certificateId: id, csrPem });
      facts.serialNumber = proof.certificate.serialNumber;
      // Part of authentication: a proof works once, whatever happens next (a second use is PROOF_REPLAYED).
      await consume(id, proof);
      const record = await readRecord(deps.store, id);
      if (!record) throw new NotFoundError();
      const standing = standingOf(record, proof);
      if (!standing)
        throw new PossessionProofError('certificate', 'The certificate does not belong to this certificate id.');
      return { proof, record, standing };
    },
    async audited(action, id, work, outcome) {
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
    },
  };
}

/** The proof checked against each accepted sub-CA in turn: only the chain check depends on it. */
async function verifyAgainstIssuers(
  deps: PossessionDeps,
  token: string,
  options: Omit<Parameters<typeof verifyPossessionProof>[1], 'issuerPem'>,
): Promise<VerifiedProof> {
  const issuers = [deps.issuingCa, ...((await deps.alsoIssuingCas?.()) ?? [])];
  const pems = new Set<string>();
  for (const issuer of issuers) pems.add((await issuer.facts()).pem);
  let refusal: unknown;
  for (const issuerPem of pems) {
    try {
      return verifyPossessionProof(token, { ...options, issuerPem });
    } catch (err) {
      if (!(err instanceof PossessionProofError) || err.details?.reason !== 'chain') throw err;
      refusal = err;
    }
  }
  throw refusal;
}

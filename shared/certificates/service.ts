/**
 * The certificate service: issue, read, list, link, renew, revoke — for API callers (token principals, checked
 * against their policy and tenant) and for our own functions (system principals: renewal, reconciliation).
 * It talks only to the ports (CertificateAuthority, ObjectStore, Clock); the crash-safe steps live in
 * ./issuance.ts. Every decision and every issue/renew/revoke leaves one audit line.
 */
import { createAuditLog, type AuditAction } from '../auth/audit.js';
import { requireOperation } from '../auth/decisions.js';
import { canSee, tenantOf, type Principal } from '../auth/principal.js';
import type { ClientCertificate, KeyAlgorithm } from '../domain/client-certificate.js';
import type { CertificateAuthority, Clock, ObjectStore } from '../domain/ports.js';
import { renewalIndexKey } from '../domain/renewal/schedule.js';
import { renewalIndexKeyFor } from '../domain/renewal/review-time.js';
import {
  AppError,
  ConflictError,
  ForbiddenError,
  NotFoundError,
  ValidationError,
  isAppError,
} from '../errors/index.js';
import type { Logger } from '../log/index.js';
import { checkWebhookUrl } from '../notify/webhook-url.js';
import { checkCommonName, checkSubjectAltNames, type ParsedCsr } from '../pki/index.js';
import { guardedCa, issuingCaOf } from './authority.js';
import { deleteBundles, signDownloads } from './bundles.js';
import {
  assertCertificateId,
  bundleObjectKeys,
  idempotencyObjectKey,
  isCertificateId,
  newCertificateId,
  parsePendingKey,
  pendingKey,
  pendingPrefix,
} from './ids.js';
import {
  completePending,
  openPending,
  PendingSupersededError,
  type IdempotencyEntry,
  type IssuanceContext,
  type PendingRequest,
  type StoredAnswer,
} from './issuance.js';
import { listCertificates, type ListResult } from './listing.js';
import type { PendingIssuance } from './pending.js';
import { readRecord, writeRecord } from './records.js';
import { checkGivenPassword, checkPolicy, checkSanTypes, checkValidity, parseCallerCsr } from './request-checks.js';
import { csrModeFieldMessage, type IssueRequest, type ListQuery, type RevocationReason } from './schemas.js';
import { canonicalJson, createStateCipher } from './sealing.js';
import { createJson, getJson, guardedStore, putJson } from './storage.js';
import { toView, type ClientCertificateView, type Downloads, type IssueResult, type RenewResult } from './view.js';

export type { Principal, SystemPrincipal, TokenPrincipal } from '../auth/principal.js';
export type { IssueRequest, ListQuery, RevocationReason } from './schemas.js';
export type { ClientCertificateView, Downloads, IssueResult, RenewResult } from './view.js';
export type { ListResult } from './listing.js';

export interface CertificateServiceConfig {
  /** The PCA sub-CA that signs client certificates. */
  parentIdentifier: string;
  /** 32 bytes: seals pending keys/passwords and idempotent answers. */
  stateKey: Buffer;
  linkDefaultSeconds: number;
  linkMaxSeconds: number;
  defaultValidityDays: number;
  maxValidityDays: number;
  /** `http://127.0.0.1`/`localhost` webhooks (local runs only). */
  allowLoopbackWebhooks?: boolean;
  bundleExampleUrl?: string;
}

export interface CertificateServiceDeps {
  ca: CertificateAuthority;
  store: ObjectStore;
  clock: Clock;
  log: Logger;
  config: CertificateServiceConfig;
}

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

export interface LinksResult {
  id: string;
  generation: number;
  downloads: Downloads;
}

export interface CertificateService {
  issue(principal: Principal, request: IssueRequest, idempotencyKey?: string): Promise<IssueResult>;
  get(principal: Principal, id: string): Promise<ClientCertificateView>;
  list(principal: Principal, query: ListQuery): Promise<ListResult>;
  links(principal: Principal, id: string, expiresInSeconds?: number): Promise<LinksResult>;
  renew(principal: Principal, id: string, options: RenewOptions): Promise<RenewResult>;
  revoke(principal: Principal, id: string, reason?: RevocationReason): Promise<ClientCertificateView>;
  /**
   * Finishes the pending issuance or renewal of `id` (the oldest generation pending), as a retry would:
   * same key, same ClientToken, no second certificate. `undefined` when nothing is pending.
   */
  finishPending(principal: Principal, id: string, generation?: number): Promise<RenewResult | undefined>;
  /** The raw record (system principals only): renewal and reconciliation read what the API never shows. */
  getRecord(principal: Principal, id: string): Promise<ClientCertificate>;
  /** The same service writing its logs (and audit lines) through `log`, e.g. a per-request child logger. */
  withLogger(log: Logger): CertificateService;
}

const DAY_MS = 86_400_000;
const CSR_REQUIRED_CODE = 'CSR_REQUIRED';
/** How long a twin request waits for the first one's answer before a retryable 409 (below FC's and clients' timeouts). */
const IDEMPOTENT_WAIT_MS = 10_000;
const IDEMPOTENT_POLL_MS = 100;
/**
 * An idempotency entry with neither pending object nor record after this long: its creator died before writing the
 * pending object (it only had to make a key), so a retry takes over. Even if the creator is alive after all, the
 * create-only pending object and PendingSupersededError keep it to one certificate.
 */
const IDEMPOTENT_ABANDONED_MS = 30_000;

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

class IdempotencyKeyReusedError extends ConflictError {
  constructor() {
    super('IDEMPOTENCY_KEY_REUSED', 'This Idempotency-Key was already used with a different request.');
  }
}

export function createCertificateService(deps: CertificateServiceDeps): CertificateService {
  const store = guardedStore(deps.store);
  const cipher = createStateCipher(deps.config.stateKey);
  const config = deps.config;
  const issuingCa = issuingCaOf(deps.ca, config.parentIdentifier);
  const issuingCaFacts = issuingCa.facts;
  const issuingCaPem = async () => (await issuingCaFacts()).pem;
  return build(deps.log);

  function build(log: Logger): CertificateService {
    const audit = createAuditLog(log);
    const ctx: IssuanceContext = {
      ca: guardedCa(deps.ca),
      store,
      clock: deps.clock,
      log,
      cipher,
      config: {
        parentIdentifier: config.parentIdentifier,
        linkDefaultSeconds: config.linkDefaultSeconds,
        bundleExampleUrl: config.bundleExampleUrl,
      },
      issuingCaPem,
    };
    const now = () => deps.clock.now();

    async function audited<T>(
      action: AuditAction,
      principal: Principal,
      requestedId: string | undefined,
      work: () => Promise<T>,
      facts?: (value: T) => { serialNumber?: string; generation?: number; certificateId?: string },
    ): Promise<T> {
      // Only a well-formed id reaches a log line; anything else is the caller's text.
      const certificateId = isCertificateId(requestedId) ? requestedId : undefined;
      try {
        const value = await work();
        audit.record({
          action,
          principal,
          decision: 'allow',
          result: 'success',
          certificateId,
          ...(facts ? facts(value) : {}),
        });
        return value;
      } catch (err) {
        if (err instanceof ForbiddenError) {
          audit.record({
            action,
            principal,
            decision: 'deny',
            result: 'denied',
            rule: String(err.details?.rule ?? ''),
            code: err.code,
            certificateId,
          });
        } else if (err instanceof NotFoundError) {
          audit.record({ action, principal, decision: 'deny', result: 'denied', code: err.code, certificateId });
        } else {
          audit.record({
            action,
            principal,
            decision: 'allow',
            result: 'failure',
            code: isAppError(err) ? err.code : 'INTERNAL',
            certificateId,
          });
        }
        throw err;
      }
    }

    /** The record if this principal may see it; another tenant's certificate is indistinguishable from none. */
    async function visibleRecord(principal: Principal, id: string): Promise<ClientCertificate> {
      assertCertificateId(id);
      const record = await readRecord(store, id);
      if (!record || !canSee(principal, record)) throw new NotFoundError();
      return record;
    }

    async function replay(entry: IdempotencyEntry, objectKey: string): Promise<IssueResult> {
      const answer = cipher.open<StoredAnswer>(entry.answer!, objectKey);
      // A crash right after the answer was stored leaves the pending object behind: tidy it up now.
      await store.delete(pendingKey(answer.view.id, answer.view.generation));
      const bundle = bundleObjectKeys(answer.view.id, answer.view.generation, answer.view.mode);
      const downloads = await signDownloads(store, bundle, answer.view.commonName, config.linkDefaultSeconds, now());
      return { ...answer.view, downloads, ...(answer.p12Password ? { p12Password: answer.p12Password } : {}) };
    }

    async function issueAs(
      principal: Principal,
      request: IssueRequest,
      idempotencyKey: string | undefined,
    ): Promise<IssueResult> {
      requireOperation(principal, 'issue');
      checkCommonName(request.commonName);
      // The names as the certificate will carry them (IPv6 in RFC 5952 form): stored, checked and answered so.
      const sans = checkSubjectAltNames(request.sans);
      checkSanTypes(sans);
      const validityDays = request.validityDays ?? config.defaultValidityDays;
      checkValidity(validityDays, config.maxValidityDays);
      if (request.renewBeforeDays !== undefined && request.renewBeforeDays >= validityDays) {
        throw new ValidationError('VALIDATION_FAILED', 'renewBeforeDays must be less than validityDays.', {
          details: {
            issues: [{ path: 'renewBeforeDays', code: 'too_big', message: 'must be less than validityDays' }],
          },
        });
      }
      // The very check the sender applies before each call: a URL it would refuse is refused here, at issue time.
      if (request.notify)
        checkWebhookUrl(request.notify.webhookUrl, { allowLoopback: config.allowLoopbackWebhooks ?? false });
      if (request.p12Password !== undefined) checkGivenPassword(request.p12Password);
      const csr =
        request.csr !== undefined
          ? await parseCallerCsr(request.csr, { commonName: request.commonName, sans })
          : undefined;
      const keyAlgorithm: KeyAlgorithm = csr ? csr.keyAlgorithm : (request.keyAlgorithm ?? 'RSA_2048');
      checkPolicy(principal, {
        commonName: request.commonName,
        sans,
        keyAlgorithm,
        validityDays,
        subjectAttributes: csr?.subjectAttributes,
      });
      const caNotAfter = (await issuingCaFacts()).notAfter;
      if (now().getTime() + validityDays * DAY_MS > caNotAfter.getTime()) {
        throw new ValidationError(
          'VALIDITY_EXCEEDS_CA',
          'The certificate would outlive the issuing CA: ask for fewer validityDays.',
          { details: { caNotAfter: caNotAfter.toISOString() } },
        );
      }

      const tenant = tenantOf(principal);
      const base = (id: string): PendingRequest => ({
        kind: 'issue',
        id,
        generation: 1,
        tenant,
        actor: `${principal.kind}:${principal.name}`,
        trigger: 'api',
        commonName: request.commonName,
        sans,
        mode: csr ? 'csr' : 'server-key',
        keyAlgorithm,
        p12Profile: request.p12Profile ?? 'modern',
        validityDays,
        csrPem: csr?.pem,
        p12Password: request.p12Password,
        settings: {
          autoRenew: request.autoRenew,
          renewBeforeDays: request.renewBeforeDays,
          notify: request.notify,
          labels: request.labels,
        },
      });

      if (idempotencyKey === undefined) {
        const pending = await openPending(ctx, base(newCertificateId(now())), { freshId: true });
        return (await completePending(ctx, pending!, { freshId: true })).result;
      }

      const objectKey = idempotencyObjectKey(tenant, idempotencyKey);
      const requestHash = cipher.fingerprint(canonicalJson({ operation: 'issue', tenant, request }));
      const idempotency = { objectKey, requestHash };
      // Twins (same key, same body) meet at the idempotency entry: only its creator makes a key. The others never
      // make one of their own while the creator may still be at it (a second key would meet the first one's
      // certificate at the CA: same ClientToken). They wait for its answer, or finish its pending object (same
      // key, same token, so the same certificate); after a while they answer 409 IDEMPOTENT_REQUEST_IN_PROGRESS.
      const waitUntil = Date.now() + IDEMPOTENT_WAIT_MS;
      for (;;) {
        try {
          const entry = await getJson<IdempotencyEntry>(store, objectKey);
          if (!entry) {
            const fresh: IdempotencyEntry = {
              v: 1,
              operation: 'issue',
              requestHash,
              certificateId: newCertificateId(now()),
              createdAt: now().toISOString(),
            };
            if (await createJson(store, objectKey, fresh)) {
              let pending: PendingIssuance | undefined;
              try {
                pending = await openPending(ctx, { ...base(fresh.certificateId), idempotency }, { freshId: true });
              } catch (err) {
                // No pending object (or an unknown outcome): let the retry take over at once instead of waiting for us.
                await putJson(store, objectKey, { ...fresh, released: true } satisfies IdempotencyEntry).catch(
                  () => undefined,
                );
                throw err;
              }
              if (pending) return (await completePending(ctx, pending, { freshId: true })).result;
            }
            continue; // a twin created the entry (or finished the work) first: follow it
          }
          if (entry.requestHash !== requestHash || entry.operation !== 'issue' || !isCertificateId(entry.certificateId))
            throw new IdempotencyKeyReusedError();
          if (entry.answer) return await replay(entry, objectKey);
          // Started and not finished: finish it with the pending object's key and token.
          const inFlight = await getJson<PendingIssuance>(store, pendingKey(entry.certificateId, 1));
          if (inFlight) return (await completePending(ctx, inFlight)).result;
          const done = await readRecord(store, entry.certificateId);
          const waiting = Date.now() < waitUntil;
          if (done) {
            // The twin is between its record and its answer: wait for the answer (it holds the password).
            if (waiting) {
              await sleep(IDEMPOTENT_POLL_MS);
              continue;
            }
            // Finished without its answer (state edited by hand?): never start over with a new key.
            const downloads = await signDownloads(
              store,
              done.current.bundle,
              done.commonName,
              config.linkDefaultSeconds,
              now(),
            );
            return { ...toView(done, now()), downloads };
          }
          // No pending object yet: the entry's creator is still making its key, or died before it wrote one.
          const abandoned =
            entry.released === true || now().getTime() - Date.parse(entry.createdAt) > IDEMPOTENT_ABANDONED_MS;
          if (!abandoned) {
            if (!waiting) throw new PendingSupersededError();
            await sleep(IDEMPOTENT_POLL_MS);
            continue;
          }
          const pending = await openPending(ctx, { ...base(entry.certificateId), idempotency });
          if (pending) return (await completePending(ctx, pending)).result;
        } catch (err) {
          // Our pending object lost to a twin that finished first: its answer is (or will shortly be) in the entry.
          if (!(err instanceof PendingSupersededError) || Date.now() >= waitUntil) throw err;
          await sleep(IDEMPOTENT_POLL_MS);
        }
      }
    }

    async function renewAs(principal: Principal, id: string, options: RenewOptions): Promise<RenewResult> {
      requireOperation(principal, 'renew');
      const record = await visibleRecord(principal, id);
      if (record.status === 'REVOKED')
        throw new ConflictError('CERTIFICATE_REVOKED', 'The certificate was revoked; it cannot be renewed.');
      const current = record.current.generation;
      if (options.expectedGeneration !== undefined && options.expectedGeneration !== current) {
        const inFlight = await getJson<PendingIssuance>(store, pendingKey(id, options.expectedGeneration + 1));
        if (inFlight && inFlight.kind === 'renew') return finish(inFlight);
        throw new AppError(
          'RENEWAL_SUPERSEDED',
          409,
          'The certificate was already renewed past the expected generation.',
          { details: { currentGeneration: current } },
        );
      }
      const inFlight = await getJson<PendingIssuance>(store, pendingKey(id, current + 1));
      if (inFlight) return finish(inFlight);

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
          throw new ValidationError(
            CSR_REQUIRED_CODE,
            'This certificate was issued for a CSR: send a new csr to renew it.',
          );
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
      const validityDays = Math.min(record.validityDays, config.maxValidityDays);
      checkPolicy(principal, {
        commonName: record.commonName,
        sans: record.sans,
        keyAlgorithm,
        validityDays,
        subjectAttributes,
      });

      const previousIndexKeys = [
        ...new Set(
          [renewalIndexKey(new Date(record.renewal.renewAt), id), renewalIndexKeyFor(record, now())].filter(
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
        notAfterCap: (await issuingCaFacts()).notAfter,
      });
      if (pending) {
        try {
          return await finish(pending);
        } catch (err) {
          // Our key lost to a twin renewal that finished this generation first: not a CA fault, answer with its work.
          if (!(err instanceof PendingSupersededError)) throw err;
        }
      }
      // Finished by a concurrent renewal between our two reads: answer with what it made (no password: not ours).
      const renewed = await visibleRecord(principal, id);
      const downloads = await signDownloads(
        store,
        renewed.current.bundle,
        renewed.commonName,
        config.linkDefaultSeconds,
        now(),
      );
      return { ...toView(renewed, now()), downloads };
    }

    async function finish(pending: PendingIssuance): Promise<RenewResult> {
      const completion = await completePending(ctx, pending);
      return { ...completion.result, ...(completion.previous ? { previous: completion.previous } : {}) };
    }

    async function revokeAs(
      principal: Principal,
      id: string,
      reason: RevocationReason,
    ): Promise<ClientCertificateView> {
      requireOperation(principal, 'revoke');
      let record = await visibleRecord(principal, id);
      if (record.status !== 'REVOKED') {
        const at = now();
        // Every generation that may still be in someone's hands: the CA first, so a failure changes nothing here.
        await ctx.ca.revoke(record.current.casIdentifier);
        for (const old of record.previous) {
          if (!old.revokedAt && Date.parse(old.notAfter) > at.getTime()) await ctx.ca.revoke(old.casIdentifier);
        }
        record = {
          ...record,
          status: 'REVOKED',
          revokedAt: at.toISOString(),
          revocationReason: reason,
          autoRenew: false,
          previous: record.previous.map((p) => (p.revokedAt ? p : { ...p, revokedAt: at.toISOString() })),
          updatedAt: at.toISOString(),
        };
        await writeRecord(store, record);
      }
      // Also on a repeated call: finishes the clean-up a failed earlier call left behind.
      const indexKeys = new Set([renewalIndexKey(new Date(record.renewal.renewAt), id)]);
      if (record.renewal.nextAttemptAt) indexKeys.add(renewalIndexKey(new Date(record.renewal.nextAttemptAt), id));
      for (const key of indexKeys) await store.delete(key);
      await deleteBundles(store, record.current.bundle);
      return toView(record, now());
    }

    async function finishPendingAs(
      principal: Principal,
      id: string,
      generation?: number,
    ): Promise<RenewResult | undefined> {
      assertCertificateId(id);
      if (principal.kind !== 'system')
        throw new ForbiddenError('operations', 'Only the service itself finishes pending work.');
      let key: string | undefined;
      if (generation !== undefined) key = pendingKey(id, generation);
      else {
        const listing = await store.list({ prefix: pendingPrefix(id), maxKeys: 10 });
        key = listing.keys
          .filter((k) => parsePendingKey(k))
          .sort((a, b) => parsePendingKey(a)!.generation - parsePendingKey(b)!.generation)[0];
      }
      if (!key) return undefined;
      const pending = await getJson<PendingIssuance>(store, key);
      if (!pending) return undefined;
      return finish(pending);
    }

    return {
      issue: (principal, request, idempotencyKey) =>
        audited(
          'certificate.issue',
          principal,
          undefined,
          () => issueAs(principal, request, idempotencyKey),
          (r) => ({ certificateId: r.id, serialNumber: r.serialNumber, generation: r.generation }),
        ),
      get: (principal, id) =>
        audited('certificate.read', principal, id, async () => {
          requireOperation(principal, 'read');
          return toView(await visibleRecord(principal, id), now());
        }),
      list: (principal, query) =>
        audited('certificate.list', principal, undefined, async () => {
          requireOperation(principal, 'read');
          return listCertificates(store, deps.clock, principal, query);
        }),
      links: (principal, id, expiresInSeconds) =>
        audited('certificate.links', principal, id, async () => {
          requireOperation(principal, 'links');
          const record = await visibleRecord(principal, id);
          if (record.status === 'REVOKED')
            throw new ConflictError('CERTIFICATE_REVOKED', 'The certificate was revoked; its bundles were deleted.');
          const seconds = expiresInSeconds ?? config.linkDefaultSeconds;
          if (seconds > config.linkMaxSeconds) {
            throw new ValidationError(
              'LINK_EXPIRY_TOO_LONG',
              `expiresInSeconds may be at most ${config.linkMaxSeconds}.`,
              { details: { linkMaxSeconds: config.linkMaxSeconds } },
            );
          }
          const downloads = await signDownloads(store, record.current.bundle, record.commonName, seconds, now());
          return { id: record.id, generation: record.current.generation, downloads };
        }),
      renew: (principal, id, options) =>
        audited(
          'certificate.renew',
          principal,
          id,
          () => renewAs(principal, id, options),
          (r) => ({ serialNumber: r.serialNumber, generation: r.generation }),
        ),
      revoke: (principal, id, reason = 'unspecified') =>
        audited('certificate.revoke', principal, id, () => revokeAs(principal, id, reason)),
      finishPending: (principal, id, generation) =>
        // Generation 1 is a first issuance a failed API request left behind (the renewal sweep finishes it).
        audited(
          generation === 1 ? 'certificate.issue' : 'certificate.renew',
          principal,
          id,
          () => finishPendingAs(principal, id, generation),
          (r) => (r ? { serialNumber: r.serialNumber, generation: r.generation } : {}),
        ),
      getRecord: async (principal, id) => {
        if (principal.kind !== 'system') throw new ForbiddenError('operations', 'Records are for the service itself.');
        return visibleRecord(principal, id);
      },
      withLogger: (next) => build(next),
    };
  }
}

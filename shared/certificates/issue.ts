/**
 * Issue: check everything that could refuse the request (before anything is written or sent to the CA), then run the
 * issuance pipeline. With an `Idempotency-Key`, twins (same key, same body) meet at the idempotency entry: only its
 * creator makes a key and the pending object; the others finish that pending object (they meet its CA call in the
 * attempts and adopt its certificate), or wait for the answer, and after a while answer a retryable 409.
 */
import { requireOperation } from '../auth/decisions.js';
import { tenantOf, type Principal } from '../auth/principal.js';
import type { KeyAlgorithm } from '../domain/client-certificate.js';
import { ConflictError, ValidationError } from '../errors/index.js';
import { checkWebhookUrl } from '../notify/webhook-url.js';
import { checkCommonName, checkSubjectAltNames } from '../pki/index.js';
import { PendingSupersededError } from './attempts.js';
import { currentAnswer } from './answer.js';
import type { ServiceContext } from './context.js';
import { entryStatus, newEntry, readEntry, replay, type IdempotencyEntry } from './idempotency.js';
import { idempotencyObjectKey, isCertificateId, newCertificateId, pendingKey } from './ids.js';
import { completePending, openPending, type PendingRequest } from './issuance.js';
import type { PendingIssuance } from './pending.js';
import { checkBundleInputs, checkKeyFamily, defaultKeyAlgorithm } from './preflight.js';
import { readRecord } from './records.js';
import { checkGivenPassword, checkPolicy, checkSanTypes, checkValidity, parseCallerCsr } from './request-checks.js';
import type { IssueRequest } from './schemas.js';
import { canonicalJson } from './sealing.js';
import { createJson, getJson, putJson } from './storage.js';
import type { IssueResult } from './view.js';

const DAY_MS = 86_400_000;

class IdempotencyKeyReusedError extends ConflictError {
  constructor() {
    super('IDEMPOTENCY_KEY_REUSED', 'This Idempotency-Key was already used with a different request.');
  }
}

/** Every refusal a request can get, in the order a caller would fix them; returns what the pending object needs. */
async function checkIssueRequest(
  ctx: ServiceContext,
  principal: Principal,
  request: IssueRequest,
): Promise<(id: string) => PendingRequest> {
  requireOperation(principal, 'issue');
  checkCommonName(request.commonName);
  // The names as the certificate will carry them (IPv6 in RFC 5952 form): stored, checked and answered so.
  const sans = checkSubjectAltNames(request.sans);
  checkSanTypes(sans);
  const validityDays = request.validityDays ?? ctx.config.defaultValidityDays;
  checkValidity(validityDays, ctx.config.maxValidityDays);
  if (request.renewBeforeDays !== undefined && request.renewBeforeDays >= validityDays) {
    throw new ValidationError('VALIDATION_FAILED', 'renewBeforeDays must be less than validityDays.', {
      details: { issues: [{ path: 'renewBeforeDays', code: 'too_big', message: 'must be less than validityDays' }] },
    });
  }
  // The very check the sender applies before each call: a URL it would refuse is refused here, at issue time.
  if (request.notify)
    checkWebhookUrl(request.notify.webhookUrl, { allowLoopback: ctx.config.allowLoopbackWebhooks ?? false });
  if (request.p12Password !== undefined) checkGivenPassword(request.p12Password);
  const mode = request.csr !== undefined ? 'csr' : 'server-key';
  checkBundleInputs({ mode, commonName: request.commonName, p12Password: request.p12Password });
  const csr =
    request.csr !== undefined ? await parseCallerCsr(request.csr, { commonName: request.commonName, sans }) : undefined;
  const issuingCa = await ctx.issuingCa.facts();
  const keyAlgorithm: KeyAlgorithm = csr
    ? csr.keyAlgorithm
    : (request.keyAlgorithm ?? defaultKeyAlgorithm(issuingCa.keyFamily));
  checkPolicy(principal, {
    commonName: request.commonName,
    sans,
    keyAlgorithm,
    validityDays,
    subjectAttributes: csr?.subjectAttributes,
  });
  checkKeyFamily(keyAlgorithm, issuingCa.keyFamily);
  if (ctx.now().getTime() + validityDays * DAY_MS > issuingCa.notAfter.getTime()) {
    throw new ValidationError(
      'VALIDITY_EXCEEDS_CA',
      'The certificate would outlive the issuing CA: ask for fewer validityDays.',
      { details: { caNotAfter: issuingCa.notAfter.toISOString() } },
    );
  }
  const tenant = tenantOf(principal);
  return (id) => ({
    kind: 'issue',
    id,
    generation: 1,
    tenant,
    actor: `${principal.kind}:${principal.name}`,
    trigger: 'api',
    commonName: request.commonName,
    sans,
    mode,
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
}

export async function issueCertificate(
  ctx: ServiceContext,
  principal: Principal,
  request: IssueRequest,
  idempotencyKey: string | undefined,
): Promise<IssueResult> {
  const base = await checkIssueRequest(ctx, principal, request);
  if (idempotencyKey === undefined) {
    const pending = await openPending(ctx, base(newCertificateId(ctx.now())), { freshId: true });
    return (await completePending(ctx, pending!, { freshId: true })).result;
  }
  return issueOnce(ctx, principal, request, idempotencyKey, base);
}

/** The keyed path: see the file comment. */
async function issueOnce(
  ctx: ServiceContext,
  principal: Principal,
  request: IssueRequest,
  idempotencyKey: string,
  base: (id: string) => PendingRequest,
): Promise<IssueResult> {
  const tenant = tenantOf(principal);
  const objectKey = idempotencyObjectKey(tenant, idempotencyKey);
  const requestHash = ctx.cipher.fingerprint(canonicalJson({ operation: 'issue', tenant, request }));
  const idempotency = { objectKey, requestHash };
  const waitUntil = ctx.now().getTime() + ctx.timing.twinWaitMs;
  // Bounded by count as well as by the clock: an injected clock that does not move must not make this loop forever.
  let polls = Math.ceil(ctx.timing.twinWaitMs / ctx.timing.pollMs);
  const waiting = () => ctx.now().getTime() < waitUntil && polls > 0;
  const wait = async () => {
    if (!waiting() || ctx.budget.remainingMs() < ctx.timing.pollMs * 2) throw new PendingSupersededError();
    polls -= 1;
    await ctx.sleep(ctx.timing.pollMs);
  };
  for (;;) {
    try {
      const entry = await readEntry(ctx, objectKey);
      if (!entry || entryStatus(entry, ctx.now()) === 'EXPIRED') {
        // An expired entry is gone for good (its answer and sealed password with it): this is a new request.
        if (entry) await ctx.store.delete(objectKey);
        const created = newEntry(ctx, objectKey, { requestHash, certificateId: newCertificateId(ctx.now()) });
        // The expiry first: an entry is never without the key that has the sweep delete it.
        await ctx.store.put(created.expiryKey, '', { contentType: 'text/plain' });
        if (await createJson(ctx.store, objectKey, created.entry)) {
          let pending: PendingIssuance | undefined;
          try {
            pending = await openPending(ctx, { ...base(created.entry.certificateId), idempotency }, { freshId: true });
          } catch (err) {
            // No pending object (or an unknown outcome): let the retry take over at once instead of waiting for us.
            await putJson(ctx.store, objectKey, { ...created.entry, released: true } satisfies IdempotencyEntry).catch(
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
      if (entryStatus(entry, ctx.now()) === 'COMPLETED') return await replay(ctx, entry, objectKey);
      // In progress: finish its pending object (its CA call is met in the attempts, never repeated).
      const inFlight = await readPending(ctx, entry.certificateId);
      if (inFlight) return (await completePending(ctx, inFlight)).result;
      const done = await readRecord(ctx.store, entry.certificateId);
      if (done) {
        // The twin is between its record and its answer: wait for the answer (it holds the password).
        if (waiting()) {
          await wait();
          continue;
        }
        // Finished without its answer (state edited by hand?): never start over with a new key.
        if (done.status !== 'ACTIVE')
          throw new ConflictError('CERTIFICATE_REVOKED', 'The certificate issued for this request was revoked.');
        return currentAnswer(ctx, done);
      }
      // No pending object yet: the entry's creator is still making its key, or died before it wrote one.
      const abandoned =
        entry.released === true || ctx.now().getTime() - Date.parse(entry.createdAt) > ctx.timing.abandonedEntryMs;
      if (!abandoned) {
        await wait();
        continue;
      }
      const pending = await openPending(ctx, { ...base(entry.certificateId), idempotency });
      if (pending) return (await completePending(ctx, pending)).result;
    } catch (err) {
      // Our pending object was finished by a twin: its answer is (or will shortly be) in the entry.
      if (!(err instanceof PendingSupersededError) || !waiting()) throw err;
      polls -= 1;
      await ctx.sleep(ctx.timing.pollMs);
    }
  }
}

function readPending(ctx: ServiceContext, id: string): Promise<PendingIssuance | undefined> {
  return getJson<PendingIssuance>(ctx.store, pendingKey(id, 1));
}

/**
 * The crash-safe issuance pipeline shared by first issuance, renewal and the sweep that finishes pending work:
 *
 *   pending (create-only, key + password sealed) -> CA (ClientToken from id + generation) -> verify ->
 *   bundles (create-only) -> tenant index -> record -> renewal index -> [revoke / drop previous] ->
 *   idempotent answer -> delete pending
 *
 * Every step after the pending object is idempotent, so a failure or crash anywhere is finished by running
 * `completePending` again on the same pending object: the CA returns the same certificate for the same token.
 */
import { createPrivateKey, createPublicKey, type KeyObject } from 'node:crypto';
import type { CertificateProfile, ClientCertificate } from '../domain/client-certificate.js';
import type { CertificateAuthority, Clock, IssuedCertificate, ObjectStore } from '../domain/ports.js';
import { renewalIndexKeyFor } from '../domain/renewal/review-time.js';
import { AppError, ConflictError, NotFoundError } from '../errors/index.js';
import { errorFields, type Logger } from '../log/index.js';
import { buildCsr, generateP12Password, parseCsr } from '../pki/index.js';
import { generateKeyPairBounded } from './key-generation.js';
import { bundleObjectKeys, pendingKey, recordKey, tenantIndexKey } from './ids.js';
import { clientTokenFor, type PendingIssuance, type PendingRecordSettings, type PendingSecrets } from './pending.js';
import { firstRecord, issuedGeneration, readRecord, renewedRecord, writeRecord } from './records.js';
import type { StateCipher } from './sealing.js';
import { deleteBundles, signDownloads, storeBundles } from './bundles.js';
import { createJson, getJson, putJson } from './storage.js';
import { IssuedCertificateRejectedError, verifyIssuedCertificate } from './verification.js';
import { toView, type ClientCertificateView, type IssueResult } from './view.js';

export interface IssuanceConfig {
  parentIdentifier: string;
  linkDefaultSeconds: number;
  bundleExampleUrl?: string;
}

export interface IssuanceContext {
  ca: CertificateAuthority;
  store: ObjectStore;
  clock: Clock;
  log: Logger;
  cipher: StateCipher;
  config: IssuanceConfig;
  /** PEM of the sub-CA named by `parentIdentifier` (fetched once). */
  issuingCaPem(): Promise<string>;
}

/** What the idempotency object keeps (sealed) so a replay gives the same answer. */
export interface StoredAnswer {
  view: ClientCertificateView;
  p12Password?: string;
}

export interface IdempotencyEntry {
  v: 1;
  operation: 'issue';
  requestHash: string;
  certificateId: string;
  createdAt: string;
  /** Its creator failed before writing the pending object: a retry takes over at once. */
  released?: boolean;
  answer?: import('./sealing.js').Sealed;
}

export interface PendingRequest extends CertificateProfile {
  kind: 'issue' | 'renew';
  id: string;
  generation: number;
  tenant: string;
  actor: string;
  trigger: PendingIssuance['trigger'];
  /** csr mode: the caller's CSR (already parsed and checked) */
  csrPem?: string;
  /** server-key mode: the caller's password; generated when absent */
  p12Password?: string;
  settings?: PendingRecordSettings;
  idempotency?: PendingIssuance['idempotency'];
  revokePrevious?: boolean;
  previousIndexKeys?: string[];
  /** The issuing CA's notAfter: no certificate may outlive it. */
  notAfterCap?: Date;
}

const DAY_MS = 86_400_000;

/**
 * This pending object lost a race: a twin finished the same id and generation with its own key before this
 * object was created, so the CA (same ClientToken) answered with the twin's certificate. The caller answers
 * with what the twin made; the pending object is already deleted.
 */
export class PendingSupersededError extends AppError {
  constructor() {
    super('IDEMPOTENT_REQUEST_IN_PROGRESS', 409, 'The same request was being processed; retry it shortly.', {
      retryable: true,
    });
  }
}

/**
 * The pending object for (id, generation): the existing one if any, otherwise a new one written create-only.
 * Losing the create race returns the winner's object. `undefined` means it existed and is already finished.
 */
export async function openPending(
  ctx: IssuanceContext,
  request: PendingRequest,
  options: { freshId?: boolean } = {},
): Promise<PendingIssuance | undefined> {
  const key = pendingKey(request.id, request.generation);
  // A freshly generated id has nothing stored under it yet: skip the read (the create-only write still guards).
  const existing = options.freshId ? undefined : await getJson<PendingIssuance>(ctx.store, key);
  if (existing) return existing;

  const now = ctx.clock.now();
  const notBefore = new Date(Math.floor(now.getTime() / 1000) * 1000);
  const wanted = notBefore.getTime() + request.validityDays * DAY_MS;
  const notAfter = new Date(request.notAfterCap ? Math.min(wanted, request.notAfterCap.getTime()) : wanted);
  let csrPem = request.csrPem;
  let secrets: PendingSecrets | undefined;
  if (request.mode === 'server-key') {
    const keyPair = await generateKeyPairBounded(request.keyAlgorithm);
    csrPem = await buildCsr({ keyPair, commonName: request.commonName, sans: request.sans });
    secrets = {
      privateKeyPem: keyPair.privateKey.export({ type: 'pkcs8', format: 'pem' }) as string,
      p12Password: request.p12Password ?? generateP12Password(),
      passwordGenerated: request.p12Password === undefined,
    };
  }
  if (!csrPem) throw new Error('a csr-mode pending issuance needs the CSR');
  const pending: PendingIssuance = {
    v: 1,
    kind: request.kind,
    id: request.id,
    generation: request.generation,
    tenant: request.tenant,
    actor: request.actor,
    trigger: request.trigger,
    createdAt: now.toISOString(),
    clientToken: clientTokenFor(request.id, request.generation),
    commonName: request.commonName,
    sans: request.sans,
    mode: request.mode,
    keyAlgorithm: request.keyAlgorithm,
    p12Profile: request.p12Profile,
    validityDays: request.validityDays,
    notBefore: notBefore.toISOString(),
    notAfter: notAfter.toISOString(),
    csrPem,
    ...(secrets ? { secrets: ctx.cipher.seal(secrets, key) } : {}),
    ...(request.settings ? { settings: request.settings } : {}),
    ...(request.idempotency ? { idempotency: request.idempotency } : {}),
    ...(request.kind === 'renew'
      ? { revokePrevious: request.revokePrevious ?? false, previousIndexKeys: request.previousIndexKeys ?? [] }
      : {}),
  };
  if (await createJson(ctx.store, key, pending)) return pending;
  // Another request created it first: finish its work (same key, same token) rather than ours.
  return getJson<PendingIssuance>(ctx.store, key);
}

async function revokeQuietly(ctx: IssuanceContext, identifier: string): Promise<void> {
  try {
    await ctx.ca.revoke(identifier);
  } catch (err) {
    ctx.log.error('could not revoke a certificate that will not be used', {
      ...errorFields(err),
      caIdentifier: identifier,
    });
  }
}

async function publicKeyOf(pending: PendingIssuance, privateKey: KeyObject | undefined): Promise<KeyObject> {
  if (privateKey) return createPublicKey(privateKey);
  return (await parseCsr(pending.csrPem)).publicKey;
}

export interface Completion {
  record: ClientCertificate;
  result: IssueResult;
  /** renew only: the generation that was replaced */
  previous?: { generation: number; serialNumber: string; revoked: boolean };
}

/** Runs (or re-runs) every step after the pending object; see the file comment. */
/** `freshId`: the id was generated by this request, so no record can exist yet (saves a read). */
export async function completePending(
  ctx: IssuanceContext,
  pending: PendingIssuance,
  options: { freshId?: boolean } = {},
): Promise<Completion> {
  const key = pendingKey(pending.id, pending.generation);
  const secrets = pending.secrets ? ctx.cipher.open<PendingSecrets>(pending.secrets, key) : undefined;
  const privateKey = secrets ? createPrivateKey(secrets.privateKeyPem) : undefined;
  const publicKey = await publicKeyOf(pending, privateKey);

  const issued: IssuedCertificate = await ctx.ca.issueWithCsr({
    parentIdentifier: ctx.config.parentIdentifier,
    csrPem: pending.csrPem,
    commonName: pending.commonName,
    sans: pending.sans,
    notBefore: new Date(pending.notBefore),
    notAfter: new Date(pending.notAfter),
    keyAlgorithm: pending.keyAlgorithm,
    customIdentifier: pending.clientToken,
  });

  let info;
  try {
    info = verifyIssuedCertificate({
      certificatePem: issued.certificatePem,
      publicKey,
      commonName: pending.commonName,
      sans: pending.sans,
      notBefore: new Date(pending.notBefore),
      notAfter: new Date(pending.notAfter),
      issuingCaPem: await ctx.issuingCaPem(),
    });
  } catch (err) {
    if (err instanceof IssuedCertificateRejectedError) {
      // The record already hands out exactly this certificate: a twin request finished this generation with its
      // own key (and deleted its pending object) before ours was created. A lost race, not a CA fault.
      const inUse = (await readRecord(ctx.store, pending.id))?.current.casIdentifier === issued.identifier;
      await ctx.store.delete(key);
      if (inUse) {
        ctx.log.warn('pending issuance superseded by a finished twin', {
          certificateId: pending.id,
          generation: pending.generation,
        });
        throw new PendingSupersededError();
      }
      // Never hand out a certificate that is not what we asked for; take it out of service and stop retrying.
      ctx.log.error('issued certificate rejected', {
        ...errorFields(err),
        certificateId: pending.id,
        generation: pending.generation,
        caIdentifier: issued.identifier,
      });
      await revokeQuietly(ctx, issued.identifier);
    }
    throw err;
  }

  const bundle = await storeBundles(ctx.store, {
    id: pending.id,
    generation: pending.generation,
    mode: pending.mode,
    commonName: pending.commonName,
    certificatePem: issued.certificatePem,
    chainPems: issued.chainPems,
    privateKey,
    p12Password: secrets?.p12Password,
    p12Profile: pending.p12Profile,
    exampleUrl: ctx.config.bundleExampleUrl,
  });

  const now = ctx.clock.now();
  const generation = issuedGeneration(pending, issued, info, bundle, now);
  let record = options.freshId && pending.kind === 'issue' ? undefined : await readRecord(ctx.store, pending.id);
  let previous: Completion['previous'];
  if (pending.kind === 'issue') {
    if (!record) {
      // The tenant index first: a record is never without the entry that lists it.
      await ctx.store.put(tenantIndexKey(pending.tenant, pending.id), '', { contentType: 'text/plain' });
      // Create-only: twins finishing the same pending object at once all answer with the first one's record.
      const fresh = firstRecord(pending, generation, now);
      if (await createJson(ctx.store, recordKey(pending.id), fresh)) record = fresh;
      else {
        record = await readRecord(ctx.store, pending.id);
        if (record?.current.casIdentifier !== issued.identifier)
          throw new AppError('STATE_CONFLICT', 409, 'The certificate changed while it was being issued.');
      }
    } else if (record.current.generation !== pending.generation) {
      throw new AppError('STATE_CONFLICT', 409, 'The certificate changed while it was being issued.');
    }
  } else {
    if (!record) throw new NotFoundError();
    if (record.current.generation === pending.generation - 1) {
      if (record.status === 'REVOKED') {
        // Revoked while the renewal was in flight: the new certificate must not outlive that decision.
        await revokeQuietly(ctx, issued.identifier);
        await deleteBundles(ctx.store, bundle);
        await ctx.store.delete(key);
        throw new ConflictError('CERTIFICATE_REVOKED', 'The certificate was revoked; it cannot be renewed.');
      }
      record = renewedRecord(record, pending, generation, now);
      await writeRecord(ctx.store, record);
    } else if (record.current.generation !== pending.generation || record.current.casIdentifier !== issued.identifier) {
      throw new AppError('STATE_CONFLICT', 409, 'The certificate changed while it was being renewed.');
    }
    const replaced = record.previous.find((p) => p.generation === pending.generation - 1);
    if (replaced)
      previous = {
        generation: replaced.generation,
        serialNumber: replaced.serialNumber,
        revoked: Boolean(pending.revokePrevious),
      };
  }

  const indexKey = renewalIndexKeyFor(record, now);
  if (indexKey) await ctx.store.put(indexKey, '', { contentType: 'text/plain' });
  for (const old of pending.previousIndexKeys ?? []) if (old !== indexKey) await ctx.store.delete(old);

  if (pending.kind === 'renew') {
    const replaced = record.previous.find((p) => p.generation === pending.generation - 1);
    if (pending.revokePrevious && replaced) await ctx.ca.revoke(replaced.casIdentifier);
    // The previous generation's files go: links always point at the current bundle.
    await deleteBundles(ctx.store, bundleObjectKeys(pending.id, pending.generation - 1, record.mode));
  }

  const view = toView(record, now);
  const p12Password = secrets?.passwordGenerated ? secrets.p12Password : undefined;
  if (pending.idempotency) {
    const answer: StoredAnswer = { view, ...(p12Password ? { p12Password } : {}) };
    const entry: IdempotencyEntry = {
      v: 1,
      operation: 'issue',
      requestHash: pending.idempotency.requestHash,
      certificateId: pending.id,
      createdAt: pending.createdAt,
      answer: ctx.cipher.seal(answer, pending.idempotency.objectKey),
    };
    await putJson(ctx.store, pending.idempotency.objectKey, entry);
  }
  await ctx.store.delete(key);

  const downloads = await signDownloads(
    ctx.store,
    record.current.bundle,
    record.commonName,
    ctx.config.linkDefaultSeconds,
    now,
  );
  ctx.log.info(pending.kind === 'issue' ? 'certificate issued' : 'certificate renewed', {
    event: pending.kind === 'issue' ? 'certificate.issued' : 'certificate.renewed',
    certificateId: pending.id,
    generation: pending.generation,
    serialNumber: info.serialNumber,
    notAfter: generation.notAfter,
    tenant: pending.tenant,
  });
  return { record, result: { ...view, downloads, ...(p12Password ? { p12Password } : {}) }, previous };
}

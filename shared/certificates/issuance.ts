/**
 * The crash-safe issuance pipeline shared by first issuance, renewal and the sweep that finishes pending work:
 *
 *   pending (create-only, key + password sealed) -> certificate (./attempts.ts: claim, call or adopt) -> verify ->
 *   bundles (create-only) -> CA index -> tenant index -> record -> renewal index -> [revoke / drop previous] ->
 *   idempotent answer -> delete pending
 *
 * Every step after the pending object is idempotent, so a failure or crash anywhere is finished by running
 * `completePending` again on the same pending object: the certificate an earlier run got (or that CAS issued for a
 * lost answer) is adopted, never issued twice. An error that cannot succeed on retry sets the pending object aside
 * (./set-aside.ts): its certificate is revoked and the sweep stops trying.
 */
import { createPrivateKey, createPublicKey, type KeyObject } from 'node:crypto';
import type { ClientCertificate } from '../domain/client-certificate.js';
import { AppError, ConflictError, NotFoundError } from '../errors/index.js';
import { buildCsr, generateP12Password, parseCsr } from '../pki/index.js';
import { renewalIndexKeyFor } from '../domain/renewal/review-time.js';
import { obtainCertificate, recordAnswer, type Obtained } from './attempts.js';
import { deleteBundles, signDownloads, storeBundles } from './bundles.js';
import type { ServiceContext } from './context.js';
import { completedEntry, type StoredAnswer } from './idempotency.js';
import {
  attemptPrefix,
  bundleObjectKeys,
  caIndexKey,
  expiryIndexKey,
  pendingKey,
  recordKey,
  tenantIndexKey,
} from './ids.js';
import { generateKeyPairBounded } from './key-generation.js';
import type { PendingIssuance, PendingRecordSettings, PendingSecrets } from './pending.js';
import { checkBundleInputs } from './preflight.js';
import { firstRecord, issuedGeneration, readRecord, renewedRecord, writeRecord } from './records.js';
import { isPermanentFailure, setAside } from './set-aside.js';
import { createJson, getJson, putJson } from './storage.js';
import { verifyIssuedCertificate } from './verification.js';
import { toView, type IssueResult } from './view.js';
import type { CertificateProfile } from '../domain/client-certificate.js';

export { PendingSupersededError } from './attempts.js';

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

/** Pending objects this process has just created: nothing can have been tried for them yet (saves the reads). */
const createdHere = new WeakSet<PendingIssuance>();

/** How long the attempts of a finished issuance are kept (a late twin may still read them), then deleted. */
const ATTEMPTS_KEPT_MS = 86_400_000;

/**
 * The pending object for (id, generation): the existing one if any, otherwise a new one written create-only.
 * Losing the create race returns the winner's object. `undefined` means it existed and is already finished.
 */
export async function openPending(
  ctx: ServiceContext,
  request: PendingRequest,
  options: { freshId?: boolean } = {},
): Promise<PendingIssuance | undefined> {
  const key = pendingKey(request.id, request.generation);
  // A freshly generated id has nothing stored under it yet: skip the read (the create-only write still guards).
  const existing = options.freshId ? undefined : await getJson<PendingIssuance>(ctx.store, key);
  if (existing) return existing;
  checkBundleInputs({ mode: request.mode, commonName: request.commonName, p12Password: request.p12Password });

  const now = ctx.now();
  const wanted = now.getTime() + request.validityDays * 86_400_000;
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
    v: 2,
    kind: request.kind,
    id: request.id,
    generation: request.generation,
    tenant: request.tenant,
    actor: request.actor,
    trigger: request.trigger,
    createdAt: now.toISOString(),
    commonName: request.commonName,
    sans: request.sans,
    mode: request.mode,
    keyAlgorithm: request.keyAlgorithm,
    p12Profile: request.p12Profile,
    validityDays: request.validityDays,
    ...(request.notAfterCap && request.notAfterCap.getTime() < wanted
      ? { notAfterCap: request.notAfterCap.toISOString() }
      : {}),
    csrPem,
    ...(secrets ? { secrets: ctx.cipher.seal(secrets, key) } : {}),
    ...(request.settings ? { settings: request.settings } : {}),
    ...(request.idempotency ? { idempotency: request.idempotency } : {}),
    ...(request.kind === 'renew'
      ? { revokePrevious: request.revokePrevious ?? false, previousIndexKeys: request.previousIndexKeys ?? [] }
      : {}),
  };
  if (await createJson(ctx.store, key, pending)) {
    createdHere.add(pending);
    return pending;
  }
  // Another request created it first: finish its work (same key) rather than ours.
  return getJson<PendingIssuance>(ctx.store, key);
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

/** Runs (or re-runs) every step after the pending object; see the file comment. `freshId`: the id was generated by
 * this request, so no record can exist yet (saves a read). */
export async function completePending(
  ctx: ServiceContext,
  pending: PendingIssuance,
  options: { freshId?: boolean } = {},
): Promise<Completion> {
  let obtained: Obtained | undefined;
  try {
    const key = pendingKey(pending.id, pending.generation);
    const secrets = pending.secrets ? ctx.cipher.open<PendingSecrets>(pending.secrets, key) : undefined;
    const privateKey = secrets ? createPrivateKey(secrets.privateKeyPem) : undefined;
    const publicKey = await publicKeyOf(pending, privateKey);
    // Also for objects written before these checks ran at creation: never issue what cannot be bundled.
    checkBundleInputs({ mode: pending.mode, commonName: pending.commonName });
    obtained = await obtainCertificate(ctx, pending, publicKey, { fresh: createdHere.has(pending) });
    return await commit(ctx, pending, obtained, { secrets, privateKey, publicKey }, options);
  } catch (err) {
    if (isPermanentFailure(err)) await setAside(ctx, pending, err, obtained?.issued);
    else if (obtained) await recordAnswer(ctx, obtained);
    throw err;
  }
}

async function commit(
  ctx: ServiceContext,
  pending: PendingIssuance,
  obtained: Obtained,
  keys: { secrets?: PendingSecrets; privateKey?: KeyObject; publicKey: KeyObject },
  options: { freshId?: boolean },
): Promise<Completion> {
  const { issued, window } = obtained;
  const key = pendingKey(pending.id, pending.generation);
  const issuingCa = await ctx.issuingCa.facts();
  const info = verifyIssuedCertificate({
    certificatePem: issued.certificatePem,
    publicKey: keys.publicKey,
    commonName: pending.commonName,
    sans: pending.sans,
    notBefore: window.notBefore,
    notAfter: window.notAfter,
    issuingCaPem: issuingCa.pem,
    csrPem: pending.csrPem,
  });

  const bundle = await storeBundles(ctx.store, {
    id: pending.id,
    generation: pending.generation,
    mode: pending.mode,
    commonName: pending.commonName,
    certificatePem: issued.certificatePem,
    chainPems: issued.chainPems,
    privateKey: keys.privateKey,
    p12Password: keys.secrets?.p12Password,
    passwordOrigin: keys.secrets?.passwordGenerated ? 'generated' : 'chosen',
    p12Profile: pending.p12Profile,
    exampleUrl: ctx.config.bundleExampleUrl,
  });
  // Before the record: the inventory scan must never see this certificate as nobody's.
  await putJson(ctx.store, caIndexKey(issued.identifier), {
    id: pending.id,
    generation: pending.generation,
    tenant: pending.tenant,
  });

  const now = ctx.now();
  const capped = pending.notAfterCap !== undefined && window.notAfter.getTime() >= Date.parse(pending.notAfterCap);
  const generation = issuedGeneration(pending, issued, info, bundle, now, capped);
  let record = options.freshId && pending.kind === 'issue' ? undefined : await readRecord(ctx.store, pending.id);
  let previous: Completion['previous'];
  if (pending.kind === 'issue') {
    if (!record) {
      // The tenant index first: a record is never without the entry that lists it.
      await ctx.store.put(tenantIndexKey(pending.tenant, pending.id), '', { contentType: 'text/plain' });
      // Create-only: twins finishing the same pending object at once all answer with the first one's record.
      const fresh = firstRecord(pending, generation, now);
      if (await createJson(ctx.store, recordKey(pending.id), fresh)) record = fresh;
      else record = await readRecord(ctx.store, pending.id);
    }
    if (record?.current.generation !== pending.generation || record.current.casIdentifier !== issued.identifier)
      throw new AppError('STATE_CONFLICT', 409, 'The certificate changed while it was being issued.');
  } else {
    if (!record) throw new NotFoundError();
    if (record.current.generation === pending.generation - 1) {
      // Revoked (or being revoked) while the renewal was in flight: the new certificate must not outlive that.
      if (record.status !== 'ACTIVE' && record.status !== 'EXPIRED')
        throw new ConflictError('CERTIFICATE_REVOKED', 'The certificate was revoked; it cannot be renewed.');
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
  if (capped) {
    ctx.log.warn('certificate cut short at the issuing CA', {
      event: 'ca.expiring',
      certificateId: pending.id,
      generation: pending.generation,
      caIdentifier: ctx.config.parentIdentifier,
      notAfter: generation.notAfter,
    });
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
  const p12Password = keys.secrets?.passwordGenerated ? keys.secrets.p12Password : undefined;
  if (pending.idempotency) {
    const answer: StoredAnswer = { view, ...(p12Password ? { p12Password } : {}) };
    await putJson(
      ctx.store,
      pending.idempotency.objectKey,
      completedEntry(ctx, pending.idempotency, pending.id, pending.createdAt, answer),
    );
  }
  await ctx.store.delete(key);
  // The attempts stay a while (a late twin reads them instead of calling CAS), then the sweep deletes them.
  await ctx.store
    .put(expiryIndexKey(new Date(now.getTime() + ATTEMPTS_KEPT_MS), attemptPrefix(pending.id, pending.generation)), '')
    .catch(() => undefined);

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
    ...(obtained.adopted ? { outcome: 'adopted' } : {}),
  });
  return { record, result: { ...view, downloads, ...(p12Password ? { p12Password } : {}) }, previous };
}

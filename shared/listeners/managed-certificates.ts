/**
 * A managed listener server certificate, step by step: assess (is a new one due, would the CA refuse it),
 * replace (key -> CSR -> the private CA issues -> the certificate store holds it), commit (once the listener serves
 * it and a handshake proved it) and retire (delete replaced ones from the store after their grace period).
 * Every step writes what it did to `reconcile/server-certificates/<listener>.json` before the next, so a crash
 * resumes where it stopped. The private key lives only sealed (STATE_KEY) in that object, and only until the
 * certificate store holds it; then it is deleted from our state. Decisions are pure (domain/listeners/managed-certificate.ts).
 */
import { X509Certificate, createHash } from 'node:crypto';
import type { Clock } from '../domain/ports.js';
import type { ListenerMtls } from '../domain/listeners/desired-state.js';
import type { CaSource, ServerCertificateFacts, ServerCertificateSource } from '../domain/listeners/ports.js';
import type {
  ServerCertificateAuthority,
  ServerCertificateUploads,
} from '../domain/listeners/server-certificate-ports.js';
import {
  decideManagedCertificate,
  issuanceProblems,
  managedSpecHash,
  normalizeSerial,
  requestedValidity,
  retire,
  retirementsDue,
  type ManagedCertificateDecision,
  type ManagedCertificateRef,
  type ManagedCertificateState,
  type ManagedCertificateStateStore,
  type ManagedServerCertificate,
  type PendingServerCertificate,
  type ServerCertificatePlan,
} from '../domain/listeners/managed-certificate.js';
import { listenerBaseId } from '../domain/listeners/listener-id.js';
import type { Logger } from '../log/index.js';
import type { Sealed, StateCipher } from '../certificates/sealing.js';
import { buildCsr, generateKeyPair } from '../pki/index.js';

export const MANAGED_STATE_PREFIX = 'reconcile/server-certificates/';

export function managedStateKey(listenerId: string): string {
  return `${MANAGED_STATE_PREFIX}${listenerBaseId(listenerId)}.json`;
}

export interface ManagedCertificateDeps {
  authority: ServerCertificateAuthority;
  uploads: ServerCertificateUploads;
  serverCertificates: ServerCertificateSource;
  cas: CaSource;
  state: ManagedCertificateStateStore;
  cipher: StateCipher;
  clock: Clock;
  log: Logger;
}

export interface ManagedAssessment {
  spec: ManagedServerCertificate;
  state: ManagedCertificateState;
  decision: ManagedCertificateDecision;
  /** The store's facts of the certificate the listener should serve now (current, or an uploaded replacement). */
  facts?: ServerCertificateFacts;
  /** Why the private CA would refuse a new certificate (blocks the listener, nothing is made). */
  problems: string[];
  plan: ServerCertificatePlan;
}

/** CertId the listener should serve while nothing new is made: an uploaded replacement first, else the current one. */
export function targetOf(state: ManagedCertificateState): ManagedCertificateRef | undefined {
  return state.pending?.uploaded ?? state.current;
}

function planOf(a: Omit<ManagedAssessment, 'plan' | 'problems'>, now: Date): ServerCertificatePlan {
  const { spec, state, decision } = a;
  const current = state.current;
  const due = retirementsDue(state, now);
  return {
    action: decision.action,
    ...(decision.action === 'replace' ? { reason: decision.reason } : {}),
    ...(decision.action === 'resume' ? { reason: decision.pending.reason } : {}),
    names: spec.names,
    keyAlgorithm: spec.keyAlgorithm,
    validityDays: spec.validityDays,
    issuer: spec.issuer,
    ...(decision.action !== 'resume' && decision.renewAt ? { renewAt: decision.renewAt.toISOString() } : {}),
    ...(current
      ? { current: { certId: current.certId, serialNumber: current.serialNumber, notAfter: current.notAfter } }
      : {}),
    ...(due.length ? { retire: due.map((r) => ({ certId: r.certId, deleteAfter: r.deleteAfter })) } : {}),
  };
}

export async function assessManaged(deps: ManagedCertificateDeps, d: ListenerMtls): Promise<ManagedAssessment> {
  const spec = d.managedCertificate!;
  const now = deps.clock.now();
  const state = (await deps.state.load(d.listenerId)) ?? {
    v: 1,
    listenerId: listenerBaseId(d.listenerId),
    retired: [],
  };
  const target = targetOf(state);
  const facts = target ? await deps.serverCertificates.getServerCertificate(target.certId) : undefined;
  const decision = decideManagedCertificate(spec, state, facts !== undefined, now);
  let problems: string[] = [];
  // Nothing new is asked of the CA once the replacement is issued: only then may its checks be skipped.
  if (decision.action === 'replace' || (decision.action === 'resume' && !decision.pending.issued))
    problems = issuanceProblems(spec, await deps.cas.getCa(spec.issuer), now);
  const partial = { spec, state, decision, ...(facts ? { facts } : {}) };
  return { ...partial, problems, plan: planOf(partial, now) };
}

/** What the seed rules check while a replacement is only planned: the certificate as it will be. */
export function plannedFacts(spec: ManagedServerCertificate, now: Date): ServerCertificateFacts {
  const { notBefore, notAfter } = requestedValidity(spec, now);
  return {
    certId: '(new)',
    certIdentifier: '(new)',
    commonName: spec.names[0],
    dnsNames: spec.names.filter((n) => !/^[\d.]+$/.test(n) && !n.includes(':')),
    notBefore,
    notAfter,
    fingerprintSha256: '',
  };
}

const keyName = (listenerId: string) => managedStateKey(listenerId);

/** The certificate store's name for it: listener and serial, so a copy left by a crash can be recognised. */
function storeName(listenerId: string, serialNumber: string): string {
  return `nlb-mtls-${listenerBaseId(listenerId)}-${normalizeSerial(serialNumber).slice(0, 16)}`.slice(0, 64);
}

/** Runs (or resumes) key -> issue -> upload; resolves the uploaded certificate. Apply mode only. */
export async function replaceManaged(
  deps: ManagedCertificateDeps,
  d: ListenerMtls,
  assessment: ManagedAssessment,
): Promise<{ ref: ManagedCertificateRef; facts: ServerCertificateFacts; state: ManagedCertificateState }> {
  const { spec } = assessment;
  let state = assessment.state;
  const save = async (next: ManagedCertificateState) => {
    await deps.state.save(next);
    state = next;
  };
  const now = deps.clock.now();

  let pending: PendingServerCertificate | undefined = state.pending;
  if (!pending) {
    const keyPair = await generateKeyPair(spec.keyAlgorithm);
    const privateKeyPem = keyPair.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
    const csrPem = await buildCsr({
      keyPair,
      commonName: spec.names[0],
      sans: {
        dns: spec.names.filter((n) => !/^[\d.]+$/.test(n) && !n.includes(':')),
        ip: spec.names.filter((n) => /^[\d.]+$/.test(n) || n.includes(':')),
      },
    });
    const reason = assessment.decision.action === 'replace' ? assessment.decision.reason : 'no-certificate';
    pending = {
      startedAt: now.toISOString(),
      reason,
      specHash: managedSpecHash(spec),
      customIdentifier: `nma-${createHash('sha256')
        .update(`${listenerBaseId(d.listenerId)}|${now.toISOString()}`)
        .digest('hex')
        .slice(0, 24)}`,
      csrPem,
      sealedKey: deps.cipher.seal({ privateKeyPem }, keyName(d.listenerId)),
    };
    await save({ ...state, pending });
    deps.log.info('managed server certificate: replacement started', {
      listenerId: d.listenerId,
      reason,
      event: 'server-certificate.replacing',
    });
  }

  if (!pending.issued) {
    const { notBefore, notAfter } = requestedValidity(spec, deps.clock.now());
    const issued = await deps.authority.issueServerCertificate({
      parentIdentifier: spec.issuer,
      csrPem: pending.csrPem,
      keyAlgorithm: spec.keyAlgorithm,
      names: spec.names,
      notBefore,
      notAfter,
      customIdentifier: pending.customIdentifier,
    });
    pending = {
      ...pending,
      issued: {
        casIdentifier: issued.identifier,
        serialNumber: normalizeSerial(issued.serialNumber),
        certificatePem: issued.certificatePem,
        chainPems: issued.chainPems,
      },
    };
    await save({ ...state, pending });
  }

  if (!pending.uploaded) {
    if (!pending.sealedKey) throw new Error('the replacement lost its key before the certificate store held it');
    const { privateKeyPem } = deps.cipher.open<{ privateKeyPem: string }>(
      pending.sealedKey as Sealed,
      keyName(d.listenerId),
    );
    const issued = pending.issued!;
    // Leaf and the intermediates, not a self-signed root: clients bring their own trust anchor.
    const chain = issued.chainPems.filter((pem) => !isSelfSigned(pem));
    const { certId } = await deps.uploads.upload({
      name: storeName(d.listenerId, issued.serialNumber),
      certificateChainPem: [issued.certificatePem, ...chain].map((p) => p.trim() + '\n').join(''),
      privateKeyPem,
    });
    const facts = await deps.serverCertificates.getServerCertificate(certId);
    if (!facts) throw new Error(`the certificate store does not show certificate ${certId} just uploaded`);
    const ref: ManagedCertificateRef = {
      certId,
      certIdentifier: facts.certIdentifier,
      serialNumber: issued.serialNumber,
      casIdentifier: issued.casIdentifier,
      notBefore: facts.notBefore.toISOString(),
      notAfter: facts.notAfter.toISOString(),
      fingerprintSha256: facts.fingerprintSha256,
      specHash: pending.specHash,
    };
    // The store holds the key now: ours goes, and with it the certificate text we no longer need.
    const { sealedKey: _key, ...rest } = pending;
    pending = { ...rest, issued: { ...issued, certificatePem: '', chainPems: [] }, uploaded: ref };
    await save({ ...state, pending });
    deps.log.info('managed server certificate uploaded', {
      listenerId: d.listenerId,
      serialNumber: ref.serialNumber,
      notAfter: ref.notAfter,
      event: 'server-certificate.uploaded',
    });
    return { ref, facts, state };
  }
  const ref = pending.uploaded;
  const facts = await deps.serverCertificates.getServerCertificate(ref.certId);
  if (!facts) throw new Error(`certificate ${ref.certId} left the certificate store before the listener took it`);
  return { ref, facts, state };
}

function isSelfSigned(pem: string): boolean {
  try {
    const c = new X509Certificate(pem);
    return c.issuer === c.subject && c.verify(c.publicKey);
  } catch {
    return false;
  }
}

/** The listener serves the replacement and a handshake proved it: it becomes current, the one before is retired. */
export async function commitManaged(
  deps: ManagedCertificateDeps,
  d: ListenerMtls,
  state: ManagedCertificateState,
): Promise<ManagedCertificateState> {
  const replacement = state.pending?.uploaded;
  if (!replacement) return state;
  const now = deps.clock.now();
  const previous = state.current;
  const next: ManagedCertificateState = {
    v: 1,
    listenerId: state.listenerId,
    current: replacement,
    retired: [
      ...state.retired,
      ...(previous && previous.certId !== replacement.certId
        ? [retire(previous, d.managedCertificate!.retireAfterHours, now)]
        : []),
    ],
  };
  await deps.state.save(next);
  deps.log.info('managed server certificate in service', {
    listenerId: d.listenerId,
    serialNumber: replacement.serialNumber,
    notAfter: replacement.notAfter,
    event: 'server-certificate.rotated',
  });
  return next;
}

/**
 * Deletes replaced certificates whose grace period is over, unless the listener still reports one (then it waits
 * for the next run). `servedIds`: the certificate ids the listener reports now.
 */
export async function retireDue(
  deps: ManagedCertificateDeps,
  d: ListenerMtls,
  state: ManagedCertificateState,
  servedIds: string[],
): Promise<{ state: ManagedCertificateState; removed: string[] }> {
  const due = retirementsDue(state, deps.clock.now());
  const removed: string[] = [];
  for (const r of due) {
    if (servedIds.includes(r.certIdentifier)) {
      deps.log.warn('retired server certificate still on the listener: kept', {
        listenerId: d.listenerId,
        serialNumber: r.serialNumber,
      });
      continue;
    }
    await deps.uploads.delete(r.certId);
    removed.push(r.certId);
    deps.log.info('retired server certificate removed from the store', {
      listenerId: d.listenerId,
      serialNumber: r.serialNumber,
      event: 'server-certificate.removed',
    });
  }
  if (!removed.length) return { state, removed };
  const next = { ...state, retired: state.retired.filter((r) => !removed.includes(r.certId)) };
  await deps.state.save(next);
  return { state: next, removed };
}

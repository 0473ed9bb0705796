/**
 * The canary: a client certificate the project issues to itself (through the certificate service, like any
 * client) so verification can prove that a good client gets in. Its key is made here and sent as a CSR, so
 * the key never crosses an API; at rest it is sealed with STATE_KEY in `reconcile/canary.json`. Renewal
 * resubmits the stored CSR (the renewal sweep does the same), so the sealed key stays valid across generations;
 * a lost, revoked or mismatching canary is replaced by a new one and the old one revoked.
 */
import type { KeyObject } from 'node:crypto';
import { X509Certificate, createPrivateKey } from 'node:crypto';
import type { CanaryCredentials, CanaryProvider } from '../../shared/domain/listeners/ports.js';
import type { Clock, ObjectStore } from '../../shared/domain/ports.js';
import type { CertificateService } from '../../shared/certificates/service.js';
import { systemPrincipal } from '../../shared/auth/principal.js';
import { createStateCipher, type Sealed } from '../../shared/certificates/sealing.js';
import { buildCsr, generateKeyPair, keyMatchesCertificate } from '../../shared/pki/index.js';
import { errorFields, type Logger } from '../../shared/log/index.js';
import { isAppError } from '../../shared/errors/index.js';
import type { PcaReads } from './pca-reads.js';
import { randomBytes } from 'node:crypto';

export const CANARY_STATE_KEY = 'reconcile/canary.json';
export const CANARY_COMMON_NAME = 'nlb-mtls-autopilot-canary';
export const CANARY_PRINCIPAL = systemPrincipal('reconcile-listeners', 'system');

interface CanaryState {
  version: 1;
  certificateId?: string;
  key?: Sealed;
  /** An issuance in flight: a crash after `issue` finishes with the same key, CSR and Idempotency-Key (no second certificate). */
  pending?: { idempotencyKey: string; key: Sealed; csrPem: string };
}

export interface CanaryDeps {
  service: CertificateService;
  store: ObjectStore;
  pca: Pick<PcaReads, 'getClientCertificate' | 'getCa'>;
  stateKey: Buffer;
  clock: Clock;
  log: Logger;
  validityDays: number;
  /** Where its state lives; default `reconcile/canary.json` (a CA rotation keeps one per CA under `rotation/`). */
  objectKey?: string;
  /** The `purpose` label of its record; default `reconcile-canary`. */
  purpose?: string;
  /**
   * The sub-CA that must have issued it (the service's parent): a canary from another sub-CA (the configured one
   * changed, e.g. after a CA rotation) is replaced, since the listener may no longer let it in.
   */
  parentIdentifier?: string;
}

export function createCanaryProvider(deps: CanaryDeps): CanaryProvider {
  const cipher = createStateCipher(deps.stateKey);
  const objectKey = deps.objectKey ?? CANARY_STATE_KEY;
  const readState = async (): Promise<CanaryState> => {
    const body = await deps.store.get(objectKey);
    return body ? (JSON.parse(body.toString('utf8')) as CanaryState) : { version: 1 };
  };
  const writeState = (state: CanaryState) =>
    deps.store.put(objectKey, JSON.stringify(state), { contentType: 'application/json' });
  const openKey = (sealed: Sealed): KeyObject =>
    createPrivateKey(cipher.open<{ privateKeyPem: string }>(sealed, objectKey).privateKeyPem);
  const issuerPem = async (): Promise<string | undefined> =>
    deps.parentIdentifier ? (await deps.pca.getCa(deps.parentIdentifier))?.certificatePem : undefined;

  /** The current generation's certificate with our key, or undefined when it cannot serve (gone, revoked, expired, other key). */
  async function usable(state: CanaryState): Promise<CanaryCredentials | undefined> {
    if (!state.certificateId || !state.key) return undefined;
    let record;
    try {
      record = await deps.service.getRecord(CANARY_PRINCIPAL, state.certificateId);
    } catch (err) {
      if (isAppError(err) && err.code === 'NOT_FOUND') return undefined;
      throw err;
    }
    const now = deps.clock.now();
    if (record.status !== 'ACTIVE' || Date.parse(record.current.notAfter) <= now.getTime()) return undefined;
    if (Date.parse(record.renewal.renewAt) <= now.getTime()) {
      try {
        // A scheduled renewal resubmits the stored CSR: same key, new certificate.
        await deps.service.renew(CANARY_PRINCIPAL, record.id, {
          trigger: 'schedule',
          expectedGeneration: record.current.generation,
        });
        record = await deps.service.getRecord(CANARY_PRINCIPAL, record.id);
      } catch (err) {
        deps.log.warn('canary renewal failed; the current generation is still valid', {
          certificateId: record.id,
          ...errorFields(err),
        });
      }
    }
    const issued = await deps.pca.getClientCertificate(record.current.casIdentifier);
    if (!issued) return undefined;
    const wantedIssuer = await issuerPem();
    if (wantedIssuer && !issuedBy(issued.certificatePem, wantedIssuer)) return undefined;
    const key = openKey(state.key);
    if (!keyMatchesCertificate(key, issued.certificatePem)) return undefined;
    return {
      certificateId: record.id,
      certificateChainPem: [issued.certificatePem, ...issued.chainPems].map((p) => p.trim() + '\n').join(''),
      privateKeyPem: key.export({ type: 'pkcs8', format: 'pem' }).toString(),
      notAfter: new Date(record.current.notAfter),
    };
  }

  const issueCanary = (pending: NonNullable<CanaryState['pending']>) =>
    deps.service.issue(
      CANARY_PRINCIPAL,
      {
        commonName: CANARY_COMMON_NAME,
        csr: pending.csrPem,
        validityDays: deps.validityDays,
        autoRenew: true,
        labels: { purpose: deps.purpose ?? 'reconcile-canary' },
        sans: { dns: [], uri: [], email: [], ip: [] },
      },
      pending.idempotencyKey,
    );

  async function issueNew(state: CanaryState): Promise<CanaryCredentials> {
    let pending = state.pending;
    if (!pending) {
      // CAS certifies only keys of the sub-CA's own family (docs/cloud-fidelity.md, D9).
      const keyPair = await generateKeyPair(canaryKeyAlgorithm(await issuerPem()));
      const privateKeyPem = keyPair.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
      const csrPem = await buildCsr({ keyPair, commonName: CANARY_COMMON_NAME });
      pending = {
        idempotencyKey: `reconcile-canary-${randomBytes(12).toString('hex')}`,
        key: cipher.seal({ privateKeyPem }, objectKey),
        csrPem,
      };
      await writeState({ ...state, pending });
    }
    const result = await issueCanary(pending).catch(async (err: unknown) => {
      // A 400 is refused before any CA call (shared/certificates/preflight.ts): nothing was issued, and the same CSR
      // would be refused on every run (e.g. a key of the wrong family after the sub-CA changed). Start over next time.
      if (isAppError(err) && err.status === 400) await writeState({ ...state, pending: undefined });
      throw err;
    });
    if (state.certificateId && state.certificateId !== result.id) {
      await deps.service.revoke(CANARY_PRINCIPAL, state.certificateId, 'superseded').catch((err: unknown) => {
        deps.log.warn('previous canary not revoked', { certificateId: state.certificateId, ...errorFields(err) });
      });
    }
    const next: CanaryState = { version: 1, certificateId: result.id, key: pending.key };
    await writeState(next);
    deps.log.info('canary client certificate issued', { certificateId: result.id, notAfter: result.notAfter });
    const credentials = await usable(next);
    if (!credentials)
      throw new Error(`the new canary ${result.id} cannot be used (its certificate does not match the sealed key)`);
    return credentials;
  }

  return {
    async current() {
      const state = await readState();
      if (!state.pending) {
        const ready = await usable(state);
        if (ready) return ready;
      }
      return issueNew(state);
    },
  };
}

/** Signed by that CA (name and signature), whatever chain CAS answered with. */
function issuedBy(certificatePem: string, issuerPem: string): boolean {
  const leaf = new X509Certificate(certificatePem);
  const issuer = new X509Certificate(issuerPem);
  return leaf.checkIssued(issuer) && leaf.verify(issuer.publicKey);
}

/** The canary's key type: the issuing sub-CA's family (RSA_2048 under an RSA sub-CA, else EC_P256). */
export function canaryKeyAlgorithm(issuerPem: string | undefined): 'RSA_2048' | 'EC_P256' {
  if (!issuerPem) return 'EC_P256';
  return new X509Certificate(issuerPem).publicKey.asymmetricKeyType === 'rsa' ? 'RSA_2048' : 'EC_P256';
}

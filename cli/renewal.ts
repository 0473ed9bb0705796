/**
 * Renewal by proof of possession, as `renew` and `agent` do it: no bearer token, only the current certificate and
 * its key. A fresh proof (shared/auth/possession-proof.ts) signed with the real clock is bound to the new key's CSR;
 * the answer's certificate is verified like any other before it replaces the files.
 */
import { signPossessionProof } from '../shared/auth/possession-proof.js';
import { buildCsr, type CertificateInfo } from '../shared/pki/index.js';
import { checkApiUrl, createApiClient } from './api.js';
import { discardPendingKey, loadCredentials, type LocalCredentials } from './credentials.js';
import { receiveCertificate, type CertificateAnswer } from './delivery.js';
import { CliError, EXIT, usageError } from './exit-codes.js';
import { algorithmOfKey, keyPairOf, parseKeyType, pendingKey } from './keys.js';
import type { FileLayout } from './layout.js';
import type { Output } from './output.js';

export interface RenewalSettings {
  layout: FileLayout;
  /** --api / NLB_MTLS_API; default: the API recorded in NAME.json. */
  api?: string;
  apiSource?: string;
  /** --id: the certificate id when NAME.json is missing. */
  certificateId?: string;
  reuseKey: boolean;
  /** --key-type: another key of the same family (a larger one); default the current key's type. */
  keyType?: string;
  timeoutMs: number;
  output: Output;
}

export interface RenewalOutcome {
  certificateId: string;
  generation: number;
  previousSerialNumber: string;
  info: CertificateInfo;
  newKey: boolean;
  written: string[];
}

export function renewalTarget(
  s: RenewalSettings,
  creds: LocalCredentials,
): { certificateId: string; api: string; mode: 'csr' | 'server-key' } {
  const certificateId = s.certificateId ?? creds.state?.certificateId;
  if (!certificateId)
    throw new CliError(
      EXIT.LOCAL,
      'STATE_NOT_FOUND',
      `${s.layout.state} does not exist, so the certificate id is unknown.`,
      {
        hint: 'pass --id cc-... (the id the API gave when the certificate was issued)',
      },
    );
  if (!/^cc-[a-z0-9]{20,40}$/.test(certificateId))
    throw usageError(`--id is not a certificate id: "${certificateId}".`);
  const api = s.api ?? creds.state?.api;
  if (!api) throw usageError('No API URL: set --api or NLB_MTLS_API.');
  return {
    certificateId,
    api: checkApiUrl(api, s.api ? (s.apiSource ?? '--api') : `"api" in ${s.layout.state}`),
    mode: creds.state?.certificateId === certificateId ? creds.state.mode : 'csr',
  };
}

export async function renewByPossession(s: RenewalSettings, loaded?: LocalCredentials): Promise<RenewalOutcome> {
  const creds = loaded ?? loadCredentials(s.layout, { requireCa: true });
  const target = renewalTarget(s, creds);
  const client = createApiClient(target.api, s.timeoutMs);

  let csrPem: string | undefined;
  let newPublicKey = undefined as ReturnType<typeof keyPairOf>['publicKey'] | undefined;
  const reuse = s.reuseKey;
  if (target.mode === 'csr') {
    const current = algorithmOfKey(creds.key, s.layout.key);
    const pair = reuse
      ? keyPairOf(creds.key, current)
      : await pendingKey(s.layout, parseKeyType(s.keyType, current), s.output);
    csrPem = await buildCsr({ keyPair: pair, commonName: creds.leaf.commonName, sans: creds.leaf.sans });
    newPublicKey = pair.publicKey;
  } else if (reuse) {
    throw usageError(
      '--reuse-key does not apply: the service makes the key of this certificate (it was requested with --p12).',
    );
  }
  const proof = signPossessionProof({
    privateKey: creds.key,
    chainPems: creds.chainPems,
    certificateId: target.certificateId,
    audience: 'nlb-mtls:renew',
    now: new Date(),
    csrPem,
  });
  s.output.progress(`Renewing ${target.certificateId} by proof of possession`);
  let answer: CertificateAnswer;
  try {
    answer = await client.call<CertificateAnswer>(
      'POST',
      `/v1/certificates/${target.certificateId}/renew-by-possession`,
      {
        body: { proof, ...(csrPem ? { csr: csrPem } : {}) },
      },
    );
  } catch (err) {
    // Refused: no certificate will ever exist for the new key. Unreachable: it might, so NAME.key.next stays.
    if (err instanceof CliError && err.exitCode === EXIT.REFUSED && !reuse) discardPendingKey(s.layout);
    throw err;
  }
  const { info, written } = await receiveCertificate(answer, {
    layout: s.layout,
    api: target.api,
    timeoutMs: s.timeoutMs,
    output: s.output,
    now: new Date(),
    trust: creds.caPems,
    csrKey: newPublicKey ? { publicKey: newPublicKey, kept: reuse } : undefined,
    names: { commonName: creds.leaf.commonName, sans: creds.leaf.sans },
    previousSerialNumber: creds.leaf.serialNumber,
  });
  return {
    certificateId: target.certificateId,
    generation: answer.generation,
    previousSerialNumber: creds.leaf.serialNumber,
    info,
    newKey: !reuse,
    written,
  };
}

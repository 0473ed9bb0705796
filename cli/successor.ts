/**
 * A CA rotation's successor on the device (docs/rotation.md): fetched by proof of possession of the current key,
 * verified, and kept BESIDE the current certificate (NAME.successor.crt, its new root in NAME.successor.ca.crt,
 * NAME.successor.json; in server-key mode also NAME.successor.key), because the listener still trusts the old CA
 * until the switch. When the listener then refuses the current certificate and lets the successor in (`check`
 * falls back to it by itself), the successor is promoted: the current files become NAME.previous.*, the
 * successor's take their names, and its root is added to ca.crt in front of the old one (renewals then chain to the
 * new root; a server certificate from the old root is still verified).
 *
 * What a successor is: in CSR mode a certificate for the SAME key, so the device needs only the new certificate;
 * in server-key mode a new key and certificate (the .p12 password is handed out on the first pickup only).
 * The new root cannot be checked against the old one (they are unrelated): it is trusted because it came from the
 * API over https in answer to a proof only this key could sign, and the successor must certify the same names.
 */
import type { KeyObject } from 'node:crypto';
import { join, dirname, parse } from 'node:path';
import { signPossessionProof } from '../shared/auth/possession-proof.js';
import { sameSans } from '../shared/certificates/verification.js';
import {
  inspectCertificate,
  keyMatchesCertificate,
  splitPemCertificates,
  type CertificateInfo,
} from '../shared/pki/index.js';
import { createApiClient, download } from './api.js';
import { chainsToAny, openPemZip, parsePrivateKey, plainKeyPem } from './bundle.js';
import { loadCredentials, readCertificateChain, readState, stateFrom, type CertificateState } from './credentials.js';
import { CliError, EXIT } from './exit-codes.js';
import { fileExists, readTextFile, removeFile, replaceFile, writeFileAtomic, PRIVATE, PUBLIC } from './files.js';
import type { FileLayout } from './layout.js';
import type { Output } from './output.js';
import { renewalTarget } from './renewal.js';

export interface SuccessorFiles {
  cert: string;
  ca: string;
  key: string;
  state: string;
  previous: { cert: string; key: string; ca: string; state: string };
}

export function successorFiles(layout: FileLayout): SuccessorFiles {
  const base = join(dirname(layout.cert), parse(layout.cert).name);
  const caBase = join(dirname(layout.ca), parse(layout.ca).name);
  return {
    cert: `${base}.successor.crt`,
    ca: `${base}.successor.ca.crt`,
    key: `${base}.successor.key`,
    state: `${base}.successor.json`,
    previous: {
      cert: `${base}.previous.crt`,
      key: `${base}.previous.key`,
      ca: `${caBase}.previous.crt`,
      state: `${base}.previous.json`,
    },
  };
}

/** NAME.successor.json: which certificate it succeeds, and the rotation; never a secret. */
export interface SuccessorState extends CertificateState {
  succeeds: string;
  rotation: { id: string; fromCa: string; toCa: string };
}

interface SuccessorAnswer {
  certificateId: string;
  rotation: { id: string; stage: string; fromCa: string; toCa: string };
  successor: {
    id: string;
    mode: 'csr' | 'server-key';
    generation: number;
    commonName: string;
    fingerprintSha256: string;
  };
  downloads: { certificate?: { url: string }; pem?: { url: string } };
  p12Password?: string;
}

export function readSuccessorState(files: SuccessorFiles): SuccessorState | undefined {
  const state = readState(files.state) as SuccessorState | undefined;
  if (!state || typeof state.succeeds !== 'string' || !fileExists(files.cert)) return undefined;
  const r = state.rotation as Partial<SuccessorState['rotation']> | undefined;
  if (!r || typeof r.id !== 'string' || typeof r.fromCa !== 'string' || typeof r.toCa !== 'string')
    throw new CliError(
      EXIT.LOCAL,
      'STATE_INVALID',
      `${files.state} is not a successor state written by nlb-mtls: "rotation" is missing or incomplete.`,
    );
  return state;
}

/** The certificate in use, as far as a successor must match it. */
export interface CurrentCertificate {
  certificateId?: string;
  leaf: CertificateInfo;
  key: KeyObject;
}

/**
 * Why the successor on disk is not (or no longer) the successor of the certificate in use, e.g. one left from an
 * earlier rotation or from before a `request --force`: it names another certificate, certifies other names, is
 * for another key (CSR mode: a successor keeps the key) or has expired. Undefined when it still fits.
 */
export function staleSuccessor(
  files: SuccessorFiles,
  state: SuccessorState,
  current: CurrentCertificate,
  now: Date,
): { reason?: string; info: CertificateInfo } {
  const chain = readCertificateChain(files.cert);
  const info = inspectCertificate(chain[0]);
  const reason =
    current.certificateId !== undefined && state.succeeds !== current.certificateId
      ? `it succeeds ${state.succeeds}, not the certificate in use (${current.certificateId})`
      : info.commonName !== current.leaf.commonName || !sameSans(info.sans, current.leaf.sans)
        ? 'it certifies other names than the certificate in use'
        : !fileExists(files.key) && !keyMatchesCertificate(current.key, chain[0])
          ? 'it is for another key than the one in use'
          : info.notAfter.getTime() <= now.getTime()
            ? 'it has expired'
            : undefined;
  return { ...(reason ? { reason } : {}), info };
}

/** A stale successor goes: its state first, so a crash halfway leaves no half a successor that counts. */
function dropSuccessor(files: SuccessorFiles): void {
  for (const path of [files.state, files.cert, files.ca, files.key]) removeFile(path);
}

export interface FetchedSuccessor {
  state: SuccessorState;
  info: CertificateInfo;
  written: string[];
  /** Already on disk from an earlier fetch: nothing was downloaded. */
  already: boolean;
  /** Why a successor found on disk was dropped as stale before this one was fetched. */
  droppedStale?: string;
}

/** Fetches the successor unless it is already on disk; throws CliError NO_SUCCESSOR (exit 4) when there is none. */
export async function fetchSuccessor(s: {
  layout: FileLayout;
  api?: string;
  apiSource?: string;
  certificateId?: string;
  timeoutMs: number;
  output: Output;
}): Promise<FetchedSuccessor> {
  const files = successorFiles(s.layout);
  const creds = loadCredentials(s.layout, { requireCa: false });
  const have = readSuccessorState(files);
  let droppedStale: string | undefined;
  if (have) {
    // NAME.successor.crt holds the chain as fetched (leaf + the new sub-CA): the successor is its first certificate.
    const current = { certificateId: s.certificateId ?? creds.state?.certificateId, leaf: creds.leaf, key: creds.key };
    const { reason, info } = staleSuccessor(files, have, current, new Date());
    if (!reason) return { state: have, info, written: [], already: true };
    // Left from an earlier rotation (or certificate): promoting it would install the wrong certificate.
    droppedStale = `${files.cert} (successor ${have.certificateId}, rotation ${have.rotation.id}): ${reason}`;
    s.output.note(`dropping the stale successor ${droppedStale}; asking for the current one`);
    dropSuccessor(files);
  }

  const target = renewalTarget({ ...s, reuseKey: true }, creds);
  const proof = signPossessionProof({
    privateKey: creds.key,
    chainPems: creds.chainPems,
    certificateId: target.certificateId,
    audience: 'nlb-mtls:successor',
    now: new Date(),
  });
  s.output.progress(`Asking for the successor of ${target.certificateId} (a CA rotation)`);
  const answer = await createApiClient(target.api, s.timeoutMs).call<SuccessorAnswer>(
    'POST',
    `/v1/certificates/${target.certificateId}/successor-by-possession`,
    { body: { proof } },
  );
  const mode = answer.successor.mode;
  const link = mode === 'csr' ? answer.downloads.certificate : answer.downloads.pem;
  if (!link) throw new CliError(EXIT.VERIFICATION, 'ANSWER_INCOMPLETE', 'The API answer has no download link.');
  s.output.progress('Downloading the successor');
  const bundle = openPemZip(await download(link.url, s.timeoutMs));
  const keyPem = bundle.keyPem ? plainKeyPem(bundle.keyPem, answer.p12Password) : undefined;
  const { info, roots } = verifySuccessor(bundle.chainPems, bundle.caPems, answer, creds, keyPem);

  const written: string[] = [];
  if (keyPem) {
    writeFileAtomic(files.key, keyPem, PRIVATE);
    written.push(files.key);
  }
  writeFileAtomic(files.cert, bundle.chainPems.join(''), PUBLIC);
  // Only the new root, as `request` writes ca.crt from a bundle: the bundle's ca.crt also holds the new sub-CA,
  // which NAME.crt already carries and which ca.crt (the roots new certificates must chain to) does not list.
  writeFileAtomic(files.ca, roots.join(''), PUBLIC);
  const state: SuccessorState = {
    ...stateFrom(
      info,
      { certificateId: answer.successor.id, api: target.api, mode, generation: answer.successor.generation },
      new Date(),
    ),
    succeeds: target.certificateId,
    rotation: { id: answer.rotation.id, fromCa: answer.rotation.fromCa, toCa: answer.rotation.toCa },
  };
  writeFileAtomic(files.state, JSON.stringify(state, null, 2) + '\n', PUBLIC);
  written.push(files.cert, files.ca, files.state);
  return { state, info, written, already: false, ...(droppedStale ? { droppedStale } : {}) };
}

function verifySuccessor(
  chainPems: string[],
  caPems: string[],
  answer: SuccessorAnswer,
  creds: ReturnType<typeof loadCredentials>,
  keyPem: string | undefined,
): { info: CertificateInfo; roots: string[] } {
  const bad = (code: string, message: string) => new CliError(EXIT.VERIFICATION, code, message);
  // openPemZip parsed every certificate of the download already.
  const info = inspectCertificate(chainPems[0]);
  if (info.fingerprintSha256 !== answer.successor.fingerprintSha256.replace(/:/g, '').toLowerCase())
    throw bad('FINGERPRINT_MISMATCH', 'The downloaded successor is not the certificate the API named.');
  if (!info.extendedKeyUsage.includes('clientAuth'))
    throw bad('NOT_A_CLIENT_CERTIFICATE', 'The successor is not a client certificate.');
  const roots = rootsOf(caPems);
  if (roots.length === 0 || !chainsToAny(chainPems, roots))
    throw bad('CHAIN_UNTRUSTED', 'The successor does not chain to the root that came with it.');
  const key = keyPem
    ? parsePrivateKey(keyPem, 'The successor key', 'BUNDLE_KEY_INVALID', EXIT.VERIFICATION)
    : creds.key; // CSR mode: the same key
  if (!keyMatchesCertificate(key, chainPems[0])) throw bad('KEY_MISMATCH', 'The successor is not for our key.');
  if (info.commonName !== creds.leaf.commonName || !sameSans(info.sans, creds.leaf.sans))
    throw bad('NAME_MISMATCH', 'The successor does not certify the same names as the current certificate.');
  return { info, roots };
}

function rootsOf(pems: string[]): string[] {
  return pems.filter((pem) => {
    const c = inspectCertificate(pem);
    return c.isCa && c.subject === c.issuer;
  });
}

/**
 * The successor becomes the certificate: NAME.crt/.key/.json and ca.crt are kept as NAME.previous.* and
 * ca.previous.crt (the previous certificate stays valid until it expires), then the successor's files take
 * their names. Each step is an atomic rename or write; a crash leaves both sets readable.
 */
export function promoteSuccessor(layout: FileLayout): { state: SuccessorState; written: string[] } {
  const files = successorFiles(layout);
  const state = readSuccessorState(files);
  if (!state) throw new CliError(EXIT.LOCAL, 'NO_SUCCESSOR', `There is no successor in ${files.cert} to promote.`);
  const written: string[] = [];
  const keep = (from: string, to: string) => {
    if (!fileExists(from)) return;
    writeFileAtomic(to, readTextFile(from, 'file'), to === files.previous.key ? PRIVATE : PUBLIC);
    written.push(to);
  };
  keep(layout.cert, files.previous.cert);
  keep(layout.key, files.previous.key);
  keep(layout.ca, files.previous.ca);
  keep(layout.state, files.previous.state);
  if (fileExists(files.key)) {
    replaceFile(files.key, layout.key);
    written.push(layout.key);
  }
  replaceFile(files.cert, layout.cert);
  // ca.crt: the new root first, then the old one(s): renewals now chain to the new root, and a listener whose
  // server certificate still comes from the old root is still verified.
  const oldCa = fileExists(files.previous.ca) ? readTextFile(files.previous.ca, 'CA file') : '';
  // A NAME.successor.ca.crt fetched by an earlier version also holds the new sub-CA: only its root goes in.
  const fetchedCa = readTextFile(files.ca, 'CA file');
  const newRoots = (() => {
    try {
      return rootsOf(splitPemCertificates(fetchedCa));
    } catch {
      return []; // unreadable: kept as it is
    }
  })();
  writeFileAtomic(layout.ca, (newRoots.length > 0 ? newRoots.join('') : fetchedCa) + oldCa, PUBLIC);
  removeFile(files.ca);
  const { succeeds: _s, rotation: _r, ...current } = state;
  writeFileAtomic(layout.state, JSON.stringify(current, null, 2) + '\n', PUBLIC);
  removeFile(files.state);
  written.push(layout.cert, layout.ca, layout.state);
  return { state, written };
}

/**
 * The certificate on this machine: read and checked (key fits certificate, chain reaches ca.crt), and replaced
 * in an order that survives a crash at any point. A new key is written to NAME.key.next before it is sent anywhere;
 * the new certificate is written first, then NAME.key.next is renamed over NAME.key. Loading finds a certificate that
 * fits NAME.key.next but not NAME.key (a crash between the two renames) and finishes the job.
 */
import { statSync } from 'node:fs';
import type { KeyObject } from 'node:crypto';
import {
  inspectCertificate,
  splitPemCertificates,
  keyMatchesCertificate,
  type CertificateInfo,
} from '../shared/pki/index.js';
import { chainsToAny, parsePrivateKey } from './bundle.js';
import { CliError, EXIT } from './exit-codes.js';
import { fileExists, readTextFile, removeFile, replaceFile, writeFileAtomic, PRIVATE, PUBLIC } from './files.js';
import type { FileLayout } from './layout.js';

/** NAME.json: what the device needs to talk about its certificate later. Never a secret. */
export interface CertificateState {
  v: 1;
  certificateId: string;
  api?: string;
  commonName: string;
  mode: 'csr' | 'server-key';
  generation: number;
  serialNumber: string;
  fingerprintSha256: string;
  notBefore: string;
  notAfter: string;
  updatedAt: string;
}

// NAME.json is checked by hand rather than with zod: the single-file CLI stays small (zod alone would be half of it).

export interface LocalCredentials {
  /** Leaf first, then the intermediates from the certificate file. */
  chainPems: string[];
  leaf: CertificateInfo;
  key: KeyObject;
  caPems: string[];
  state?: CertificateState;
  /** Set when loading finished an interrupted replacement. */
  recovered?: boolean;
}

/** The PEM labels in a text ("CERTIFICATE", "PRIVATE KEY", ...): what a file holds, to say what is wrong with it. */
function pemLabels(text: string): string[] {
  return [...text.matchAll(/-----BEGIN ([A-Z0-9 ]+)-----/g)].map((m) => m[1]);
}

const isKeyLabel = (label: string) => /PRIVATE KEY$/.test(label);

/** Why a file that should hold certificates holds none: empty, a key, or not PEM at all. */
function noCertificate(path: string, text: string): string {
  const labels = pemLabels(text);
  if (text.trim() === '') return `${path} is empty: it should hold a PEM certificate.`;
  if (labels.some(isKeyLabel)) return `${path} holds a private key, not a certificate.`;
  if (labels.length > 0) return `${path} holds a PEM "${labels[0]}", not a certificate.`;
  return `${path} is not a PEM file: it should hold a certificate (-----BEGIN CERTIFICATE-----).`;
}

/**
 * Every certificate in a local file, each one parsed (so nothing downstream meets a broken one): an empty file, a
 * key, garbage or a block that does not decode is refused with `code`, naming the file and what is in it.
 */
function readCertificates(path: string, what: string, code: string): { pems: string[]; infos: CertificateInfo[] } {
  const text = readTextFile(path, what);
  let pems: string[];
  try {
    pems = splitPemCertificates(text);
  } catch (cause) {
    throw new CliError(EXIT.LOCAL, code, `${path} is not valid PEM: ${(cause as Error).message}`, { cause });
  }
  if (pems.length === 0) throw new CliError(EXIT.LOCAL, code, noCertificate(path, text));
  const infos = pems.map((pem, i) => {
    try {
      return inspectCertificate(pem);
    } catch (cause) {
      const which = pems.length === 1 ? 'The certificate' : `Certificate ${i + 1} of ${pems.length}`;
      throw new CliError(EXIT.LOCAL, code, `${which} in ${path} cannot be parsed (not an X.509 certificate).`, {
        cause,
      });
    }
  });
  return { pems, infos };
}

/** NAME.crt: the client certificate first, then its intermediates. */
export function readCertificateChain(path: string): string[] {
  const { pems, infos } = readCertificates(path, 'certificate', 'CERTIFICATE_INVALID');
  if (infos[0].isCa)
    throw new CliError(
      EXIT.LOCAL,
      'CERTIFICATE_INVALID',
      `The first certificate in ${path} is a CA certificate (${infos[0].subject}), not a client certificate: the client certificate must come first, then its intermediates.`,
    );
  return pems;
}

export function readCaFile(path: string): string[] {
  return readCertificates(path, 'CA certificate', 'CA_INVALID').pems;
}

export function readKey(path: string): KeyObject {
  const text = readTextFile(path, 'private key');
  const labels = pemLabels(text);
  const refuse = (code: string, message: string, hint?: string) =>
    new CliError(EXIT.LOCAL, code, message, hint ? { hint } : {});
  if (text.trim() === '') throw refuse('KEY_INVALID', `${path} is empty: it should hold a PEM private key.`);
  if (labels.includes('ENCRYPTED PRIVATE KEY') || /Proc-Type:\s*4,ENCRYPTED/.test(text))
    throw refuse(
      'KEY_ENCRYPTED',
      `${path} is encrypted with a passphrase; nlb-mtls (like nginx and the agent) needs it unencrypted (mode 0600).`,
      `openssl pkey -in ${path} -out ${path}.plain && chmod 600 ${path}.plain && mv ${path}.plain ${path}`,
    );
  if (!labels.some(isKeyLabel)) {
    if (labels.includes('CERTIFICATE')) throw refuse('KEY_INVALID', `${path} holds a certificate, not a private key.`);
    if (labels.includes('PUBLIC KEY')) throw refuse('KEY_INVALID', `${path} holds a public key, not a private key.`);
    if (labels.length > 0) throw refuse('KEY_INVALID', `${path} holds a PEM "${labels[0]}", not a private key.`);
    throw refuse(
      'KEY_INVALID',
      `${path} is not a PEM file: it should hold a private key (-----BEGIN PRIVATE KEY-----).`,
    );
  }
  const key = parsePrivateKey(text, path, 'KEY_INVALID');
  if (key.asymmetricKeyType !== 'rsa' && key.asymmetricKeyType !== 'ec')
    throw refuse('KEY_INVALID', `${path} is a ${key.asymmetricKeyType} key; only RSA and EC keys are used.`);
  return key;
}

/** What is wrong with a parsed NAME.json, field by field; empty when it is a state file written by nlb-mtls. */
function stateProblems(value: unknown): string[] {
  if (!value || typeof value !== 'object' || Array.isArray(value)) return ['it is not a JSON object'];
  const s = value as Record<string, unknown>;
  const problems: string[] = [];
  if (s.v !== 1) problems.push('"v" is not 1');
  if (typeof s.certificateId !== 'string') problems.push('"certificateId" is missing');
  else if (!/^cc-[a-z0-9]{20,40}$/.test(s.certificateId)) problems.push('"certificateId" is not a certificate id');
  if (s.api !== undefined && typeof s.api !== 'string') problems.push('"api" is not a string');
  if (s.mode !== 'csr' && s.mode !== 'server-key') problems.push('"mode" is not "csr" or "server-key"');
  if (!Number.isInteger(s.generation) || (s.generation as number) < 1)
    problems.push('"generation" is not a positive integer');
  for (const k of ['commonName', 'serialNumber', 'fingerprintSha256', 'notBefore', 'notAfter', 'updatedAt'])
    if (typeof s[k] !== 'string') problems.push(`"${k}" is missing`);
  return problems;
}

export function readState(path: string): CertificateState | undefined {
  if (!fileExists(path)) return undefined;
  const text = readTextFile(path, 'state file');
  const refuse = (why: string) =>
    new CliError(EXIT.LOCAL, 'STATE_INVALID', `${path} ${why}.`, {
      hint: `nlb-mtls writes it on request/fetch; move it away and pass --id (and --api) instead`,
    });
  if (text.trim() === '') throw refuse('is empty: it should hold the JSON state nlb-mtls wrote');
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw refuse('is not valid JSON');
  }
  const problems = stateProblems(json);
  if (problems.length > 0) throw refuse(`is not a state file written by nlb-mtls: ${problems.join(', ')}`);
  return json as CertificateState;
}

/** True when group or others may read the file: worth a warning for a private key. */
export function readableByOthers(path: string): boolean {
  try {
    return (statSync(path).mode & 0o077) !== 0;
  } catch {
    return false;
  }
}

export function loadCredentials(layout: FileLayout, options: { requireCa: boolean }): LocalCredentials {
  // Everything is read and checked before anything is touched: a bad file changes nothing.
  const chainPems = readCertificateChain(layout.cert);
  const leaf = inspectCertificate(chainPems[0]); // parsed once already by readCertificateChain
  let key = readKey(layout.key);
  const state = readState(layout.state);
  let caPems: string[] = [];
  if (fileExists(layout.ca)) {
    caPems = readCaFile(layout.ca);
    if (!chainsToAny(chainPems, caPems))
      throw new CliError(
        EXIT.LOCAL,
        'CHAIN_UNTRUSTED',
        `The certificate in ${layout.cert} (issued by ${leaf.issuer}) does not chain to the CA in ${layout.ca} (a certificate of another CA, or the intermediate is missing).`,
      );
  } else if (options.requireCa) {
    throw new CliError(EXIT.LOCAL, 'FILE_NOT_FOUND', `The trusted CA file ${layout.ca} does not exist.`, {
      hint: 'pass --ca FILE (the root your listeners trust); nlb-mtls request writes it on first use',
    });
  }
  let recovered = false;
  if (!keyMatchesCertificate(key, chainPems[0])) {
    const next = nextKeyIfReadable(layout.nextKey);
    if (!next || !keyMatchesCertificate(next, chainPems[0]))
      throw new CliError(
        EXIT.LOCAL,
        'KEY_MISMATCH',
        `${layout.key} is not the key of the certificate in ${layout.cert}.`,
      );
    // A replacement stopped between writing the certificate and moving its key into place: finish it.
    replaceFile(layout.nextKey, layout.key);
    key = next;
    recovered = true;
  }
  return { chainPems, leaf, key, caPems, state, ...(recovered ? { recovered } : {}) };
}

/** NAME.key.next only matters when it fits the certificate: a broken one is no reason to fail. */
function nextKeyIfReadable(path: string): KeyObject | undefined {
  if (!fileExists(path)) return undefined;
  try {
    return readKey(path);
  } catch {
    return undefined;
  }
}

export interface NewCredentials {
  chainPems: string[];
  /** Where the key comes from: already in NAME.key.next (a key we made), a PEM from the bundle, or unchanged. */
  key: { kind: 'next' } | { kind: 'pem'; pem: string } | { kind: 'unchanged' };
  /** Written only when the CA file does not exist yet. */
  caPems?: string[];
  /** NAME.json; absent when the certificate id is unknown (a bare fetch). */
  state?: CertificateState;
  p12?: { der: Buffer; password?: string };
}

/** Replaces the files in crash-safe order (see the top of this file). */
export function installCredentials(layout: FileLayout, next: NewCredentials): string[] {
  const written: string[] = [];
  if (next.key.kind === 'pem') writeFileAtomic(layout.nextKey, next.key.pem, PRIVATE);
  writeFileAtomic(layout.cert, next.chainPems.join(''), PUBLIC);
  written.push(layout.cert);
  if (next.key.kind !== 'unchanged') {
    replaceFile(layout.nextKey, layout.key);
    written.push(layout.key);
  }
  if (next.caPems && next.caPems.length > 0 && !fileExists(layout.ca)) {
    writeFileAtomic(layout.ca, next.caPems.join(''), PUBLIC);
    written.push(layout.ca);
  }
  if (next.p12) {
    writeFileAtomic(layout.p12, next.p12.der, PRIVATE);
    written.push(layout.p12);
    if (next.p12.password !== undefined) {
      writeFileAtomic(layout.p12Password, next.p12.password + '\n', PRIVATE);
      written.push(layout.p12Password);
    }
  }
  if (next.state) {
    writeFileAtomic(layout.state, JSON.stringify(next.state, null, 2) + '\n', PUBLIC);
    written.push(layout.state);
  }
  return written;
}

/** A refused request will never produce a certificate for the pending key: drop it. */
export function discardPendingKey(layout: FileLayout): void {
  removeFile(layout.nextKey);
}

export function stateFrom(
  leaf: CertificateInfo,
  facts: { certificateId: string; api?: string; mode: 'csr' | 'server-key'; generation: number },
  now: Date,
): CertificateState {
  return {
    v: 1,
    certificateId: facts.certificateId,
    ...(facts.api ? { api: facts.api } : {}),
    commonName: leaf.commonName,
    mode: facts.mode,
    generation: facts.generation,
    serialNumber: leaf.serialNumber,
    fingerprintSha256: leaf.fingerprintSha256,
    notBefore: leaf.notBefore.toISOString(),
    notAfter: leaf.notAfter.toISOString(),
    updatedAt: now.toISOString(),
  };
}

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

/** Checked by hand rather than with zod: the single-file CLI stays small (zod alone would be half of it). */
function isCertificateState(value: unknown): value is CertificateState {
  if (!value || typeof value !== 'object') return false;
  const s = value as Record<string, unknown>;
  const strings = ['commonName', 'serialNumber', 'fingerprintSha256', 'notBefore', 'notAfter', 'updatedAt'];
  return (
    s.v === 1 &&
    typeof s.certificateId === 'string' &&
    /^cc-[a-z0-9]{20,40}$/.test(s.certificateId) &&
    (s.api === undefined || typeof s.api === 'string') &&
    (s.mode === 'csr' || s.mode === 'server-key') &&
    Number.isInteger(s.generation) &&
    (s.generation as number) >= 1 &&
    strings.every((k) => typeof s[k] === 'string')
  );
}

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

export function readCertificateChain(path: string): string[] {
  const text = readTextFile(path, 'certificate');
  let chain: string[];
  try {
    chain = splitPemCertificates(text);
  } catch {
    chain = [];
  }
  if (chain.length === 0) throw new CliError(EXIT.LOCAL, 'CERTIFICATE_INVALID', `${path} holds no PEM certificate.`);
  return chain;
}

export function readCaFile(path: string): string[] {
  const pems = (() => {
    try {
      return splitPemCertificates(readTextFile(path, 'CA certificate'));
    } catch (err) {
      if (err instanceof CliError) throw err;
      return [];
    }
  })();
  if (pems.length === 0) throw new CliError(EXIT.LOCAL, 'CA_INVALID', `${path} holds no PEM certificate.`);
  return pems;
}

export function readKey(path: string): KeyObject {
  const key = parsePrivateKey(readTextFile(path, 'private key'), path, 'KEY_INVALID');
  if (key.asymmetricKeyType !== 'rsa' && key.asymmetricKeyType !== 'ec')
    throw new CliError(
      EXIT.LOCAL,
      'KEY_INVALID',
      `${path} is a ${key.asymmetricKeyType} key; only RSA and EC keys are used.`,
    );
  return key;
}

export function readState(path: string): CertificateState | undefined {
  if (!fileExists(path)) return undefined;
  let json: unknown;
  try {
    json = JSON.parse(readTextFile(path, 'state file'));
  } catch (err) {
    if (err instanceof CliError) throw err;
    throw new CliError(EXIT.LOCAL, 'STATE_INVALID', `${path} is not valid JSON.`);
  }
  if (!isCertificateState(json))
    throw new CliError(EXIT.LOCAL, 'STATE_INVALID', `${path} is not a state file written by nlb-mtls.`);
  return json;
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
  const chainPems = readCertificateChain(layout.cert);
  let leaf: CertificateInfo;
  try {
    leaf = inspectCertificate(chainPems[0]);
  } catch {
    throw new CliError(EXIT.LOCAL, 'CERTIFICATE_INVALID', `The first certificate in ${layout.cert} cannot be parsed.`);
  }
  let key = readKey(layout.key);
  let recovered = false;
  if (!keyMatchesCertificate(key, chainPems[0])) {
    const next = fileExists(layout.nextKey) ? readKey(layout.nextKey) : undefined;
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
  let caPems: string[] = [];
  if (fileExists(layout.ca)) {
    caPems = readCaFile(layout.ca);
    if (!chainsToAny(chainPems, caPems))
      throw new CliError(
        EXIT.LOCAL,
        'CHAIN_UNTRUSTED',
        `The certificate in ${layout.cert} does not chain to the CA in ${layout.ca} (a certificate of another CA, or the intermediate is missing).`,
      );
  } else if (options.requireCa) {
    throw new CliError(EXIT.LOCAL, 'FILE_NOT_FOUND', `The trusted CA file ${layout.ca} does not exist.`, {
      hint: 'pass --ca FILE (the root your listeners trust); nlb-mtls request writes it on first use',
    });
  }
  return { chainPems, leaf, key, caPems, state: readState(layout.state), ...(recovered ? { recovered } : {}) };
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

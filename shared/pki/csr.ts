/**
 * CSRs: built for our own keys with @peculiar/x509, and parsed from outside with a strict DER reader.
 * A foreign CSR's proof of possession is checked with native crypto.verify over the CertificationRequestInfo
 * bytes; each way a CSR can be wrong is refused with its own code.
 */
import { createPublicKey, verify as verifyCallback, type KeyObject } from 'node:crypto';
import { promisify } from 'node:util';
import type { KeyAlgorithm, SubjectAltNames } from '../domain/client-certificate.js';
import { subjectAltNameExtension, subjectName } from './builders.js';
import { DerError } from './der.js';
import { PkiError } from './errors.js';
import { keyAlgorithmOf, type KeyPair } from './keys.js';
import {
  checkCommonName,
  checkSubjectAltNames,
  commonNamesOf,
  emptySans,
  OID_COMMON_NAME,
  parseGeneralNames,
  type ParsedName,
} from './names.js';
import { parseCsrDer, type ParsedCsrStructure } from './parse.js';
import { derToPem, pemBlocks } from './pem.js';
import { loadX509, signingSpecOf, toPrivateCryptoKey, toPublicCryptoKey } from './webcrypto.js';

const verifySignature = promisify(verifyCallback);

export const DEFAULT_CSR_MAX_BYTES = 64 * 1024;
const OID_SUBJECT_ALT_NAME = '2.5.29.17';

/** Subject attribute types a CSR may carry besides CN: the ones CAS's issuing actions name (Country ... OU). */
export const CSR_SUBJECT_ATTRIBUTES = {
  '2.5.4.6': 'C',
  '2.5.4.8': 'ST',
  '2.5.4.7': 'L',
  '2.5.4.10': 'O',
  '2.5.4.11': 'OU',
} as const;
export type CsrSubjectAttributeType = (typeof CSR_SUBJECT_ATTRIBUTES)[keyof typeof CSR_SUBJECT_ATTRIBUTES];

export interface ParsedCsr {
  /** the request re-encoded as canonical PEM */
  pem: string;
  commonName: string;
  /** Subject attributes other than CN, in order (only C, ST, L, O, OU are accepted; a token's policy decides). */
  subjectAttributes: Array<{ type: CsrSubjectAttributeType; value: string }>;
  sans: SubjectAltNames;
  publicKey: KeyObject;
  keyAlgorithm: KeyAlgorithm;
}

export async function buildCsr(input: {
  keyPair: KeyPair;
  commonName: string;
  sans?: Partial<SubjectAltNames>;
}): Promise<string> {
  checkCommonName(input.commonName);
  const sans = checkSubjectAltNames(input.sans);
  const x509 = await loadX509();
  const san = subjectAltNameExtension(x509, sans);
  const csr = await x509.Pkcs10CertificateRequestGenerator.create({
    name: subjectName(x509, input.commonName),
    keys: {
      privateKey: await toPrivateCryptoKey(input.keyPair.privateKey),
      publicKey: await toPublicCryptoKey(input.keyPair.publicKey),
    },
    signingAlgorithm: signingSpecOf(input.keyPair.privateKey).signingAlgorithm,
    extensions: san ? [san] : [],
  });
  return csr.toString('pem') + '\n';
}

/** Signature algorithms accepted on a CSR, by OID: the digest and the key type they go with. */
const SIGNATURE_ALGORITHMS: Record<string, { hash: string; keyType: 'rsa' | 'ec' }> = {
  '1.2.840.113549.1.1.11': { hash: 'sha256', keyType: 'rsa' },
  '1.2.840.113549.1.1.12': { hash: 'sha384', keyType: 'rsa' },
  '1.2.840.113549.1.1.13': { hash: 'sha512', keyType: 'rsa' },
  '1.2.840.10045.4.3.2': { hash: 'sha256', keyType: 'ec' },
  '1.2.840.10045.4.3.3': { hash: 'sha384', keyType: 'ec' },
  '1.2.840.10045.4.3.4': { hash: 'sha512', keyType: 'ec' },
};

function decodeCsrPem(pem: string): Buffer {
  const blocks = pemBlocks(pem, 'CSR_MALFORMED');
  const requests = blocks.filter((b) => b.label === 'CERTIFICATE REQUEST' || b.label === 'NEW CERTIFICATE REQUEST');
  if (requests.length !== 1 || blocks.length !== 1) {
    throw new PkiError('CSR_MALFORMED', 'Expected exactly one PEM block "CERTIFICATE REQUEST".');
  }
  return requests[0].der;
}

function checkKey(spki: Buffer): { publicKey: KeyObject; keyAlgorithm: KeyAlgorithm } {
  let publicKey: KeyObject;
  try {
    publicKey = createPublicKey({ key: spki, format: 'der', type: 'spki' });
  } catch (cause) {
    throw new PkiError(
      'CSR_UNSUPPORTED_KEY',
      "The CSR's public key type is not supported (use RSA 2048/3072/4096 or EC P-256/P-384).",
      { cause },
    );
  }
  const bits = publicKey.asymmetricKeyDetails?.modulusLength ?? 0;
  if (publicKey.asymmetricKeyType === 'rsa' && bits < 2048) {
    throw new PkiError('CSR_KEY_TOO_WEAK', `The CSR's RSA key has ${bits} bits; at least 2048 are required.`, {
      details: { bits },
    });
  }
  const keyAlgorithm = keyAlgorithmOf(publicKey);
  if (!keyAlgorithm) {
    const detail =
      publicKey.asymmetricKeyType === 'ec'
        ? `curve ${publicKey.asymmetricKeyDetails?.namedCurve ?? 'unknown'}`
        : `${publicKey.asymmetricKeyType} ${bits || ''}`.trim();
    throw new PkiError(
      'CSR_UNSUPPORTED_KEY',
      `The CSR's key (${detail}) is not supported (use RSA 2048/3072/4096 or EC P-256/P-384).`,
    );
  }
  return { publicKey, keyAlgorithm };
}

async function checkProofOfPossession(structure: ParsedCsrStructure, publicKey: KeyObject): Promise<void> {
  const algorithm = SIGNATURE_ALGORITHMS[structure.signatureAlgorithm.oid];
  if (!algorithm || algorithm.keyType !== publicKey.asymmetricKeyType) {
    throw new PkiError(
      'CSR_UNSUPPORTED_SIGNATURE',
      'The CSR must be signed with SHA-256/384/512 using its own RSA or ECDSA key.',
      {
        details: { signatureAlgorithm: structure.signatureAlgorithm.oid },
      },
    );
  }
  // An undecodable ECDSA signature makes verify throw: it is simply not a valid signature.
  const valid = await verifySignature(algorithm.hash, structure.info, publicKey, structure.signature).catch(
    () => false,
  );
  if (!valid) throw new PkiError('CSR_BAD_SIGNATURE', "The CSR's signature does not verify with its public key.");
}

function checkSubject(subject: ParsedName): {
  commonName: string;
  subjectAttributes: ParsedCsr['subjectAttributes'];
} {
  if (subject.some((rdn) => rdn.length > 1))
    throw new PkiError('CSR_SUBJECT_INVALID', 'The CSR subject has a multi-valued RDN (joined with +).');
  for (const attribute of subject.flat()) {
    if (attribute.value === null)
      throw new PkiError('CSR_SUBJECT_INVALID', 'The CSR subject has a value that is not a string.');
    if (/[\p{C}\p{Zl}\p{Zp}]/u.test(attribute.value))
      throw new PkiError('CSR_SUBJECT_INVALID', 'The CSR subject contains control characters.');
  }
  const commonNames = commonNamesOf(subject);
  if (commonNames.length > 1)
    throw new PkiError('CSR_MULTIPLE_CN', `The CSR subject has ${commonNames.length} CNs; exactly one is required.`);
  if (commonNames.length === 0) throw new PkiError('CSR_SUBJECT_INVALID', 'The CSR subject has no CN.');
  checkCommonName(commonNames[0], 'CSR_SUBJECT_INVALID');
  // Anything else (emailAddress, DC, UID, serialNumber, title, ...) would be certified unchecked: refused.
  const subjectAttributes: ParsedCsr['subjectAttributes'] = [];
  for (const attribute of subject.flat()) {
    if (attribute.oid === OID_COMMON_NAME) continue;
    const type = CSR_SUBJECT_ATTRIBUTES[attribute.oid as keyof typeof CSR_SUBJECT_ATTRIBUTES];
    if (!type)
      throw new PkiError(
        'CSR_SUBJECT_INVALID',
        `The CSR subject has an attribute (${attribute.oid}) that is not certified: only CN, C, ST, L, O and OU.`,
        { details: { oid: attribute.oid } },
      );
    if ([...attribute.value!].length > 64)
      throw new PkiError('CSR_SUBJECT_INVALID', `The CSR subject's ${type} is longer than 64 characters.`);
    subjectAttributes.push({ type, value: attribute.value! });
  }
  return { commonName: commonNames[0], subjectAttributes };
}

function checkSans(structure: ParsedCsrStructure): SubjectAltNames {
  const extensions = structure.extensions.filter((e) => e.oid === OID_SUBJECT_ALT_NAME);
  if (extensions.length === 0) return emptySans();
  if (extensions.length > 1)
    throw new PkiError('CSR_SAN_INVALID', 'The CSR has more than one subjectAltName extension.');
  let parsed;
  try {
    parsed = parseGeneralNames(extensions[0].value);
  } catch (cause) {
    throw new PkiError('CSR_SAN_INVALID', "The CSR's subjectAltName extension cannot be decoded.", { cause });
  }
  if (parsed.unsupported > 0)
    throw new PkiError('CSR_SAN_INVALID', 'The CSR has subject alternative names other than DNS, URI, email and IP.');
  return checkSubjectAltNames(parsed.sans, 'CSR_SAN_INVALID');
}

/**
 * Parses and verifies a CSR from outside. The size cap is checked on the raw input before any decoding.
 * Order of checks: size, structure, key type/strength, signature, subject, SANs.
 */
export async function parseCsr(pem: string, options: { maxBytes?: number } = {}): Promise<ParsedCsr> {
  const maxBytes = options.maxBytes ?? DEFAULT_CSR_MAX_BYTES;
  if (typeof pem !== 'string') throw new PkiError('CSR_MALFORMED', 'The CSR must be a PEM string.');
  if (pem.length > maxBytes || Buffer.byteLength(pem, 'utf8') > maxBytes) {
    throw new PkiError('CSR_TOO_LARGE', `The CSR is larger than ${maxBytes} bytes.`, { details: { maxBytes } });
  }
  const der = decodeCsrPem(pem);
  let structure: ParsedCsrStructure;
  try {
    structure = parseCsrDer(der);
  } catch (cause) {
    if (cause instanceof DerError || cause instanceof RangeError)
      throw new PkiError('CSR_MALFORMED', 'The input is not a DER-encoded PKCS#10 certificate request.', { cause });
    throw cause;
  }
  const { publicKey, keyAlgorithm } = checkKey(structure.spki);
  await checkProofOfPossession(structure, publicKey);
  const { commonName, subjectAttributes } = checkSubject(structure.subject);
  const sans = checkSans(structure);
  return { pem: derToPem('CERTIFICATE REQUEST', der), commonName, subjectAttributes, sans, publicKey, keyAlgorithm };
}

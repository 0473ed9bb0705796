/**
 * Certificates built with @peculiar/x509 over native WebCrypto: CAs (root or subordinate), client leaves
 * (CA:false, EKU clientAuth only) and the emulator's server leaves (EKU serverAuth). Every leaf gets a random
 * 128-bit serial, SKI/AKI, SANs, and a validity clipped to its issuer's.
 */
import { X509Certificate, randomBytes, type KeyObject } from 'node:crypto';
import type { KeyAlgorithm, SubjectAltNames } from '../domain/client-certificate.js';
import { PkiError } from './errors.js';
import { generateKeyPair, keyAlgorithmOf, spkiDer } from './keys.js';
import { keyIdentifier, subjectAltNameExtension, subjectName } from './builders.js';
import { checkCommonName, checkSubjectAltNames } from './names.js';
import type * as X509 from '@peculiar/x509';
import { loadX509, signingSpecOf, toPrivateCryptoKey, type X509Module } from './webcrypto.js';

export interface CaMaterial {
  certificatePem: string;
  privateKey: KeyObject;
}

export interface LeafInput {
  publicKey: KeyObject;
  commonName: string;
  sans?: Partial<SubjectAltNames>;
  notBefore?: Date;
  notAfter: Date;
  issuer: CaMaterial;
  /** hex; default: random 128-bit */
  serialNumber?: string;
}

/** Leaves start a minute in the past so a client whose clock runs slightly behind still accepts them. */
const DEFAULT_BACKDATE_MS = 60_000;

export function randomSerialNumber(): string {
  const bytes = randomBytes(16);
  if (bytes[0] === 0) bytes[0] = 1; // keep the hex form exactly 32 digits
  return bytes.toString('hex');
}

function checkSerialNumber(serial: string): string {
  const hex = serial.toLowerCase();
  if (!/^[0-9a-f]{1,40}$/.test(hex) || /^0+$/.test(hex))
    throw new PkiError('SERIAL_INVALID', 'The serial number must be 1 to 40 hex digits and not zero.');
  return hex.length % 2 === 0 ? hex : `0${hex}`;
}

/** X.509 times have whole seconds; dropping milliseconds here keeps what we return equal to what is encoded. */
function toSeconds(date: Date): Date {
  return new Date(Math.floor(date.getTime() / 1000) * 1000);
}

interface IssuerView {
  certificate: X509Certificate;
  subject: X509.Name;
  keyId: string;
  privateKey: KeyObject;
}

// A CA signs many leaves: parse and check its certificate once per (key, certificate) pair, not per leaf.
const issuerViews = new WeakMap<KeyObject, Map<string, IssuerView>>();
const MAX_VIEWS_PER_KEY = 8;

function viewIssuer(x509: X509Module, issuer: CaMaterial): IssuerView {
  const views = issuerViews.get(issuer.privateKey) ?? new Map<string, IssuerView>();
  const cached = views.get(issuer.certificatePem);
  if (cached) return cached;
  const view = loadIssuer(x509, issuer);
  if (views.size >= MAX_VIEWS_PER_KEY) views.clear();
  views.set(issuer.certificatePem, view);
  issuerViews.set(issuer.privateKey, views);
  return view;
}

function loadIssuer(x509: X509Module, issuer: CaMaterial): IssuerView {
  let certificate: X509Certificate;
  try {
    certificate = new X509Certificate(issuer.certificatePem);
  } catch (cause) {
    throw new PkiError('CERTIFICATE_MALFORMED', 'The issuer certificate cannot be parsed.', { cause });
  }
  if (!certificate.ca)
    throw new PkiError('CERTIFICATE_MALFORMED', 'The issuer certificate is not a CA (basicConstraints CA:false).');
  if (!certificate.checkPrivateKey(issuer.privateKey))
    throw new PkiError('CERTIFICATE_MALFORMED', 'The issuer private key does not match its certificate.');
  const peculiar = new x509.X509Certificate(certificate.raw);
  const ski = peculiar.getExtension(x509.SubjectKeyIdentifierExtension);
  return {
    certificate,
    // The issuer DN is copied byte for byte from the CA's subject so chain building matches it exactly.
    subject: new x509.Name(peculiar.subjectName.toArrayBuffer()),
    keyId: ski?.keyId ?? keyIdentifier(certificate.publicKey),
    privateKey: issuer.privateKey,
  };
}

function validity(
  notBefore: Date | undefined,
  notAfter: Date,
  issuer?: X509Certificate,
): { notBefore: Date; notAfter: Date } {
  let from = toSeconds(notBefore ?? new Date(Date.now() - DEFAULT_BACKDATE_MS));
  let to = toSeconds(notAfter);
  if (issuer) {
    const issuerFrom = new Date(issuer.validFrom);
    const issuerTo = new Date(issuer.validTo);
    if (from < issuerFrom) from = issuerFrom;
    if (to > issuerTo) to = issuerTo; // never outlive the CA (as Vault caps at the issuer's NotAfter)
  }
  if (Number.isNaN(from.getTime()) || Number.isNaN(to.getTime()) || to <= from) {
    throw new PkiError(
      'VALIDITY_INVALID',
      "notAfter must be later than notBefore (after capping at the issuer's validity).",
    );
  }
  return { notBefore: from, notAfter: to };
}

export async function createCertificateAuthority(input: {
  commonName: string;
  keyAlgorithm?: KeyAlgorithm;
  notBefore?: Date;
  notAfter: Date;
  /** absent: a self-signed root */
  issuer?: CaMaterial;
  pathLength?: number;
  organization?: string;
}): Promise<CaMaterial> {
  checkCommonName(input.commonName);
  if (input.organization !== undefined) checkCommonName(input.organization);
  if (
    input.pathLength !== undefined &&
    (!Number.isInteger(input.pathLength) || input.pathLength < 0 || input.pathLength > 16)
  ) {
    throw new PkiError('PATH_LENGTH_INVALID', 'pathLength must be an integer from 0 to 16.');
  }
  const keyPair = await generateKeyPair(input.keyAlgorithm ?? 'EC_P256');
  const x509 = await loadX509();
  const parent = input.issuer ? viewIssuer(x509, input.issuer) : null;
  const subject = subjectName(x509, input.commonName, input.organization);
  const keyId = keyIdentifier(keyPair.publicKey);
  const signer = parent?.privateKey ?? keyPair.privateKey;
  const extensions: X509.Extension[] = [
    new x509.BasicConstraintsExtension(true, input.pathLength, true),
    new x509.KeyUsagesExtension(
      x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign | x509.KeyUsageFlags.digitalSignature,
      true,
    ),
    new x509.SubjectKeyIdentifierExtension(keyId),
    new x509.AuthorityKeyIdentifierExtension(parent?.keyId ?? keyId),
  ];
  const certificate = await x509.X509CertificateGenerator.create({
    serialNumber: randomSerialNumber(),
    subject,
    issuer: parent?.subject ?? subject,
    ...validity(input.notBefore, input.notAfter, parent?.certificate),
    publicKey: spkiDer(keyPair.publicKey),
    signingKey: await toPrivateCryptoKey(signer),
    signingAlgorithm: signingSpecOf(signer).signingAlgorithm,
    extensions,
  });
  return { certificatePem: certificate.toString('pem') + '\n', privateKey: keyPair.privateKey };
}

async function signLeaf(input: LeafInput, purpose: 'clientAuth' | 'serverAuth'): Promise<string> {
  checkCommonName(input.commonName);
  const sans = checkSubjectAltNames(input.sans);
  const algorithm = keyAlgorithmOf(input.publicKey);
  if (!algorithm)
    throw new PkiError('KEY_UNSUPPORTED', 'Only RSA 2048/3072/4096 and EC P-256/P-384 keys are certified.');
  const x509 = await loadX509();
  const issuer = viewIssuer(x509, input.issuer);
  // RSA keys may encipher (RSA key exchange); EC keys only sign (ECDHE_ECDSA), so no keyEncipherment for them.
  const usages = algorithm.startsWith('RSA_')
    ? x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyEncipherment
    : x509.KeyUsageFlags.digitalSignature;
  const extensions: X509.Extension[] = [
    new x509.BasicConstraintsExtension(false, undefined, true),
    new x509.KeyUsagesExtension(usages, true),
    new x509.ExtendedKeyUsageExtension(
      [purpose === 'clientAuth' ? x509.ExtendedKeyUsage.clientAuth : x509.ExtendedKeyUsage.serverAuth],
      false,
    ),
    new x509.SubjectKeyIdentifierExtension(keyIdentifier(input.publicKey)),
    new x509.AuthorityKeyIdentifierExtension(issuer.keyId),
  ];
  const san = subjectAltNameExtension(x509, sans);
  if (san) extensions.push(san);
  const certificate = await x509.X509CertificateGenerator.create({
    serialNumber: checkSerialNumber(input.serialNumber ?? randomSerialNumber()),
    subject: subjectName(x509, input.commonName),
    issuer: issuer.subject,
    ...validity(input.notBefore, input.notAfter, issuer.certificate),
    publicKey: spkiDer(input.publicKey),
    signingKey: await toPrivateCryptoKey(issuer.privateKey),
    signingAlgorithm: signingSpecOf(issuer.privateKey).signingAlgorithm,
    extensions,
  });
  return certificate.toString('pem') + '\n';
}

/** A client leaf: CA:false, EKU clientAuth only, keyUsage fitting the key type; notAfter capped at the issuer's. */
export function signClientCertificate(input: LeafInput): Promise<string> {
  return signLeaf(input, 'clientAuth');
}

/** A server leaf (the emulator's listener certificate, the test HTTPS server): EKU serverAuth, SAN DNS/IP. */
export function signServerCertificate(input: LeafInput): Promise<string> {
  return signLeaf(input, 'serverAuth');
}

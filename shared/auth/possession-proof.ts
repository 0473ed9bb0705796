/**
 * Proof of possession of a certificate's key, as step-ca's renew token does it: a short-lived compact JWS signed
 * by the certificate's own key, with the certificate chain in the `x5c` header and a fresh `jti`. The device
 * signs one per request (`signPossessionProof`); cert-api checks it (`verifyPossessionProof`) before anything
 * else, so a request without a valid proof never reaches a record. No I/O here: the replay store, the record and
 * the policy are the caller's (shared/certificates/possession.ts).
 */
import { X509Certificate, createHash, randomBytes, sign, verify, type KeyObject } from 'node:crypto';
import { AppError } from '../errors/index.js';
import { chainsTo, inspectCertificate, type CertificateInfo } from '../pki/index.js';

/** What a proof is for; a proof made for one purpose is refused by the other. */
export type PossessionAudience = 'nlb-mtls:renew' | 'nlb-mtls:status';

/** Longest lifetime (exp - iat) a proof may claim, and the clock difference tolerated on iat/exp. */
export const PROOF_MAX_LIFETIME_SECONDS = 300;
export const PROOF_CLOCK_SKEW_SECONDS = 60;
/** A compact JWS with a two-certificate x5c is about 2-4 KB; anything far larger is refused unread. */
export const PROOF_MAX_LENGTH = 16_384;
const MAX_X5C = 4;
const JTI = /^[A-Za-z0-9_-]{16,128}$/;
const B64URL = /^[A-Za-z0-9_-]*$/;

/** Why a proof was refused; the public message stays generic, `details.reason` names the check. */
export type ProofRefusal =
  | 'format'
  | 'header'
  | 'algorithm'
  | 'signature'
  | 'chain'
  | 'certificate'
  | 'audience'
  | 'subject'
  | 'expired'
  | 'not-yet-valid'
  | 'lifetime'
  | 'jti'
  | 'csr-binding';

export class PossessionProofError extends AppError {
  constructor(reason: ProofRefusal, message = 'The proof of possession is not valid.') {
    super('PROOF_INVALID', 401, message, { details: { reason } });
  }
}

export interface PossessionClaims {
  iss?: string;
  /** The certificate id (`cc-…`) the proof is about. */
  sub: string;
  aud: PossessionAudience;
  iat: number;
  nbf?: number;
  exp: number;
  jti: string;
  /** base64url SHA-256 of the exact `csr` string sent with the proof: binds the new key to this proof. */
  csrSha256?: string;
}

type JwsAlgorithm = 'ES256' | 'ES384' | 'RS256';

const b64url = (data: Buffer | string) => Buffer.from(data).toString('base64url');

/** base64url SHA-256 of a CSR as sent (the `csrSha256` claim). */
export function csrDigest(csrPem: string): string {
  return createHash('sha256').update(csrPem, 'utf8').digest('base64url');
}

/** The JWS algorithm a certificate's key signs with: one per key type, so a header cannot pick a weaker one. */
function algorithmFor(key: KeyObject): JwsAlgorithm | undefined {
  if (key.asymmetricKeyType === 'rsa') return 'RS256';
  if (key.asymmetricKeyType !== 'ec') return undefined;
  const curve = key.asymmetricKeyDetails?.namedCurve;
  if (curve === 'prime256v1') return 'ES256';
  if (curve === 'secp384r1') return 'ES384';
  return undefined;
}

const HASH: Record<JwsAlgorithm, string> = { ES256: 'sha256', ES384: 'sha384', RS256: 'sha256' };

function signatureOptions(alg: JwsAlgorithm, key: KeyObject) {
  // JWS carries ECDSA signatures as r || s (RFC 7518 section 3.4), not DER.
  return alg === 'RS256' ? { key } : { key, dsaEncoding: 'ieee-p1363' as const };
}

export interface ProofInput {
  privateKey: KeyObject;
  /** The certificate first, then its intermediates, as PEM. */
  chainPems: string[];
  certificateId: string;
  audience: PossessionAudience;
  now: Date;
  /** The CSR sent with the proof, if any. */
  csrPem?: string;
  lifetimeSeconds?: number;
}

/** Signs a fresh proof (new jti each time). */
export function signPossessionProof(input: ProofInput): string {
  const alg = algorithmFor(input.privateKey);
  if (!alg) throw new Error('Only RSA and EC P-256/P-384 keys can sign a proof of possession.');
  const x5c = input.chainPems.map((pem) => new X509Certificate(pem).raw.toString('base64'));
  const iat = Math.floor(input.now.getTime() / 1000);
  const claims: PossessionClaims = {
    iss: 'nlb-mtls',
    sub: input.certificateId,
    aud: input.audience,
    iat,
    nbf: iat,
    exp: iat + Math.min(input.lifetimeSeconds ?? PROOF_MAX_LIFETIME_SECONDS, PROOF_MAX_LIFETIME_SECONDS),
    jti: randomBytes(18).toString('base64url'),
    ...(input.csrPem !== undefined ? { csrSha256: csrDigest(input.csrPem) } : {}),
  };
  const signingInput = `${b64url(JSON.stringify({ alg, typ: 'JWT', x5c }))}.${b64url(JSON.stringify(claims))}`;
  const signature = sign(HASH[alg], Buffer.from(signingInput), signatureOptions(alg, input.privateKey));
  return `${signingInput}.${b64url(signature)}`;
}

export interface VerifyOptions {
  now: Date;
  audience: PossessionAudience;
  certificateId: string;
  /** The CA certificate (our issuing sub-CA) the proving certificate must be signed by. */
  issuerPem: string;
  /** The CSR sent with the proof; must match the `csrSha256` claim, which must be absent without one. */
  csrPem?: string;
}

export interface VerifiedProof {
  claims: PossessionClaims;
  /** The proving certificate (x5c[0]) and what it says. */
  certificatePem: string;
  certificate: CertificateInfo;
}

function decodeJson(part: string): Record<string, unknown> {
  if (!B64URL.test(part)) throw new PossessionProofError('format');
  try {
    const value: unknown = JSON.parse(Buffer.from(part, 'base64url').toString('utf8'));
    if (value && typeof value === 'object' && !Array.isArray(value)) return value as Record<string, unknown>;
  } catch {
    // fall through
  }
  throw new PossessionProofError('format');
}

function readHeader(header: Record<string, unknown>): { alg: string; x5c: Buffer[] } {
  // Keys named by reference (jku, jwk, x5u, kid) and critical extensions are never honoured: x5c only.
  const allowed = new Set(['alg', 'typ', 'x5c']);
  if (Object.keys(header).some((k) => !allowed.has(k))) throw new PossessionProofError('header');
  const { alg, x5c } = header;
  if (typeof alg !== 'string' || !Array.isArray(x5c) || x5c.length < 1 || x5c.length > MAX_X5C)
    throw new PossessionProofError('header');
  const ders = x5c.map((entry) => {
    if (typeof entry !== 'string' || !/^[A-Za-z0-9+/]+={0,2}$/.test(entry)) throw new PossessionProofError('header');
    return Buffer.from(entry, 'base64');
  });
  return { alg, x5c: ders };
}

function readClaims(payload: Record<string, unknown>): PossessionClaims {
  const { sub, aud, iat, exp, nbf, jti, iss, csrSha256 } = payload;
  const isTime = (v: unknown) => typeof v === 'number' && Number.isInteger(v) && v > 0;
  if (typeof sub !== 'string' || typeof aud !== 'string' || !isTime(iat) || !isTime(exp))
    throw new PossessionProofError('format');
  if (nbf !== undefined && !isTime(nbf)) throw new PossessionProofError('format');
  if (iss !== undefined && typeof iss !== 'string') throw new PossessionProofError('format');
  if (csrSha256 !== undefined && typeof csrSha256 !== 'string') throw new PossessionProofError('format');
  if (typeof jti !== 'string' || !JTI.test(jti)) throw new PossessionProofError('jti');
  return payload as unknown as PossessionClaims;
}

function checkTimes(claims: PossessionClaims, now: Date): void {
  const t = Math.floor(now.getTime() / 1000);
  if (claims.exp <= claims.iat || claims.exp - claims.iat > PROOF_MAX_LIFETIME_SECONDS)
    throw new PossessionProofError('lifetime', `A proof may be valid for at most ${PROOF_MAX_LIFETIME_SECONDS} s.`);
  if (claims.iat > t + PROOF_CLOCK_SKEW_SECONDS || (claims.nbf ?? 0) > t + PROOF_CLOCK_SKEW_SECONDS)
    throw new PossessionProofError('not-yet-valid', 'The proof is not valid yet: check the device clock.');
  if (claims.exp + PROOF_CLOCK_SKEW_SECONDS < t)
    throw new PossessionProofError('expired', 'The proof has expired: sign a fresh one for each request.');
}

/**
 * Checks, in this order: the JWS shape and header, that the algorithm is the one of the certificate's key, the
 * signature with that key, that the certificate is a client certificate signed by `issuerPem`, then the claims
 * (audience, subject, times, CSR binding). The jti is only checked for shape: whether it was seen before is the
 * replay store's question.
 */
export function verifyPossessionProof(token: string, options: VerifyOptions): VerifiedProof {
  if (typeof token !== 'string' || token.length > PROOF_MAX_LENGTH) throw new PossessionProofError('format');
  const parts = token.split('.');
  if (parts.length !== 3 || parts.some((p) => p.length === 0)) throw new PossessionProofError('format');
  const { alg, x5c } = readHeader(decodeJson(parts[0]));
  const payload = decodeJson(parts[1]);

  let certificate: X509Certificate;
  try {
    certificate = new X509Certificate(x5c[0]);
  } catch {
    throw new PossessionProofError('header');
  }
  const expected = algorithmFor(certificate.publicKey);
  if (!expected || alg !== expected) throw new PossessionProofError('algorithm');
  if (!B64URL.test(parts[2])) throw new PossessionProofError('format');
  const signature = Buffer.from(parts[2], 'base64url');
  const signed = verify(
    HASH[expected],
    Buffer.from(`${parts[0]}.${parts[1]}`),
    signatureOptions(expected, certificate.publicKey),
    signature,
  );
  if (!signed) throw new PossessionProofError('signature');

  const certificatePem = certificate.toString();
  const info = inspectCertificate(certificatePem);
  if (!chainsTo(certificatePem, [], options.issuerPem))
    throw new PossessionProofError('chain', "The certificate was not issued by this service's CA.");
  if (info.isCa || !info.extendedKeyUsage.includes('clientAuth')) throw new PossessionProofError('certificate');

  const claims = readClaims(payload);
  if (claims.aud !== options.audience) throw new PossessionProofError('audience');
  if (claims.sub !== options.certificateId) throw new PossessionProofError('subject');
  checkTimes(claims, options.now);
  const wanted = options.csrPem === undefined ? undefined : csrDigest(options.csrPem);
  if (claims.csrSha256 !== wanted) throw new PossessionProofError('csr-binding');
  return { claims, certificatePem, certificate: info };
}

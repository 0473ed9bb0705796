/** The proof-of-possession JWS: what verifies, and one refusal reason per way a proof can be wrong. */
import { sign, type KeyObject } from 'node:crypto';
import {
  PossessionProofError,
  PROOF_MAX_LIFETIME_SECONDS,
  signPossessionProof,
  verifyPossessionProof,
  type ProofRefusal,
} from '../../../shared/auth/possession-proof.js';
import { keyChangeViolation, possessionPolicyFor } from '../../../shared/auth/possession-policy.js';
import type { ApiToken } from '../../../shared/auth/tokens.js';
import type { KeyAlgorithm } from '../../../shared/domain/client-certificate.js';
import {
  createCertificateAuthority,
  generateKeyPair,
  signClientCertificate,
  signServerCertificate,
  type CaMaterial,
} from '../../../shared/pki/index.js';

const NOW = new Date('2026-11-30T12:00:00Z');
const ID = 'cc-0000000000abcdefghijklmnop';

interface Holder {
  privateKey: KeyObject;
  chainPems: string[];
}

let subCa: CaMaterial;
let ec: Holder;
let rsa: Holder;
let foreign: Holder;
let server: Holder;

async function holder(issuer: CaMaterial, algorithm: KeyAlgorithm, kind: 'client' | 'server' = 'client') {
  const keys = await generateKeyPair(algorithm);
  const input = {
    publicKey: keys.publicKey,
    commonName: 'dev-1.example.com',
    notAfter: new Date(NOW.getTime() + 30 * 86_400_000),
    issuer,
  };
  const pem = kind === 'client' ? await signClientCertificate(input) : await signServerCertificate(input);
  return { privateKey: keys.privateKey, chainPems: [pem, issuer.certificatePem] };
}

beforeAll(async () => {
  const root = await createCertificateAuthority({ commonName: 'Root', notAfter: new Date('2036-01-01') });
  subCa = await createCertificateAuthority({ commonName: 'Sub', issuer: root, notAfter: new Date('2031-01-01') });
  const other = await createCertificateAuthority({ commonName: 'Other', notAfter: new Date('2036-01-01') });
  ec = await holder(subCa, 'EC_P256');
  rsa = await holder(subCa, 'RSA_2048');
  foreign = await holder(other, 'EC_P256');
  server = await holder(subCa, 'EC_P256', 'server');
});

const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

/** A hand-made JWS, for the shapes signPossessionProof never produces. */
function craft(
  h: Holder,
  header: Record<string, unknown>,
  claims: Record<string, unknown>,
  alg: 'ES256' | 'RS256' = 'ES256',
): string {
  const input = `${b64(header)}.${b64(claims)}`;
  const signature =
    alg === 'ES256'
      ? sign('sha256', Buffer.from(input), { key: h.privateKey, dsaEncoding: 'ieee-p1363' })
      : sign('sha256', Buffer.from(input), h.privateKey);
  return `${input}.${signature.toString('base64url')}`;
}

const x5cOf = (h: Holder) =>
  h.chainPems.map((p) => Buffer.from(p.replace(/-----[A-Z ]+-----|\s/g, ''), 'base64').toString('base64'));
const t = Math.floor(NOW.getTime() / 1000);
const goodClaims = { sub: ID, aud: 'nlb-mtls:renew', iat: t, exp: t + 60, jti: 'a'.repeat(24) };

const verifyAs = (token: string, csrPem?: string, now = NOW) =>
  verifyPossessionProof(token, {
    now,
    audience: 'nlb-mtls:renew',
    certificateId: ID,
    issuerPem: subCa.certificatePem,
    csrPem,
  });

function refusal(work: () => unknown): ProofRefusal | undefined {
  try {
    work();
    return undefined;
  } catch (err) {
    if (err instanceof PossessionProofError) return err.details?.reason as ProofRefusal;
    throw err;
  }
}

describe('verifyPossessionProof', () => {
  it('accepts a fresh proof by an EC or RSA certificate of our sub-CA and returns the certificate', () => {
    // prepare
    const proofs = [ec, rsa].map((h) =>
      signPossessionProof({ ...h, certificateId: ID, audience: 'nlb-mtls:renew', now: NOW, csrPem: 'CSR' }),
    );
    // act
    const verified = proofs.map((p) => verifyAs(p, 'CSR'));
    // assess
    expect(verified.map((v) => v.certificate.keyAlgorithm)).toEqual(['EC_P256', 'RSA_2048']);
    expect(verified[0].claims.jti).not.toBe(verified[1].claims.jti);
    expect(verified[0].claims.exp - verified[0].claims.iat).toBe(PROOF_MAX_LIFETIME_SECONDS);
  });

  const cases: Array<[string, () => string, ProofRefusal, { csr?: string; now?: Date }?]> = [
    ['not a JWS', () => 'abc.def', 'format'],
    ['a header that is not JSON', () => 'bm90IGpzb24.e30.c2ln', 'format'],
    [
      'a key named by reference (jwk)',
      () => craft(ec, { alg: 'ES256', x5c: x5cOf(ec), jwk: {} }, goodClaims),
      'header',
    ],
    ['an empty header', () => 'e30.e30.c2ln', 'header'],
    ['no x5c', () => craft(ec, { alg: 'ES256' }, goodClaims), 'header'],
    ['alg none', () => craft(ec, { alg: 'none', x5c: x5cOf(ec) }, goodClaims), 'algorithm'],
    ['HS256', () => craft(ec, { alg: 'HS256', x5c: x5cOf(ec) }, goodClaims), 'algorithm'],
    ['RS256 claimed for an EC key', () => craft(ec, { alg: 'RS256', x5c: x5cOf(ec) }, goodClaims), 'algorithm'],
    ['signed by another key', () => craft(rsa, { alg: 'RS256', x5c: x5cOf(ec) }, goodClaims, 'RS256'), 'algorithm'],
    [
      'signature over other claims',
      () => {
        const [h, , s] = craft(ec, { alg: 'ES256', x5c: x5cOf(ec) }, goodClaims).split('.');
        return `${h}.${b64({ ...goodClaims, sub: 'cc-0000000000zzzzzzzzzzzzzz' })}.${s}`;
      },
      'signature',
    ],
    ['a certificate of another CA', () => craft(foreign, { alg: 'ES256', x5c: x5cOf(foreign) }, goodClaims), 'chain'],
    [
      'a server certificate of our CA',
      () => craft(server, { alg: 'ES256', x5c: x5cOf(server) }, goodClaims),
      'certificate',
    ],
    [
      'made for status',
      () => craft(ec, { alg: 'ES256', x5c: x5cOf(ec) }, { ...goodClaims, aud: 'nlb-mtls:status' }),
      'audience',
    ],
    [
      'about another certificate id',
      () => craft(ec, { alg: 'ES256', x5c: x5cOf(ec) }, { ...goodClaims, sub: 'cc-0000000000zzzzzzzzzzzzzz' }),
      'subject',
    ],
    [
      'valid for an hour',
      () => craft(ec, { alg: 'ES256', x5c: x5cOf(ec) }, { ...goodClaims, exp: t + 3600 }),
      'lifetime',
    ],
    ['exp before iat', () => craft(ec, { alg: 'ES256', x5c: x5cOf(ec) }, { ...goodClaims, exp: t - 1 }), 'lifetime'],
    [
      'signed ten minutes ago',
      () => craft(ec, { alg: 'ES256', x5c: x5cOf(ec) }, goodClaims),
      'expired',
      { now: new Date(NOW.getTime() + 600_000) },
    ],
    [
      'issued in five minutes',
      () => craft(ec, { alg: 'ES256', x5c: x5cOf(ec) }, { ...goodClaims, iat: t + 300, exp: t + 360 }),
      'not-yet-valid',
    ],
    ['a short jti', () => craft(ec, { alg: 'ES256', x5c: x5cOf(ec) }, { ...goodClaims, jti: 'abc' }), 'jti'],
    [
      'no csr binding while a csr is sent',
      () => craft(ec, { alg: 'ES256', x5c: x5cOf(ec) }, goodClaims),
      'csr-binding',
      { csr: 'CSR' },
    ],
    [
      'bound to another csr',
      () => signPossessionProof({ ...ec, certificateId: ID, audience: 'nlb-mtls:renew', now: NOW, csrPem: 'CSR-A' }),
      'csr-binding',
      { csr: 'CSR-B' },
    ],
  ];
  it.each(cases)('refuses %s', (_name, make, reason, options = {}) => {
    // prepare
    const token = make();
    // act
    const got = refusal(() => verifyAs(token, options.csr, options.now));
    // assess
    expect(got).toBe(reason);
  });

  it('accepts a proof made 30 s in the future (clock skew) and refuses one past exp plus skew', () => {
    // prepare
    const ahead = craft(ec, { alg: 'ES256', x5c: x5cOf(ec) }, { ...goodClaims, iat: t + 30, exp: t + 90 });
    const stale = craft(ec, { alg: 'ES256', x5c: x5cOf(ec) }, { ...goodClaims, iat: t - 200, exp: t - 61 });
    // act
    const first = refusal(() => verifyAs(ahead));
    const second = refusal(() => verifyAs(stale));
    // assess
    expect(first).toBeUndefined();
    expect(second).toBe('expired');
  });
});

describe('possession policy', () => {
  const token = (tenant: string, extra: Partial<ApiToken['policy']>): ApiToken => ({
    tokenSha256: 'a'.repeat(64),
    tenant,
    name: `${tenant}-ci`,
    policy: {
      commonNamePatterns: ['*.example.com'],
      sanPatterns: { dns: [], uri: [], email: [], ip: [] },
      keyAlgorithms: ['EC_P256', 'EC_P384'],
      maxValidityDays: 30,
      operations: ['issue'],
      allowWildcardNames: false,
      ...extra,
    },
  });
  const facts = {
    commonName: 'd.example.com',
    sans: { dns: [], uri: [], email: [], ip: [] },
    keyAlgorithm: 'EC_P256' as const,
    validityDays: 30,
  };

  it.each([
    [
      'no token of the tenant enables it',
      [token('acme', {}), token('other', { renewByPossession: true })],
      'renewByPossession',
    ],
    [
      'the enabling policy allows fewer days',
      [token('acme', { renewByPossession: true, maxValidityDays: 7 })],
      'maxValidityDays',
    ],
    [
      'the enabling policy allows other names',
      [token('acme', { renewByPossession: true, commonNamePatterns: ['*.corp'] })],
      'commonNamePatterns',
    ],
    [
      'the enabling token was revoked or has expired',
      [
        { ...token('acme', { renewByPossession: true }), revokedAt: '2026-11-01T00:00:00Z' } as ApiToken,
        { ...token('acme', { renewByPossession: true }), expiresAt: '2026-11-29T00:00:00Z' } as ApiToken,
      ],
      'renewByPossession',
    ],
    [
      'one enabling policy allows it',
      [token('acme', { renewByPossession: true, maxValidityDays: 7 }), token('acme', { renewByPossession: true })],
      undefined,
    ],
  ])('%s', (_name, tokens, rule) => {
    // act
    const decision = possessionPolicyFor(tokens, 'acme', facts, new Date('2026-11-30T00:00:00Z'));
    // assess
    expect('violation' in decision ? decision.violation.rule : undefined).toBe(rule);
  });

  it.each([
    ['EC_P256', 'EC_P256', true],
    ['EC_P256', 'EC_P384', true],
    ['EC_P384', 'EC_P256', false],
    ['EC_P256', 'RSA_2048', false],
    ['RSA_2048', 'RSA_4096', true],
    ['RSA_4096', 'RSA_2048', false],
  ] as const)('a %s certificate renewing with a %s key: allowed=%s', (current, next, allowed) => {
    expect(keyChangeViolation(current, next) === undefined).toBe(allowed);
  });
});

/**
 * Every refusal the issue lists gets a 4xx with a machine-readable code, and issues nothing: the emulated CA
 * sees no CreateClientCertificateWithCsr and the bucket gets no record.
 */
import { generateKeyPairSync } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { forgeCsrPem, OIDS } from '../../helpers/csr-forge.js';
import { makeTempDir, openssl } from '../../helpers/tools.js';
import { startCertApiHarness, type CallInput, type CertApiHarness } from './harness.js';

let api: CertApiHarness;
let existingId: string;
let otherTenantId: string;
let rsa1024Csr: string;
let badSignatureCsr: string;

const CN = 'r1.devices.example.com';

beforeAll(async () => {
  api = await startCertApiHarness();
  const mine = await api.call({
    method: 'POST',
    path: '/v1/certificates',
    body: { commonName: CN, keyAlgorithm: 'EC_P256' },
  });
  const theirs = await api.call({
    method: 'POST',
    path: '/v1/certificates',
    body: { commonName: 'o1.devices.example.com', keyAlgorithm: 'EC_P256' },
    token: api.tokens.other,
  });
  expect([mine.status, theirs.status]).toEqual([201, 201]);
  existingId = mine.json.id;
  otherTenantId = theirs.json.id;

  const tmp = makeTempDir();
  try {
    const made = await openssl([
      'req',
      '-new',
      '-newkey',
      'rsa:1024',
      '-nodes',
      '-keyout',
      tmp.path('k.pem'),
      '-subj',
      `/CN=${CN}`,
      '-out',
      tmp.path('r.csr'),
    ]);
    expect(made.code).toBe(0);
    rsa1024Csr = readFileSync(tmp.path('r.csr'), 'utf8');
  } finally {
    tmp.cleanup();
  }
  const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  badSignatureCsr = forgeCsrPem({ privateKey, subject: [[{ oid: OIDS.cn, value: CN }]], corruptSignature: true });
});

afterAll(async () => {
  await api?.close();
});

const issue = (body: unknown, extra: Partial<CallInput> = {}): CallInput => ({
  method: 'POST',
  path: '/v1/certificates',
  body,
  ...extra,
});
const valid = { commonName: CN, keyAlgorithm: 'EC_P256' };

const cases: Array<[string, () => CallInput, number, string, Record<string, unknown>?]> = [
  ['an unknown field', () => issue({ ...valid, colour: 'red' }), 400, 'VALIDATION_FAILED'],
  ['a wrong type', () => issue({ ...valid, validityDays: '30' }), 400, 'VALIDATION_FAILED'],
  [
    'a body that is not JSON',
    () => ({
      method: 'POST',
      path: '/v1/certificates',
      rawBody: '{"commonName":',
      headers: { 'content-type': 'application/json' },
    }),
    400,
    'INVALID_JSON',
  ],
  [
    'a wrong content type',
    () => ({
      method: 'POST',
      path: '/v1/certificates',
      rawBody: JSON.stringify(valid),
      headers: { 'content-type': 'text/plain' },
    }),
    415,
    'UNSUPPORTED_MEDIA_TYPE',
  ],
  [
    'a body over 256 KB',
    () => issue({ ...valid, labels: { big: 'x'.repeat(256) }, csr: 'A'.repeat(262_145) }),
    413,
    'PAYLOAD_TOO_LARGE',
  ],
  [
    'a common name with a comma',
    () => issue({ ...valid, commonName: 'a,b.devices.example.com' }),
    400,
    'COMMON_NAME_INVALID',
  ],
  [
    'a common name with =',
    () => issue({ ...valid, commonName: 'CN=x.devices.example.com' }),
    400,
    'COMMON_NAME_INVALID',
  ],
  [
    'a common name with +',
    () => issue({ ...valid, commonName: 'a+b.devices.example.com' }),
    400,
    'COMMON_NAME_INVALID',
  ],
  [
    'a common name with CR LF',
    () => issue({ ...valid, commonName: 'a.devices.example.com\r\nx' }),
    400,
    'COMMON_NAME_INVALID',
  ],
  [
    'a common name with NUL',
    () => issue({ ...valid, commonName: 'a\u0000.devices.example.com' }),
    400,
    'COMMON_NAME_INVALID',
  ],
  [
    'a common name over 64 characters',
    () => issue({ ...valid, commonName: `${'a'.repeat(50)}.devices.example.com` }),
    400,
    'COMMON_NAME_INVALID',
  ],
  [
    'a webhook on a private address (the sender would refuse it)',
    () => issue({ ...valid, notify: { webhookUrl: 'https://10.0.0.5/hooks' } }),
    400,
    'WEBHOOK_URL_FORBIDDEN',
  ],
  [
    'a plain http webhook',
    () => issue({ ...valid, notify: { webhookUrl: 'http://hooks.example.com/certs' } }),
    400,
    'WEBHOOK_URL_INSECURE',
  ],
  [
    'a wildcard common name',
    () => issue({ ...valid, commonName: '*.devices.example.com' }),
    403,
    'FORBIDDEN_BY_POLICY',
    { rule: 'wildcardNames' },
  ],
  [
    'a common name outside the patterns',
    () => issue({ ...valid, commonName: 'db.prod.example.com' }),
    403,
    'FORBIDDEN_BY_POLICY',
    { rule: 'commonNamePatterns' },
  ],
  [
    'an e-mail SAN the policy does not allow',
    () => issue({ ...valid, sans: { email: ['ops@example.com'] } }),
    403,
    'FORBIDDEN_BY_POLICY',
    { rule: 'sanPatterns.email' },
  ],
  [
    'a DNS SAN outside the patterns',
    () => issue({ ...valid, sans: { dns: ['evil.example.net'] } }),
    403,
    'FORBIDDEN_BY_POLICY',
    { rule: 'sanPatterns.dns' },
  ],
  ['validityDays 0', () => issue({ ...valid, validityDays: 0 }), 400, 'VALIDATION_FAILED'],
  ['validityDays -5', () => issue({ ...valid, validityDays: -5 }), 400, 'VALIDATION_FAILED'],
  ['validityDays over the configured maximum', () => issue({ ...valid, validityDays: 1000 }), 400, 'VALIDITY_TOO_LONG'],
  ['validityDays 398 (one over the maximum)', () => issue({ ...valid, validityDays: 398 }), 400, 'VALIDITY_TOO_LONG'],
  ['validityDays 1000000', () => issue({ ...valid, validityDays: 1_000_000 }), 400, 'VALIDITY_TOO_LONG'],
  ['validityDays 1e20', () => issue({ ...valid, validityDays: 1e20 }), 400, 'VALIDITY_TOO_LONG'],
  ['validityDays 0', () => issue({ ...valid, validityDays: 0 }), 400, 'VALIDATION_FAILED'],
  ['validityDays 1.5', () => issue({ ...valid, validityDays: 1.5 }), 400, 'VALIDATION_FAILED'],
  ['validityDays as a string', () => issue({ ...valid, validityDays: '30' }), 400, 'VALIDATION_FAILED'],
  [
    'validityDays over the policy maximum',
    () => issue({ ...valid, validityDays: 120 }),
    403,
    'FORBIDDEN_BY_POLICY',
    { rule: 'maxValidityDays' },
  ],
  ['a CSR with a bad signature', () => issue({ commonName: CN, csr: badSignatureCsr }), 400, 'CSR_BAD_SIGNATURE'],
  ['an RSA-1024 CSR', () => issue({ commonName: CN, csr: rsa1024Csr }), 400, 'CSR_KEY_TOO_WEAK'],
  [
    'a CSR over 64 KB',
    () =>
      issue({
        commonName: CN,
        csr: `-----BEGIN CERTIFICATE REQUEST-----\n${'A'.repeat(70_000)}\n-----END CERTIFICATE REQUEST-----\n`,
      }),
    400,
    'CSR_TOO_LARGE',
  ],
  ['a weak given password', () => issue({ ...valid, p12Password: 'short' }), 400, 'P12_PASSWORD_INVALID'],
  [
    'a long but predictable password',
    () => issue({ ...valid, p12Password: 'aaaaaaaaaaaaaaaa' }),
    400,
    'P12_PASSWORD_INVALID',
  ],
  ['no token', () => issue(valid, { token: null }), 401, 'UNAUTHORIZED'],
  ['a wrong token', () => issue(valid, { token: 'not-a-token-we-know-of' }), 401, 'UNAUTHORIZED'],
  // Authentication comes before the body is read: a bad body never tells an unauthenticated caller anything.
  [
    'a wrong token with a body that is not JSON',
    () => ({
      method: 'POST',
      path: '/v1/certificates',
      rawBody: '{"commonName":',
      headers: { 'content-type': 'application/json' },
      token: 'wrong',
    }),
    401,
    'UNAUTHORIZED',
  ],
  [
    'no token with a body that is not JSON',
    () => ({
      method: 'POST',
      path: '/v1/certificates',
      rawBody: '{"commonName":',
      headers: { 'content-type': 'application/json' },
      token: null,
    }),
    401,
    'UNAUTHORIZED',
  ],
  ['a wrong token with an invalid body', () => issue({ colour: 'red' }, { token: 'wrong' }), 401, 'UNAUTHORIZED'],
  [
    'a wrong token with a text/plain body',
    () => ({
      method: 'POST',
      path: '/v1/certificates',
      rawBody: 'hello',
      headers: { 'content-type': 'text/plain' },
      token: 'wrong',
    }),
    401,
    'UNAUTHORIZED',
  ],
  [
    'a wrong token with a bad Idempotency-Key',
    () => issue(valid, { token: 'wrong', headers: { 'idempotency-key': 'has spaces' } }),
    401,
    'UNAUTHORIZED',
  ],
  [
    'a wrong token with a bad query',
    () => ({ method: 'GET', path: '/v1/certificates', query: { colour: 'red' }, token: 'wrong' }),
    401,
    'UNAUTHORIZED',
  ],
  [
    'no token with a 300 KB body',
    () => issue({ ...valid, csr: 'A'.repeat(300_000) }, { token: null }),
    401,
    'UNAUTHORIZED',
  ],
  ['a 300 KB body with a valid token', () => issue({ ...valid, csr: 'A'.repeat(300_000) }), 413, 'PAYLOAD_TOO_LARGE'],
  ['an id like ../x (encoded slash)', () => ({ method: 'GET', path: '/v1/certificates/..%2Fx' }), 400, 'INVALID_ID'],
  ['an id like %2e%2e%2f', () => ({ method: 'GET', path: '/v1/certificates/%2e%2e%2f' }), 400, 'INVALID_ID'],
  ['a path with a dot segment', () => ({ method: 'GET', path: '/v1/certificates/../records/x' }), 400, 'INVALID_PATH'],
  [
    'renewing an id like %2e%2e%2f',
    () => ({ method: 'POST', path: '/v1/certificates/%2e%2e%2f/renew', body: {} }),
    400,
    'INVALID_ID',
  ],
  [
    'an unknown id',
    () => ({ method: 'GET', path: '/v1/certificates/cc-00000000000000000000000000' }),
    404,
    'NOT_FOUND',
  ],
  [
    "renewing another tenant's certificate",
    () => ({ method: 'POST', path: `/v1/certificates/${otherTenantId}/renew`, body: {} }),
    404,
    'NOT_FOUND',
  ],
  [
    "reading another tenant's certificate",
    () => ({ method: 'GET', path: `/v1/certificates/${otherTenantId}` }),
    404,
    'NOT_FOUND',
  ],
  [
    'links longer than the maximum',
    () => ({ method: 'POST', path: `/v1/certificates/${existingId}/links`, body: { expiresInSeconds: 7200 } }),
    400,
    'LINK_EXPIRY_TOO_LONG',
  ],
  [
    'an Idempotency-Key with spaces',
    () => issue(valid, { headers: { 'idempotency-key': 'has spaces' } }),
    400,
    'IDEMPOTENCY_KEY_INVALID',
  ],
  [
    'SANs of two types (CAS takes one)',
    () => issue({ ...valid, sans: { dns: ['a.devices.example.com'], ip: ['10.1.2.3'] } }),
    400,
    'SAN_TYPES_UNSUPPORTED',
  ],
];

describe('refusals issue nothing', () => {
  // Rows as objects: jest takes a 5th positional parameter of a row with 4 cells for a `done` callback.
  it.each(cases.map(([name, input, status, code, details]) => ({ name, input, status, code, details })))(
    '$name -> $status $code',
    async ({ input, status, code, details }) => {
      // prepare
      const casCalls = api.emulator.faults.count('CreateClientCertificateWithCsr');
      const records = api.emulator.oss.objectCount(api.emulator.bucket, 'records/');
      // act
      const answer = await api.call(input());
      // assess
      expect({ status: answer.status, code: answer.json.code }).toEqual({ status, code });
      expect(typeof answer.json.message).toBe('string');
      if (details) expect(answer.json.details).toMatchObject(details);
      expect(answer.headers['x-content-type-options']).toBe('nosniff');
      expect(api.emulator.faults.count('CreateClientCertificateWithCsr')).toBe(casCalls);
      expect(api.emulator.oss.objectCount(api.emulator.bucket, 'records/')).toBe(records);
    },
  );

  it('writes an audit line naming the rule for each policy refusal', () => {
    const denials = api.logs.map((l) => JSON.parse(l)).filter((l) => l.event === 'audit' && l.decision === 'deny');
    expect(denials).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          action: 'certificate.issue',
          rule: 'wildcardNames',
          tenant: 'acme',
          actor: 'token:acme-ci',
          result: 'denied',
        }),
        expect.objectContaining({ action: 'authenticate', code: 'UNAUTHORIZED' }),
      ]),
    );
  });
});

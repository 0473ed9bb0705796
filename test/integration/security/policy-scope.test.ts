/**
 * Issue 11 items 4 and 5 through the API (emulated CAS and OSS):
 * - a token whose policy allows only `only.devices.example.com` can no longer read, list, link, renew or revoke
 *   the other certificates of its tenant (they look like none: 404), while its own stay reachable;
 * - CSR subjects carry only what the policy allows (other attributes refused), and SANs in a CSR must be exactly
 *   the request's `sans` (silently dropping them is refused).
 */
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { createHandler } from '../../../functions/cert-api/index.js';
import { hashToken } from '../../../shared/auth/tokens.js';
import { setLogSink } from '../../../shared/log/index.js';
import { startEmulator, type Emulator } from '../../../local/emulator/index.js';
import { forgeCsrPem, generalName, OIDS } from '../../helpers/csr-forge.js';
import { DEVICE_POLICY } from '../cert-api/harness.js';

let emulator: Emulator;
let restoreSink: (line: string) => void;
let call: (token: string, method: string, path: string, body?: unknown) => Promise<{ status: number; json: any }>;
const tokens = { wide: randomBytes(24).toString('base64url'), narrow: randomBytes(24).toString('base64url') };

beforeAll(async () => {
  restoreSink = setLogSink(() => undefined);
  emulator = await startEmulator({ jobDelayMs: 50, caKeyAlgorithm: 'ECC_256', dataPlane: false });
  const handler = createHandler({
    ...emulator.env(),
    STATE_KEY: randomBytes(32).toString('base64'),
    WEBHOOK_MASTER_KEY: randomBytes(32).toString('base64'),
    API_TOKENS: JSON.stringify([
      {
        tokenSha256: hashToken(tokens.wide),
        tenant: 'acme',
        name: 'wide',
        policy: { ...DEVICE_POLICY, subjectAttributes: { O: ['Acme Devices'], OU: ['fleet-*'] } },
      },
      {
        tokenSha256: hashToken(tokens.narrow),
        tenant: 'acme',
        name: 'narrow',
        policy: { ...DEVICE_POLICY, commonNamePatterns: ['only.devices.example.com'] },
      },
    ]),
  });
  call = async (token, method, path, body) => {
    const [rawPath, query = ''] = path.split('?');
    const event = {
      version: 'v1',
      rawPath,
      headers: {
        authorization: `Bearer ${token}`,
        ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
      },
      queryParameters: Object.fromEntries(new URLSearchParams(query)),
      body: body === undefined ? '' : JSON.stringify(body),
      isBase64Encoded: false,
      requestContext: { requestId: randomBytes(8).toString('hex'), http: { method, path: rawPath } },
    };
    const answer = await handler(Buffer.from(JSON.stringify(event)), {});
    return { status: answer.statusCode, json: answer.body ? JSON.parse(answer.body) : undefined };
  };
});
afterAll(async () => {
  await emulator?.close();
  setLogSink(restoreSink);
});

describe('the name policy on operations on existing certificates', () => {
  let othersId: string;
  let ownId: string;

  beforeAll(async () => {
    const other = await call(tokens.wide, 'POST', '/v1/certificates', {
      commonName: 'other.devices.example.com',
      keyAlgorithm: 'EC_P256',
    });
    const own = await call(tokens.narrow, 'POST', '/v1/certificates', {
      commonName: 'only.devices.example.com',
      keyAlgorithm: 'EC_P256',
    });
    expect([other.status, own.status]).toEqual([201, 201]);
    othersId = other.json.id;
    ownId = own.json.id;
  });

  it.each([
    ['read', 'GET', '', undefined],
    ['links', 'POST', '/links', {}],
    ['renew', 'POST', '/renew', {}],
    ['revoke', 'POST', '/revoke', {}],
  ])('%s of a same-tenant certificate outside the policy answers 404', async (_op, method, suffix, body) => {
    const answer = await call(tokens.narrow, method, `/v1/certificates/${othersId}${suffix}`, body);
    expect(answer.status).toBe(404);
    expect(answer.json.code).toBe('NOT_FOUND');
  });

  it('lists only the certificates whose names the policy allows', async () => {
    const narrow = await call(tokens.narrow, 'GET', '/v1/certificates');
    const wide = await call(tokens.wide, 'GET', '/v1/certificates');
    expect(narrow.json.items.map((i: { id: string }) => i.id)).toEqual([ownId]);
    expect(wide.json.items.map((i: { id: string }) => i.id).sort()).toEqual([othersId, ownId].sort());
  });

  it('still reads and links its own certificate, and the other one is untouched', async () => {
    expect((await call(tokens.narrow, 'GET', `/v1/certificates/${ownId}`)).status).toBe(200);
    expect((await call(tokens.narrow, 'POST', `/v1/certificates/${ownId}/links`, {})).status).toBe(200);
    expect((await call(tokens.wide, 'GET', `/v1/certificates/${othersId}`)).json.status).toBe('ACTIVE');
  });
});

describe('CSR subjects and SANs', () => {
  const key = () => generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey;
  const cn = (value: string) => [{ oid: OIDS.cn, value }];
  const issue = (token: string, body: Record<string, unknown>) => call(token, 'POST', '/v1/certificates', body);

  it('refuses subject attributes the policy does not allow (403 rule subjectAttributes)', async () => {
    const csr = forgeCsrPem({
      privateKey: key(),
      subject: [cn('csr1.devices.example.com'), [{ oid: OIDS.o, value: 'Evil Corp' }]],
    });
    const answer = await issue(tokens.narrow, { commonName: 'csr1.devices.example.com', csr });
    const wide = await issue(tokens.wide, { commonName: 'csr1.devices.example.com', csr });
    expect([answer.status, wide.status]).toEqual([403, 403]);
    expect(wide.json.details).toEqual({ rule: 'subjectAttributes' });
  });

  it('refuses attribute types the service never certifies (emailAddress, DC, UID, ...)', async () => {
    const csr = forgeCsrPem({
      privateKey: key(),
      subject: [cn('csr2.devices.example.com'), [{ oid: '1.2.840.113549.1.9.1', value: 'ceo@example.com', tag: 0x16 }]],
    });
    const answer = await issue(tokens.wide, { commonName: 'csr2.devices.example.com', csr });
    expect(answer.status).toBe(400);
    expect(answer.json.code).toBe('CSR_SUBJECT_INVALID');
  });

  it('accepts attributes the policy allows, and the issued certificate carries nothing it did not', async () => {
    const csr = forgeCsrPem({
      privateKey: key(),
      subject: [
        cn('csr3.devices.example.com'),
        [{ oid: OIDS.o, value: 'Acme Devices' }],
        [{ oid: OIDS.ou, value: 'fleet-7' }],
      ],
    });
    const answer = await issue(tokens.wide, { commonName: 'csr3.devices.example.com', csr });
    expect(answer.status).toBe(201);
  });

  it('refuses a CSR whose SANs differ from the request (CSR_SAN_MISMATCH) instead of dropping them', async () => {
    const csr = forgeCsrPem({
      privateKey: key(),
      subject: [cn('csr4.devices.example.com')],
      sanGeneralNames: [generalName('dns', 'admin.devices.example.com')],
    });
    const different = await issue(tokens.wide, {
      commonName: 'csr4.devices.example.com',
      csr,
      sans: { dns: ['csr4.devices.example.com'] },
    });
    const none = await issue(tokens.wide, { commonName: 'csr4.devices.example.com', csr });
    const same = await issue(tokens.wide, {
      commonName: 'csr4.devices.example.com',
      csr,
      sans: { dns: ['admin.devices.example.com'] },
    });
    expect([different.json.code, none.json.code]).toEqual(['CSR_SAN_MISMATCH', 'CSR_SAN_MISMATCH']);
    expect(same.status).toBe(201);
  });
});

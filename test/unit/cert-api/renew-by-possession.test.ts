/**
 * Renewal by proof of possession against the service with in-memory ports: who may renew (only the current,
 * unrevoked, unexpired generation of a tenant that enabled it), what cannot be widened, and that a proof works once.
 */
import { readFileSync } from 'node:fs';
import { Ajv } from 'ajv';
import addFormats from 'ajv-formats';
import { unzipSync, strFromU8 } from 'fflate';
import { parse } from 'yaml';
import { signPossessionProof, type PossessionAudience } from '../../../shared/auth/possession-proof.js';
import type { TokenPrincipal } from '../../../shared/auth/principal.js';
import type { ApiToken } from '../../../shared/auth/tokens.js';
import { issuingCaOf } from '../../../shared/certificates/authority.js';
import { createPossessionOperations } from '../../../shared/certificates/possession.js';
import { IssueRequestSchema } from '../../../shared/certificates/schemas.js';
import { createCertificateService } from '../../../shared/certificates/service.js';
import { guardedStore } from '../../../shared/certificates/storage.js';
import type { ClientCertificate, KeyAlgorithm } from '../../../shared/domain/client-certificate.js';
import { isAppError } from '../../../shared/errors/index.js';
import { createLogger, setLogSink } from '../../../shared/log/index.js';
import { buildCsr, generateKeyPair, keyMatchesCertificate, type KeyPair } from '../../../shared/pki/index.js';
import { createFakeCa, ManualClock, MemoryObjectStore, type FakeCa } from './fakes.js';

const DAY = 86_400_000;

/** docs/openapi.yaml's PossessionStatus, to hold the real answer against. */
function possessionStatusSchema() {
  const doc = parse(readFileSync(new URL('../../../docs/openapi.yaml', import.meta.url), 'utf8'));
  const ajv = new Ajv({ strict: false, allErrors: true });
  (addFormats as unknown as (a: Ajv) => void)(ajv);
  ajv.addSchema({ $id: 'openapi', components: doc.components }, 'openapi');
  return ajv.compile({ $ref: 'openapi#/components/schemas/PossessionStatus' });
}
const lines: string[] = [];
setLogSink((line) => lines.push(line));

const policy: TokenPrincipal['policy'] = {
  commonNamePatterns: ['*.example.com'],
  sanPatterns: { dns: ['*.example.com'], uri: [], email: [], ip: [] },
  keyAlgorithms: ['EC_P256', 'EC_P384', 'RSA_2048'],
  maxValidityDays: 90,
  operations: ['issue', 'read', 'renew', 'revoke'],
  allowWildcardNames: false,
};
const principal: TokenPrincipal = { kind: 'token', tenant: 'acme', name: 'ci', policy };
const tokenOf = (tenant: string, renewByPossession: boolean): ApiToken => ({
  tokenSha256: 'b'.repeat(64),
  tenant,
  name: `${tenant}-ci`,
  policy: { ...policy, renewByPossession },
});

let ca: FakeCa;
beforeAll(async () => {
  ca = await createFakeCa();
});

function setup(tokens: ApiToken[] = [tokenOf('acme', true)]) {
  const store = new MemoryObjectStore();
  const clock = new ManualClock();
  const log = createLogger({ fn: 'test' });
  const service = createCertificateService({
    ca,
    store,
    clock,
    sleep: clock.sleep,
    log,
    config: {
      parentIdentifier: 'sub',
      stateKey: Buffer.alloc(32, 5),
      linkDefaultSeconds: 900,
      linkMaxSeconds: 3600,
      defaultValidityDays: 30,
      maxValidityDays: 397,
    },
  });
  const possession = createPossessionOperations({
    service,
    store: guardedStore(store),
    clock,
    log,
    tokens: () => tokens,
    issuingCa: issuingCaOf(ca, 'sub'),
    maxValidityDays: 397,
  });
  return { store, clock, service, possession };
}

type Setup = ReturnType<typeof setup>;

/** A device: its key, and its certificate chain as the bundle in the bucket holds it. */
interface Device {
  id: string;
  keys: KeyPair;
  chainPems: string[];
}

function chainFromBundle(store: MemoryObjectStore, id: string): string[] {
  const record = store.json<ClientCertificate>(`records/${id}.json`);
  const zip = unzipSync(new Uint8Array(store.objects.get(record.current.bundle.certificate!)!));
  return strFromU8(zip['client.crt'])
    .split(/(?<=-----END CERTIFICATE-----\n)/)
    .filter((p) => p.includes('BEGIN'));
}

async function enroll(s: Setup, algorithm: KeyAlgorithm = 'EC_P256', dns = ['dev-1.example.com']): Promise<Device> {
  const keys = await generateKeyPair(algorithm);
  const csr = await buildCsr({ keyPair: keys, commonName: 'dev-1.example.com' });
  const issued = await s.service.issue(
    principal,
    IssueRequestSchema.parse({ commonName: 'dev-1.example.com', csr, sans: { dns } }),
  );
  return { id: issued.id, keys, chainPems: chainFromBundle(s.store, issued.id) };
}

const proofBy = (s: Setup, d: Device, audience: PossessionAudience = 'nlb-mtls:renew', csrPem?: string) =>
  signPossessionProof({
    privateKey: d.keys.privateKey,
    chainPems: d.chainPems,
    certificateId: d.id,
    audience,
    now: s.clock.now(),
    csrPem,
  });

/** The renewal request a device sends: a new key's CSR and a proof bound to it. */
async function renewal(
  s: Setup,
  d: Device,
  options: { algorithm?: KeyAlgorithm; commonName?: string; dns?: string[] } = {},
) {
  const keys = await generateKeyPair(options.algorithm ?? 'EC_P256');
  const csr = await buildCsr({
    keyPair: keys,
    commonName: options.commonName ?? 'dev-1.example.com',
    sans: { dns: options.dns ?? ['dev-1.example.com'] },
  });
  return { keys, request: { proof: proofBy(s, d, 'nlb-mtls:renew', csr), csr } };
}

async function codeOf(work: Promise<unknown>): Promise<string | undefined> {
  try {
    await work;
    return undefined;
  } catch (err) {
    if (isAppError(err)) return err.code;
    throw err;
  }
}

describe('renew by possession', () => {
  it('renews the current certificate for the new key, with the same names, and audits it', async () => {
    // prepare
    const s = setup();
    const device = await enroll(s);
    const { keys, request } = await renewal(s, device);
    lines.length = 0;
    // act
    const renewed = await s.possession.renew(device.id, request);
    // assess
    const record = s.store.json<ClientCertificate>(`records/${device.id}.json`);
    const chain = chainFromBundle(s.store, device.id);
    expect(renewed.generation).toBe(2);
    expect(record.current.serialNumber).toBe(renewed.serialNumber);
    expect(record.previous[0].serialNumber).not.toBe(renewed.serialNumber);
    expect(chain[0]).not.toBe(device.chainPems[0]);
    expect(keyMatchesCertificate(keys.publicKey, chain[0])).toBe(true);
    expect(renewed.sans.dns).toEqual(['dev-1.example.com']);
    const audit = lines.map((l) => JSON.parse(l)).filter((l) => l.action === 'certificate.renew_by_possession');
    expect(audit).toEqual([
      expect.objectContaining({ decision: 'allow', result: 'success', certificateId: device.id, tenant: 'acme' }),
    ]);
    expect(lines.join('\n')).not.toContain(request.proof);
  });

  it('refuses the same proof twice (PROOF_REPLAYED), whatever the first answer was', async () => {
    // prepare
    const s = setup();
    const device = await enroll(s);
    const { request } = await renewal(s, device);
    await s.possession.renew(device.id, request);
    const statusProof = proofBy(s, device, 'nlb-mtls:status');
    await s.possession.status(device.id, { proof: statusProof });
    // act
    const again = await codeOf(s.possession.renew(device.id, request));
    const statusAgain = await codeOf(s.possession.status(device.id, { proof: statusProof }));
    // assess
    expect(again).toBe('PROOF_REPLAYED');
    expect(statusAgain).toBe('PROOF_REPLAYED');
    expect(s.store.keys(`possession/jti/${device.id}/`)).toHaveLength(2);
  });

  it('refuses a superseded, a revoked and an expired certificate', async () => {
    // prepare
    const s = setup();
    const superseded = await enroll(s);
    await s.possession.renew(superseded.id, (await renewal(s, superseded)).request);
    const revoked = await enroll(s);
    await s.service.revoke(principal, revoked.id, 'keyCompromise');
    const expired = await enroll(s);
    // act
    const codes = [
      await codeOf(s.possession.renew(superseded.id, (await renewal(s, superseded)).request)),
      await codeOf(s.possession.renew(revoked.id, (await renewal(s, revoked)).request)),
    ];
    s.clock.advance(31 * DAY);
    codes.push(await codeOf(s.possession.renew(expired.id, (await renewal(s, expired)).request)));
    // assess
    expect(codes).toEqual(['CERTIFICATE_SUPERSEDED', 'CERTIFICATE_REVOKED', 'CERTIFICATE_EXPIRED']);
  });

  it('cannot widen names or change the key type, and needs its tenant to enable it', async () => {
    // prepare
    const s = setup();
    const device = await enroll(s);
    const off = setup([tokenOf('acme', false), tokenOf('other', true)]);
    const offDevice = await enroll(off);
    // act
    const codes = [
      await codeOf(
        s.possession.renew(device.id, (await renewal(s, device, { commonName: 'admin.example.com' })).request),
      ),
      await codeOf(
        s.possession.renew(
          device.id,
          (await renewal(s, device, { dns: ['dev-1.example.com', 'x.example.com'] })).request,
        ),
      ),
      await codeOf(s.possession.renew(device.id, (await renewal(s, device, { algorithm: 'RSA_2048' })).request)),
      await codeOf(s.possession.renew(device.id, { proof: proofBy(s, device) })),
      await codeOf(off.possession.renew(offDevice.id, (await renewal(off, offDevice)).request)),
    ];
    // assess
    expect(codes).toEqual([
      'CSR_NAME_MISMATCH',
      'CSR_SAN_MISMATCH',
      'FORBIDDEN_BY_POLICY',
      'CSR_REQUIRED',
      'FORBIDDEN_BY_POLICY',
    ]);
    expect(s.store.json<ClientCertificate>(`records/${device.id}.json`).current.generation).toBe(1);
  });

  it("refuses another certificate's proof and a proof for another id", async () => {
    // prepare
    const s = setup();
    const a = await enroll(s);
    const b = await enroll(s);
    const { request } = await renewal(s, a);
    // act
    const wrongId = await codeOf(s.possession.renew(b.id, request));
    const mixed = await codeOf(
      s.possession.renew(b.id, {
        proof: proofBy(s, { ...a, id: b.id }, 'nlb-mtls:renew', request.csr),
        csr: request.csr,
      }),
    );
    // assess
    expect(wrongId).toBe('PROOF_INVALID');
    expect(mixed).toBe('PROOF_INVALID');
  });
});

describe('a retry of a finished renewal', () => {
  it('answers with the certificate already made for that key, and makes no second one', async () => {
    // prepare: the device renewed, but never saw the answer
    const s = setup();
    const device = await enroll(s);
    const { keys, request } = await renewal(s, device);
    const first = await s.possession.renew(device.id, request);
    const issued = ca.issuedCount();
    const csr = await buildCsr({
      keyPair: keys,
      commonName: 'dev-1.example.com',
      sans: { dns: ['dev-1.example.com'] },
    });
    // act
    const again = await s.possession.renew(device.id, { proof: proofBy(s, device, 'nlb-mtls:renew', csr), csr });
    const otherKey = await codeOf(s.possession.renew(device.id, (await renewal(s, device)).request));
    // assess
    expect(again.serialNumber).toBe(first.serialNumber);
    expect(again.generation).toBe(2);
    expect('certificate' in again.downloads).toBe(true);
    expect(ca.issuedCount()).toBe(issued);
    expect(otherKey).toBe('CERTIFICATE_SUPERSEDED');
  });
});

describe('status by possession', () => {
  it('tells the device whether its certificate is still the current generation', async () => {
    // prepare
    const s = setup();
    const device = await enroll(s);
    const before = await s.possession.status(device.id, { proof: proofBy(s, device, 'nlb-mtls:status') });
    await s.service.renew({ kind: 'system', name: 'renew-worker' }, device.id, { trigger: 'schedule' });
    // act
    const after = await s.possession.status(device.id, { proof: proofBy(s, device, 'nlb-mtls:status') });
    // assess
    expect(before).toEqual(expect.objectContaining({ current: true, generation: 1, status: 'ACTIVE' }));
    expect(possessionStatusSchema()(JSON.parse(JSON.stringify(after)))).toBe(true);
    expect(after).toEqual(
      expect.objectContaining({ current: false, generation: 2, presented: expect.objectContaining({ generation: 1 }) }),
    );
  });
});

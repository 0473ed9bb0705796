import {
  createCasCertificateAuthority,
  listCertAfterDate,
  mapCaError,
  sanParameters,
} from '../../../shared/alibaba/cas-pca.js';
import { RpcError, type RpcCaller } from '../../../shared/alibaba/rpc.js';
import {
  buildCsr,
  createCertificateAuthority,
  generateKeyPair,
  signClientCertificate,
  type CaMaterial,
} from '../../../shared/pki/index.js';

describe('CAS error mapping', () => {
  it.each([
    ['throttling', new RpcError('Throttling.User', 'slow down', 400), 503, 'CA_UNAVAILABLE'],
    ['a 500', new RpcError('InternalError', 'oops', 500), 503, 'CA_UNAVAILABLE'],
    ['system busy', new RpcError('SystemBusy', 'busy', 400), 503, 'CA_UNAVAILABLE'],
    ['a read timeout', new RpcError('RequestTimeout', 'timeout', undefined), 503, 'CA_UNAVAILABLE'],
    ['a transport error that is no RpcError', new Error('socket hang up'), 503, 'CA_UNAVAILABLE'],
    ['an invalid parameter', new RpcError('InvalidParameter.Validity', 'too long', 400), 502, 'CA_REJECTED'],
    ['an unknown parent', new RpcError('NotFound.ParentIdentifier', 'no such CA', 404), 502, 'CA_REJECTED'],
  ])('%s -> %i %s', (_name, error, status, code) => {
    expect(mapCaError(error)).toMatchObject({ status, code });
  });
});

describe('SAN parameters', () => {
  const none = { dns: [], uri: [], email: [], ip: [] };
  it.each([
    [{ ...none }, {}],
    [
      { ...none, dns: ['a.example.com', 'b.example.com'] },
      { SanType: 2, SanValue: 'a.example.com,b.example.com' },
    ],
    [
      { ...none, email: ['a@example.com'] },
      { SanType: 1, SanValue: 'a@example.com' },
    ],
    [
      { ...none, uri: ['spiffe://x/y'] },
      { SanType: 6, SanValue: 'spiffe://x/y' },
    ],
    [
      { ...none, ip: ['10.0.0.1'] },
      { SanType: 7, SanValue: '10.0.0.1' },
    ],
  ])('%j -> %j', (sans, expected) => {
    expect(sanParameters(sans)).toEqual(expected);
  });

  it('refuses two SAN types', () => {
    expect(() => sanParameters({ ...none, dns: ['a.example.com'], ip: ['10.0.0.1'] })).toThrow(
      expect.objectContaining({ code: 'SAN_TYPES_UNSUPPORTED' }),
    );
  });
});

/** A CAS stand-in that answers each action from a script and records what was sent. */
function scripted(answers: Record<string, Array<unknown | Error>>) {
  const sent: Array<{ action: string; params: Record<string, unknown> }> = [];
  const call: RpcCaller = async <T>(action: string, params: Record<string, unknown>) => {
    sent.push({ action, params });
    const next = answers[action]?.shift();
    if (next === undefined) throw new Error(`unexpected call ${action}`);
    if (next instanceof Error) throw next;
    return next as T;
  };
  return { call, sent };
}

describe('revoke and not-found are confirmed through DescribeClientCertificateStatus, never read from error text', () => {
  it.each([
    ['revoked', 'resolves'],
    ['good', 'CA_REJECTED'],
    ['unknown', 'CA_REJECTED'],
  ])('a refused revoke with status %s -> %s', async (status, outcome) => {
    // prepare: a refusal whose text says nothing useful
    const { call, sent } = scripted({
      CreateRevokeClientCertificate: [new RpcError('SomeUndocumentedCode', 'operation failed', 400)],
      DescribeClientCertificateStatus: [{ CertificateStatus: [{ SerialNumber: 'ab', Status: status }] }],
    });
    const ca = createCasCertificateAuthority(call);
    // act
    const result = ca.revoke('id-1');
    // assess
    if (outcome === 'resolves') await expect(result).resolves.toBeUndefined();
    else await expect(result).rejects.toMatchObject({ code: outcome });
    expect(sent.map((s) => s.action)).toEqual(['CreateRevokeClientCertificate', 'DescribeClientCertificateStatus']);
  });

  it('a throttled revoke is retryable and asks nothing else', async () => {
    const { call, sent } = scripted({ CreateRevokeClientCertificate: [new RpcError('Throttling.User', 'slow', 400)] });
    await expect(createCasCertificateAuthority(call).revoke('id-1')).rejects.toMatchObject({
      code: 'CA_UNAVAILABLE',
      retryable: true,
    });
    expect(sent).toHaveLength(1);
  });

  it('DescribeClientCertificate refused for an identifier CAS reports unknown -> undefined', async () => {
    const { call } = scripted({
      DescribeClientCertificate: [new RpcError('Whatever', 'no', 404), new RpcError('Whatever', 'no', 400)],
      DescribeClientCertificateStatus: [
        { CertificateStatus: [{ Status: 'unknown' }] },
        { CertificateStatus: [{ Status: 'good' }] },
      ],
    });
    const ca = createCasCertificateAuthority(call);
    await expect(ca.describeClientCertificate('gone')).resolves.toBeUndefined();
    await expect(ca.describeClientCertificate('there')).rejects.toMatchObject({ code: 'CA_REJECTED' });
  });
});

describe('CreateClientCertificateWithCsr', () => {
  let root: CaMaterial;
  let sub: CaMaterial;
  let leafPem: string;
  let csrPem: string;
  beforeAll(async () => {
    root = await createCertificateAuthority({ commonName: 'Root', notAfter: new Date(Date.now() + 86_400_000 * 30) });
    sub = await createCertificateAuthority({
      commonName: 'Sub',
      issuer: root,
      notAfter: new Date(Date.now() + 86_400_000 * 20),
      pathLength: 0,
    });
    const keyPair = await generateKeyPair('EC_P256');
    csrPem = await buildCsr({ keyPair, commonName: 'a.example.com' });
    leafPem = await signClientCertificate({
      publicKey: keyPair.publicKey,
      commonName: 'a.example.com',
      notAfter: new Date(Date.now() + 86_400_000),
      issuer: sub,
    });
  });
  const request = () => ({
    parentIdentifier: 'sub-1',
    csrPem,
    commonName: 'a.example.com',
    sans: { dns: [], uri: [], email: [], ip: [] },
    keyAlgorithm: 'EC_P256' as const,
    notBefore: new Date('2026-11-30T00:00:00Z'),
    notAfter: new Date('2026-12-30T00:00:00Z'),
    customIdentifier: 'cc-0123456789abcdefghijkl-g1-a1',
  });

  it("sends Immediately 2, the CustomIdentifier and CAS's algorithm name, and no ClientToken", async () => {
    // prepare
    const { call, sent } = scripted({
      CreateClientCertificateWithCsr: [
        { Identifier: 'c1', X509Certificate: leafPem, CertificateChain: sub.certificatePem + root.certificatePem },
      ],
    });
    // act
    const issued = await createCasCertificateAuthority(call).issueWithCsr(request());
    // assess
    expect(sent[0].params).toMatchObject({
      Immediately: 2,
      CustomIdentifier: 'cc-0123456789abcdefghijkl-g1-a1',
      Algorithm: 'ECC_256',
      BeforeTime: 1795996800,
      AfterTime: 1798588800,
    });
    expect(sent[0].params).not.toHaveProperty('ClientToken');
    expect(issued.chainPems).toHaveLength(2);
  });

  it('takes the chain from the sub-CA when the answer has none, and reads the certificate when the answer lacks it', async () => {
    // prepare: an answer with neither certificate nor chain (as with Immediately 0)
    const { call, sent } = scripted({
      CreateClientCertificateWithCsr: [{ Identifier: 'c2' }],
      DescribeClientCertificate: [{ Certificate: { Identifier: 'c2', X509Certificate: leafPem, Status: 'ISSUE' } }],
      DescribeCACertificate: [
        {
          Certificate: {
            Identifier: 'sub-1',
            X509Certificate: sub.certificatePem,
            CaCertChain: sub.certificatePem + root.certificatePem,
            Status: 'ISSUE',
            CertificateType: 'SUB_ROOT',
          },
        },
      ],
    });
    // act
    const issued = await createCasCertificateAuthority(call).issueWithCsr(request());
    // assess
    expect(issued.certificatePem.trim()).toBe(leafPem.trim());
    expect(issued.chainPems.map((p) => p.trim())).toEqual([sub.certificatePem.trim(), root.certificatePem.trim()]);
    expect(sent.map((s) => s.action)).toEqual([
      'CreateClientCertificateWithCsr',
      'DescribeClientCertificate',
      'DescribeCACertificate',
    ]);
  });
});

describe('ListCert', () => {
  it("asks for client certificates of one sub-CA changed since a time, in ListCert's date format", async () => {
    const { call, sent } = scripted({
      ListCert: [
        {
          List: [
            { Identifier: 'x', SerialNumber: 'AB', Status: 'ISSUE', CustomIdentifier: 'cc-1-g1-a1', BeforeTime: 1000 },
          ],
          NextToken: 'next',
        },
      ],
    });
    const page = await createCasCertificateAuthority(call).listClientCertificates({
      parentIdentifier: 'sub-1',
      modifiedSince: new Date('2026-11-30T12:00:00Z'),
    });
    expect(sent[0].params).toMatchObject({ Type: 'CLIENT', ParentIdentifier: 'sub-1', MaxResults: 50 });
    expect(sent[0].params.AfterDate).toBe(listCertAfterDate(new Date('2026-11-30T12:00:00Z')));
    expect(listCertAfterDate(new Date('2026-11-30T12:00:00Z'))).toMatch(/^2026-11-30 \d{2}:00:00$/);
    expect(page).toEqual({
      items: [
        {
          identifier: 'x',
          serialNumber: 'ab',
          status: 'ISSUE',
          customIdentifier: 'cc-1-g1-a1',
          notBefore: new Date(1000),
        },
      ],
      cursor: 'next',
    });
  });
});

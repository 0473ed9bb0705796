import { createCasCertificateAuthority, mapCaError, sanParameters } from '../../../shared/alibaba/cas-pca.js';
import { RpcError, type RpcCaller } from '../../../shared/alibaba/rpc.js';

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

describe('revoke', () => {
  it('treats "already revoked" as done and other refusals as errors', async () => {
    // prepare
    const answers = [
      new RpcError('Certificate.Revoked', 'The certificate is already revoked.', 400),
      new RpcError('NotFound.Certificate', 'missing', 404),
    ];
    const call: RpcCaller = async () => {
      throw answers.shift();
    };
    const ca = createCasCertificateAuthority(call);
    // act + assess
    await expect(ca.revoke('id-1')).resolves.toBeUndefined();
    await expect(ca.revoke('id-2')).rejects.toMatchObject({ code: 'CA_REJECTED' });
  });
});

import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { startEmulator, type Emulator } from '../../../local/emulator/index.js';
import type { RpcCaller } from '../../../shared/alibaba/rpc.js';
import { makeTempDir, openssl, type TempDir } from '../../helpers/tools.js';
import { NLB_VERSION, rpcClient, rpcFailure } from './rpc-support.js';

const CAS_STORE_VERSION = '2020-04-07';

async function failure(call: Promise<unknown>): Promise<{ code?: string; statusCode?: number }> {
  const e = await rpcFailure(call);
  return { code: e.code, statusCode: e.statusCode };
}

interface Detail {
  Id: number;
  Name: string;
  Common: string;
  Sans: string;
  CertIdentifier: string;
  Expired: boolean;
  Algorithm: string;
  Cert?: string;
  Key?: string;
  NotBefore: number;
  NotAfter: number;
  Sha2: string;
}

describe('emulated CAS 2020-04-07 certificate store through the signed RPC caller', () => {
  let emulator: Emulator;
  let client: RpcCaller;
  let tmp: TempDir;
  let serverCrt: string;
  let serverKey: string;

  beforeAll(async () => {
    emulator = await startEmulator({ dataPlane: false });
    client = rpcClient(emulator, CAS_STORE_VERSION);
    tmp = makeTempDir();
    // The manual's step 2: a server certificate made with openssl and signed with the root's key.
    tmp.write('root.crt', emulator.ca.rootCertificatePem);
    tmp.write('root.key', emulator.ca.exportRootKeyPem());
    await openssl(['genrsa', '-out', tmp.path('server.key'), '2048']);
    await openssl([
      'req',
      '-new',
      '-key',
      tmp.path('server.key'),
      '-out',
      tmp.path('server.csr'),
      '-subj',
      '/C=CN/O=alibaba/CN=www.example.com',
    ]);
    tmp.write('san.ext', 'subjectAltName=DNS:www.example.com\n');
    const signed = await openssl([
      'x509',
      '-req',
      '-in',
      tmp.path('server.csr'),
      '-out',
      tmp.path('server.crt'),
      '-CA',
      tmp.path('root.crt'),
      '-CAkey',
      tmp.path('root.key'),
      '-CAcreateserial',
      '-days',
      '3650',
      '-extfile',
      tmp.path('san.ext'),
    ]);
    expect(signed.code).toBe(0);
    const { readFileSync } = await import('node:fs');
    serverCrt = readFileSync(tmp.path('server.crt'), 'utf8');
    serverKey = readFileSync(tmp.path('server.key'), 'utf8');
  });
  afterAll(async () => {
    await emulator.close();
    tmp.cleanup();
  });

  it('UploadUserCertificate stores the certificate; GetUserCertificateDetail describes it; DeleteUserCertificate removes it', async () => {
    const uploaded = await client<{ CertId: number }>('UploadUserCertificate', {
      Name: 'seed-server',
      Cert: serverCrt,
      Key: serverKey,
    });
    const certId = uploaded.CertId;
    const detail = await client<Detail>('GetUserCertificateDetail', { CertId: certId });
    const filtered = await client<Detail>('GetUserCertificateDetail', { CertId: certId, CertFilter: true });
    const fingerprint = await openssl(['x509', '-in', tmp.path('server.crt'), '-noout', '-fingerprint', '-sha256']);

    await client('DeleteUserCertificate', { CertId: certId });
    const gone = await failure(client('GetUserCertificateDetail', { CertId: certId }));

    expect(typeof certId).toBe('number');
    expect(detail).toMatchObject({
      Id: certId,
      Name: 'seed-server',
      Common: 'www.example.com',
      Sans: 'www.example.com',
      CertIdentifier: `${certId}-cn-hangzhou`,
      Expired: false,
      Algorithm: 'RSA',
    });
    expect(detail.Cert).toContain('BEGIN CERTIFICATE');
    expect(detail.Key).toBe(serverKey);
    expect(detail.NotAfter - detail.NotBefore).toBeGreaterThan(3649 * 86400_000);
    expect(detail.Sha2).toBe(fingerprint.stdout.split('=')[1].trim().replace(/:/g, ''));
    expect(filtered.Cert).toBeUndefined();
    expect(filtered.Key).toBeUndefined();
    expect(gone).toEqual({ code: 'NotFound.Certificate', statusCode: 404 });
  });

  it('NLB accepts an uploaded certificate by its CertIdentifier, and no longer once it is deleted', async () => {
    const nlb = rpcClient(emulator, NLB_VERSION);
    const uploaded = await client<{ CertId: number }>('UploadUserCertificate', {
      Name: 'for-nlb',
      Cert: serverCrt,
      Key: serverKey,
    });
    const { CertIdentifier } = await client<Detail>('GetUserCertificateDetail', {
      CertId: uploaded.CertId,
      CertFilter: true,
    });
    const update = {
      ListenerId: emulator.listeners[0].listenerId,
      CertificateIds: [CertIdentifier],
      DryRun: true,
    };

    const accepted = await rpcFailure(nlb('UpdateListenerAttribute', update));
    await client('DeleteUserCertificate', { CertId: uploaded.CertId });
    const refused = await rpcFailure(nlb('UpdateListenerAttribute', update));

    expect(accepted.code).toBe('DryRunOperation');
    expect(refused.code).toBe('ResourceNotFound.Certificate');
  });

  it.each([
    ['a certificate that is not PEM', () => ({ cert: 'garbage', key: serverKey }), 'InvalidParameter.Cert'],
    ['a key that is not PEM', () => ({ cert: serverCrt, key: 'garbage' }), 'InvalidParameter.Key'],
    [
      'a key that does not match',
      () => ({ cert: serverCrt, key: emulator.ca.exportRootKeyPem() }),
      'InvalidParameter.KeyMismatch',
    ],
  ])('UploadUserCertificate refuses %s', async (_name, input, code) => {
    const before = emulator.cas.userCertificates().length;
    const { cert, key } = input();
    const err = await failure(client('UploadUserCertificate', { Name: 'bad', Cert: cert, Key: key }));
    expect(err).toEqual({ code, statusCode: 400 });
    expect(emulator.cas.userCertificates().length).toBe(before);
  });

  it('a wrong secret answers SignatureDoesNotMatch', async () => {
    const wrong = rpcClient(emulator, CAS_STORE_VERSION, {
      credentials: { ...emulator.credentials, accessKeySecret: 'not-the-secret' },
    });
    const err = await failure(wrong('GetUserCertificateDetail', { CertId: 1 }));
    expect(err).toEqual({ code: 'SignatureDoesNotMatch', statusCode: 400 });
  });
});

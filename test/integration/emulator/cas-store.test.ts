import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import * as CasNs from '@alicloud/cas20200407';
import * as OpenApiNs from '@alicloud/openapi-client';
import { startEmulator, type Emulator } from '../../../local/emulator/index.js';
import { cjsModule } from '../../../shared/alibaba/cjs.js';
import { makeTempDir, openssl, type TempDir } from '../../helpers/tools.js';
import { NLB_VERSION, rpcClient, rpcFailure } from './rpc-support.js';

const cas = cjsModule<typeof import('@alicloud/cas20200407')>(CasNs);
const { Config } = cjsModule<typeof import('@alicloud/openapi-client')>(OpenApiNs);

type CasClient = InstanceType<typeof cas.default>;

function casClient(emulator: Emulator, secret = emulator.credentials.accessKeySecret): CasClient {
  const config = new Config({
    accessKeyId: emulator.credentials.accessKeyId,
    accessKeySecret: secret,
    endpoint: emulator.rpcEndpoint,
    protocol: 'http',
    regionId: emulator.region,
  });
  return new cas.default(config as unknown as ConstructorParameters<typeof cas.default>[0]);
}

async function failure(call: Promise<unknown>): Promise<{ code?: string; statusCode?: number }> {
  try {
    await call;
  } catch (err) {
    const e = err as { code?: string; statusCode?: number; data?: { Code?: string } };
    return { code: e.data?.Code ?? e.code, statusCode: e.statusCode };
  }
  throw new Error('expected the call to fail');
}

describe('emulated CAS 2020-04-07 certificate store through @alicloud/cas20200407', () => {
  let emulator: Emulator;
  let client: CasClient;
  let tmp: TempDir;
  let serverCrt: string;
  let serverKey: string;

  beforeAll(async () => {
    emulator = await startEmulator({ dataPlane: false });
    client = casClient(emulator);
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
    const uploaded = await client.uploadUserCertificate(
      new cas.UploadUserCertificateRequest({ name: 'seed-server', cert: serverCrt, key: serverKey }),
    );
    const certId = uploaded.body!.certId!;
    const detail = (await client.getUserCertificateDetail(new cas.GetUserCertificateDetailRequest({ certId }))).body!;
    const filtered = (
      await client.getUserCertificateDetail(new cas.GetUserCertificateDetailRequest({ certId, certFilter: true }))
    ).body!;
    const fingerprint = await openssl(['x509', '-in', tmp.path('server.crt'), '-noout', '-fingerprint', '-sha256']);

    await client.deleteUserCertificate(new cas.DeleteUserCertificateRequest({ certId }));
    const gone = await failure(client.getUserCertificateDetail(new cas.GetUserCertificateDetailRequest({ certId })));

    expect(typeof certId).toBe('number');
    expect(detail).toMatchObject({
      id: certId,
      name: 'seed-server',
      common: 'www.example.com',
      sans: 'www.example.com',
      certIdentifier: `${certId}-cn-hangzhou`,
      expired: false,
      algorithm: 'RSA',
    });
    expect(detail.cert).toContain('BEGIN CERTIFICATE');
    expect(detail.key).toBe(serverKey);
    expect(detail.notAfter! - detail.notBefore!).toBeGreaterThan(3649 * 86400_000);
    expect(detail.sha2).toBe(fingerprint.stdout.split('=')[1].trim().replace(/:/g, ''));
    expect(filtered.cert).toBeUndefined();
    expect(filtered.key).toBeUndefined();
    expect(gone).toEqual({ code: 'NotFound.Certificate', statusCode: 404 });
  });

  it('NLB accepts an uploaded certificate by its <CertId>-<region> id, and no longer once it is deleted', async () => {
    const nlb = rpcClient(emulator, NLB_VERSION);
    const uploaded = await client.uploadUserCertificate(
      new cas.UploadUserCertificateRequest({ name: 'for-nlb', cert: serverCrt, key: serverKey }),
    );
    const update = {
      ListenerId: emulator.listeners[0].listenerId,
      CertificateIds: [`${uploaded.body!.certId}-${emulator.region}`],
      DryRun: true,
    };

    const accepted = await rpcFailure(nlb('UpdateListenerAttribute', update));
    await client.deleteUserCertificate(new cas.DeleteUserCertificateRequest({ certId: uploaded.body!.certId }));
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
    const err = await failure(
      client.uploadUserCertificate(new cas.UploadUserCertificateRequest({ name: 'bad', ...input() })),
    );
    expect(err).toEqual({ code, statusCode: 400 });
    expect(emulator.cas.userCertificates().length).toBe(before);
  });

  it('the published client signs its query-string requests: a wrong secret answers SignatureDoesNotMatch', async () => {
    const err = await failure(
      casClient(emulator, 'not-the-secret').getUserCertificateDetail(
        new cas.GetUserCertificateDetailRequest({ certId: 1 }),
      ),
    );
    expect(err).toEqual({ code: 'SignatureDoesNotMatch', statusCode: 400 });
  });
});

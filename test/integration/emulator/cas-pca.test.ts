import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { startEmulator, type Emulator } from '../../../local/emulator/index.js';
import type { RpcCaller } from '../../../shared/alibaba/rpc.js';
import { buildCsr, generateKeyPair } from '../../../shared/pki/index.js';
import { makeTempDir, openssl, type TempDir } from '../../helpers/tools.js';
import { PCA_VERSION, rpcClient, rpcFailure } from './rpc-support.js';

interface Issued {
  Identifier: string;
  SerialNumber: string;
  X509Certificate: string;
  CertificateChain: string;
}

describe('emulated CAS 2020-06-30 private CA through the signed RPC caller', () => {
  let emulator: Emulator;
  let cas: RpcCaller;
  let tmp: TempDir;
  let csrPem: string;

  beforeAll(async () => {
    emulator = await startEmulator({ seed: false, dataPlane: false });
    cas = rpcClient(emulator, PCA_VERSION);
    tmp = makeTempDir();
    tmp.write('root.crt', emulator.ca.rootCertificatePem);
    csrPem = await buildCsr({ keyPair: await generateKeyPair('EC_P256'), commonName: 'device-001.example.com' });
  });
  afterAll(async () => {
    await emulator.close();
    tmp.cleanup();
  });

  const issueWithCsr = (params: Record<string, string | number | undefined>) =>
    cas<Issued>('CreateClientCertificateWithCsr', {
      ParentIdentifier: emulator.ca.subCaIdentifier,
      Csr: csrPem,
      Days: 30,
      ...params,
    });

  it('signs a CSR: the certificate chains to the root through the returned sub-CA chain (openssl verify)', async () => {
    const issued = await issueWithCsr({ SanType: 2, SanValue: 'device-001.example.com,alt.example.com' });
    tmp.write('leaf.crt', issued.X509Certificate);
    tmp.write('chain.crt', issued.CertificateChain);

    const verify = await openssl([
      'verify',
      '-CAfile',
      tmp.path('root.crt'),
      '-untrusted',
      tmp.path('chain.crt'),
      '-purpose',
      'sslclient',
      tmp.path('leaf.crt'),
    ]);
    const text = await openssl([
      'x509',
      '-in',
      tmp.path('leaf.crt'),
      '-noout',
      '-subject',
      '-ext',
      'subjectAltName,extendedKeyUsage',
    ]);

    expect(verify.code).toBe(0);
    expect(issued.CertificateChain).toBe(emulator.ca.subCaCertificatePem + emulator.ca.rootCertificatePem);
    expect(issued.SerialNumber).toMatch(/^[0-9a-f]+$/);
    expect(text.stdout).toContain('CN = device-001.example.com');
    expect(text.stdout).toContain('DNS:device-001.example.com, DNS:alt.example.com');
    expect(text.stdout).toContain('TLS Web Client Authentication');
  });

  it('DescribeClientCertificate and DescribeClientCertificateStatus follow a revocation', async () => {
    const issued = await issueWithCsr({});
    const before = await cas<{ Certificate: Record<string, unknown> }>('DescribeClientCertificate', {
      Identifier: issued.Identifier,
    });
    const statusBefore = await cas<{ CertificateStatus: Array<{ Status: string }> }>(
      'DescribeClientCertificateStatus',
      { Identifier: issued.Identifier },
    );

    await cas('CreateRevokeClientCertificate', { Identifier: issued.Identifier });
    const status = await cas<{
      CertificateStatus: Array<{ Identifier: string; Status: string; SerialNumber?: string; RevokeTime?: number }>;
    }>('DescribeClientCertificateStatus', {
      Identifier: `${issued.Identifier},00000000000000000000000000000000`,
    });
    const after = await cas<{ Certificate: { Status: string } }>('DescribeClientCertificate', {
      Identifier: issued.Identifier,
    });

    expect(before.Certificate).toMatchObject({
      Identifier: issued.Identifier,
      ParentIdentifier: emulator.ca.subCaIdentifier,
      SerialNumber: issued.SerialNumber,
      Status: 'ISSUE',
      CommonName: 'device-001.example.com',
      X509Certificate: issued.X509Certificate,
      CertChain: issued.CertificateChain,
    });
    expect(Number(before.Certificate.AfterDate) - Number(before.Certificate.BeforeDate)).toBeGreaterThan(
      29 * 86400_000,
    );
    expect(statusBefore.CertificateStatus[0].Status).toBe('good');
    expect(status.CertificateStatus.map((s) => s.Status)).toEqual(['revoked', 'unknown']);
    expect(status.CertificateStatus[0].RevokeTime).toBeGreaterThan(0);
    expect(after.Certificate.Status).toBe('REVOKE');
  });

  it('CreateClientCertificate makes the key CA-side; DescribeCertificatePrivateKey releases it encrypted with EncryptedCode', async () => {
    const issued = await cas<Issued>('CreateClientCertificate', {
      ParentIdentifier: emulator.ca.subCaIdentifier,
      CommonName: 'server-made-key',
      Algorithm: 'ECC_256',
      Days: 7,
    });
    const { EncryptedData } = await cas<{ EncryptedData: string }>('DescribeCertificatePrivateKey', {
      Identifier: issued.Identifier,
      EncryptedCode: 'Code-1234-abcd',
    });
    tmp.write('enc.key', EncryptedData);
    tmp.write('made.crt', issued.X509Certificate);

    const fromKey = await openssl(['pkey', '-in', tmp.path('enc.key'), '-passin', 'pass:Code-1234-abcd', '-pubout']);
    const fromCert = await openssl(['x509', '-in', tmp.path('made.crt'), '-noout', '-pubkey']);
    const wrongCode = await openssl(['pkey', '-in', tmp.path('enc.key'), '-passin', 'pass:wrong-code', '-pubout']);

    expect(EncryptedData).toContain('-----BEGIN ENCRYPTED PRIVATE KEY-----');
    expect(fromKey.code).toBe(0);
    expect(fromKey.stdout).toBe(fromCert.stdout);
    expect(wrongCode.code).not.toBe(0);
  });

  it('DescribeCertificatePrivateKey refuses a certificate issued from a CSR (the CA never had its key)', async () => {
    const issued = await issueWithCsr({});
    const err = await rpcFailure(
      cas('DescribeCertificatePrivateKey', { Identifier: issued.Identifier, EncryptedCode: 'Code-1234-abcd' }),
    );
    expect([err.code, err.statusCode]).toEqual(['InvalidParameter.Identifier', 400]);
  });

  it('a repeated CustomIdentifier returns the first certificate (ASSUMED in the emulator: CAS does not document repeats)', async () => {
    const before = emulator.cas.listClientCertificates().length;
    const [a, b] = await Promise.all([
      issueWithCsr({ CustomIdentifier: 'ct-1' }),
      issueWithCsr({ CustomIdentifier: 'ct-1' }),
    ]);
    const c = await issueWithCsr({ CustomIdentifier: 'ct-1' });
    expect(new Set([a.Identifier, b.Identifier, c.Identifier]).size).toBe(1);
    expect(c.X509Certificate).toBe(a.X509Certificate);
    expect(emulator.cas.listClientCertificates().length).toBe(before + 1);
  });

  it.each([
    ['a validity beyond the sub-CA', () => ({ Days: undefined, Years: 6 }), 'InvalidParameter.Validity', 400],
    [
      'an AfterTime beyond the sub-CA',
      () => ({
        Days: undefined,
        BeforeTime: Math.floor(Date.now() / 1000),
        AfterTime: Math.floor(Date.now() / 1000) + 6 * 366 * 86400,
      }),
      'InvalidParameter.Validity',
      400,
    ],
    [
      'BeforeTime without AfterTime',
      () => ({ Days: undefined, BeforeTime: Math.floor(Date.now() / 1000) }),
      'InvalidParameter',
      400,
    ],
    ['no validity at all', () => ({ Days: undefined }), 'MissingParameter', 400],
    [
      'an unknown ParentIdentifier',
      () => ({ ParentIdentifier: '0123456789abcdef0123456789abcdef' }),
      'NotFound.ParentIdentifier',
      404,
    ],
    [
      'the root as ParentIdentifier',
      () => ({ ParentIdentifier: emulator.ca.rootIdentifier }),
      'InvalidParameter.ParentIdentifier',
      400,
    ],
    ['an unknown SanType', () => ({ SanType: 3, SanValue: 'x' }), 'InvalidParameter', 400],
    ['garbage instead of a CSR', () => ({ Csr: 'not a csr' }), 'InvalidParameter.Csr', 400],
  ])('refuses %s', async (_name, params, code, status) => {
    const before = emulator.cas.listClientCertificates().length;
    const err = await rpcFailure(issueWithCsr(params()));
    expect([err.code, err.statusCode]).toEqual([code, status]);
    expect(emulator.cas.listClientCertificates().length).toBe(before);
  });

  it.each([
    ['an RSA-1024 key', 'CSR_KEY_TOO_WEAK', ['-newkey', 'rsa:1024']],
    ['a secp256k1 key', 'CSR_UNSUPPORTED_KEY', ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:secp256k1']],
  ])('refuses an openssl CSR with %s (InvalidParameter.Csr naming %s)', async (_name, pkiCode, keyArgs) => {
    const made = await openssl([
      'req',
      '-new',
      ...keyArgs,
      '-nodes',
      '-keyout',
      tmp.path('weak.key'),
      '-subj',
      '/CN=weak.example.com',
    ]);
    const err = await rpcFailure(issueWithCsr({ Csr: made.stdout }));
    expect(err.code).toBe('InvalidParameter.Csr');
    expect(err.message).toContain(pkiCode);
  });

  it('refuses a CSR whose signature was tampered with', async () => {
    const made = await openssl([
      'req',
      '-new',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:P-256',
      '-nodes',
      '-keyout',
      tmp.path('t.key'),
      '-subj',
      '/CN=tampered.example.com',
      '-outform',
      'DER',
    ]);
    const der = Buffer.from(made.stdoutBytes);
    der[der.length - 3] ^= 0xff;
    const pem = `-----BEGIN CERTIFICATE REQUEST-----\n${der.toString('base64').replace(/.{64}/g, '$&\n')}\n-----END CERTIFICATE REQUEST-----\n`;
    const err = await rpcFailure(issueWithCsr({ Csr: pem }));
    expect(err.code).toBe('InvalidParameter.Csr');
    expect(err.message).toContain('CSR_BAD_SIGNATURE');
  });

  it.each([
    [
      'CreateClientCertificate with an algorithm CAS does not offer',
      'CreateClientCertificate',
      () => ({ ParentIdentifier: emulator.ca.subCaIdentifier, CommonName: 'x', Algorithm: 'RSA_1024', Days: 1 }),
      'InvalidParameter',
      400,
    ],
    [
      'CreateClientCertificate without an algorithm',
      'CreateClientCertificate',
      () => ({ ParentIdentifier: emulator.ca.subCaIdentifier, CommonName: 'x', Days: 1 }),
      'MissingParameter',
      400,
    ],
    [
      'DescribeClientCertificate of an unknown identifier',
      'DescribeClientCertificate',
      () => ({ Identifier: '00000000000000000000000000000000' }),
      'NotFound.Certificate',
      404,
    ],
    [
      'CreateRevokeClientCertificate of an unknown identifier',
      'CreateRevokeClientCertificate',
      () => ({ Identifier: '00000000000000000000000000000000' }),
      'NotFound.Certificate',
      404,
    ],
    [
      'ListClientCertificate with ShowSize 0',
      'ListClientCertificate',
      () => ({ ShowSize: 0 }),
      'InvalidParameter',
      400,
    ],
    [
      'DescribeClientCertificateStatus without an identifier',
      'DescribeClientCertificateStatus',
      () => ({}),
      'MissingParameter',
      400,
    ],
  ])('refuses %s', async (_name, action, params, code, status) => {
    const err = await rpcFailure(cas(action, params()));
    expect([err.code, err.statusCode]).toEqual([code, status]);
  });

  it('ListClientCertificate pages with CurrentPage and ShowSize', async () => {
    const total = emulator.cas.listClientCertificates().length;
    const first = await cas<{ CertificateList: Array<{ Identifier: string }>; TotalCount: number; PageCount: number }>(
      'ListClientCertificate',
      { CurrentPage: 1, ShowSize: 2 },
    );
    const second = await cas<{ CertificateList: Array<{ Identifier: string }> }>('ListClientCertificate', {
      CurrentPage: 2,
      ShowSize: 2,
    });
    expect(first.TotalCount).toBe(total);
    expect(first.PageCount).toBe(Math.ceil(total / 2));
    expect(first.CertificateList).toHaveLength(2);
    expect(second.CertificateList.map((c) => c.Identifier)).not.toContain(first.CertificateList[0].Identifier);
  });

  it('DescribeCACertificate and DescribeCACertificateList describe the root and the sub-CA', async () => {
    const sub = await cas<{ Certificate: Record<string, unknown> }>('DescribeCACertificate', {
      Identifier: emulator.ca.subCaIdentifier,
    });
    const root = await cas<{ Certificate: Record<string, unknown> }>('DescribeCACertificate', {
      Identifier: emulator.ca.rootIdentifier,
    });
    const list = await cas<{
      CertificateList: Array<{ Identifier: string; CertificateType: string }>;
      TotalCount: number;
    }>('DescribeCACertificateList', { CurrentPage: 1, ShowSize: 10 });
    const unknown = await rpcFailure(cas('DescribeCACertificate', { Identifier: 'ffffffffffffffffffffffffffffffff' }));

    expect(sub.Certificate).toMatchObject({
      CertificateType: 'SUB_ROOT',
      ParentIdentifier: emulator.ca.rootIdentifier,
      Status: 'ISSUE',
      X509Certificate: emulator.ca.subCaCertificatePem,
      CaCertChain: emulator.ca.subCaCertificatePem + emulator.ca.rootCertificatePem,
      Algorithm: 'RSA',
      KeySize: 2048,
    });
    expect(root.Certificate).toMatchObject({
      CertificateType: 'ROOT',
      X509Certificate: emulator.ca.rootCertificatePem,
    });
    expect(Number(sub.Certificate.AfterDate)).toBeLessThan(Number(root.Certificate.AfterDate));
    expect(list.TotalCount).toBe(2);
    expect(list.CertificateList.map((c) => c.CertificateType).sort()).toEqual(['ROOT', 'SUB_ROOT']);
    expect(unknown.statusCode).toBe(404);
  });
});

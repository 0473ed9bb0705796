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
    emulator = await startEmulator({ seed: false, dataPlane: false, caKeyAlgorithm: 'ECC_256' });
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
      Immediately: 2,
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
      CertChain: issued.X509Certificate + issued.CertificateChain,
      Sans: '[]',
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
      Immediately: 1,
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

  it('issues a new certificate on every call: no idempotency token, whatever else is the same', async () => {
    const before = emulator.cas.listClientCertificates().length;
    const [a, b] = await Promise.all([issueWithCsr({}), issueWithCsr({})]);
    const c = await issueWithCsr({});
    expect(new Set([a.Identifier, b.Identifier, c.Identifier]).size).toBe(3);
    expect(new Set([a.SerialNumber, b.SerialNumber, c.SerialNumber]).size).toBe(3);
    expect(emulator.cas.listClientCertificates().length).toBe(before + 3);
  });

  it('Immediately: absent or 0 returns no certificate, 1 the certificate, 2 the certificate and its chain', async () => {
    const absent = await issueWithCsr({ Immediately: undefined });
    const zero = await issueWithCsr({ Immediately: 0 });
    const one = await issueWithCsr({ Immediately: 1 });
    const two = await issueWithCsr({ Immediately: 2 });
    for (const answer of [absent, zero]) {
      expect(answer.Identifier).toMatch(/^[0-9a-f]{32}$/);
      expect(answer.X509Certificate).toBeUndefined();
      expect(answer.CertificateChain).toBeUndefined();
    }
    expect(one.X509Certificate).toContain('BEGIN CERTIFICATE');
    expect(one.CertificateChain).toBeUndefined();
    expect(two.CertificateChain).toBe(emulator.ca.subCaCertificatePem + emulator.ca.rootCertificatePem);
    // Issued all the same: the certificate of an answer without it can be read afterwards.
    const described = await cas<{ Certificate: { X509Certificate: string } }>('DescribeClientCertificate', {
      Identifier: zero.Identifier,
    });
    expect(described.Certificate.X509Certificate).toContain('BEGIN CERTIFICATE');
  });

  it('CustomIdentifier is returned by Describe and ListCert; a repeat issues another (new) or is refused (refuse)', async () => {
    try {
      const first = await issueWithCsr({ CustomIdentifier: 'cc-repeat-g1' });
      const again = await issueWithCsr({ CustomIdentifier: 'cc-repeat-g1' });
      emulator.cas.behave({ customIdentifierRepeats: 'refuse' });
      const before = emulator.cas.listClientCertificates().length;
      const refused = await rpcFailure(issueWithCsr({ CustomIdentifier: 'cc-repeat-g1' }));
      const described = await cas<{ Certificate: { CustomIdentifier?: string } }>('DescribeClientCertificate', {
        Identifier: first.Identifier,
      });
      expect(again.Identifier).not.toBe(first.Identifier);
      expect(refused.code).toBe('InvalidParameter.CustomIdentifier');
      expect(emulator.cas.listClientCertificates().length).toBe(before);
      expect(described.Certificate.CustomIdentifier).toBe('cc-repeat-g1');
    } finally {
      emulator.cas.behave({ customIdentifierRepeats: 'new' });
    }
  });

  it('refuses a client key of another family than the sub-CA, before issuing anything', async () => {
    const rsaCsr = await buildCsr({ keyPair: await generateKeyPair('RSA_2048'), commonName: 'rsa.example.com' });
    const before = emulator.cas.listClientCertificates().length;
    const wrongKey = await rpcFailure(issueWithCsr({ Csr: rsaCsr }));
    const wrongName = await rpcFailure(issueWithCsr({ Algorithm: 'RSA_2048' }));
    expect([wrongKey.code, wrongKey.statusCode]).toEqual(['InvalidParameter.Algorithm', 400]);
    expect(wrongName.code).toBe('InvalidParameter.Algorithm');
    expect(emulator.cas.listClientCertificates().length).toBe(before);
  });

  it('Sans is a JSON-array string; status items carry no Identifier; a second revoke is refused', async () => {
    const issued = await issueWithCsr({ SanType: 7, SanValue: '10.0.0.1,10.0.0.2' });
    const described = await cas<{ Certificate: { Sans: string } }>('DescribeClientCertificate', {
      Identifier: issued.Identifier,
    });
    await cas('CreateRevokeClientCertificate', { Identifier: issued.Identifier });
    const again = await rpcFailure(cas('CreateRevokeClientCertificate', { Identifier: issued.Identifier }));
    const status = await cas<{ CertificateStatus: Array<Record<string, unknown>> }>('DescribeClientCertificateStatus', {
      Identifier: issued.Identifier,
    });
    expect(JSON.parse(described.Certificate.Sans)).toEqual([
      { Type: 7, Value: '10.0.0.1' },
      { Type: 7, Value: '10.0.0.2' },
    ]);
    expect(again.statusCode).toBe(400);
    expect(status.CertificateStatus[0]).toMatchObject({ Status: 'revoked', SerialNumber: issued.SerialNumber });
    expect(status.CertificateStatus[0]).not.toHaveProperty('Identifier');
  });

  it('Days decides the validity when BeforeTime and AfterTime are sent too; a back-dated BeforeTime is refused', async () => {
    const now = Math.floor(Date.now() / 1000);
    const issued = await issueWithCsr({ Days: 2, BeforeTime: now, AfterTime: now + 30 * 86400 });
    const described = await cas<{ Certificate: { BeforeDate: number; AfterDate: number } }>(
      'DescribeClientCertificate',
      { Identifier: issued.Identifier },
    );
    const backdated = await rpcFailure(
      issueWithCsr({ Days: undefined, BeforeTime: now - 86400, AfterTime: now + 86400 }),
    );
    expect(described.Certificate.AfterDate - described.Certificate.BeforeDate).toBeLessThan(3 * 86400_000);
    expect(backdated.code).toBe('InvalidParameter.BeforeTime');
  });

  it('ListCert lists client certificates changed since AfterDate, under one sub-CA, page by page with NextToken', async () => {
    const since = new Date();
    await new Promise((r) => setTimeout(r, 1100)); // AfterDate has whole seconds
    const a = await issueWithCsr({ CustomIdentifier: 'cc-listcert-a-g1' });
    const b = await issueWithCsr({});
    const c = await issueWithCsr({});
    const afterDate = new Date(since.getTime() + 8 * 3600_000 + 1000).toISOString().slice(0, 19).replace('T', ' ');
    const seen: Array<Record<string, unknown>> = [];
    let token: string | undefined;
    for (let pages = 0; pages < 10; pages += 1) {
      const page = await cas<{ List: Array<Record<string, unknown>>; NextToken?: string }>('ListCert', {
        Type: 'CLIENT',
        ParentIdentifier: emulator.ca.subCaIdentifier,
        AfterDate: afterDate,
        MaxResults: 2,
        NextToken: token,
      });
      seen.push(...page.List);
      token = page.NextToken;
      if (!token) break;
    }
    const other = await cas<{ List: unknown[] }>('ListCert', {
      Type: 'CLIENT',
      ParentIdentifier: emulator.ca.rootIdentifier,
      AfterDate: afterDate,
    });
    expect(seen.map((i) => i.Identifier)).toEqual([a.Identifier, b.Identifier, c.Identifier]);
    expect(seen[0]).toMatchObject({
      CustomIdentifier: 'cc-listcert-a-g1',
      Status: 'ISSUE',
      SerialNumber: a.SerialNumber,
    });
    expect(other.List).toEqual([]);
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
      Algorithm: 'ECC',
      KeySize: 256,
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

// The emulated private CA's server certificates (CreateServerCertificateWithCsr) and second CA hierarchy
// (CreateRootCACertificate / CreateSubCACertificate), through the project's signed caller and checked with openssl.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { startEmulator, type Emulator } from '../../../local/emulator/index.js';
import type { RpcCaller } from '../../../shared/alibaba/rpc.js';
import { buildCsr, generateKeyPair } from '../../../shared/pki/index.js';
import { makeTempDir, openssl, type TempDir } from '../../helpers/tools.js';
import { PCA_VERSION, rpcClient, rpcFailure } from './rpc-support.js';

interface Issued {
  Identifier: string;
  SerialNumber: string;
  X509Certificate?: string;
  CertificateChain?: string;
}

describe('emulated CAS 2020-06-30: server certificates and more CA hierarchies', () => {
  let emulator: Emulator;
  let cas: RpcCaller;
  let tmp: TempDir;
  let ecCsr: string;

  beforeAll(async () => {
    emulator = await startEmulator({ seed: false, dataPlane: false, caKeyAlgorithm: 'ECC_256' });
    cas = rpcClient(emulator, PCA_VERSION);
    tmp = makeTempDir();
    tmp.write('root.crt', emulator.ca.rootCertificatePem);
    ecCsr = await buildCsr({ keyPair: await generateKeyPair('EC_P256'), commonName: 'www.example.com' });
  });
  afterAll(async () => {
    await emulator.close();
    tmp.cleanup();
  });

  const issue = (params: Record<string, string | number>) =>
    cas<Issued>('CreateServerCertificateWithCsr', {
      ParentIdentifier: emulator.ca.subCaIdentifier,
      Csr: ecCsr,
      Days: 90,
      Immediately: 2,
      ...params,
    });

  it('signs a server certificate for the CSR: CN from the CSR, Domain as SANs, serverAuth, chains to the root', async () => {
    const issued = await issue({ Domain: 'www.example.com,api.example.com,192.0.2.10' });
    tmp.write('server.crt', issued.X509Certificate!);
    tmp.write('chain.crt', issued.CertificateChain!);
    const verify = await openssl([
      'verify',
      '-purpose',
      'sslserver',
      '-CAfile',
      tmp.path('root.crt'),
      '-untrusted',
      tmp.path('chain.crt'),
      tmp.path('server.crt'),
    ]);
    expect(verify.stdout).toContain('OK');
    const text = (await openssl(['x509', '-in', tmp.path('server.crt'), '-noout', '-text'])).stdout;
    expect(text).toMatch(/Subject: CN ?= ?www\.example\.com/);
    expect(text).toMatch(/DNS:www\.example\.com, DNS:api\.example\.com, IP Address:192\.0\.2\.10/);
    expect(text.toLowerCase()).toContain(issued.SerialNumber.replace(/(..)(?!$)/g, '$1:'));
  });

  it('answers no certificate without Immediately (its documented default), and the chain only with 2', async () => {
    const none = await cas<Issued>('CreateServerCertificateWithCsr', {
      ParentIdentifier: emulator.ca.subCaIdentifier,
      Csr: ecCsr,
      Days: 30,
    });
    expect(none.Identifier).toMatch(/^[0-9a-f]{32}$/);
    expect(none.X509Certificate).toBeUndefined();
    const one = await issue({ Immediately: 1 });
    expect(one.X509Certificate).toContain('BEGIN CERTIFICATE');
    expect(one.CertificateChain).toBeUndefined();
  });

  it('refuses what the model says CAS refuses: another key family, a validity beyond the sub-CA, a root as parent', async () => {
    const rsaCsr = await buildCsr({ keyPair: await generateKeyPair('RSA_2048'), commonName: 'www.example.com' });
    expect((await rpcFailure(issue({ Csr: rsaCsr }))).code).toBe('InvalidParameter.Algorithm');
    expect((await rpcFailure(issue({ Days: 365 * 20 }))).code).toBe('InvalidParameter.Validity');
    expect((await rpcFailure(issue({ ParentIdentifier: emulator.ca.rootIdentifier }))).code).toBe(
      'InvalidParameter.ParentIdentifier',
    );
    expect((await rpcFailure(issue({ Domain: 'not a name' }))).code).toBe('InvalidParameter.Domain');
  });

  it('makes a second hierarchy through CreateRootCACertificate and CreateSubCACertificate, and DescribeCACertificate reads it', async () => {
    const root = await cas<{ Identifier: string; Certificate: string }>('CreateRootCACertificate', {
      CommonName: 'Second Root CA',
      Organization: 'example',
      OrganizationUnit: 'it',
      Locality: 'Hangzhou',
      State: 'Zhejiang',
      Years: 10,
      Algorithm: 'ECC_256',
    });
    const sub = await cas<{ Identifier: string; Certificate: string; CertificateChain: string }>(
      'CreateSubCACertificate',
      {
        ParentIdentifier: root.Identifier,
        CommonName: 'Second Sub CA',
        Organization: 'example',
        OrganizationUnit: 'it',
        Locality: 'Hangzhou',
        State: 'Zhejiang',
        Years: 5,
        Algorithm: 'ECC_256',
      },
    );
    const described = await cas<{
      Certificate: { ParentIdentifier?: string; CertificateType: string; Status: string };
    }>('DescribeCACertificate', { Identifier: sub.Identifier });
    expect(described.Certificate).toMatchObject({
      ParentIdentifier: root.Identifier,
      CertificateType: 'SUB_ROOT',
      Status: 'ISSUE',
    });
    // The new sub-CA issues under the new root, not the seeded one.
    const issued = await issue({ ParentIdentifier: sub.Identifier });
    tmp.write('root2.crt', root.Certificate);
    tmp.write('sub2.crt', sub.Certificate);
    tmp.write('leaf2.crt', issued.X509Certificate!);
    const ok = await openssl([
      'verify',
      '-CAfile',
      tmp.path('root2.crt'),
      '-untrusted',
      tmp.path('sub2.crt'),
      tmp.path('leaf2.crt'),
    ]);
    expect(ok.stdout).toContain('OK');
    const other = await openssl([
      'verify',
      '-CAfile',
      tmp.path('root.crt'),
      '-untrusted',
      tmp.path('sub2.crt'),
      tmp.path('leaf2.crt'),
    ]);
    expect(other.code).not.toBe(0);
  });

  it('the handle adds a hierarchy and revokes a CA as DescribeCACertificate then reports', async () => {
    const h = await emulator.cas.addHierarchy({ subCaDays: 10 });
    emulator.cas.setCaStatus(h.rootIdentifier, 'REVOKE');
    const root = await cas<{ Certificate: { Status: string } }>('DescribeCACertificate', {
      Identifier: h.rootIdentifier,
    });
    expect(root.Certificate.Status).toBe('REVOKE');
    const sub = await cas<{ Certificate: { AfterDate: number } }>('DescribeCACertificate', {
      Identifier: h.subCaIdentifier,
    });
    expect(sub.Certificate.AfterDate - Date.now()).toBeLessThan(11 * 86_400_000);
  });
});

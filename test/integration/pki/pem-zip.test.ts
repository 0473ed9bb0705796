/** `unzip` opens the PEM bundle; its files are what the README says, in the formats openssl expects. */
import { readFileSync, statSync } from 'node:fs';
import { buildPemBundleZip, splitPemCertificates } from '../../../shared/pki/index.js';
import {
  createTestHierarchy,
  issueTestClient,
  type IssuedClient,
  type TestHierarchy,
} from '../../helpers/pki-hierarchy.js';
import { makeTempDir, openssl, unzip, type TempDir } from '../../helpers/tools.js';

let temp: TempDir;
let hierarchy: TestHierarchy;
let client: IssuedClient;
const PASSWORD = 'Zip-Bundle-Password-1';

beforeAll(async () => {
  temp = makeTempDir();
  hierarchy = await createTestHierarchy({ name: 'Zip' });
  client = await issueTestClient(hierarchy, { keyAlgorithm: 'RSA_2048', commonName: 'zip-client' });
});

afterAll(() => temp?.cleanup());

describe('buildPemBundleZip (server-key mode)', () => {
  let dir: string;

  beforeAll(async () => {
    const zip = temp.write(
      'bundle.zip',
      await buildPemBundleZip({
        certificatePem: client.certificatePem,
        chainPems: client.chainPems,
        privateKey: client.keyPair.privateKey,
        password: PASSWORD,
        commonName: 'zip-client',
        exampleUrl: 'https://www.example.com/',
      }),
    );
    dir = temp.path('server-key');
    expect((await unzip(['-q', zip, '-d', dir])).code).toBe(0);
  });

  it('lists client.crt, client.key, ca.crt and README.txt', async () => {
    const listing = await unzip(['-Z1', temp.path('bundle.zip')]);
    expect(listing.code).toBe(0);
    expect(listing.stdout.trim().split('\n').sort()).toEqual(['README.txt', 'ca.crt', 'client.crt', 'client.key']);
  });

  it('client.crt is leaf + sub-CA, ca.crt is the chain, and openssl verifies the leaf with them', async () => {
    expect(splitPemCertificates(readFileSync(`${dir}/client.crt`, 'utf8'))).toEqual([
      client.certificatePem,
      hierarchy.sub.certificatePem,
    ]);
    expect(splitPemCertificates(readFileSync(`${dir}/ca.crt`, 'utf8'))).toEqual(client.chainPems);
    const verified = await openssl(['verify', '-CAfile', 'ca.crt', 'client.crt'], { cwd: dir });
    expect(verified.stdout.trim()).toBe('client.crt: OK');
  });

  it('client.key is PKCS#8 encrypted with the bundle password (PBES2, AES-256), readable by its owner only', async () => {
    expect(readFileSync(`${dir}/client.key`, 'utf8')).toMatch(/^-----BEGIN ENCRYPTED PRIVATE KEY-----\n/);
    const parsed = await openssl(['asn1parse', '-in', 'client.key'], { cwd: dir });
    expect(parsed.stdout).toContain('PBES2');
    expect(parsed.stdout).toContain('aes-256-cbc');
    expect(
      (await openssl(['pkey', '-in', 'client.key', '-passin', 'pass:wrong-password-1'], { cwd: dir })).code,
    ).not.toBe(0);
    const fromKey = await openssl(['pkey', '-in', 'client.key', '-passin', `pass:${PASSWORD}`, '-pubout'], {
      cwd: dir,
    });
    const fromCert = await openssl(['x509', '-in', 'client.crt', '-noout', '-pubkey'], { cwd: dir });
    expect(fromKey.code).toBe(0);
    expect(fromKey.stdout).toBe(fromCert.stdout);
    expect(statSync(`${dir}/client.key`).mode & 0o777).toBe(0o600);
  });

  it('README.txt gives the exact curl and openssl commands for the example host', () => {
    const readme = readFileSync(`${dir}/README.txt`, 'utf8');
    expect(readme).toContain(
      'curl --cert client.crt --key client.key --pass "$PASS" --cacert ca.crt https://www.example.com/',
    );
    expect(readme).toContain(
      'openssl s_client -connect www.example.com:443 -cert client.crt -cert_chain client.crt -key client.key -pass pass:"$PASS" -CAfile ca.crt',
    );
  });
});

describe('buildPemBundleZip (CSR mode)', () => {
  it('has no client.key, and its README says the key stays with the caller', async () => {
    // prepare
    const zip = temp.write(
      'csr.zip',
      await buildPemBundleZip({
        certificatePem: client.certificatePem,
        chainPems: client.chainPems,
        commonName: 'zip-client',
      }),
    );
    // act
    const listing = await unzip(['-Z1', zip]);
    const readme = await unzip(['-p', zip, 'README.txt']);
    // assess
    expect(listing.stdout.trim().split('\n').sort()).toEqual(['README.txt', 'ca.crt', 'client.crt']);
    expect(readme.stdout).toContain('never left your machine');
    expect(readme.stdout).toContain('curl --cert client.crt --key client.key --cacert ca.crt https://<host>/');
  });
});

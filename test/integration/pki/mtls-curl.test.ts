/**
 * The bundles do what they are for: curl (and openssl s_client, as the zip's README says) complete a mutual-TLS
 * request against a local HTTPS server that trusts only the test root, the client sending leaf + sub-CA;
 * no certificate, a certificate from another CA, or a leaf without its sub-CA are refused.
 */
import {
  buildPemBundleZip,
  buildPkcs12,
  generateP12Password,
  type KeyAlgorithm,
  type P12Profile,
} from '../../../shared/pki/index.js';
import { startMtlsServer, MTLS_SERVER_BODY, type MtlsServer } from '../../helpers/mtls-server.js';
import { createTestHierarchy, issueTestClient, type TestHierarchy } from '../../helpers/pki-hierarchy.js';
import { curl, makeTempDir, openssl, unzip, type TempDir } from '../../helpers/tools.js';

let temp: TempDir;
let hierarchy: TestHierarchy;
let server: MtlsServer;

beforeAll(async () => {
  temp = makeTempDir();
  hierarchy = await createTestHierarchy({ name: 'mTLS', rootKey: 'EC_P384' });
  // As in the seed: the root signs the server certificate too, so ca.crt from the zip verifies the server.
  server = await startMtlsServer({ clientCaPem: hierarchy.root.certificatePem, serverIssuer: hierarchy.root });
});

afterAll(async () => {
  await server?.close();
  temp?.cleanup();
});

/** The bundle password that also encrypts the zip's client.key. */
const PEM_PASSWORD = 'Bundle-Password-4711';
const CURL_BASE = ['--silent', '--show-error', '--max-time', '20'];

describe('curl --cert bundle.p12:PASS --cert-type P12', () => {
  it.each([
    ['modern', 'EC_P256'],
    ['modern', 'RSA_2048'],
    ['compat', 'EC_P256'],
    ['compat', 'RSA_2048'],
  ] as const)('completes an mTLS request with a %s %s bundle', async (profile: P12Profile, algorithm: KeyAlgorithm) => {
    // prepare
    const commonName = `curl-p12-${profile}-${algorithm}`.toLowerCase();
    const client = await issueTestClient(hierarchy, { keyAlgorithm: algorithm, commonName });
    const password = generateP12Password();
    const p12 = temp.write(
      `${commonName}.p12`,
      await buildPkcs12({
        privateKey: client.keyPair.privateKey,
        certificatePem: client.certificatePem,
        chainPems: client.chainPems,
        password,
        profile,
        friendlyName: commonName,
      }),
    );
    const rootFile = temp.write('root.crt', hierarchy.root.certificatePem);
    // act
    const result = await curl([
      ...CURL_BASE,
      '--cert',
      `${p12}:${password}`,
      '--cert-type',
      'P12',
      '--cacert',
      rootFile,
      server.url,
    ]);
    // assess
    expect({ code: result.code, stderr: result.stderr }).toEqual({ code: 0, stderr: '' });
    expect(result.stdout).toBe(MTLS_SERVER_BODY);
    expect(server.requests.at(-1)).toMatchObject({ authorized: true, commonName });
  });
});

describe('the PEM zip with curl and openssl s_client', () => {
  let dir: string;
  let commonName: string;

  beforeAll(async () => {
    commonName = 'curl-pem-client';
    const client = await issueTestClient(hierarchy, { keyAlgorithm: 'EC_P256', commonName });
    const zip = temp.write(
      'bundle.zip',
      await buildPemBundleZip({
        certificatePem: client.certificatePem,
        chainPems: client.chainPems,
        privateKey: client.keyPair.privateKey,
        password: PEM_PASSWORD,
        commonName,
      }),
    );
    dir = temp.path('pem');
    const unzipped = await unzip(['-q', '-o', zip, '-d', dir]);
    expect(unzipped.code).toBe(0);
  });

  it('curl --cert client.crt --key client.key --pass PASS --cacert ca.crt completes an mTLS request', async () => {
    // act
    const result = await curl(
      [
        ...CURL_BASE,
        '--cert',
        'client.crt',
        '--key',
        'client.key',
        '--pass',
        PEM_PASSWORD,
        '--cacert',
        'ca.crt',
        server.url,
      ],
      { cwd: dir },
    );
    // assess
    expect({ code: result.code, stderr: result.stderr }).toEqual({ code: 0, stderr: '' });
    expect(result.stdout).toBe(MTLS_SERVER_BODY);
    expect(server.requests.at(-1)).toMatchObject({ authorized: true, commonName });
  });

  it('openssl s_client -cert client.crt -key client.key -pass -CAfile ca.crt verifies both sides and gets the body', async () => {
    // act
    const result = await openssl(
      [
        's_client',
        '-connect',
        `${server.host}:${server.port}`,
        '-servername',
        'localhost',
        '-cert',
        'client.crt',
        '-key',
        'client.key',
        '-pass',
        `pass:${PEM_PASSWORD}`,
        '-CAfile',
        'ca.crt',
        '-verify_return_error',
        '-quiet',
        '-ign_eof',
      ],
      {
        cwd: dir,
        input: 'GET / HTTP/1.0\r\nHost: localhost\r\n\r\n',
      },
    );
    // assess
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('HTTP/1.1 200 OK');
    expect(result.stdout).toContain(MTLS_SERVER_BODY.trim());
  });
});

describe("the zip README's s_client command against a listener with a public server certificate", () => {
  // As in production: the listener trusts only the PCA root for clients, and its own certificate comes from another
  // (public) CA, so the client verifies it with that CA instead of ca.crt. Nothing then gives openssl the sub-CA
  // but -cert_chain: without it only the leaf is sent and the listener refuses the handshake.
  let publicServer: MtlsServer;
  let dir: string;
  beforeAll(async () => {
    publicServer = await startMtlsServer({ clientCaPem: hierarchy.root.certificatePem });
    const client = await issueTestClient(hierarchy, { keyAlgorithm: 'EC_P256', commonName: 's-client-chain' });
    const zip = temp.write(
      'chain-bundle.zip',
      await buildPemBundleZip({
        certificatePem: client.certificatePem,
        chainPems: client.chainPems,
        privateKey: client.keyPair.privateKey,
        password: PEM_PASSWORD,
        commonName: 's-client-chain',
      }),
    );
    dir = temp.path('chain');
    expect((await unzip(['-q', '-o', zip, '-d', dir])).code).toBe(0);
    temp.write('chain/public-ca.crt', publicServer.serverCaPem);
  });
  afterAll(() => publicServer?.close());

  const sClient = (chain: boolean) =>
    openssl(
      [
        's_client',
        '-connect',
        `${publicServer.host}:${publicServer.port}`,
        '-servername',
        'localhost',
        '-cert',
        'client.crt',
        ...(chain ? ['-cert_chain', 'client.crt'] : []),
        '-key',
        'client.key',
        '-pass',
        `pass:${PEM_PASSWORD}`,
        '-CAfile',
        'public-ca.crt',
        '-verify_return_error',
        '-quiet',
        '-ign_eof',
      ],
      { cwd: dir, input: 'GET / HTTP/1.0\r\nHost: localhost\r\n\r\n' },
    );

  it('with -cert_chain client.crt (as README.txt says): leaf + sub-CA are sent and the request gets through', async () => {
    const result = await sClient(true);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain(MTLS_SERVER_BODY.trim());
    expect(publicServer.requests.at(-1)).toMatchObject({ authorized: true, commonName: 's-client-chain' });
  });

  it('without it: only the leaf is sent and the handshake is refused', async () => {
    const rejectedBefore = publicServer.rejectedHandshakes;
    const result = await sClient(false);
    expect(result.stdout).not.toContain(MTLS_SERVER_BODY.trim());
    expect(publicServer.rejectedHandshakes).toBe(rejectedBefore + 1);
  });
});

describe('refusals', () => {
  it('refuses a client without a certificate', async () => {
    // prepare
    const rootFile = temp.write('root.crt', hierarchy.root.certificatePem);
    const before = server.requests.length;
    const rejectedBefore = server.rejectedHandshakes;
    // act
    const result = await curl([...CURL_BASE, '--cacert', rootFile, server.url]);
    // assess
    expect(result.code).not.toBe(0);
    expect(result.stdout).toBe('');
    expect(server.requests.length).toBe(before);
    expect(server.rejectedHandshakes).toBe(rejectedBefore + 1);
  });

  it('refuses a certificate from another CA', async () => {
    // prepare
    const other = await createTestHierarchy({ name: 'Other' });
    const client = await issueTestClient(other, { commonName: 'intruder' });
    const certFile = temp.write('intruder.crt', client.certificatePem + other.sub.certificatePem);
    const keyFile = temp.write('intruder.key', client.keyPair.privateKey.export({ type: 'pkcs8', format: 'pem' }));
    const rootFile = temp.write('root.crt', hierarchy.root.certificatePem);
    const before = server.requests.length;
    const rejectedBefore = server.rejectedHandshakes;
    // act
    const result = await curl([...CURL_BASE, '--cert', certFile, '--key', keyFile, '--cacert', rootFile, server.url]);
    // assess
    expect(result.code).not.toBe(0);
    expect(result.stdout).toBe('');
    expect(server.requests.length).toBe(before);
    expect(server.rejectedHandshakes).toBe(rejectedBefore + 1);
  });

  it('refuses a leaf sent without its sub-CA (the server trusts only the root)', async () => {
    // prepare
    const client = await issueTestClient(hierarchy, { commonName: 'no-intermediate' });
    const certFile = temp.write('leaf-only.crt', client.certificatePem);
    const keyFile = temp.write('leaf-only.key', client.keyPair.privateKey.export({ type: 'pkcs8', format: 'pem' }));
    const rootFile = temp.write('root.crt', hierarchy.root.certificatePem);
    const rejectedBefore = server.rejectedHandshakes;
    // act
    const result = await curl([...CURL_BASE, '--cert', certFile, '--key', keyFile, '--cacert', rootFile, server.url]);
    // assess
    expect(result.code).not.toBe(0);
    expect(server.requests.some((r) => r.commonName === 'no-intermediate')).toBe(false);
    expect(server.rejectedHandshakes).toBe(rejectedBefore + 1);
  });
});

// docs/quickstart.md automated: the local stack from s.yaml, a certificate requested over HTTP with the dev token,
// the .p12 downloaded through its signed link with curl, opened with openssl (no -legacy), and the extracted
// client.crt/client.key used with curl against the emulated NLB listener once mutual TLS is on.
import { startLocalStack, type LocalStack } from '../../../local/stack.js';
import { enableListenerMtls } from '../../helpers/listener-mtls.js';
import { curl, makeTempDir, openssl, type TempDir } from '../../helpers/tools.js';

describe('quickstart walkthrough on the local stack', () => {
  let stack: LocalStack;
  let tmp: TempDir;

  beforeAll(async () => {
    tmp = makeTempDir();
    stack = await startLocalStack({ functions: ['cert-api'], emulatorOptions: { jobDelayMs: 50 } });
  });
  afterAll(async () => {
    await stack?.close();
    tmp?.cleanup();
  });

  it('issues a certificate whose .p12 opens in openssl and gets through the mutual-TLS listener', async () => {
    // Prepare: request a certificate over HTTP with the dev token (as the quickstart's curl does)
    const res = await fetch(`${stack.apiUrl}/v1/certificates`, {
      method: 'POST',
      headers: { authorization: `Bearer ${stack.devToken}`, 'content-type': 'application/json' },
      body: JSON.stringify({ commonName: 'device-1.example.com', keyAlgorithm: 'EC_P256' }),
    });
    const cert = (await res.json()) as { id: string; p12Password: string; downloads: { p12: { url: string } } };
    expect(res.status).toBe(201);

    // Act 1: download through the signed link and open it with openssl 3 defaults
    const p12 = tmp.path('client.p12');
    const download = await curl(['-sS', '--fail', '-o', p12, cert.downloads.p12.url]);
    expect(download.code).toBe(0);
    const pass = `pass:${cert.p12Password}`;
    const info = await openssl(['pkcs12', '-in', p12, '-info', '-noout', '-passin', pass]);
    expect(info.code).toBe(0);
    const wrong = await openssl(['pkcs12', '-in', p12, '-info', '-noout', '-passin', 'pass:not-the-password']);
    expect(wrong.code).not.toBe(0);

    // Act 2: extract client.crt (leaf + sub-CA + root) and client.key as the quickstart does
    const crt = tmp.path('client.crt');
    const key = tmp.path('client.key');
    expect((await openssl(['pkcs12', '-in', p12, '-nokeys', '-out', crt, '-passin', pass])).code).toBe(0);
    expect((await openssl(['pkcs12', '-in', p12, '-nocerts', '-noenc', '-out', key, '-passin', pass])).code).toBe(0);
    const rootCrt = tmp.write('root.crt', stack.stackInfo.ca.rootCertificatePem);

    // Act 3: turn mutual TLS on for the seeded listener through the emulated NLB API, trusting the PCA root
    const listener = await enableListenerMtls(stack);

    // Assess: with the client certificate both backends answer; without one the handshake is refused
    const url = `https://${listener.host}:${listener.port}/`;
    const resolve = `${listener.host}:${listener.port}:127.0.0.1`;
    const answers = new Set<string>();
    for (let i = 0; i < 4; i++) {
      const r = await curl([
        '-sS',
        '--fail',
        '--cert',
        crt,
        '--key',
        key,
        '--cacert',
        rootCrt,
        '--resolve',
        resolve,
        url,
      ]);
      expect(r.code).toBe(0);
      answers.add(r.stdout.trim());
    }
    expect([...answers].sort()).toEqual(['ECS01', 'ECS02']);
    const p12Direct = await curl([
      '-sS',
      '--fail',
      '--cert-type',
      'P12',
      '--cert',
      `${p12}:${cert.p12Password}`,
      '--cacert',
      rootCrt,
      '--resolve',
      resolve,
      url,
    ]);
    expect(p12Direct.code).toBe(0);
    const anonymous = await curl(['-sS', '--fail', '--cacert', rootCrt, '--resolve', resolve, url]);
    expect(anonymous.code).not.toBe(0);
  });
});

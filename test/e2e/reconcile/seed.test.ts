// The seed (docs in shared/seed), end to end on the local stack: a server certificate made with the seed's own
// openssl commands and uploaded with UploadUserCertificate; a client certificate requested through the
// certificate API and its .p12 fetched through the signed link; mutual auth off on the listener. Then
// `npm run reconcile` plans and applies, curl behaves as in the seed's step 6, and a second run changes nothing.
// The plan runs the script as a user does (tsx local/reconcile.ts); the applies run its command in this process.
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { readFileSync } from 'node:fs';
import { createRpcCaller } from '../../../shared/alibaba/rpc.js';
import { parseEndpoint } from '../../../shared/config/alibaba.js';
import { startLocalStack, type LocalStack } from '../../../local/stack.js';
import { setLogSink, type LogSink } from '../../../shared/log/index.js';
import { curl, makeTempDir, openssl, type TempDir } from '../../helpers/tools.js';
import type { RunReport } from '../../../shared/domain/listeners/report.js';
import { keepForFailure } from '../../support/failure-log.js';
import { runCommand } from '../../helpers/local-command.js';
import { reconcile } from '../../../local/reconcile-command.js';

const root = process.cwd();

function reconcileCli(dataDir: string, args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      join(root, 'node_modules/.bin/tsx'),
      ['local/reconcile.ts', ...args],
      { cwd: root, env: { ...process.env, LOCAL_DATA_DIR: dataDir }, timeout: 90_000 },
      (error, stdout, stderr) => {
        keepForFailure(stderr);
        resolve({ code: error ? (typeof error.code === 'number' ? error.code : -1) : 0, stdout, stderr });
      },
    );
  });
}

describe('the seed, end to end through npm run reconcile', () => {
  let stack: LocalStack;
  let tmp: TempDir;
  let dataDir: string;
  let previousSink: LogSink;

  beforeAll(async () => {
    previousSink = setLogSink(() => undefined); // the in-process functions' JSON logs: not the test's output
    tmp = makeTempDir();
    dataDir = join(tmp.dir, 'stack');
    stack = await startLocalStack({ dataDir, writeStackFile: true, functions: ['cert-api', 'reconcile-listeners'] });
  });
  afterAll(async () => {
    await stack?.close();
    tmp?.cleanup();
    setLogSink(previousSink);
  });

  it('plans and applies mutual auth, curl reaches ECS01 and ECS02 only with a client certificate from the CA, and a second run changes nothing', async () => {
    const listener = stack.emulator.listeners[0];
    const resolve = `www.example.com:${listener.port}:127.0.0.1`;
    const url = `https://www.example.com:${listener.port}/`;
    const cwd = tmp.dir;

    // Step 2 of the seed, with its own commands (root.key from the emulated PCA, as the manual keeps root.key at hand).
    // OpenSSL 3 refuses `-signkey` together with `-CA` ("Cannot use both"), so the x509 call drops `-signkey server.key`.
    tmp.write('root.crt', stack.emulator.ca.rootCertificatePem);
    tmp.write('root.key', stack.emulator.ca.exportRootKeyPem());
    expect((await openssl(['genrsa', '-out', 'server.key', '4096'], { cwd })).code).toBe(0);
    expect(
      (
        await openssl(
          [
            'req',
            '-new',
            '-out',
            'server.csr',
            '-key',
            'server.key',
            '-subj',
            '/C=cn/ST=bj/L=bj/O=alibaba/OU=test/CN=www.example.com/emailAddress=a.alibaba.com',
          ],
          { cwd },
        )
      ).code,
    ).toBe(0);
    const signed = await openssl(
      [
        'x509',
        '-req',
        '-in',
        'server.csr',
        '-out',
        'server.crt',
        '-CA',
        'root.crt',
        '-CAkey',
        'root.key',
        '-CAcreateserial',
        '-days',
        '3650',
      ],
      { cwd },
    );
    expect(signed.code).toBe(0);
    // The manual uploads server.crt and server.key to the certificate store (CAS 2020-04-07 UploadUserCertificate).
    const casStore = createRpcCaller(
      '2020-04-07',
      parseEndpoint(`http://${stack.stackInfo.emulator.rpcEndpoint}`, 'cn-hangzhou'),
      { accessKeyId: stack.stackInfo.emulator.accessKeyId, accessKeySecret: stack.stackInfo.emulator.accessKeySecret },
    );
    const uploaded = await casStore<{ CertId: number }>('UploadUserCertificate', {
      Name: 'www.example.com',
      Cert: readFileSync(tmp.path('server.crt'), 'utf8'),
      Key: readFileSync(tmp.path('server.key'), 'utf8'),
    });
    const certId = uploaded.CertId;

    // Steps 1, 3: a client certificate through the certificate API, its .p12 through the signed link.
    const res = await fetch(`${stack.apiUrl}/v1/certificates`, {
      method: 'POST',
      headers: { authorization: `Bearer ${stack.devToken}`, 'content-type': 'application/json' },
      body: JSON.stringify({ commonName: 'client-1.example.com', keyAlgorithm: 'EC_P256' }),
    });
    expect(res.status).toBe(201);
    const issued = (await res.json()) as { downloads: { p12: { url: string } }; p12Password: string };
    expect((await curl(['-sf', '-o', 'client.p12', issued.downloads.p12.url], { cwd })).code).toBe(0);
    const pass = `pass:${issued.p12Password}`;
    expect(
      (await openssl(['pkcs12', '-in', 'client.p12', '-nokeys', '-out', 'client.crt', '-passin', pass], { cwd })).code,
    ).toBe(0);
    expect(
      (
        await openssl(['pkcs12', '-in', 'client.p12', '-nocerts', '-nodes', '-out', 'client.key', '-passin', pass], {
          cwd,
        })
      ).code,
    ).toBe(0);

    // The listener starts as the seed's step 5 would leave it before mutual auth: off, with another server certificate.
    expect(stack.emulator.nlb.getListener(listener.listenerId)).toMatchObject({
      CaEnabled: false,
      CaCertificateIds: [],
    });
    const desired = tmp.write(
      'listeners.yaml',
      `version: 1\nlisteners:\n  - name: seed\n    region: cn-hangzhou\n    listenerId: ${listener.listenerId}\n    mutualAuth: on\n    ca: default\n    serverCertificate: { certId: ${certId} }\n    securityPolicy: tls_cipher_policy_1_2\n    probe: { host: www.example.com, port: 443 }\n`,
    );

    // Act: plan, then apply.
    const plan = await reconcileCli(dataDir, ['--plan', '--desired', desired]);
    const updatesAfterPlan = stack.emulator.faults.count('UpdateListenerAttribute');
    const apply = await runCommand(reconcile, ['--apply', '--desired', desired, '--json'], {
      ...process.env,
      LOCAL_DATA_DIR: dataDir,
    });

    expect(plan.code).toBe(0);
    expect(plan.stdout).toContain(`~ ${listener.listenerId} (seed) [cn-hangzhou]: will be updated in place`);
    expect(plan.stdout).toMatch(/~ caEnabled +: false -> true/);
    expect(plan.stdout).toContain(`~ caCertificateId     : (none) -> "${stack.emulator.ca.rootIdentifier}"`);
    expect(plan.stdout).toContain(`-> "${certId}-cn-hangzhou"`);
    expect(plan.stdout).toContain('reconcile plan: 1 listener: 1 to change, 0 in sync, 0 blocked, 0 failed');
    expect(updatesAfterPlan).toBe(0);
    expect(apply.code).toBe(0);
    const applied = JSON.parse(apply.stdout) as RunReport;
    expect(applied.results[0]).toMatchObject({ outcome: 'changed', probe: { verdict: 'passed' } });
    expect(applied.results[0].probe!.withClientCertificate!.peerCertificate!.fingerprintSha256).toBe(
      (await openssl(['x509', '-in', 'server.crt', '-noout', '-fingerprint', '-sha256'], { cwd })).stdout
        .split('=')[1]
        .trim()
        .replace(/:/g, '')
        .toLowerCase(),
    );

    // Assess with the seed's step 6: curl --cert --key --cacert root.crt, answers from both backends.
    const bodies = new Set<string>();
    for (let i = 0; i < 6; i += 1) {
      const r = await curl(
        ['-sS', '--cert', 'client.crt', '--key', 'client.key', '--cacert', 'root.crt', '--resolve', resolve, url],
        { cwd },
      );
      expect(r.code).toBe(0);
      bodies.add(r.stdout.trim());
    }
    expect([...bodies].sort()).toEqual(['ECS01', 'ECS02']);
    const withoutCert = await curl(['-sS', '--cacert', 'root.crt', '--resolve', resolve, url], { cwd });
    expect(withoutCert.code).not.toBe(0);
    expect(withoutCert.stdout).not.toMatch(/ECS0/);
    expect(
      (
        await openssl(
          [
            'req',
            '-x509',
            '-newkey',
            'ec',
            '-pkeyopt',
            'ec_paramgen_curve:P-256',
            '-nodes',
            '-keyout',
            'foreign.key',
            '-out',
            'foreign.crt',
            '-subj',
            '/CN=foreign-client',
            '-days',
            '1',
          ],
          { cwd },
        )
      ).code,
    ).toBe(0);
    const foreign = await curl(
      ['-sS', '--cert', 'foreign.crt', '--key', 'foreign.key', '--cacert', 'root.crt', '--resolve', resolve, url],
      { cwd },
    );
    expect(foreign.code).not.toBe(0);
    expect(foreign.stdout).not.toMatch(/ECS0/);

    // A second run makes zero changes.
    const before = stack.emulator.faults.count('UpdateListenerAttribute');
    const again = await runCommand(reconcile, ['--apply', '--desired', desired, '--json'], {
      ...process.env,
      LOCAL_DATA_DIR: dataDir,
    });
    const second = JSON.parse(again.stdout) as RunReport;
    expect(second.results[0]).toMatchObject({ outcome: 'in-sync', plan: [], probe: { verdict: 'passed' } });
    expect(stack.emulator.faults.count('UpdateListenerAttribute')).toBe(before);
  }, 120_000);

  it('the deployed function runs under the local runner: the shipped example names no real listener, so it is blocked, not changed', async () => {
    const before = stack.emulator.faults.count('UpdateListenerAttribute');

    const report = (await stack.invoke('reconcile-listeners', { mode: 'apply' })) as RunReport;

    expect(report.results).toEqual([
      expect.objectContaining({ listenerId: 'lsn-0example0www0mtls0', outcome: 'blocked', rule: 'listener-exists' }),
    ]);
    expect(stack.emulator.faults.count('UpdateListenerAttribute')).toBe(before);
  });
});

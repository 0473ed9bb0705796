// docs/rotation.md as a user runs it, on the local stack: `npm run reconcile` with a managed server certificate
// (openssl s_client sees our sub-CA's certificate with the declared name; a changed declaration serves a new serial and
// the old one leaves the certificate store), then `npm run rotate-ca` (create-ca, plan, prepare, gate, switch, finish)
// with two devices running the nlb-mtls CLI and a .p12 owner using the API: those that picked up their successor are
// still let in (curl as the seed does; `check` falls back to the successor and promotes it), the one that did not is
// refused until he picks his up. New certificates and renewals come from the new sub-CA without a restart; npm start
// again with PCA_PARENT_IDENTIFIER = the new sub-CA makes that permanent. Bad input is refused at plan time
// and leaves the listener as it was. Crashes at each stage: test/integration/rotation.
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startLocalStack, type LocalStack } from '../../../local/stack.js';
import { rotateCa } from '../../../local/rotate-ca-command.js';
import { reconcile as reconcileCommand } from '../../../local/reconcile-command.js';
import { createRpcCaller } from '../../../shared/alibaba/rpc.js';
import { parseEndpoint } from '../../../shared/config/alibaba.js';
import { setLogSink, type LogSink } from '../../../shared/log/index.js';
import { runInProcess } from '../../helpers/nlb-mtls-cli.js';
import { runCommand } from '../../helpers/local-command.js';
import { curl, makeTempDir, openssl, type TempDir } from '../../helpers/tools.js';

describe('docs/rotation.md on the local stack', () => {
  let stack: LocalStack;
  let tmp: TempDir;
  let dataDir: string;
  let previousSink: LogSink;
  let port: number;
  let listenerId: string;
  let newCa: { rootIdentifier: string; subCaIdentifier: string };
  let carol: { id: string };
  const logs: string[] = [];

  beforeAll(async () => {
    previousSink = setLogSink((line) => logs.push(line)); // the in-process functions' JSON logs: not the test's output
    tmp = makeTempDir();
    dataDir = join(tmp.dir, 'stack');
    stack = await startLocalStack({ dataDir, writeStackFile: true, functions: ['cert-api'] });
    port = stack.emulator.listeners[0].port;
    listenerId = stack.emulator.listeners[0].listenerId;
  });
  afterAll(async () => {
    await stack?.close();
    tmp?.cleanup();
    setLogSink(previousSink);
  });

  // `npm run reconcile` and `npm run rotate-ca`, their commands in this process (seed.test.ts spawns the script).
  const reconcile = (args: string[]) => runCommand(reconcileCommand, args, { LOCAL_DATA_DIR: dataDir });
  const rotate = (args: string[]) => runCommand(rotateCa, args, { LOCAL_DATA_DIR: dataDir });
  const declare = (managed: string) =>
    writeFileSync(
      join(dataDir, 'listeners.yaml'),
      [
        'version: 1',
        'listeners:',
        '  - region: cn-hangzhou',
        `    listenerId: ${listenerId}`,
        '    mutualAuth: on',
        '    ca: default',
        `    serverCertificate: { managed: ${managed} }`,
        '    securityPolicy: tls_cipher_policy_1_2',
        '    probe: { host: www.example.com, port: 443 }',
        '',
      ].join('\n'),
    );
  /** What `openssl s_client | openssl x509` shows of the certificate the listener serves. */
  const served = async () => {
    const hello = await openssl(['s_client', '-connect', `127.0.0.1:${port}`, '-servername', 'www.example.com'], {
      input: '',
    });
    const x509 = await openssl(['x509', '-noout', '-subject', '-issuer', '-serial', '-ext', 'subjectAltName'], {
      input: hello.stdout,
    });
    expect(x509.code).toBe(0);
    return x509.stdout;
  };
  // As the plan prints it (normalizeSerial): lower case, no leading zeros (openssl pads to whole bytes).
  const serialOf = (text: string) =>
    /serial=([0-9A-F]+)/
      .exec(text)![1]
      .toLowerCase()
      .replace(/^0+(?=.)/, '');
  const listenerCa = () => stack.emulator.nlb.listeners().find((l) => l.ListenerId === listenerId)!.CaCertificateIds;
  const device = (name: string) => ['--dir', join(tmp.dir, name)];
  /** `nlb-mtls check` of a device against the seeded listener, as the device runs it. */
  const checkListener = (name: string, ...flags: string[]) =>
    runInProcess([
      'check',
      '--connect',
      `127.0.0.1:${port}`,
      '--servername',
      'www.example.com',
      ...flags,
      ...device(name),
    ]);
  const cliEnv = () => ({ NLB_MTLS_API: stack.apiUrl });
  const api = async (method: string, path: string, body?: unknown) => {
    const res = await fetch(`${stack.apiUrl}${path}`, {
      method,
      headers: { Authorization: `Bearer ${stack.devToken}`, 'Content-Type': 'application/json' },
      ...(body ? { body: JSON.stringify(body) } : {}),
    });
    return { status: res.status, body: (await res.json()) as Record<string, any> };
  };
  /** The seed's step 6: curl --cert --key --cacert; the backend's name when let in. */
  const seedCurl = (dir: string, cert = 'client.crt') =>
    curl([
      '-sS',
      '--cert',
      join(tmp.dir, dir, cert),
      '--key',
      join(tmp.dir, dir, 'client.key'),
      '--cacert',
      join(dataDir, 'root.crt'),
      '--resolve',
      `www.example.com:${port}:127.0.0.1`,
      `https://www.example.com:${port}/`,
    ]);

  it('a managed server certificate: issued by our sub-CA with the declared name, served, proven by a handshake', async () => {
    const before = await served();
    expect(before).toContain('issuer=O = nlb-mtls-autopilot, CN = Emulated PCA Root CA'); // the seed's own certificate
    declare('{ names: [www.example.com], validityDays: 90, retireAfterHours: 0 }');
    const plan = await reconcile(['--plan']);
    expect(plan.code).toBe(0);
    expect(plan.stdout).toContain('will issue www.example.com (EC_P256, 90 days');
    expect(await served()).toBe(before); // a plan changes nothing

    const apply = await reconcile(['--apply']);
    expect(apply.code).toBe(0);
    expect(apply.stdout).toContain('verification: passed');
    const now = await served();
    expect(now).toContain('subject=CN = www.example.com');
    expect(now).toContain('issuer=O = nlb-mtls-autopilot, CN = Emulated PCA Sub CA');
    expect(now).toMatch(/DNS:www\.example\.com\s*$/);
    expect(apply.stdout).toContain(`new:     serial ${serialOf(now)}`);
  });

  it('rotated when the declaration changes: a new serial is served, the old certificate leaves the store', async () => {
    const first = serialOf(await served());
    const oldCertId = /CertId (\d+)/.exec((await reconcile(['--plan'])).stdout)?.[1];
    declare('{ names: [www.example.com, api.example.com], validityDays: 90, retireAfterHours: 0 }');
    const apply = await reconcile(['--apply']);
    expect(apply.code).toBe(0);
    expect(apply.stdout).toContain('the declaration changed');
    const now = await served();
    expect(serialOf(now)).not.toBe(first);
    expect(now).toContain('DNS:www.example.com, DNS:api.example.com');
    const retired = /retired server certificate (\d+): removed from the certificate store/.exec(apply.stdout);
    expect(retired).not.toBeNull();
    expect(oldCertId === undefined || retired![1] === oldCertId).toBe(true);
    const cas = createRpcCaller('2020-04-07', parseEndpoint(stack.emulator.rpcUrl, stack.emulator.region), {
      accessKeyId: stack.emulator.credentials.accessKeyId,
      accessKeySecret: stack.emulator.credentials.accessKeySecret,
    });
    await expect(cas('GetUserCertificateDetail', { CertId: retired![1] })).rejects.toThrow();
  });

  it('refuses at plan time names the CA would refuse and a key the sub-CA cannot issue; the listener keeps its certificate', async () => {
    const servedBefore = await served();
    declare('{ names: ["*.com"], validityDays: 90 }');
    const badName = await reconcile(['--plan']);
    expect(badName.code).toBe(1);
    expect(badName.stderr).toContain('"*.com" is a wildcard for a top-level domain');
    declare('{ names: [www.example.com, api.example.com], keyAlgorithm: RSA_2048, validityDays: 90 }');
    const rsa = await reconcile(['--apply', '--fail-on-blocked']);
    expect(rsa.code).toBe(3);
    expect(rsa.stdout).toContain("keyAlgorithm RSA_2048 is not of the sub-CA's key family (EC)");
    expect(await served()).toBe(servedBefore);
    declare('{ names: [www.example.com, api.example.com], validityDays: 90, retireAfterHours: 0 }');
  });

  it('two devices, then a new CA hierarchy; bad rotations are refused at plan time and change nothing', async () => {
    for (const name of ['alice', 'bob']) {
      mkdirSync(join(tmp.dir, name));
      const r = await runInProcess(['request', `${name}.example.com`, ...device(name)], {
        ...cliEnv(),
        NLB_MTLS_TOKEN: stack.devToken,
      });
      expect(r.code).toBe(0);
      expect((await seedCurl(name)).stdout).toMatch(/^ECS0[12]/);
    }
    // carol: a server-made key in a .p12, through the API with the token (the quickstart's way).
    const issued = await api('POST', '/v1/certificates', { commonName: 'carol.example.com' });
    expect(issued.status).toBe(201);
    carol = issued.body as { id: string };
    expect(await api('GET', `/v1/certificates/${carol.id}/successor`)).toMatchObject({
      status: 404,
      body: { code: 'NO_SUCCESSOR' },
    });
    const created = await rotate(['create-ca', '--json']);
    expect(created.code).toBe(0);
    newCa = (JSON.parse(created.stdout) as { created: typeof newCa }).created;
    const caBefore = listenerCa();

    const threshold = await rotate([
      'plan',
      '--to',
      newCa.rootIdentifier,
      '--issuing-ca',
      newCa.subCaIdentifier,
      '--threshold',
      '150',
    ]);
    expect(threshold.code).toBe(1);
    expect(threshold.stdout).toContain('threshold must be a percentage from 0 to 100 (got 150)');

    stack.emulator.cas.setCaStatus(newCa.rootIdentifier, 'REVOKE');
    const revoked = await rotate(['prepare', '--to', newCa.rootIdentifier, '--issuing-ca', newCa.subCaIdentifier]);
    stack.emulator.cas.setCaStatus(newCa.rootIdentifier, 'ISSUE');
    expect(revoked.code).toBe(1);
    expect(revoked.stderr).toContain(`the new CA ${newCa.rootIdentifier} is REVOKE`);

    const expiring = await stack.emulator.cas.addHierarchy({ name: 'Short Root CA', rootDays: 20, subCaDays: 10 });
    const soon = await rotate(['plan', '--to', expiring.rootIdentifier, '--issuing-ca', expiring.subCaIdentifier]);
    expect(soon.code).toBe(1);
    expect(soon.stdout).toMatch(/the new CA \S+ expires .* \(19 days left, at least 30 needed\)/);

    expect(listenerCa()).toEqual(caBefore);
    expect((await rotate(['gate'])).stderr).toContain('no CA rotation is in progress');
  });

  it('prepare -> gate -> switch -> finish: the device that took its successor stays in, the other is refused', async () => {
    const oldCa = listenerCa();
    const prepare = await rotate([
      'prepare',
      '--to',
      newCa.rootIdentifier,
      '--issuing-ca',
      newCa.subCaIdentifier,
      '--threshold',
      '50',
    ]);
    expect(prepare.code).toBe(0);
    expect(prepare.stdout).toContain('successors: 3 issued now');
    expect(prepare.stdout).toContain('threshold 50%: NOT PASSED');
    expect(listenerCa()).toEqual(oldCa); // prepare never touches the listener
    expect((await rotate(['switch'])).code).toBe(1); // held by the gate

    const fetched = await runInProcess(['successor', ...device('alice')], cliEnv());
    expect(fetched.code).toBe(0);
    expect(fetched.stdout).toContain(`new CA ${newCa.rootIdentifier}`);
    expect((await seedCurl('alice', 'client.successor.crt')).code).not.toBe(0); // not trusted yet
    expect((await rotate(['gate'])).stdout).toContain('gate: 1/3 (33.33%) hold a successor, threshold 50%: NOT PASSED');

    // carol picks hers up with the token: links to the new .p12 and, this first time only, its password.
    const first = await api('GET', `/v1/certificates/${carol.id}/successor`);
    expect(first.status).toBe(200);
    expect(first.body).toMatchObject({ certificateId: carol.id, rotation: { toCa: newCa.rootIdentifier } });
    expect(typeof first.body.p12Password).toBe('string');
    const again = await api('GET', `/v1/certificates/${carol.id}/successor`);
    expect(again.status).toBe(200);
    expect(again.body.p12Password).toBeUndefined();
    const p12 = Buffer.from(await (await fetch(first.body.downloads.p12.url as string)).arrayBuffer());
    tmp.write('carol.successor.p12', p12);
    const gate = await rotate(['gate']);
    expect(gate.stdout).toMatch(/gate: 2\/3 \(66.66%\) hold a successor, threshold 50%: PASSED/);
    expect(gate.stdout).toMatch(/tenant dev: 2\/3 \(66.66%\)/);

    const sw = await rotate(['switch']);
    expect(sw.code).toBe(0);
    expect(sw.stdout).toMatch(/client under the CA it no longer trusts: refused/);
    expect(listenerCa()).toEqual([newCa.rootIdentifier]);

    // The seed's curl after the switch: the old certificates are refused, alice's successor gets in.
    expect((await seedCurl('alice')).code).not.toBe(0);
    expect((await seedCurl('bob')).code).not.toBe(0);
    expect((await seedCurl('alice', 'client.successor.crt')).stdout).toMatch(/^ECS0[12]/);
    const carolCurl = await curl([
      '-sS',
      '--cert-type',
      'P12',
      '--cert',
      `${tmp.path('carol.successor.p12')}:${first.body.p12Password as string}`,
      '--cacert',
      join(dataDir, 'root.crt'),
      '--resolve',
      `www.example.com:${port}:127.0.0.1`,
      `https://www.example.com:${port}/`,
    ]);
    expect(carolCurl.stdout).toMatch(/^ECS0[12]/);
    // The CLI falls back to the successor by itself and promotes it; bob has none and stays refused.
    const alice = await checkListener('alice', '--json');
    expect(alice.code).toBe(0);
    expect(JSON.parse(alice.stdout)).toMatchObject({ verdict: 'accepted', fellBackToSuccessor: {} });
    expect((await seedCurl('alice')).stdout).toMatch(/^ECS0[12]/);
    const bob = await checkListener('bob');
    expect(bob.code).toBe(7);

    const finish = await rotate(['finish']);
    expect(finish.code).toBe(0);
    expect(finish.stdout).toContain('stage finished');
    expect(finish.stdout).toContain(`already come from the new sub-CA ${newCa.subCaIdentifier}`);
    expect(finish.stdout).toContain(
      `make it permanent (before any next rotation): set PCA_PARENT_IDENTIFIER=${newCa.subCaIdentifier}`,
    );
    const after = await reconcile(['--plan']);
    expect(after.stdout).toContain(`CA decided by rotation`);
    expect(after.stdout).toContain('in sync');
    expect(listenerCa()).toEqual([newCa.rootIdentifier]);
  });

  it('without a restart, new certificates come from the new sub-CA: alice renews, dave is issued one; bob, late, still gets his successor', async () => {
    // The stack still runs with PCA_PARENT_IDENTIFIER = the old sub-CA: cert-api follows the rotation by itself.
    expect(stack.stackInfo.ca).not.toMatchObject({ subCaIdentifier: newCa.subCaIdentifier });
    expect((await runInProcess(['renew', ...device('alice')], cliEnv())).code).toBe(0);
    const issuer = await openssl(['x509', '-in', join(tmp.dir, 'alice', 'client.crt'), '-noout', '-issuer']);
    expect(issuer.stdout).toMatch(/CN = Local Sub CA \d{4}-\d{2}-\d{2}/);
    expect((await seedCurl('alice')).stdout).toMatch(/^ECS0[12]/);

    mkdirSync(join(tmp.dir, 'dave'));
    const dave = await runInProcess(['request', 'dave.example.com', ...device('dave')], {
      ...cliEnv(),
      NLB_MTLS_TOKEN: stack.devToken,
    });
    expect(dave.code).toBe(0);
    const daveIssuer = await openssl(['x509', '-in', join(tmp.dir, 'dave', 'client.crt'), '-noout', '-issuer']);
    expect(daveIssuer.stdout).toBe(issuer.stdout);
    expect((await seedCurl('dave')).stdout).toMatch(/^ECS0[12]/);

    // Bob's proof is made with his old certificate, from the old sub-CA: the successor route still takes it.
    // His agent fetches it (the certificate in use does not change), and check promotes it once it gets in.
    const agent = await runInProcess(['agent', '--once', ...device('bob')], cliEnv());
    expect(agent.code).toBe(0);
    expect(agent.stdout).toContain('successor-fetched');
    expect(existsSync(join(tmp.dir, 'bob', 'client.successor.crt'))).toBe(true);
    const bob = await checkListener('bob', '--json');
    expect(JSON.parse(bob.stdout)).toMatchObject({ verdict: 'accepted', fellBackToSuccessor: {} });
    expect((await seedCurl('bob')).stdout).toMatch(/^ECS0[12]/);
  });

  it('npm start again with PCA_PARENT_IDENTIFIER = the new sub-CA makes it permanent: alice renews under it again', async () => {
    await stack.close();
    stack = await startLocalStack({
      dataDir,
      writeStackFile: true,
      functions: ['cert-api'],
      issuingSubCa: newCa.subCaIdentifier,
    });
    port = stack.emulator.listeners[0].port;
    expect(stack.stackInfo.ca).toMatchObject({
      rootIdentifier: newCa.rootIdentifier,
      subCaIdentifier: newCa.subCaIdentifier,
    });
    expect(listenerCa()).toEqual([newCa.rootIdentifier]); // the emulator's state survived the restart

    const before = await openssl(['x509', '-in', join(tmp.dir, 'alice', 'client.crt'), '-noout', '-serial', '-issuer']);
    expect((await runInProcess(['renew', ...device('alice')], cliEnv())).code).toBe(0);
    const after = await openssl(['x509', '-in', join(tmp.dir, 'alice', 'client.crt'), '-noout', '-serial', '-issuer']);
    expect(after.stdout).not.toBe(before.stdout);
    expect(after.stdout.split('\n')[1]).toBe(before.stdout.split('\n')[1]); // the same (new) sub-CA
    expect((await seedCurl('alice')).stdout).toMatch(/^ECS0[12]/);
  });
});

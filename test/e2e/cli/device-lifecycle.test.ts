/**
 * The device side end to end on the local stack, with the single-file CLI run by plain `node` from a directory
 * that holds nothing else: request (the only step with a token) -> check through the emulated NLB listener with
 * mutual TLS on (accepted; refused without a certificate) -> renew by proof of possession with no token in the
 * environment -> a replayed proof refused -> agent --once with a clock that makes the certificate due, running
 * its hook -> a revoked certificate's renew refused. Then --p12 and bad input, each with its exit code and a clear
 * message, leaving the files as they were. Every spawn of the file costs a node start, so the smaller cases run
 * the same CLI in this process (runInProcess) once the file has shown that it works.
 */
import { spawn } from 'node:child_process';
import { createHash, createPrivateKey, createPublicKey } from 'node:crypto';
import { existsSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { startLocalStack, type LocalStack } from '../../../local/stack.js';
import { signPossessionProof } from '../../../shared/auth/possession-proof.js';
import { setLogSink, type LogSink } from '../../../shared/log/index.js';
import {
  buildCsr,
  createCertificateAuthority,
  generateKeyPair,
  inspectCertificate,
  keyAlgorithmOf,
  signClientCertificate,
  splitPemCertificates,
} from '../../../shared/pki/index.js';
import { buildCli, deviceDir, runCli, runInProcess, type CliResult } from '../../helpers/nlb-mtls-cli.js';
import { enableListenerMtls } from '../../helpers/listener-mtls.js';
import { makeTempDir, openssl, type TempDir } from '../../helpers/tools.js';

const sha = (file: string) => createHash('sha256').update(readFileSync(file)).digest('hex');
const json = (r: CliResult) => JSON.parse(r.stdout) as Record<string, any>;
const events = (r: CliResult) =>
  r.stdout
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as Record<string, any>);
const leafOf = (file: string) => inspectCertificate(splitPemCertificates(readFileSync(file, 'utf8'))[0]);

/** A port nothing listens on: an API that is down. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const { port } = server.address() as { port: number };
  await new Promise<void>((r) => server.close(() => r()));
  return port;
}

describe('nlb-mtls on the local stack', () => {
  let stack: LocalStack;
  let tmp: TempDir;
  let previousSink: LogSink;
  let cliFile: string;
  let device: { dir: string; cli: string };
  /** The device's environment after its first certificate: the API URL and nothing else. */
  let env: Record<string, string>;
  let listener: { host: string; port: number };

  /** The single file, spawned with plain node in the device directory. */
  const cli = (args: string[], extra: Record<string, string> = {}) =>
    runCli(device.cli, args, { cwd: device.dir, env: { ...env, ...extra } });
  /** The same commands in this process, on the same device directory. */
  const local = (args: string[], extra: Record<string, string> = {}) =>
    runInProcess([...args, '--dir', device.dir], { ...env, ...extra });
  const file = (name: string) => join(device.dir, name);
  const state = () => JSON.parse(readFileSync(file('client.json'), 'utf8')) as Record<string, any>;
  const connect = () => ['--connect', `127.0.0.1:${listener.port}`, '--servername', listener.host];

  beforeAll(async () => {
    previousSink = setLogSink(() => undefined);
    tmp = makeTempDir();
    cliFile = join(tmp.dir, 'build', 'nlb-mtls.mjs');
    [stack] = await Promise.all([
      startLocalStack({ functions: ['cert-api'], emulatorOptions: { jobDelayMs: 20 } }),
      buildCli(cliFile),
    ]);
    device = deviceDir(tmp.dir, 'device', cliFile);
    // The root the listeners trust, as the operator hands it to the device (the seed's root.crt).
    writeFileSync(file('ca.crt'), stack.stackInfo.ca.rootCertificatePem);
    env = { NLB_MTLS_API: stack.apiUrl };
    // Mutual TLS on for the seeded listener, trusting the PCA root (what `npm run reconcile -- --apply` does).
    listener = await enableListenerMtls(stack);
  });
  afterAll(async () => {
    await stack?.close();
    tmp?.cleanup();
    setLogSink(previousSink);
  });

  it('runs from a directory that holds only its file; every command has --help', async () => {
    // act
    const version = await cli(['--version']);
    const help = await cli(['request', '--help']);
    const helps = await Promise.all(
      ['renew', 'fetch', 'check', 'agent', 'status'].map((c) => runInProcess([c, '--help'])),
    );
    const unknown = await runInProcess(['renew', '--no-such-flag']);
    // assess
    expect(version).toEqual(
      expect.objectContaining({ code: 0, stdout: expect.stringMatching(/^nlb-mtls \d+\.\d+\.\d+\n$/) }),
    );
    for (const h of [help, ...helps]) {
      expect(h.code).toBe(0);
      expect(h.stdout).toMatch(/^Usage: nlb-mtls /);
      expect(h.stdout).toContain('Exit codes:');
    }
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/no-such-flag/);
    expect(readdirSync(device.dir).sort()).toEqual(['ca.crt', 'nlb-mtls.mjs']);
  });

  it('request: makes the key here (0600), gets the certificate with the token, verifies and writes it', async () => {
    // act
    const r = await cli(['request', 'device-1.example.com', '--dns', 'device-1.example.com', '--json'], {
      NLB_MTLS_TOKEN: stack.devToken,
    });
    // assess
    expect(r.code).toBe(0);
    const out = json(r);
    expect(out).toEqual(expect.objectContaining({ mode: 'csr', generation: 1, commonName: 'device-1.example.com' }));
    // EC P-256 by default; RSA 2048 only when the issuing sub-CA is RSA and refuses other families (CAS's rule)
    const subCaIsRsa = inspectCertificate(stack.emulator.ca.subCaCertificatePem).keyAlgorithm.startsWith('RSA_');
    expect(subCaIsRsa ? ['EC_P256', 'RSA_2048'] : ['EC_P256']).toContain(leafOf(file('client.crt')).keyAlgorithm);
    expect(statSync(file('client.key')).mode & 0o777).toBe(0o600);
    expect(existsSync(file('client.key.next'))).toBe(false);
    // leaf + sub-CA: what a listener that trusts the root needs
    expect(splitPemCertificates(readFileSync(file('client.crt'), 'utf8'))).toHaveLength(2);
    expect(leafOf(file('client.crt')).serialNumber).toBe(out.serialNumber);
    const verify = await openssl([
      'verify',
      '-CAfile',
      file('ca.crt'),
      '-untrusted',
      file('client.crt'),
      file('client.crt'),
    ]);
    expect(verify.code).toBe(0);
    expect(state()).toEqual(
      expect.objectContaining({ certificateId: out.certificateId, api: stack.apiUrl, mode: 'csr' }),
    );
    expect(readFileSync(file('client.json'), 'utf8')).not.toContain(stack.devToken);
    expect(out.caFromBundle).toBeUndefined(); // ca.crt was there: the bundle's root was checked against it
  });

  it('check: the mutual-TLS listener accepts the certificate and names the backend; without one it refuses', async () => {
    // act
    const accepted = await cli(['check', ...connect(), '--json']);
    const anonymous = await cli(['check', ...connect(), '--no-cert']);
    const expectedRefusal = await local(['check', ...connect(), '--no-cert', '--expect', 'refused', '--json']);
    // assess
    expect(accepted.code).toBe(0);
    expect(json(accepted)).toEqual(
      expect.objectContaining({
        verdict: 'accepted',
        clientCertificateSent: true,
        serverVerified: true,
        protocol: expect.stringMatching(/^TLSv1\.[23]$/),
        cipher: expect.any(String),
        serverCertificate: expect.objectContaining({ commonName: 'www.example.com' }),
        http: expect.objectContaining({ backend: expect.stringMatching(/^ECS0[12]$/) }),
      }),
    );
    expect(anonymous.code).toBe(7);
    expect(anonymous.stdout).toMatch(/^refused: .* refused a connection without a client certificate/);
    expect(expectedRefusal.code).toBe(0);
    expect(json(expectedRefusal).verdict).toBe('refused');
  });

  it('renew: no token anywhere, a new key and a new serial, the files replaced', async () => {
    // prepare
    const before = { key: sha(file('client.key')), serial: state().serialNumber };
    expect(Object.keys(env)).toEqual(['NLB_MTLS_API']);
    // act
    const r = await cli(['renew', '--json']);
    // assess
    expect(r.code).toBe(0);
    const out = json(r);
    expect(out).toEqual(expect.objectContaining({ generation: 2, newKey: true, previousSerialNumber: before.serial }));
    expect(out.serialNumber).not.toBe(before.serial);
    expect(sha(file('client.key'))).not.toBe(before.key);
    expect(statSync(file('client.key')).mode & 0o777).toBe(0o600);
    expect(leafOf(file('client.crt')).serialNumber).toBe(out.serialNumber);
    expect((await local(['check', ...connect(), '--quiet'])).code).toBe(0);
  });

  it('a replayed proof is refused; a device that lost the answer gets the same certificate again', async () => {
    // prepare: a proof and a CSR for the current key, as the CLI makes them, sent twice over HTTP
    const id = state().certificateId as string;
    const privateKey = createPrivateKey(readFileSync(file('client.key')));
    const chainPems = splitPemCertificates(readFileSync(file('client.crt'), 'utf8'));
    const keyPair = { algorithm: keyAlgorithmOf(privateKey)!, privateKey, publicKey: createPublicKey(privateKey) };
    const csr = await buildCsr({
      keyPair,
      commonName: 'device-1.example.com',
      sans: { dns: ['device-1.example.com'] },
    });
    const proof = signPossessionProof({
      privateKey,
      chainPems,
      certificateId: id,
      audience: 'nlb-mtls:renew',
      now: new Date(),
      csrPem: csr,
    });
    const send = () =>
      fetch(`${stack.apiUrl}/v1/certificates/${id}/renew-by-possession`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ proof, csr }),
      });
    // act
    const first = await send();
    const replay = await send();
    // The device never saw the first answer: its certificate is now the previous generation.
    const stale = await local(['renew', '--json']);
    const recovered = await local(['renew', '--reuse-key', '--json']);
    // assess
    expect(first.status).toBe(200);
    expect(replay.status).toBe(401);
    expect(await replay.json()).toEqual(expect.objectContaining({ code: 'PROOF_REPLAYED' }));
    expect(stale.code).toBe(4);
    expect(json(stale).error.code).toBe('CERTIFICATE_SUPERSEDED');
    expect(existsSync(file('client.key.next'))).toBe(false);
    expect(recovered.code).toBe(0);
    expect(json(recovered)).toEqual(expect.objectContaining({ generation: 3, newKey: false }));
  });

  it('agent --once: not due now; due under a later clock it renews and runs the hook', async () => {
    // prepare
    const hookOut = file('hook.out');
    const hook = `printf '%s %s' "$NLB_MTLS_SERIAL" "$NLB_MTLS_CERT" > ${hookOut}`;
    // Past 2/3 of the 30 days, not expired.
    const dueAt = new Date(Date.parse(state().notAfter) - 2 * 86_400_000).toISOString();
    // act
    const idle = await local(['agent', '--once', '--json', '--on-renew', hook]);
    const ranWhileIdle = existsSync(hookOut);
    const due = await cli(['agent', '--once', '--json', '--on-renew', hook], { NLB_MTLS_NOW: dueAt });
    // assess
    expect(idle.code).toBe(0);
    expect(events(idle).map((e) => e.event)).toEqual(['started', 'waiting']);
    expect(ranWhileIdle).toBe(false);
    expect(due.code).toBe(0);
    const log = events(due);
    expect(log.map((e) => e.event)).toEqual(['started', 'renewing', 'renewed', 'hook-ok']);
    const renewed = log.find((e) => e.event === 'renewed')!;
    expect(renewed.generation).toBe(4);
    expect(readFileSync(hookOut, 'utf8')).toBe(`${renewed.serial} ${file('client.crt')}`);
    const status = json(await local(['status', '--json']));
    expect(status).toEqual(
      expect.objectContaining({
        serialNumber: renewed.serial,
        api: expect.objectContaining({ current: true, status: 'ACTIVE', via: 'possession' }),
      }),
    );
  });

  it('agent as a daemon: waits for the renewal time and stops cleanly on SIGTERM', async () => {
    // prepare
    const child = spawn(process.execPath, [device.cli, 'agent', '--json'], { cwd: device.dir, env: { ...env } });
    let stdout = '';
    const waiting = new Promise<void>((resolve) =>
      child.stdout.on('data', (d: Buffer) => {
        stdout += d.toString();
        if (stdout.includes('"event":"waiting"')) resolve();
      }),
    );
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    // act
    await waiting;
    child.kill('SIGTERM');
    const code = await exited;
    // assess
    expect(code).toBe(0);
    expect(events({ code, stdout, stderr: '' }).map((e) => e.event)).toEqual(['started', 'waiting', 'stopped']);
  });

  it('a revoked certificate cannot renew itself: clear message, exit 4, files untouched', async () => {
    // prepare
    const revoke = await fetch(`${stack.apiUrl}/v1/certificates/${state().certificateId}/revoke`, {
      method: 'POST',
      headers: { authorization: `Bearer ${stack.devToken}`, 'content-type': 'application/json' },
      body: JSON.stringify({ reason: 'keyCompromise' }),
    });
    expect(revoke.status).toBe(200);
    const files = ['client.crt', 'client.key', 'client.json'];
    const before = files.map((n) => sha(file(n)));
    // act
    const r = await cli(['renew']);
    const agent = await local(['agent', '--once'], {
      NLB_MTLS_NOW: new Date(Date.parse(state().notAfter) - 86_400_000).toISOString(),
    });
    // assess
    expect(r.code).toBe(4);
    expect(r.stderr).toMatch(/revoked; it cannot renew itself.*\[CERTIFICATE_REVOKED\]/);
    expect(r.stderr).toMatch(/hint: .*request a new one with a token/);
    expect(agent.code).toBe(4);
    expect(agent.stdout).toMatch(/renew-refused code=CERTIFICATE_REVOKED/);
    expect(files.map((n) => sha(file(n)))).toEqual(before);
    expect(readdirSync(device.dir).filter((n) => n.includes('.next') || n.endsWith('.tmp'))).toEqual([]);
  });

  it('--p12: the service makes the key; the .p12 is downloaded, opened and kept 0600 with its password', async () => {
    // prepare
    const d = deviceDir(tmp.dir, 'p12-device', cliFile);
    writeFileSync(join(d.dir, 'ca.crt'), stack.stackInfo.ca.rootCertificatePem);
    const run = (args: string[], extra: Record<string, string> = {}) =>
      runInProcess([...args, '--dir', d.dir], { ...env, ...extra });
    const openP12 = () =>
      openssl([
        'pkcs12',
        '-in',
        join(d.dir, 'client.p12'),
        '-nokeys',
        '-clcerts',
        '-passin',
        `pass:${readFileSync(join(d.dir, 'client.p12.pass'), 'utf8').trim()}`,
      ]);
    // act
    const requested = await run(['request', 'laptop.example.com', '--p12', '--json'], {
      NLB_MTLS_TOKEN: stack.devToken,
    });
    const opened = await openP12();
    const renewed = await run(['renew', '--json']);
    const reopened = await openP12();
    // fetch --id brings the PEM zip, whose client.key the service encrypted with the .p12 password
    const id = json(renewed).certificateId as string;
    const elsewhere = deviceDir(tmp.dir, 'p12-elsewhere', cliFile).dir;
    writeFileSync(join(elsewhere, 'ca.crt'), stack.stackInfo.ca.rootCertificatePem);
    const withoutPassword = await runInProcess(['fetch', '--id', id, '--dir', elsewhere], {
      ...env,
      NLB_MTLS_TOKEN: stack.devToken,
    });
    const withPassword = await runInProcess(
      ['fetch', '--id', id, '--dir', elsewhere, '--p12-password-file', join(d.dir, 'client.p12.pass'), '--json'],
      { ...env, NLB_MTLS_TOKEN: stack.devToken },
    );
    // assess
    expect(withoutPassword.code).toBe(2);
    expect(withoutPassword.stderr).toMatch(
      /key \(server-key mode\) is encrypted with the certificate's \.p12 password/,
    );
    expect(withPassword.code).toBe(0);
    expect(json(withPassword).serialNumber).toBe(json(renewed).serialNumber);
    expect(requested.code).toBe(0);
    expect(json(requested).mode).toBe('server-key');
    for (const name of ['client.p12', 'client.p12.pass', 'client.key'])
      expect(statSync(join(d.dir, name)).mode & 0o777).toBe(0o600);
    expect(opened.code).toBe(0);
    expect(inspectCertificate(splitPemCertificates(opened.stdout)[0]).serialNumber).toBe(json(requested).serialNumber);
    expect(renewed.code).toBe(0);
    expect(json(renewed).generation).toBe(2);
    expect(reopened.code).toBe(0);
    expect(inspectCertificate(splitPemCertificates(reopened.stdout)[0]).serialNumber).toBe(json(renewed).serialNumber);
  });

  describe('bad input: a clear message, a distinct exit code, no file changed or half-written', () => {
    let d: string;
    const run = (args: string[], extra: Record<string, string> = {}) =>
      runInProcess([...args, '--dir', d], { ...env, ...extra });
    const at = (name: string) => join(d, name);
    const snapshot = () =>
      Object.fromEntries(readdirSync(d).map((n) => [n, statSync(at(n)).isFile() ? sha(at(n)) : 'dir']));

    beforeAll(async () => {
      d = join(tmp.dir, 'bad-input');
      deviceDir(tmp.dir, 'bad-input', cliFile);
      writeFileSync(at('ca.crt'), stack.stackInfo.ca.rootCertificatePem);
      const r = await run(['request', 'bad-1.example.com', '--quiet'], { NLB_MTLS_TOKEN: stack.devToken });
      expect(r.code).toBe(0);
    });

    it('an API that is down: exit 5, and renew keeps the current files', async () => {
      // prepare
      const before = snapshot();
      const down = `http://127.0.0.1:${await closedPort()}`;
      // act
      const renew = await run(['renew', '--api', down]);
      const request = await runInProcess(['request', 'x.example.com', '--api', down, '--dir', join(tmp.dir, 'fresh')], {
        NLB_MTLS_TOKEN: 'x'.repeat(32),
      });
      // assess
      expect(renew.code).toBe(5);
      expect(renew.stderr).toContain(`Cannot reach the API at ${down}: ECONNREFUSED`);
      const after = snapshot();
      // The new key is kept (complete, 0600) for the next attempt: the service may hold a certificate for it.
      expect(Object.keys(after).sort()).toEqual([...Object.keys(before), 'client.key.next'].sort());
      for (const name of Object.keys(before)) expect(after[name]).toBe(before[name]);
      expect(statSync(at('client.key.next')).mode & 0o777).toBe(0o600);
      expect(request.code).toBe(3); // checked before any key is made
      expect(request.stderr).toMatch(/directory .*fresh does not exist/);
    });

    it('wrong paths, an unreadable key, an existing certificate, a listener that is not there', async () => {
      // prepare
      writeFileSync(at('broken.key'), 'not a key\n');
      // act
      const missing = await run(['renew', '--cert', at('nope.crt')]);
      const garbage = await run(['status', '--offline', '--key', at('broken.key')]);
      const directory = await run(['check', ...connect(), '--key', d]);
      const exists = await run(['request', 'bad-1.example.com'], { NLB_MTLS_TOKEN: stack.devToken });
      const nowhere = await run([
        'check',
        '--connect',
        `127.0.0.1:${await closedPort()}`,
        '--servername',
        listener.host,
      ]);
      // assess
      expect(missing.code).toBe(3);
      expect(missing.stderr).toMatch(/Cannot read the certificate .*nope\.crt: no such file/);
      expect(garbage.code).toBe(3);
      expect(garbage.stderr).toMatch(/broken\.key is not a PEM file: it should hold a private key.*\[KEY_INVALID\]/);
      expect(directory.code).toBe(3);
      expect(directory.stderr).toMatch(/it is a directory/);
      expect(exists.code).toBe(3);
      expect(exists.stderr).toMatch(/already exist.*\n.*hint: renew it/);
      expect(nowhere.code).toBe(5);
      expect(nowhere.stderr).toMatch(/Cannot reach 127\.0\.0\.1:\d+: ECONNREFUSED/);
    });

    it('a certificate of another CA: refused locally against ca.crt, and by the service when ca.crt is bypassed', async () => {
      // prepare: a look-alike certificate for the same name and id, from a CA the service never used
      const other = await createCertificateAuthority({
        commonName: 'Other Root',
        notAfter: new Date(Date.now() + 365 * 86_400_000),
      });
      const keys = await generateKeyPair('EC_P256');
      const leaf = await signClientCertificate({
        publicKey: keys.publicKey,
        commonName: 'bad-1.example.com',
        notAfter: new Date(Date.now() + 30 * 86_400_000),
        issuer: other,
      });
      writeFileSync(at('other.crt'), leaf);
      writeFileSync(at('other.key'), keys.privateKey.export({ type: 'pkcs8', format: 'pem' }) as string);
      writeFileSync(at('other-ca.crt'), other.certificatePem);
      const id = JSON.parse(readFileSync(at('client.json'), 'utf8')).certificateId as string;
      const impostor = ['renew', '--cert', at('other.crt'), '--key', at('other.key'), '--id', id];
      const before = snapshot();
      // act
      const locally = await run(impostor);
      const remote = await run([...impostor, '--ca', at('other-ca.crt'), '--reuse-key', '--json']);
      // assess
      expect(locally.code).toBe(3);
      expect(locally.stderr).toMatch(/does not chain to the CA in .*ca\.crt/);
      expect(remote.code).toBe(4);
      expect(json(remote).error).toEqual(
        expect.objectContaining({
          code: 'PROOF_INVALID',
          message: expect.stringMatching(/not issued by this service's CA/),
        }),
      );
      expect(snapshot()).toEqual(before);
    });

    it('a first request whose certificate fails verification leaves the directory as it was (no key)', async () => {
      // prepare: a directory whose ca.crt is a root the service never used, so the issued certificate cannot chain
      const other = await createCertificateAuthority({
        commonName: 'Another Root',
        notAfter: new Date(Date.now() + 365 * 86_400_000),
      });
      const fresh = join(tmp.dir, 'fresh-other-ca');
      deviceDir(tmp.dir, 'fresh-other-ca', cliFile);
      writeFileSync(join(fresh, 'ca.crt'), other.certificatePem);
      const before = readdirSync(fresh).sort();
      // act
      const r = await runInProcess(['request', 'other-ca.example.com', '--dir', fresh, '--json'], {
        ...env,
        NLB_MTLS_TOKEN: stack.devToken,
      });
      // assess
      expect(r.code).toBe(6);
      expect(json(r).error.code).toBe('CHAIN_UNTRUSTED');
      expect(readdirSync(fresh).sort()).toEqual(before);
    });

    it('a first request with no ca.crt takes the root from the bundle and says so, in --json too', async () => {
      // prepare
      const empty = deviceDir(tmp.dir, 'no-ca-yet', cliFile).dir;
      // act
      const r = await runInProcess(['request', 'no-ca.example.com', '--dir', empty, '--json'], {
        ...env,
        NLB_MTLS_TOKEN: stack.devToken,
      });
      // assess
      expect(r.code).toBe(0);
      expect(json(r).caFromBundle).toBe(join(empty, 'ca.crt'));
      expect(readFileSync(join(empty, 'ca.crt'), 'utf8')).toBe(stack.stackInfo.ca.rootCertificatePem);
    });

    it('fetch with a wrong fingerprint writes nothing; with the right one it installs', async () => {
      // prepare
      const ours = JSON.parse(readFileSync(at('client.json'), 'utf8')) as {
        certificateId: string;
        fingerprintSha256: string;
      };
      const links = await fetch(`${stack.apiUrl}/v1/certificates/${ours.certificateId}/links`, {
        method: 'POST',
        headers: { authorization: `Bearer ${stack.devToken}`, 'content-type': 'application/json' },
        body: '{}',
      });
      const url = ((await links.json()) as { downloads: { certificate: { url: string } } }).downloads.certificate.url;
      const before = snapshot();
      // act
      const wrong = await run(['fetch', url, '--fingerprint', 'ab'.repeat(32)]);
      const afterWrong = snapshot();
      const right = await run(['fetch', url, '--fingerprint', ours.fingerprintSha256, '--json']);
      // assess
      expect(wrong.code).toBe(6);
      expect(wrong.stderr).toMatch(/fingerprint is [0-9a-f]{64}, not (ab){32}/);
      expect(wrong.stderr).not.toContain('signature');
      expect(afterWrong).toEqual(before);
      expect(right.code).toBe(0);
      expect(json(right).fingerprintSha256).toBe(ours.fingerprintSha256);
    });
  });
});

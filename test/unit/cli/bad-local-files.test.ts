// Every command against the malformed local files a user can produce (issue 13): each one gets exit 3, a message
// naming the file and what is wrong, a machine-readable code with --json, and leaves every file as it was. Real
// certificates and keys (the project's PKI helpers, and openssl for a legacy encrypted key) in a temp dir; no API
// is reachable (http://127.0.0.1:1), so a command that got past its local checks would fail with exit 5, not 3.
import { generateKeyPairSync } from 'node:crypto';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stateFrom } from '../../../cli/credentials.js';
import { EXIT } from '../../../cli/exit-codes.js';
import { errorAtTheEdge } from '../../../cli/main.js';
import { inspectCertificate, PkiError } from '../../../shared/pki/index.js';
import { createTestHierarchy, issueTestClient, type IssuedClient } from '../../helpers/pki-hierarchy.js';
import { runInProcess } from '../../helpers/nlb-mtls-cli.js';
import { makeTempDir, openssl, type TempDir } from '../../helpers/tools.js';

const API = 'http://127.0.0.1:1';
const ID = 'cc-00mx3bjy0tjxgei1ud6tx262h5';

type Command = 'request' | 'renew' | 'fetch' | 'check' | 'status' | 'agent' | 'successor';
const ARGS: Record<Command, (dir: string) => string[]> = {
  request: (dir) => ['request', 'device-2.example.com', '--dir', dir, '--name', 'other', '--api', API],
  renew: (dir) => ['renew', '--dir', dir],
  fetch: (dir) => ['fetch', `${API}/bundle.zip`, '--dir', dir],
  check: (dir) => ['check', '--connect', '127.0.0.1:1', '--servername', 'www.example.com', '--dir', dir],
  status: (dir) => ['status', '--offline', '--dir', dir],
  agent: (dir) => ['agent', '--once', '--dir', dir],
  successor: (dir) => ['successor', '--dir', dir],
};
/** Which commands read which file before they do anything else. */
const READERS: Record<string, Command[]> = {
  'client.crt': ['renew', 'check', 'status', 'agent', 'successor'],
  'client.key': ['renew', 'check', 'status', 'agent', 'successor'],
  'ca.crt': ['request', 'renew', 'fetch', 'check', 'status', 'agent', 'successor'],
  'client.json': ['renew', 'fetch', 'status', 'agent', 'successor'],
};
/** Commands that check locally that the certificate chains to ca.crt (check leaves that to the listener). */
const CHAIN_CHECKERS: Command[] = ['renew', 'status', 'agent', 'successor'];

interface Fixture {
  device: IssuedClient;
  other: IssuedClient;
  subPem: string;
  rootPem: string;
  otherRootPem: string;
  keyPem: string;
  encryptedKeyPem: string;
  legacyEncryptedKeyPem: string;
  statePem: string;
}

interface Case {
  name: string;
  file: keyof typeof READERS;
  content: (f: Fixture) => string;
  code: string;
  /** Words the message must contain besides the file's path. */
  says: RegExp;
  commands?: Command[];
  /** Also replace client.key (a certificate of another CA comes with its own key). */
  key?: (f: Fixture) => string;
}

const notDer = '-----BEGIN CERTIFICATE-----\naGVsbG8gd29ybGQ=\n-----END CERTIFICATE-----\n';
const badBase64 = '-----BEGIN CERTIFICATE-----\nnot base64 at all!\n-----END CERTIFICATE-----\n';

const CASES: Case[] = [
  // NAME.crt
  {
    name: 'an empty certificate file',
    file: 'client.crt',
    content: () => '',
    code: 'CERTIFICATE_INVALID',
    says: /empty/,
  },
  {
    name: 'garbage instead of a certificate',
    file: 'client.crt',
    content: () => 'hello\n',
    code: 'CERTIFICATE_INVALID',
    says: /not a PEM file/,
  },
  {
    name: 'a private key where the certificate belongs',
    file: 'client.crt',
    content: (f) => f.keyPem,
    code: 'CERTIFICATE_INVALID',
    says: /private key, not a certificate/,
  },
  {
    name: 'a CERTIFICATE block that is not base64',
    file: 'client.crt',
    content: () => badBase64,
    code: 'CERTIFICATE_INVALID',
    says: /not valid PEM/,
  },
  {
    name: 'a CERTIFICATE block that is not X.509',
    file: 'client.crt',
    content: () => notDer,
    code: 'CERTIFICATE_INVALID',
    says: /cannot be parsed/,
  },
  {
    name: 'a chain with the sub-CA first (the leaf must come first)',
    file: 'client.crt',
    content: (f) => f.subPem + f.device.certificatePem,
    code: 'CERTIFICATE_INVALID',
    says: /CA certificate.*must come first/,
  },
  {
    name: 'the leaf alone, where the chain (leaf + sub-CA) is expected',
    file: 'client.crt',
    content: (f) => f.device.certificatePem,
    code: 'CHAIN_UNTRUSTED',
    says: /does not chain to the CA/,
    commands: CHAIN_CHECKERS,
  },
  {
    name: 'a certificate of another CA (with its own key)',
    file: 'client.crt',
    content: (f) => f.other.certificatePem + f.other.chainPems[0],
    key: (f) => f.other.keyPair.privateKey.export({ type: 'pkcs8', format: 'pem' }) as string,
    code: 'CHAIN_UNTRUSTED',
    says: /Other Client Sub-CA.*another CA/,
    commands: CHAIN_CHECKERS,
  },
  // NAME.key
  { name: 'an empty key file', file: 'client.key', content: () => '', code: 'KEY_INVALID', says: /empty/ },
  { name: 'garbage instead of a key', file: 'client.key', content: () => 'x', code: 'KEY_INVALID', says: /not a PEM/ },
  {
    name: 'a certificate where the key belongs',
    file: 'client.key',
    content: (f) => f.device.certificatePem,
    code: 'KEY_INVALID',
    says: /certificate, not a private key/,
  },
  {
    name: 'a public key where the private key belongs',
    file: 'client.key',
    content: (f) => f.device.keyPair.publicKey.export({ type: 'spki', format: 'pem' }) as string,
    code: 'KEY_INVALID',
    says: /public key, not a private key/,
  },
  {
    name: 'a PKCS#8 key encrypted with a passphrase',
    file: 'client.key',
    content: (f) => f.encryptedKeyPem,
    code: 'KEY_ENCRYPTED',
    says: /encrypted/,
  },
  {
    name: 'a legacy (openssl ec -aes256) encrypted key',
    file: 'client.key',
    content: (f) => f.legacyEncryptedKeyPem,
    code: 'KEY_ENCRYPTED',
    says: /encrypted/,
  },
  {
    name: 'a key that does not match the certificate',
    file: 'client.key',
    content: (f) => f.other.keyPair.privateKey.export({ type: 'pkcs8', format: 'pem' }) as string,
    code: 'KEY_MISMATCH',
    says: /is not the key of the certificate/,
    commands: ['renew', 'check', 'status', 'agent', 'successor'],
  },
  {
    name: 'an Ed25519 key',
    file: 'client.key',
    content: () => generateKeyPairSync('ed25519').privateKey.export({ type: 'pkcs8', format: 'pem' }) as string,
    code: 'KEY_INVALID',
    says: /ed25519 key/,
  },
  // ca.crt
  { name: 'an empty CA file', file: 'ca.crt', content: () => '', code: 'CA_INVALID', says: /empty/ },
  { name: 'garbage instead of the CA', file: 'ca.crt', content: () => '{}', code: 'CA_INVALID', says: /not a PEM/ },
  {
    name: 'a key where the CA belongs',
    file: 'ca.crt',
    content: (f) => f.keyPem,
    code: 'CA_INVALID',
    says: /private key, not a certificate/,
  },
  {
    name: 'a second, broken certificate in the CA file',
    file: 'ca.crt',
    content: (f) => f.rootPem + notDer,
    code: 'CA_INVALID',
    says: /Certificate 2 of 2.*cannot be parsed/,
  },
  {
    name: 'the root of another CA',
    file: 'ca.crt',
    content: (f) => f.otherRootPem,
    code: 'CHAIN_UNTRUSTED',
    says: /another CA/,
    commands: CHAIN_CHECKERS,
  },
  // NAME.json
  { name: 'an empty state file', file: 'client.json', content: () => '', code: 'STATE_INVALID', says: /empty/ },
  {
    name: 'a state file that is not JSON',
    file: 'client.json',
    content: () => '{"v":1,',
    code: 'STATE_INVALID',
    says: /not valid JSON/,
  },
  {
    name: 'a JSON array as state',
    file: 'client.json',
    content: () => '[]',
    code: 'STATE_INVALID',
    says: /not a JSON object/,
  },
  {
    name: 'a state file without certificateId',
    file: 'client.json',
    content: (f) => JSON.stringify({ ...JSON.parse(f.statePem), certificateId: undefined }),
    code: 'STATE_INVALID',
    says: /"certificateId" is missing/,
  },
  {
    name: 'a state file with a wrong mode and no generation',
    file: 'client.json',
    content: (f) => JSON.stringify({ ...JSON.parse(f.statePem), mode: 'p12', generation: undefined }),
    code: 'STATE_INVALID',
    says: /"mode" is not .*"generation" is not a positive integer/,
  },
];

function snapshot(dir: string): Record<string, string> {
  return Object.fromEntries(readdirSync(dir).map((n) => [n, readFileSync(join(dir, n), 'latin1')]));
}

describe('nlb-mtls with malformed local files', () => {
  let fx: Fixture;
  let tmp: TempDir;

  beforeAll(async () => {
    const [mine, theirs] = await Promise.all([
      createTestHierarchy({ name: 'Mine' }),
      createTestHierarchy({ name: 'Other' }),
    ]);
    const device = await issueTestClient(mine, { commonName: 'device-1.example.com' });
    const other = await issueTestClient(theirs, { commonName: 'device-1.example.com' });
    const keyPem = device.keyPair.privateKey.export({ type: 'pkcs8', format: 'pem' }) as string;
    const t = makeTempDir();
    try {
      writeFileSync(join(t.dir, 'k.pem'), keyPem);
      const legacy = await openssl(['ec', '-in', join(t.dir, 'k.pem'), '-aes256', '-passout', 'pass:secret-1']);
      expect(legacy.code).toBe(0);
      fx = {
        device,
        other,
        subPem: mine.sub.certificatePem,
        rootPem: mine.root.certificatePem,
        otherRootPem: theirs.root.certificatePem,
        keyPem,
        encryptedKeyPem: device.keyPair.privateKey.export({
          type: 'pkcs8',
          format: 'pem',
          cipher: 'aes-256-cbc',
          passphrase: 'secret-1',
        }) as string,
        legacyEncryptedKeyPem: legacy.stdout,
        statePem: JSON.stringify(
          stateFrom(
            inspectCertificate(device.certificatePem),
            { certificateId: ID, api: API, mode: 'csr', generation: 1 },
            new Date(),
          ),
        ),
      };
    } finally {
      t.cleanup();
    }
    expect(fx.legacyEncryptedKeyPem).toMatch(/Proc-Type: 4,ENCRYPTED/);
  });

  beforeEach(() => {
    tmp = makeTempDir();
    writeFileSync(join(tmp.dir, 'client.crt'), fx.device.certificatePem + fx.subPem);
    writeFileSync(join(tmp.dir, 'client.key'), fx.keyPem, { mode: 0o600 });
    writeFileSync(join(tmp.dir, 'ca.crt'), fx.rootPem);
    writeFileSync(join(tmp.dir, 'client.json'), fx.statePem);
  });
  afterEach(() => tmp.cleanup());

  it('the good files pass every local check (so each case below fails on its one bad file)', async () => {
    const status = await runInProcess(ARGS.status(tmp.dir).concat('--json'));
    expect(status.code).toBe(EXIT.OK);
    expect(JSON.parse(status.stdout)).toMatchObject({ chainVerified: true, commonName: 'device-1.example.com' });
    // With good files, the commands that need the API get as far as the API (unreachable: exit 5).
    for (const command of ['renew', 'successor'] as const) {
      const result = await runInProcess(ARGS[command](tmp.dir).concat('--json'));
      expect(JSON.parse(result.stdout).error).toMatchObject({ exitCode: EXIT.UNAVAILABLE });
    }
  });

  const rows = CASES.flatMap((c) =>
    (c.commands ?? READERS[c.file]).map((command) => [command, c.name, c] as [Command, string, Case]),
  );

  it.each(rows)('%s: %s -> exit 3, the file named, nothing changed', async (command, _name, c) => {
    const path = join(tmp.dir, c.file);
    writeFileSync(path, c.content(fx));
    if (c.key) writeFileSync(join(tmp.dir, 'client.key'), c.key(fx), { mode: 0o600 });
    const before = snapshot(tmp.dir);
    const env = { NLB_MTLS_TOKEN: 'a-token-that-is-never-sent' };

    const json = await runInProcess(ARGS[command](tmp.dir).concat('--json'), env);
    expect(json.code).toBe(EXIT.LOCAL);
    // agent --json logs JSON lines (its "started" event first): the error is the last one.
    const error = JSON.parse(json.stdout.trim().split('\n').at(-1) as string).error;
    expect(error).toMatchObject({ code: c.code, exitCode: EXIT.LOCAL });
    const named = c.code === 'CHAIN_UNTRUSTED' ? join(tmp.dir, 'client.crt') : path;
    expect(error.message).toContain(named);
    expect(error.message).toMatch(c.says);
    expect(error.message).not.toContain('secret-1');

    const human = await runInProcess(ARGS[command](tmp.dir), env);
    expect(human.code).toBe(EXIT.LOCAL);
    expect(human.stderr).toContain(`nlb-mtls: ${error.message} [${c.code}]`);
    expect(snapshot(tmp.dir)).toEqual(before);
  });

  it('a PKI error that still reaches the edge is bad local input (exit 3 with its code), not a bug', () => {
    let thrown: unknown;
    try {
      inspectCertificate(fx.device.certificatePem + fx.subPem); // a chain where one certificate is expected
    } catch (err) {
      thrown = err;
    }
    expect(thrown).toBeInstanceOf(PkiError);
    expect(errorAtTheEdge(thrown as Error)).toMatchObject({
      exitCode: EXIT.LOCAL,
      code: 'CERTIFICATE_MALFORMED',
      message: expect.stringContaining('Expected exactly one PEM certificate'),
    });
    expect(errorAtTheEdge(new Error('something else'))).not.toHaveProperty('exitCode');
  });
});

/**
 * The .p12 files must open in the tools users have: OpenSSL 3 WITHOUT -legacy and Java's keytool, for both
 * profiles and every key type; a wrong password must fail; generated and given passwords of 12..128 chars work.
 */
import { createPrivateKey } from 'node:crypto';
import {
  buildPkcs12,
  generateP12Password,
  keyMatchesCertificate,
  splitPemCertificates,
  type KeyAlgorithm,
  type P12Profile,
} from '../../../shared/pki/index.js';
import {
  createTestHierarchy,
  issueTestClient,
  mapLimit,
  type IssuedClient,
  type TestHierarchy,
} from '../../helpers/pki-hierarchy.js';
import { keytool, makeTempDir, openssl, type TempDir } from '../../helpers/tools.js';

const PASSWORDS = {
  generated: generateP12Password(),
  twelve: 'Tw3lve-chars',
  max128: `${'A1b2-C3d4_'.repeat(12)}!@#$%^&*`,
};

type Case = { profile: P12Profile; algorithm: KeyAlgorithm; password: string; passwordKind: keyof typeof PASSWORDS };
const ALGORITHMS: KeyAlgorithm[] = ['RSA_2048', 'EC_P256', 'RSA_4096', 'EC_P384'];
const CASES: Case[] = (['modern', 'compat'] as const).flatMap((profile, p) =>
  ALGORITHMS.map((algorithm, a) => {
    const passwordKind = (['generated', 'twelve', 'max128'] as const)[(p + a) % 3];
    return { profile, algorithm, password: PASSWORDS[passwordKind], passwordKind };
  }),
);

let temp: TempDir;
let hierarchy: TestHierarchy;
const clients = new Map<KeyAlgorithm, IssuedClient>();
const files = new Map<Case, string>();

beforeAll(async () => {
  temp = makeTempDir();
  hierarchy = await createTestHierarchy({ name: 'P12' });
  await Promise.all(
    ALGORITHMS.map(async (algorithm) =>
      clients.set(
        algorithm,
        await issueTestClient(hierarchy, { keyAlgorithm: algorithm, commonName: `p12-${algorithm}` }),
      ),
    ),
  );
  for (const c of CASES) {
    const client = clients.get(c.algorithm)!;
    const p12 = await buildPkcs12({
      privateKey: client.keyPair.privateKey,
      certificatePem: client.certificatePem,
      chainPems: client.chainPems,
      password: c.password,
      profile: c.profile,
      friendlyName: `p12-${c.algorithm}`,
    });
    files.set(c, temp.write(`${c.profile}-${c.algorithm}.p12`, p12));
  }
});

afterAll(() => temp?.cleanup());

const label = (c: Case) => `${c.profile} ${c.algorithm} (${c.passwordKind} password)`;

describe('openssl pkcs12 (OpenSSL 3, no -legacy)', () => {
  it("opens every profile x key type, reports the profile's algorithms, and yields the matching key, the leaf and the chain", async () => {
    const results = await mapLimit(CASES, 4, async (c) => {
      const file = files.get(c)!;
      const info = await openssl(['pkcs12', '-info', '-noout', '-in', file, '-passin', `pass:${c.password}`]);
      const extracted = await openssl(['pkcs12', '-in', file, '-passin', `pass:${c.password}`, '-nodes']);
      return { c, info, extracted };
    });
    for (const { c, info, extracted } of results) {
      const client = clients.get(c.algorithm)!;
      expect({ case: label(c), code: info.code, stderr: info.code === 0 ? '' : info.stderr }).toEqual({
        case: label(c),
        code: 0,
        stderr: '',
      });
      if (c.profile === 'modern') {
        expect(info.stderr).toContain('MAC: sha256');
        expect(info.stderr).toContain('PBES2, PBKDF2, AES-256-CBC');
      } else {
        expect(info.stderr).toContain('MAC: sha1');
        expect(info.stderr).toContain('pbeWithSHA1And3-KeyTripleDES-CBC');
      }
      expect(extracted.code).toBe(0);
      expect(extracted.stdout).toContain(`friendlyName: p12-${c.algorithm}`);
      expect(extracted.stdout).toMatch(/localKeyID: ([0-9A-F]{2} ){20}/);
      const key = createPrivateKey(extracted.stdout.slice(extracted.stdout.indexOf('-----BEGIN PRIVATE KEY-----')));
      expect(keyMatchesCertificate(key, client.certificatePem)).toBe(true);
      expect(splitPemCertificates(extracted.stdout)).toEqual([client.certificatePem, ...client.chainPems]);
    }
  });

  it('refuses a wrong password for every file', async () => {
    const results = await mapLimit(CASES, 4, (c) =>
      openssl(['pkcs12', '-info', '-noout', '-in', files.get(c)!, '-passin', 'pass:wrong-password-123']),
    );
    for (const result of results) {
      expect(result.code).not.toBe(0);
      expect(result.stderr).toMatch(/mac verify (error|failure)/i);
    }
  });
});

describe('keytool -list -storetype PKCS12', () => {
  it('lists every profile x key type as one PrivateKeyEntry with its 3-certificate chain', async () => {
    const results = await mapLimit(CASES, 2, (c) =>
      keytool(['-list', '-v', '-storetype', 'PKCS12', '-keystore', files.get(c)!, '-storepass', c.password]),
    );
    results.forEach((result, index) => {
      const c = CASES[index];
      expect({
        case: label(c),
        code: result.code,
        out: result.code === 0 ? '' : result.stdout + result.stderr,
      }).toEqual({ case: label(c), code: 0, out: '' });
      expect(result.stdout).toContain('Your keystore contains 1 entry');
      expect(result.stdout).toContain(`Alias name: p12-${c.algorithm.toLowerCase()}`);
      expect(result.stdout).toContain('Entry type: PrivateKeyEntry');
      expect(result.stdout).toContain('Certificate chain length: 3');
      expect(result.stdout).toContain(`Owner: CN=p12-${c.algorithm}`);
    });
  });

  it('refuses a wrong password', async () => {
    const results = await mapLimit(
      CASES.filter((c) => c.algorithm === 'EC_P256'),
      2,
      (c) => keytool(['-list', '-storetype', 'PKCS12', '-keystore', files.get(c)!, '-storepass', 'wrong-password-123']),
    );
    for (const result of results) {
      expect(result.code).not.toBe(0);
      expect(result.stdout + result.stderr).toMatch(/password was incorrect/i);
    }
  });
});

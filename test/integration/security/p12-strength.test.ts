/**
 * Issue 11 item 7: a caller-chosen .p12 password gets at least Java keytool's default work factor (10,000
 * PBKDF2 and MAC iterations) and is refused when it is a common password; generated passwords (144 random bits)
 * keep OpenSSL's 2,048. Read back with openssl and keytool, the clients users have.
 */
import { buildPkcs12, checkChosenP12Password, PkiError } from '../../../shared/pki/index.js';
import { createTestHierarchy, issueTestClient, type IssuedClient } from '../../helpers/pki-hierarchy.js';
import { keytool, makeTempDir, openssl, type TempDir } from '../../helpers/tools.js';

let temp: TempDir;
let client: IssuedClient;

beforeAll(async () => {
  temp = makeTempDir();
  client = await issueTestClient(await createTestHierarchy({ name: 'Strength' }), { commonName: 'strength' });
});
afterAll(() => temp?.cleanup());

async function p12Info(password: string, passwordOrigin: 'chosen' | 'generated', profile: 'modern' | 'compat') {
  const file = temp.write(
    `${profile}-${passwordOrigin}.p12`,
    await buildPkcs12({
      privateKey: client.keyPair.privateKey,
      certificatePem: client.certificatePem,
      chainPems: client.chainPems,
      password,
      passwordOrigin,
      profile,
      friendlyName: 'strength',
    }),
  );
  return { file, info: await openssl(['pkcs12', '-in', file, '-info', '-noout', '-passin', `pass:${password}`]) };
}

describe('.p12 work factor', () => {
  it.each(['modern', 'compat'] as const)(
    '%s: a caller-chosen password gets 10,000 MAC and key-bag iterations, and keytool still opens it',
    async (profile) => {
      // act
      const { file, info } = await p12Info('Chosen-by-caller-7', 'chosen', profile);
      // assess
      expect(info.code).toBe(0);
      const text = info.stdout + info.stderr;
      expect(text).toMatch(/MAC: sha(1|256), Iteration 10000/);
      expect(text).toMatch(/Iteration 10000/);
      expect(text).not.toMatch(/Iteration 2048/);
      const listed = await keytool([
        '-list',
        '-storetype',
        'PKCS12',
        '-keystore',
        file,
        '-storepass',
        'Chosen-by-caller-7',
      ]);
      expect(listed.code).toBe(0);
      expect(listed.stdout).toContain('PrivateKeyEntry');
    },
  );

  it('a generated password (144 random bits) keeps the 2,048 iterations of OpenSSL 3', async () => {
    const { info } = await p12Info('g3nerated-Random-24chars', 'generated', 'modern');
    expect(info.stdout + info.stderr).toMatch(/MAC: sha256, Iteration 2048/);
  });
});

describe('checkChosenP12Password', () => {
  it.each(['password1234', 'PASSWORD1234', 'qwertyuiop123', '123456789012', 'passwordpassword'])(
    'refuses the common password %s with P12_PASSWORD_TOO_COMMON, without echoing it',
    (password) => {
      let caught: unknown;
      try {
        checkChosenP12Password(password);
      } catch (err) {
        caught = err;
      }
      expect(caught).toBeInstanceOf(PkiError);
      expect((caught as PkiError).code).toBe('P12_PASSWORD_TOO_COMMON');
      expect((caught as PkiError).message).not.toContain(password);
    },
  );

  it('accepts an uncommon password', () => {
    expect(() => checkChosenP12Password('Tw3lve-chars-and-more')).not.toThrow();
  });
});

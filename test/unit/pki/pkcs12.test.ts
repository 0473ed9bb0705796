import { buildPkcs12, generateKeyPair, P12_PROFILES, PkiError, type P12Profile } from '../../../shared/pki/index.js';
import { createTestHierarchy, issueTestClient, type IssuedClient } from '../../helpers/pki-hierarchy.js';

let client: IssuedClient;

beforeAll(async () => {
  client = await issueTestClient(await createTestHierarchy({ name: 'Unit P12' }), { commonName: 'unit-p12' });
});

async function codeOf(promise: Promise<unknown>): Promise<string | undefined> {
  try {
    await promise;
    return undefined;
  } catch (err) {
    return err instanceof PkiError ? err.code : `not a PkiError: ${String(err)}`;
  }
}

const valid = () => ({
  privateKey: client.keyPair.privateKey,
  certificatePem: client.certificatePem,
  chainPems: client.chainPems,
  password: 'a-good-password',
  profile: 'modern' as P12Profile,
  friendlyName: 'unit-p12',
});

describe('buildPkcs12', () => {
  it('documents its profiles as data: modern = PBES2/AES-256 + SHA-256 MAC, compat = 3DES + SHA-1 MAC', () => {
    expect(P12_PROFILES.modern).toMatchObject({ bagEncryption: 'pbes2-aes-256-cbc', macHash: 'sha256' });
    expect(P12_PROFILES.compat).toMatchObject({ bagEncryption: 'pbe-sha1-3des', macHash: 'sha1' });
    expect(P12_PROFILES.modern.iterations.chosen).toBeGreaterThanOrEqual(10_000);
    expect(P12_PROFILES.modern.iterations.generated).toBeGreaterThanOrEqual(2048);
  });

  it('makes a different file each time (fresh salts and IVs) for the same input', async () => {
    const [a, b] = await Promise.all([buildPkcs12(valid()), buildPkcs12(valid())]);
    expect(a.equals(b)).toBe(false);
    expect(a[0]).toBe(0x30);
  });

  it.each<[string, () => Promise<Partial<ReturnType<typeof valid>>>, string]>([
    ['a short password', async () => ({ password: 'short' }), 'P12_PASSWORD_INVALID'],
    ['an unknown profile', async () => ({ profile: 'legacy-rc2' as P12Profile }), 'P12_PROFILE_INVALID'],
    ['an inherited property as profile', async () => ({ profile: 'toString' as P12Profile }), 'P12_PROFILE_INVALID'],
    ['an empty friendly name', async () => ({ friendlyName: '' }), 'FRIENDLY_NAME_INVALID'],
    ['a friendly name with a newline', async () => ({ friendlyName: 'a\nb' }), 'FRIENDLY_NAME_INVALID'],
    [
      'a key that does not match the certificate',
      async () => ({ privateKey: (await generateKeyPair('EC_P256')).privateKey }),
      'CERTIFICATE_MALFORMED',
    ],
    ['a certificate that is not PEM', async () => ({ certificatePem: 'nope' }), 'CERTIFICATE_MALFORMED'],
  ])('refuses %s', async (_label, override, code) => {
    expect(await codeOf(buildPkcs12({ ...valid(), ...(await override()) }))).toBe(code);
  });
});

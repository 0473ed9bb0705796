import {
  generateKeyPair,
  keyAlgorithmOf,
  KEY_ALGORITHMS,
  PkiError,
  type KeyAlgorithm,
} from '../../../shared/pki/index.js';

describe('generateKeyPair', () => {
  it.each<[KeyAlgorithm, string, Record<string, unknown>]>([
    ['RSA_2048', 'rsa', { modulusLength: 2048, publicExponent: 65537n }],
    ['RSA_3072', 'rsa', { modulusLength: 3072 }],
    ['RSA_4096', 'rsa', { modulusLength: 4096 }],
    ['EC_P256', 'ec', { namedCurve: 'prime256v1' }],
    ['EC_P384', 'ec', { namedCurve: 'secp384r1' }],
  ])('makes a %s key pair', async (algorithm, type, details) => {
    // act
    const keyPair = await generateKeyPair(algorithm);
    // assess
    expect(keyPair.algorithm).toBe(algorithm);
    expect(keyPair.privateKey.type).toBe('private');
    expect(keyPair.publicKey.type).toBe('public');
    expect(keyPair.privateKey.asymmetricKeyType).toBe(type);
    expect(keyPair.publicKey.asymmetricKeyDetails).toMatchObject(details);
    expect(keyAlgorithmOf(keyPair.privateKey)).toBe(algorithm);
  });

  it("covers exactly the record type's algorithms", () => {
    expect([...KEY_ALGORITHMS].sort()).toEqual(['EC_P256', 'EC_P384', 'RSA_2048', 'RSA_3072', 'RSA_4096']);
  });

  it('refuses an unknown algorithm with KEY_UNSUPPORTED', async () => {
    await expect(generateKeyPair('DSA_1024' as KeyAlgorithm)).rejects.toEqual(
      expect.objectContaining({ code: 'KEY_UNSUPPORTED' }),
    );
    await expect(generateKeyPair('DSA_1024' as KeyAlgorithm)).rejects.toBeInstanceOf(PkiError);
  });
});

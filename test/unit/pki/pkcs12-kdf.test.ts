import forge from 'node-forge';
import { pkcs12Kdf } from '../../../shared/pki/pkcs12-kdf.js';

// Published PKCS#12 KDF vectors (SHA-1), as used by OpenSSL's, BouncyCastle's and pyca's test suites.
const VECTORS = [
  {
    password: 'smeg',
    salt: '0A58CF64530D823F',
    purpose: 1,
    iterations: 1,
    length: 24,
    expected: '8AAAE6297B6CB04642AB5B077851284EB7128F1A2A7FBCA3',
  },
  { password: 'smeg', salt: '0A58CF64530D823F', purpose: 2, iterations: 1, length: 8, expected: '79993DFE048D3B76' },
  {
    password: 'smeg',
    salt: '642B99AB44FB4B1F',
    purpose: 1,
    iterations: 1,
    length: 24,
    expected: 'F3A95FEC48D7711E985CFE67908C5AB79FA3D7C5CAA5D966',
  },
  { password: 'smeg', salt: '642B99AB44FB4B1F', purpose: 2, iterations: 1, length: 8, expected: 'C0A38D64A79BEA1D' },
  {
    password: 'smeg',
    salt: '3D83C0E4546AC140',
    purpose: 3,
    iterations: 1,
    length: 20,
    expected: '8D967D88F6CAA9D714800AB3D48051D63F73A312',
  },
  {
    password: 'queeg',
    salt: '05DEC959ACFF72F7',
    purpose: 1,
    iterations: 1000,
    length: 24,
    expected: 'ED2034E36328830FF09DF1E1A07DD357185DAC0D4F9EB3D4',
  },
  {
    password: 'queeg',
    salt: '05DEC959ACFF72F7',
    purpose: 2,
    iterations: 1000,
    length: 8,
    expected: '11DEDAD7758D4860',
  },
] as const;

describe('pkcs12Kdf (RFC 7292 B.2)', () => {
  it.each(VECTORS)(
    'derives the published value for $password / $salt / id $purpose / $iterations iterations',
    async (v) => {
      // act
      const key = await pkcs12Kdf({
        hash: 'sha1',
        password: v.password,
        salt: Buffer.from(v.salt, 'hex'),
        purpose: v.purpose,
        iterations: v.iterations,
        length: v.length,
      });
      // assess
      expect(key.toString('hex').toUpperCase()).toBe(v.expected);
    },
  );

  it('agrees with an independent implementation for SHA-256 and multi-block output', async () => {
    // prepare: node-forge's pure-JS KDF serves as the oracle (deriving keys, not verifying signatures)
    const salt = Buffer.from('00112233445566778899aabbccddeeff', 'hex');
    const password = 'correct horse battery staple';
    const oracle = forge.pkcs12.generateKey(
      password,
      forge.util.createBuffer(salt.toString('binary')),
      1,
      2048,
      80,
      forge.md.sha256.create(),
    );
    // act
    const key = await pkcs12Kdf({ hash: 'sha256', password, salt, purpose: 1, iterations: 2048, length: 80 });
    // assess
    expect(key.toString('hex')).toBe(oracle.toHex());
  });
});

import { generateKeyPairSync } from 'node:crypto';
import { TAG } from '../../../shared/pki/der.js';
import {
  buildCsr,
  generateKeyPair,
  parseCsr,
  PkiError,
  type KeyAlgorithm,
  type KeyPair,
} from '../../../shared/pki/index.js';
import { forgeCsrPem, generalName, OIDS } from '../../helpers/csr-forge.js';

async function codeOf(promise: Promise<unknown>): Promise<string | undefined> {
  try {
    await promise;
    return undefined;
  } catch (err) {
    return err instanceof PkiError ? err.code : `not a PkiError: ${String(err)}`;
  }
}

const keys: Partial<Record<KeyAlgorithm, KeyPair>> = {};

beforeAll(async () => {
  for (const algorithm of ['RSA_2048', 'EC_P256', 'EC_P384'] as const)
    keys[algorithm] = await generateKeyPair(algorithm);
});

describe('buildCsr + parseCsr', () => {
  it.each(['RSA_2048', 'EC_P256', 'EC_P384'] as const)(
    'round-trips a %s request with every SAN kind',
    async (algorithm) => {
      // prepare
      const keyPair = keys[algorithm]!;
      const sans = {
        dns: ['a.example.com'],
        uri: ['spiffe://example.org/a'],
        email: ['a@example.com'],
        ip: ['192.0.2.7', '2001:db8::7'],
      };
      // act
      const pem = await buildCsr({ keyPair, commonName: 'device-1', sans });
      const parsed = await parseCsr(pem);
      // assess
      expect(parsed.commonName).toBe('device-1');
      expect(parsed.sans).toEqual(sans);
      expect(parsed.keyAlgorithm).toBe(algorithm);
      expect(parsed.publicKey.export({ type: 'spki', format: 'der' })).toEqual(
        keyPair.publicKey.export({ type: 'spki', format: 'der' }),
      );
      expect(parsed.pem).toMatch(/^-----BEGIN CERTIFICATE REQUEST-----\n/);
    },
  );

  it('refuses to build a request for an invalid CN', async () => {
    expect(await codeOf(buildCsr({ keyPair: keys.EC_P256!, commonName: 'a,CN=b' }))).toBe('COMMON_NAME_INVALID');
  });

  it('accepts a request with a BMPString CN and an O next to the CN', async () => {
    const pem = forgeCsrPem({
      privateKey: keys.EC_P256!.privateKey,
      subject: [[{ oid: OIDS.o, value: 'Acme, Inc.' }], [{ oid: OIDS.cn, value: 'x', tag: TAG.PRINTABLE_STRING }]],
    });
    expect((await parseCsr(pem)).commonName).toBe('x');
  });
});

describe('parseCsr refusals (each with its own code)', () => {
  const ec = () => keys.EC_P256!.privateKey;
  const rsa = () => keys.RSA_2048!.privateKey;
  const cn = (value: string) => [[{ oid: OIDS.cn, value }]];

  const cases: Array<[string, () => string, string, { maxBytes?: number }?]> = [
    ['input over the size cap (checked before parsing)', () => 'A'.repeat(64 * 1024 + 1), 'CSR_TOO_LARGE'],
    [
      'a valid CSR over a custom cap',
      () => forgeCsrPem({ privateKey: ec(), subject: cn('x') }),
      'CSR_TOO_LARGE',
      { maxBytes: 100 },
    ],
    ['garbage', () => 'hello world', 'CSR_MALFORMED'],
    ['empty string', () => '', 'CSR_MALFORMED'],
    [
      'a certificate instead of a CSR',
      () => '-----BEGIN CERTIFICATE-----\nMAA=\n-----END CERTIFICATE-----\n',
      'CSR_MALFORMED',
    ],
    [
      'bad base64',
      () => '-----BEGIN CERTIFICATE REQUEST-----\n!!!!\n-----END CERTIFICATE REQUEST-----\n',
      'CSR_MALFORMED',
    ],
    [
      'truncated DER',
      () => {
        const p = forgeCsrPem({ privateKey: ec(), subject: cn('x') });
        const der = Buffer.from(p.split('\n').slice(1, -2).join(''), 'base64');
        return `-----BEGIN CERTIFICATE REQUEST-----\n${der.subarray(0, der.length - 10).toString('base64')}\n-----END CERTIFICATE REQUEST-----\n`;
      },
      'CSR_MALFORMED',
    ],
    [
      'thousands of BEGIN lines without END (refused in linear time)',
      () => '-----BEGIN CERTIFICATE REQUEST-----\n'.repeat(1700),
      'CSR_MALFORMED',
    ],
    ["a BEGIN line with another block's label", () => '-----BEGIN A-----\n'.repeat(100), 'CSR_MALFORMED'],
    ['two CSRs in one input', () => forgeCsrPem({ privateKey: ec(), subject: cn('x') }).repeat(2), 'CSR_MALFORMED'],
    [
      'RSA 1024 key',
      () =>
        forgeCsrPem({ privateKey: generateKeyPairSync('rsa', { modulusLength: 1024 }).privateKey, subject: cn('x') }),
      'CSR_KEY_TOO_WEAK',
    ],
    [
      'secp256k1 key',
      () =>
        forgeCsrPem({
          privateKey: generateKeyPairSync('ec', { namedCurve: 'secp256k1' }).privateKey,
          subject: cn('x'),
        }),
      'CSR_UNSUPPORTED_KEY',
    ],
    [
      'P-521 key',
      () =>
        forgeCsrPem({
          privateKey: generateKeyPairSync('ec', { namedCurve: 'secp521r1' }).privateKey,
          subject: cn('x'),
          signatureOid: '1.2.840.10045.4.3.4',
          digest: 'sha512',
        }),
      'CSR_UNSUPPORTED_KEY',
    ],
    [
      'Ed25519 key',
      () =>
        forgeCsrPem({
          privateKey: generateKeyPairSync('ed25519').privateKey,
          subject: cn('x'),
          signatureOid: '1.3.101.112',
          digest: null,
        }),
      'CSR_UNSUPPORTED_KEY',
    ],
    [
      'a corrupted signature',
      () => forgeCsrPem({ privateKey: rsa(), subject: cn('x'), corruptSignature: true }),
      'CSR_BAD_SIGNATURE',
    ],
    [
      'a corrupted ECDSA signature',
      () => forgeCsrPem({ privateKey: ec(), subject: cn('x'), corruptSignature: true }),
      'CSR_BAD_SIGNATURE',
    ],
    [
      'signed by another key (no proof of possession)',
      () =>
        forgeCsrPem({
          privateKey: ec(),
          signingKey: generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).privateKey,
          subject: cn('x'),
        }),
      'CSR_BAD_SIGNATURE',
    ],
    [
      'SHA-1 signature',
      () => forgeCsrPem({ privateKey: rsa(), subject: cn('x'), signatureOid: '1.2.840.113549.1.1.5', digest: 'sha1' }),
      'CSR_UNSUPPORTED_SIGNATURE',
    ],
    [
      'an ECDSA algorithm on an RSA key',
      () => forgeCsrPem({ privateKey: rsa(), subject: cn('x'), signatureOid: '1.2.840.10045.4.3.2' }),
      'CSR_UNSUPPORTED_SIGNATURE',
    ],
    [
      'two CNs (CN=a,CN=b)',
      () =>
        forgeCsrPem({ privateKey: ec(), subject: [[{ oid: OIDS.cn, value: 'a' }], [{ oid: OIDS.cn, value: 'b' }]] }),
      'CSR_MULTIPLE_CN',
    ],
    [
      'no CN',
      () => forgeCsrPem({ privateKey: ec(), subject: [[{ oid: OIDS.o, value: 'Acme' }]] }),
      'CSR_SUBJECT_INVALID',
    ],
    ['empty subject', () => forgeCsrPem({ privateKey: ec(), subject: [] }), 'CSR_SUBJECT_INVALID'],
    ['empty CN', () => forgeCsrPem({ privateKey: ec(), subject: cn('') }), 'CSR_SUBJECT_INVALID'],
    [
      'a CN with a comma (DN injection)',
      () => forgeCsrPem({ privateKey: ec(), subject: cn('a,CN=admin') }),
      'CSR_SUBJECT_INVALID',
    ],
    ['a CN with =', () => forgeCsrPem({ privateKey: ec(), subject: cn('a=b') }), 'CSR_SUBJECT_INVALID'],
    ['a CN with +', () => forgeCsrPem({ privateKey: ec(), subject: cn('a+b') }), 'CSR_SUBJECT_INVALID'],
    ['a CN with CR LF', () => forgeCsrPem({ privateKey: ec(), subject: cn('a\r\nb') }), 'CSR_SUBJECT_INVALID'],
    ['a CN with NUL', () => forgeCsrPem({ privateKey: ec(), subject: cn('a\u0000b') }), 'CSR_SUBJECT_INVALID'],
    [
      'a control character in the O',
      () =>
        forgeCsrPem({
          privateKey: ec(),
          subject: [[{ oid: OIDS.o, value: 'x\u0007' }], [{ oid: OIDS.cn, value: 'a' }]],
        }),
      'CSR_SUBJECT_INVALID',
    ],
    [
      'a multi-valued RDN (CN=a+O=b)',
      () =>
        forgeCsrPem({
          privateKey: ec(),
          subject: [
            [
              { oid: OIDS.cn, value: 'a' },
              { oid: OIDS.o, value: 'b' },
            ],
          ],
        }),
      'CSR_SUBJECT_INVALID',
    ],
    [
      'a CN longer than 64',
      () => forgeCsrPem({ privateKey: ec(), subject: cn('x'.repeat(65)) }),
      'CSR_SUBJECT_INVALID',
    ],
    [
      'a directoryName SAN',
      () =>
        forgeCsrPem({
          privateKey: ec(),
          subject: cn('x'),
          sanGeneralNames: [generalName('dirName', Buffer.from([0x30, 0]))],
        }),
      'CSR_SAN_INVALID',
    ],
    [
      'a DNS SAN with a newline',
      () =>
        forgeCsrPem({ privateKey: ec(), subject: cn('x'), sanGeneralNames: [generalName('dns', 'a.example.com\nb')] }),
      'CSR_SAN_INVALID',
    ],
    [
      'an IP SAN of 5 bytes',
      () =>
        forgeCsrPem({
          privateKey: ec(),
          subject: cn('x'),
          sanGeneralNames: [generalName('ip', Buffer.from([1, 2, 3, 4, 5]))],
        }),
      'CSR_SAN_INVALID',
    ],
  ];

  // Rows as objects: with a positional row shorter than the callback's arity, jest would pass `done` instead.
  it.each(cases.map(([label, makeInput, expectedCode, options]) => ({ label, makeInput, expectedCode, options })))(
    'refuses $label',
    async ({ makeInput, expectedCode, options }) => {
      // prepare
      const input = makeInput();
      // act
      const code = await codeOf(parseCsr(input, options));
      // assess
      expect(code).toBe(expectedCode);
    },
  );

  it('checks the size cap before decoding anything', async () => {
    // prepare: a huge input that is not even PEM would be CSR_MALFORMED if it were parsed first
    const huge = '\u0000'.repeat(1024 * 1024);
    // act + assess
    expect(await codeOf(parseCsr(huge))).toBe('CSR_TOO_LARGE');
  });

  it('answers 400 with a message that does not echo the input', async () => {
    try {
      await parseCsr('secret-looking-garbage');
      throw new Error('expected a refusal');
    } catch (err) {
      expect((err as PkiError).status).toBe(400);
      expect((err as PkiError).message).not.toContain('secret-looking-garbage');
    }
  });
});

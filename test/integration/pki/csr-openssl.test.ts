/**
 * CSRs made by `openssl req`, the tool users actually run: good ones parse with their SANs, and each bad one
 * is refused with its own code.
 */
import { readFileSync } from 'node:fs';
import { parseCsr, PkiError } from '../../../shared/pki/index.js';
import { mapLimit } from '../../helpers/pki-hierarchy.js';
import { makeTempDir, openssl, type TempDir } from '../../helpers/tools.js';

let temp: TempDir;

beforeAll(() => {
  temp = makeTempDir();
});
afterAll(() => temp?.cleanup());

async function opensslCsr(name: string, args: string[]): Promise<string> {
  const out = temp.path(`${name}.csr`);
  const result = await openssl(['req', '-new', '-nodes', '-keyout', temp.path(`${name}.key`), '-out', out, ...args]);
  if (result.code !== 0) throw new Error(`openssl req failed for ${name}: ${result.stderr}`);
  return readFileSync(out, 'utf8');
}

async function codeOf(promise: Promise<unknown>): Promise<string | undefined> {
  try {
    await promise;
    return undefined;
  } catch (err) {
    return err instanceof PkiError ? err.code : `not a PkiError: ${String(err)}`;
  }
}

describe('CSRs from openssl req', () => {
  it.each([
    ['RSA-2048', ['-newkey', 'rsa:2048'], 'RSA_2048'],
    ['EC P-256', ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1'], 'EC_P256'],
    [
      'EC P-384 signed with SHA-384',
      ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:secp384r1', '-sha384'],
      'EC_P384',
    ],
  ] as const)('accepts %s with its SANs', async (name, keyArgs, keyAlgorithm) => {
    // prepare
    const pem = await opensslCsr(name.replace(/\W/g, ''), [
      ...keyArgs,
      '-subj',
      '/O=Acme/CN=device-42',
      '-addext',
      'subjectAltName=DNS:d42.example.com,IP:10.1.2.3,email:ops@example.com,URI:spiffe://example.org/d42',
    ]);
    // act
    const parsed = await parseCsr(pem);
    // assess
    expect(parsed).toMatchObject({
      commonName: 'device-42',
      keyAlgorithm,
      sans: {
        dns: ['d42.example.com'],
        ip: ['10.1.2.3'],
        email: ['ops@example.com'],
        uri: ['spiffe://example.org/d42'],
      },
    });
  });

  it('refuses each bad CSR with its own code', async () => {
    // prepare: every bad CSR, made with openssl where it can make it
    const good = () =>
      opensslCsr(`good-${Math.random().toString(36).slice(2)}`, [
        '-newkey',
        'ec',
        '-pkeyopt',
        'ec_paramgen_curve:prime256v1',
        '-subj',
        '/CN=ok',
      ]);
    const corrupt = async () => {
      const der = Buffer.from((await good()).replace(/-----[A-Z ]+-----/g, '').replace(/\s/g, ''), 'base64');
      der[der.length - 3] ^= 0x40; // inside the ECDSA signature's s value
      return `-----BEGIN CERTIFICATE REQUEST-----\n${der.toString('base64')}\n-----END CERTIFICATE REQUEST-----\n`;
    };
    const cases: Array<[string, () => Promise<string>, string]> = [
      ['RSA-1024', () => opensslCsr('rsa1024', ['-newkey', 'rsa:1024', '-subj', '/CN=weak']), 'CSR_KEY_TOO_WEAK'],
      [
        'secp256k1',
        () => opensslCsr('k1', ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:secp256k1', '-subj', '/CN=k1']),
        'CSR_UNSUPPORTED_KEY',
      ],
      [
        'P-521',
        () => opensslCsr('p521', ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:secp521r1', '-subj', '/CN=p521']),
        'CSR_UNSUPPORTED_KEY',
      ],
      ['Ed25519', () => opensslCsr('ed', ['-newkey', 'ed25519', '-subj', '/CN=ed']), 'CSR_UNSUPPORTED_KEY'],
      ['a corrupted signature byte', corrupt, 'CSR_BAD_SIGNATURE'],
      [
        'SHA-1 signature',
        () => opensslCsr('sha1', ['-newkey', 'rsa:2048', '-sha1', '-subj', '/CN=sha1']),
        'CSR_UNSUPPORTED_SIGNATURE',
      ],
      [
        'CN=a,CN=b (two CNs)',
        () => opensslCsr('twocn', ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-subj', '/CN=a/CN=b']),
        'CSR_MULTIPLE_CN',
      ],
      [
        'a comma in the CN',
        () =>
          opensslCsr('comma', ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-subj', '/CN=a,CN=admin']),
        'CSR_SUBJECT_INVALID',
      ],
      [
        'a multi-valued RDN',
        () =>
          opensslCsr('multi', [
            '-newkey',
            'ec',
            '-pkeyopt',
            'ec_paramgen_curve:prime256v1',
            '-multivalue-rdn',
            '-subj',
            '/CN=a+O=b',
          ]),
        'CSR_SUBJECT_INVALID',
      ],
      [
        'a control character in the CN',
        () =>
          opensslCsr('ctrl', [
            '-newkey',
            'ec',
            '-pkeyopt',
            'ec_paramgen_curve:prime256v1',
            '-utf8',
            '-subj',
            '/CN=a\u0007b',
          ]),
        'CSR_SUBJECT_INVALID',
      ],
      [
        'a newline in the CN',
        () =>
          opensslCsr('nl', ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-utf8', '-subj', '/CN=a\nb']),
        'CSR_SUBJECT_INVALID',
      ],
      [
        'no CN',
        () => opensslCsr('nocn', ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-subj', '/O=Acme']),
        'CSR_SUBJECT_INVALID',
      ],
      ['a padded CSR over 64 KiB', async () => (await good()) + ' '.repeat(64 * 1024), 'CSR_TOO_LARGE'],
      [
        'a private key instead of a CSR',
        async () => (await openssl(['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256'])).stdout,
        'CSR_MALFORMED',
      ],
      [
        'random bytes',
        async () => Buffer.from(Array.from({ length: 512 }, (_, i) => (i * 151) % 256)).toString('latin1'),
        'CSR_MALFORMED',
      ],
    ];
    // act
    const outcomes = await mapLimit(cases, 4, async ([label, make, expected]) => ({
      label,
      expected,
      code: await codeOf(parseCsr(await make())),
    }));
    // assess
    expect(outcomes.map(({ label, code }) => ({ label, code }))).toEqual(
      outcomes.map(({ label, expected }) => ({ label, code: expected })),
    );
  });
});

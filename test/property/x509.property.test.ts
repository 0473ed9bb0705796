// CSR and certificate parsing (shared/pki/csr.ts, inspect.ts) against a second implementation: requests and
// certificates built by @peculiar/x509 with random names, SANs, serials and dates read the same through our strict
// reader as through @peculiar/x509; a tampered CSR is refused with a PkiError, and one we accept is one
// @peculiar/x509 also verifies.
import { webcrypto } from 'node:crypto';
import { PkiError } from '../../shared/pki/errors.js';
import { buildCsr, generateKeyPair, inspectCertificate, parseCsr } from '../../shared/pki/index.js';
import { derToPem } from '../../shared/pki/pem.js';
import { x509 } from '../../shared/pki/x509.js';
import { EXPENSIVE, asyncOutcome, fc } from './settings.js';

type CryptoKeyPair = webcrypto.CryptoKeyPair;
const ALGORITHMS = {
  EC_P256: { gen: { name: 'ECDSA', namedCurve: 'P-256' }, sign: { name: 'ECDSA', hash: 'SHA-256' } },
  EC_P384: { gen: { name: 'ECDSA', namedCurve: 'P-384' }, sign: { name: 'ECDSA', hash: 'SHA-384' } },
} as const;
type Algorithm = keyof typeof ALGORITHMS;
const keys = {} as Record<Algorithm, CryptoKeyPair>;

beforeAll(async () => {
  for (const name of Object.keys(ALGORITHMS) as Algorithm[])
    keys[name] = (await webcrypto.subtle.generateKey(ALGORITHMS[name].gen, true, ['sign', 'verify'])) as CryptoKeyPair;
});

/** One textual form per address (RFC 5952 for IPv6), so both sides compare equal for the same bytes. */
const canonicalIp = (ip: string) => (ip.includes(':') ? new URL(`http://[${ip}]/`).hostname.slice(1, -1) : ip);

// ---- names and SANs our policy accepts (shared/pki/names.ts) ----
const cnChars = [...'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._ *()/@:éüßж中文'];
const commonNameArb = fc
  .array(fc.constantFrom(...cnChars), { minLength: 1, maxLength: 64 })
  .map((chars) => chars.join(''))
  .filter((cn) => cn.trim() === cn);
const labelArb = fc
  .tuple(fc.stringMatching(/^[a-z0-9]$/), fc.stringMatching(/^[a-z0-9-]{0,12}$/), fc.stringMatching(/^[a-z0-9]$/))
  .map(([a, mid, z]) => (mid ? `${a}${mid}${z}` : a));
const dnsArb = fc
  .tuple(fc.boolean(), fc.array(labelArb, { minLength: 1, maxLength: 4 }))
  .map(([wildcard, labels]) => `${wildcard ? '*.' : ''}${labels.join('.')}.example`);
const emailArb = fc
  .tuple(fc.stringMatching(/^[A-Za-z0-9.+_-]{1,20}$/), fc.array(labelArb, { minLength: 1, maxLength: 3 }))
  .map(([local, labels]) => `${local}@${labels.join('.')}.example`);
const sansArb = fc.record({
  dns: fc.array(dnsArb, { maxLength: 3 }),
  email: fc.array(emailArb, { maxLength: 2 }),
  // RFC 5952 text: @peculiar/x509 encodes an IPv6 written with an IPv4 tail (::ffff:1.2.3.4) to the wrong bytes,
  // which is why our builders canonicalize first (checked below with every spelling).
  ip: fc.array(
    fc.oneof(
      fc.ipV4(),
      fc.ipV6().map((ip) => canonicalIp(ip)),
    ),
    { maxLength: 2 },
  ),
  // Plain RFC 3986 ASCII without dot segments or encoded separators, the URIs the SAN policy accepts.
  uri: fc.array(
    fc
      .tuple(
        fc.constantFrom('https', 'spiffe', 'urn'),
        fc.array(labelArb, { minLength: 1, maxLength: 2 }),
        fc.array(fc.stringMatching(/^[A-Za-z0-9_~-]{1,8}$/), { maxLength: 3 }),
      )
      .map(([scheme, host, path]) =>
        scheme === 'urn'
          ? `urn:example:${[...host, ...path].join(':')}`
          : `${scheme}://${host.join('.')}.example/${path.join('/')}`,
      ),
    { maxLength: 2 },
  ),
});
type Sans = { dns: string[]; email: string[]; ip: string[]; uri: string[] };

const normalized = (sans: Sans) => ({ ...sans, ip: sans.ip.map(canonicalIp) });

function sanExtension(sans: Sans): x509.Extension[] {
  const names: x509.JsonGeneralNames = [
    ...sans.dns.map((value) => ({ type: 'dns' as const, value })),
    ...sans.email.map((value) => ({ type: 'email' as const, value })),
    ...sans.uri.map((value) => ({ type: 'url' as const, value })),
    ...sans.ip.map((value) => ({ type: 'ip' as const, value })),
  ];
  return names.length ? [new x509.SubjectAlternativeNameExtension(names)] : [];
}

/** What @peculiar/x509 reads from the SAN extension (found by OID: its getExtension misses it on CSRs), in our shape. */
function theirSans(extensions: readonly x509.Extension[]): Sans {
  const out: Sans = { dns: [], email: [], ip: [], uri: [] };
  const raw = extensions.find((e) => e.type === '2.5.29.17');
  const extension = raw ? new x509.SubjectAlternativeNameExtension(raw.rawData) : undefined;
  for (const name of extension?.names.toJSON() ?? []) {
    if (name.type === 'dns') out.dns.push(name.value);
    else if (name.type === 'email') out.email.push(name.value);
    else if (name.type === 'url') out.uri.push(name.value);
    else if (name.type === 'ip') out.ip.push(canonicalIp(name.value));
  }
  return out;
}

const theirCommonName = (name: x509.Name) => name.getField('CN')[0] ?? name.getField('2.5.4.3')[0];

async function peculiarCsr(algorithm: Algorithm, commonName: string, sans: Sans) {
  return x509.Pkcs10CertificateRequestGenerator.create({
    name: new x509.Name([{ '2.5.4.3': [commonName] }]),
    keys: keys[algorithm],
    signingAlgorithm: ALGORITHMS[algorithm].sign,
    extensions: sanExtension(sans),
  });
}

describe('CSRs: ours and @peculiar/x509 agree', () => {
  it('reads the CN, the SANs and the key of any CSR our policy accepts, as @peculiar/x509 does', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom<Algorithm>('EC_P256', 'EC_P384'),
        commonNameArb,
        sansArb,
        async (algorithm, commonName, sans) => {
          const csr = await peculiarCsr(algorithm, commonName, sans);
          const theirs = new x509.Pkcs10CertificateRequest(csr.toString('pem'));
          const ours = await parseCsr(csr.toString('pem'));
          expect(await theirs.verify()).toBe(true);
          expect(ours.commonName).toBe(theirCommonName(theirs.subjectName));
          expect(ours.commonName).toBe(commonName);
          expect(ours.sans).toEqual(theirSans(theirs.extensions));
          expect(ours.sans).toEqual(normalized(sans));
          expect(ours.keyAlgorithm).toBe(algorithm);
          expect(ours.pem).toBe(derToPem('CERTIFICATE REQUEST', Buffer.from(theirs.rawData)));
        },
      ),
      EXPENSIVE,
    );
  });

  it('refuses a tampered CSR with a PkiError; one it accepts, @peculiar/x509 verifies too', async () => {
    const csr = await peculiarCsr('EC_P256', 'device-7.example.com', {
      dns: ['device-7.example.com'],
      email: [],
      ip: ['192.0.2.7'],
      uri: [],
    });
    const der = Buffer.from(csr.rawData);
    const edits = fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 3 });
    await fc.assert(
      fc.asyncProperty(edits, fc.nat(), async (changes, cut) => {
        let tampered = Buffer.from(der);
        for (const [at, value] of changes) tampered[at % tampered.length] = value;
        if (cut % 4 === 0) tampered = tampered.subarray(0, cut % tampered.length);
        const pem = derToPem('CERTIFICATE REQUEST', tampered);
        const result = await asyncOutcome(() => parseCsr(pem));
        if (!result.ok) {
          expect(result.error).toBeInstanceOf(PkiError);
          expect((result.error as PkiError).status).toBe(400);
          return;
        }
        // Accepted: the bytes the signature covers are intact (only an equivalent or unsigned byte changed).
        const theirs = new x509.Pkcs10CertificateRequest(tampered);
        expect(await theirs.verify()).toBe(true);
        expect(result.value.commonName).toBe(theirCommonName(theirs.subjectName));
      }),
      { numRuns: 60 },
    );
  });
});

describe('IP SANs in any spelling', () => {
  it('buildCsr puts the address itself in the request, however it was written', async () => {
    const keyPair = await generateKeyPair('EC_P256');
    // Spellings of one IPv6 address: compressed, full, upper case, with an IPv4 tail.
    const spellings = fc.ipV6().map((ip) => {
      const bytes = ipv6Bytes(canonicalIp(ip));
      const groups = Array.from({ length: 8 }, (_, i) => bytes.readUInt16BE(i * 2).toString(16));
      return {
        canonical: canonicalIp(ip),
        forms: [
          ip,
          groups.join(':'),
          groups.join(':').toUpperCase(),
          `${groups.slice(0, 6).join(':')}:${[...bytes.subarray(12)].join('.')}`,
        ],
      };
    });
    await fc.assert(
      fc.asyncProperty(spellings, async ({ canonical, forms }) => {
        const csr = await buildCsr({ keyPair, commonName: 'ip.example', sans: { ip: forms } });
        expect((await parseCsr(csr)).sans.ip).toEqual(forms.map(() => canonical));
      }),
      EXPENSIVE,
    );
  });
});

/** The 16 bytes of an RFC 5952 IPv6 text (no IPv4 tail: canonicalIp never writes one except for ::ffff:...). */
function ipv6Bytes(text: string): Buffer {
  const url = new URL(`http://[${text}]/`).hostname.slice(1, -1);
  const [head, tail = ''] = url.split('::');
  const h = head ? head.split(':') : [];
  const t = url.includes('::') ? (tail ? tail.split(':') : []) : [];
  const groups = url.includes('::') ? [...h, ...Array(8 - h.length - t.length).fill('0'), ...t] : h;
  return Buffer.from(groups.map((g) => g.padStart(4, '0')).join(''), 'hex');
}

describe('certificates: ours and @peculiar/x509 agree', () => {
  const serialArb = fc
    .tuple(fc.integer({ min: 1, max: 0x7f }), fc.uint8Array({ maxLength: 19 }))
    .map(([first, rest]) => Buffer.from([first, ...rest]).toString('hex'));
  // Whole seconds from 1970 to 2100: UTCTime before 2050, GeneralizedTime after.
  const dateArb = fc.integer({ min: 0, max: 4102444799 }).map((s) => new Date(s * 1000));

  it('reads serial, names, SANs, validity and fingerprint of random certificates', async () => {
    await fc.assert(
      fc.asyncProperty(
        serialArb,
        commonNameArb,
        sansArb,
        dateArb,
        dateArb,
        async (serialNumber, commonName, sans, a, b) => {
          const [notBefore, notAfter] = a <= b ? [a, b] : [b, a];
          const certificate = await x509.X509CertificateGenerator.createSelfSigned({
            serialNumber,
            name: new x509.Name([{ '2.5.4.3': [commonName] }]),
            notBefore,
            notAfter,
            keys: keys.EC_P256,
            signingAlgorithm: ALGORITHMS.EC_P256.sign,
            extensions: sanExtension(sans),
          });
          const theirs = new x509.X509Certificate(certificate.toString('pem'));
          const ours = inspectCertificate(certificate.toString('pem'));
          expect(ours.serialNumber).toBe(theirs.serialNumber.toLowerCase().replace(/^(00)+(?=.)/, ''));
          expect(ours.serialNumber).toBe(serialNumber);
          expect(ours.commonName).toBe(theirCommonName(theirs.subjectName));
          expect(ours.sans).toEqual(theirSans(theirs.extensions));
          expect(ours.sans).toEqual(normalized(sans));
          expect([ours.notBefore, ours.notAfter]).toEqual([theirs.notBefore, theirs.notAfter]);
          expect([ours.notBefore, ours.notAfter]).toEqual([notBefore, notAfter]);
          expect(ours.fingerprintSha256).toBe(Buffer.from(await theirs.getThumbprint('SHA-256')).toString('hex'));
        },
      ),
      EXPENSIVE,
    );
  });
});

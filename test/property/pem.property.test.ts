// PEM scanning (shared/pki/pem.ts) against random input: any text gives blocks or a PkiError; what derToPem writes
// reads back, alone or among other blocks and comment text; equivalent spellings of a block (CRLF, other line widths,
// indentation) read as the same bytes; a body that is not strict base64 is refused. Differential: @peculiar/x509's
// PemConverter and `openssl asn1parse` read our PEM as the same DER.
import { PkiError } from '../../shared/pki/errors.js';
import { derToPem, pemBlocks } from '../../shared/pki/pem.js';
import { x509 } from '../../shared/pki/x509.js';
import { runTool } from '../helpers/tools.js';
import { fc, outcome } from './settings.js';

const labelArb = fc.constantFrom('CERTIFICATE', 'CERTIFICATE REQUEST', 'PRIVATE KEY', 'X509 CRL', 'PKCS7', 'A 9 Z');
const derArb = fc.uint8Array({ minLength: 1, maxLength: 400 }).map((bytes) => Buffer.from(bytes));
/** Text between blocks, as OpenSSL tolerates it; it must not itself start a block. */
const commentArb = fc
  .string({ maxLength: 40 })
  .filter((text) => !text.includes('-----BEGIN') && !text.includes('-----END'));

/** The same block, spelled another way: line width, line endings, indentation of the body. */
function respell(label: string, der: Buffer, width: number, eol: string, indent: string): string {
  const lines = der.toString('base64').match(new RegExp(`.{1,${width}}`, 'g')) ?? [];
  return [`-----BEGIN ${label}-----`, ...lines.map((l) => indent + l), `-----END ${label}-----`].join(eol) + eol;
}

describe('PEM scanning', () => {
  it('reads back what derToPem wrote, with the canonical PEM', () => {
    fc.assert(
      fc.property(labelArb, derArb, (label, der) => {
        const pem = derToPem(label, der);
        const [block, ...rest] = pemBlocks(pem);
        expect(rest).toEqual([]);
        expect(block).toEqual({ label, der, pem });
        expect(pem.split('\n').every((line) => line.length <= 64)).toBe(true);
      }),
    );
  });

  it('finds every block, in order, among comment text', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(commentArb, labelArb, derArb), { maxLength: 5 }), commentArb, (parts, tail) => {
        const text = parts.map(([comment, label, der]) => comment + derToPem(label, der)).join('') + tail;
        expect(pemBlocks(text).map((b) => [b.label, b.der])).toEqual(parts.map(([, label, der]) => [label, der]));
      }),
    );
  });

  it('reads equivalent spellings of a block as the same bytes', () => {
    fc.assert(
      fc.property(
        labelArb,
        derArb,
        fc.integer({ min: 4, max: 120 }).map((n) => n - (n % 4)),
        fc.constantFrom('\n', '\r\n'),
        fc.constantFrom('', ' ', '\t', '  '),
        (label, der, width, eol, indent) => {
          const [block] = pemBlocks(respell(label, der, width, eol, indent));
          expect(block.der).toEqual(der);
          expect(block.pem).toBe(derToPem(label, der));
        },
      ),
    );
  });

  it('answers blocks or throws PkiError for any text (never another error)', () => {
    const pemish = fc.oneof(
      fc.string({ maxLength: 200 }),
      fc.tuple(labelArb, derArb, fc.nat(), fc.string({ minLength: 1, maxLength: 3 })).map(([label, der, at, junk]) => {
        const pem = derToPem(label, der);
        const i = at % pem.length;
        return pem.slice(0, i) + junk + pem.slice(i);
      }),
    );
    fc.assert(
      fc.property(pemish, (text) => {
        const result = outcome(() => pemBlocks(text, 'CSR_MALFORMED'));
        if (!result.ok) {
          expect(result.error).toBeInstanceOf(PkiError);
          expect(result.error).toMatchObject({ code: 'CSR_MALFORMED', status: 400 });
        }
      }),
    );
  });

  it('refuses a body with a character outside base64, or a BEGIN without END', () => {
    fc.assert(
      fc.property(labelArb, derArb, fc.nat(), fc.constantFrom('!', '-', '.', '_', '*', 'é'), (label, der, at, bad) => {
        const body = der.toString('base64');
        const i = at % body.length;
        const corrupted = `-----BEGIN ${label}-----\n${body.slice(0, i)}${bad}${body.slice(i)}\n-----END ${label}-----\n`;
        expect(() => pemBlocks(corrupted)).toThrow(PkiError);
        expect(() => pemBlocks(derToPem(label, der).replace(`-----END ${label}-----`, ''))).toThrow(PkiError);
      }),
    );
  });
});

describe('differential', () => {
  it('@peculiar/x509 decodes our PEM to the same DER, and we decode its PEM', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(labelArb, derArb), { minLength: 1, maxLength: 4 }), (blocks) => {
        const ours = blocks.map(([label, der]) => derToPem(label, der)).join('');
        const decoded = x509.PemConverter.decode(ours).map((b) => Buffer.from(b));
        expect(decoded).toEqual(blocks.map(([, der]) => der));
        for (const [label, der] of blocks) {
          const theirs = x509.PemConverter.encode(der, label);
          expect(pemBlocks(theirs).map((b) => b.der)).toEqual([der]);
        }
      }),
    );
  });

  it('openssl asn1parse reads our PEM as the DER inside it', async () => {
    // A SEQUENCE of random OCTET STRINGs: openssl decodes the base64, then the DER.
    const seqArb = fc.array(fc.uint8Array({ maxLength: 90 }), { minLength: 1, maxLength: 6 }).map((items) => {
      const octets = items.map((b) => Buffer.concat([Buffer.from([0x04, b.length]), b]));
      const content = Buffer.concat(octets);
      const length = content.length < 128 ? [content.length] : [0x82, content.length >> 8, content.length & 0xff];
      return { der: Buffer.concat([Buffer.from([0x30, ...length]), content]), items };
    });
    await fc.assert(
      fc.asyncProperty(seqArb, fc.constantFrom('\n', '\r\n'), async ({ der, items }, eol) => {
        const pem = derToPem('SEQUENCE', der).replace(/\n/g, eol);
        const run = await runTool('openssl', ['asn1parse', '-inform', 'PEM'], { input: pem });
        expect(run.code).toBe(0);
        const lengths = [...run.stdout.matchAll(/d=1\s+hl=2 l=\s*(\d+) prim: OCTET STRING/g)].map((m) => Number(m[1]));
        expect(lengths).toEqual(items.map((b) => b.length));
        expect(pemBlocks(pem)[0].der).toEqual(der);
      }),
      { numRuns: 5 },
    );
  });
});

// The strict DER reader (shared/pki/der.ts) against random input: whatever the bytes, it answers an element that lies
// within them or throws DerError (never another error, never a read out of bounds); what the writer encodes reads
// back to the same tree; a length that is not minimal is refused. Differential: DER the reader accepts is parsed by
// `openssl asn1parse` into the same elements (offset, depth, header length, length).
import {
  DerError,
  TAG,
  decodeOid,
  decodeString,
  explicit,
  implicitPrimitive,
  integer,
  octetString,
  oid,
  readChildren,
  readElement,
  readSingle,
  sequence,
  set,
  type DerElement,
} from '../../shared/pki/der.js';
import { runTool } from '../helpers/tools.js';
import { fc, outcome } from './settings.js';

/** A tree of DER values the writer can build, and the builder for it. */
type Node =
  | { kind: 'int'; value: number }
  | { kind: 'octets'; value: Uint8Array }
  | { kind: 'oid'; value: string }
  | { kind: 'implicit'; tag: number; value: Uint8Array }
  | { kind: 'seq' | 'set'; items: Node[] }
  | { kind: 'explicit'; tag: number; inner: Node };

const oidArb = fc
  .tuple(
    fc.integer({ min: 0, max: 2 }),
    fc.integer({ min: 0, max: 39 }),
    fc.array(fc.oneof(fc.integer({ min: 0, max: 127 }), fc.integer({ min: 0, max: 2 ** 40 })), { maxLength: 8 }),
  )
  .map(([a, b, rest]) => [a, b, ...rest].join('.'));

const nodeArb: fc.Arbitrary<Node> = fc.letrec<{ node: Node }>((tie) => ({
  node: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.record({ kind: fc.constant('int' as const), value: fc.nat() }),
    fc.record({ kind: fc.constant('octets' as const), value: fc.uint8Array({ maxLength: 300 }) }),
    fc.record({ kind: fc.constant('oid' as const), value: oidArb }),
    fc.record({
      kind: fc.constant('implicit' as const),
      tag: fc.integer({ min: 0, max: 30 }),
      value: fc.uint8Array({ maxLength: 40 }),
    }),
    fc.record({
      kind: fc.constantFrom('seq' as const, 'set' as const),
      items: fc.array(tie('node'), { maxLength: 5 }),
    }),
    fc.record({ kind: fc.constant('explicit' as const), tag: fc.integer({ min: 0, max: 30 }), inner: tie('node') }),
  ),
})).node;

function encode(node: Node): Buffer {
  switch (node.kind) {
    case 'int':
      return integer(node.value);
    case 'octets':
      return octetString(Buffer.from(node.value));
    case 'oid':
      return oid(node.value);
    case 'implicit':
      return implicitPrimitive(node.tag, Buffer.from(node.value));
    case 'seq':
      return sequence(...node.items.map(encode));
    case 'set':
      return set(...node.items.map(encode));
    case 'explicit':
      return explicit(node.tag, encode(node.inner));
  }
}

/** Reads a tree back: constructed elements (bit 6 of the tag) are read as their children. */
function walk(element: DerElement, depth = 0, offset = 0, out: Array<[number, number, number, number]> = []) {
  const header = element.raw.length - element.content.length;
  out.push([offset, depth, header, element.content.length]);
  if (element.tag & 0x20) {
    let childOffset = offset + header;
    for (const child of readChildren(element)) {
      walk(child, depth + 1, childOffset, out);
      childOffset += child.raw.length;
    }
  }
  return out;
}

function decodeTree(element: DerElement): unknown {
  if (element.tag & 0x20) return { tag: element.tag, children: readChildren(element).map(decodeTree) };
  if (element.tag === TAG.OID) return { oid: decodeOid(element) };
  return { tag: element.tag, content: element.content.toString('hex') };
}

function canonical(node: Node): unknown {
  switch (node.kind) {
    case 'int':
      return { tag: TAG.INTEGER, content: integer(node.value).subarray(2).toString('hex') };
    case 'octets':
      return { tag: TAG.OCTET_STRING, content: Buffer.from(node.value).toString('hex') };
    case 'oid':
      return { oid: node.value };
    case 'implicit':
      return { tag: 0x80 | node.tag, content: Buffer.from(node.value).toString('hex') };
    case 'seq':
      return { tag: TAG.SEQUENCE, children: node.items.map(canonical) };
    case 'set': {
      // DER sorts SET OF by encoding: compare with the items in that order.
      const sorted = [...node.items].sort((a, b) => Buffer.compare(encode(a), encode(b)));
      return { tag: TAG.SET, children: sorted.map(canonical) };
    }
    case 'explicit':
      return { tag: 0xa0 | node.tag, children: [canonical(node.inner)] };
  }
}

/** Reads everything reachable, as a hostile caller would make the parsers do. */
function readEverything(buffer: Buffer): void {
  const visit = (element: DerElement) => {
    expect(element.raw.length).toBeLessThanOrEqual(buffer.length);
    if (element.tag & 0x20) readChildren(element).forEach(visit);
    else if (element.tag === TAG.OID) decodeOid(element);
    else decodeString(element);
  };
  visit(readSingle(buffer));
}

describe('DER reader on arbitrary bytes', () => {
  it('answers an element inside the buffer, or throws DerError', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), fc.nat({ max: 70 }), (bytes, offset) => {
        const buffer = Buffer.from(bytes);
        const result = outcome(() => readElement(buffer, offset));
        if (!result.ok) return expect(result.error).toBeInstanceOf(DerError);
        const element = result.value;
        expect(element.raw.byteOffset - buffer.byteOffset).toBe(offset);
        expect(offset + element.raw.length).toBeLessThanOrEqual(buffer.length);
        expect(element.content.byteOffset + element.content.length).toBe(element.raw.byteOffset + element.raw.length);
        expect(element.raw[0]).toBe(element.tag);
      }),
    );
  });

  it('reads a whole random tree, or throws DerError (never a RangeError, TypeError or a hang)', () => {
    const bytes = fc.oneof(
      fc.uint8Array({ maxLength: 200 }),
      // Mostly-valid input reaches deeper: a real encoding with a few bytes changed, cut or appended.
      fc
        .tuple(nodeArb, fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 4 }), fc.nat())
        .map(([node, edits, cut]) => {
          const buffer = Buffer.from(encode(node));
          for (const [at, value] of edits) if (buffer.length > 0) buffer[at % buffer.length] = value;
          return cut % 3 === 0 ? buffer.subarray(0, cut % (buffer.length + 1)) : buffer;
        }),
    );
    fc.assert(
      fc.property(bytes, (input) => {
        const result = outcome(() => readEverything(Buffer.from(input)));
        if (!result.ok) expect(result.error).toBeInstanceOf(DerError);
      }),
    );
  });

  it('decodes any OID content to dotted arcs, or throws DerError', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 30 }), (content) => {
        const element = readSingle(Buffer.concat([Buffer.from([TAG.OID, content.length]), content]));
        const result = outcome(() => decodeOid(element));
        if (result.ok) expect(result.value).toMatch(/^[0-2](\.\d+)+$/);
        else expect(result.error).toBeInstanceOf(DerError);
      }),
    );
  });

  it('refuses a length that is not minimal, whatever the element', () => {
    fc.assert(
      fc.property(nodeArb, fc.integer({ min: 1, max: 3 }), (node, extraBytes) => {
        const der = encode(node);
        const element = readSingle(der);
        const length = element.content.length;
        // The same length in long form with leading zero bytes (or long form for a length under 128).
        const lengthBytes: number[] = [];
        for (let n = length; n > 0; n = Math.floor(n / 256)) lengthBytes.unshift(n & 0xff);
        const padded = [...Array(extraBytes).fill(0), ...lengthBytes].slice(-4);
        if (padded.length === lengthBytes.length && length >= 0x80) return; // nothing to pad within 4 bytes
        const bloated = Buffer.concat([Buffer.from([element.tag, 0x80 | padded.length, ...padded]), element.content]);
        expect(() => readSingle(bloated)).toThrow(DerError);
      }),
    );
  });
});

describe('DER writer and reader agree', () => {
  it('reads back the tree the writer encoded', () => {
    fc.assert(
      fc.property(nodeArb, (node) => {
        expect(decodeTree(readSingle(encode(node)))).toEqual(canonical(node));
      }),
    );
  });

  it('encodes any non-negative safe integer minimally and reads it back', () => {
    fc.assert(
      fc.property(fc.maxSafeNat(), (value) => {
        const content = readSingle(integer(value)).content;
        expect(BigInt(`0x${content.toString('hex')}`)).toBe(BigInt(value));
        expect(content[0] & 0x80).toBe(0); // never negative
        if (content.length > 1) expect(content[0] !== 0 || (content[1] & 0x80) !== 0).toBe(true); // no redundant zero
      }),
    );
  });

  it('round-trips any OID', () => {
    fc.assert(fc.property(oidArb, (dotted) => expect(decodeOid(readSingle(oid(dotted)))).toBe(dotted)));
  });
});

describe('differential: openssl asn1parse', () => {
  /** `openssl asn1parse` lines: `    0:d=0  hl=2 l=  10 cons: SEQUENCE`. */
  function parseAsn1parse(stdout: string): Array<[number, number, number, number]> {
    return stdout
      .split('\n')
      .map((line) => /^\s*(\d+):d=(\d+)\s+hl=(\d+)\s+l=\s*(\d+)/.exec(line))
      .filter((m): m is RegExpExecArray => m !== null)
      .map((m) => [Number(m[1]), Number(m[2]), Number(m[3]), Number(m[4])]);
  }

  it('sees the same elements as our reader in DER the writer produced', async () => {
    // Several trees under one SEQUENCE per openssl process: one process start per run.
    await fc.assert(
      fc.asyncProperty(fc.array(nodeArb, { minLength: 1, maxLength: 8 }), async (nodes) => {
        const der = sequence(...nodes.map(encode));
        const run = await runTool('openssl', ['asn1parse', '-inform', 'DER'], { input: der });
        expect(run.code).toBe(0);
        expect(parseAsn1parse(run.stdout)).toEqual(walk(readSingle(der)));
      }),
      { numRuns: 8 },
    );
  });

  it.each([
    ['indefinite length', '3080020100 0000'],
    ['length runs past the input', '300502010002'],
    ['non-minimal length', '30810302 0100'],
  ])('refuses BER that is not DER (%s)', (_what, hex) => {
    expect(() => readSingle(Buffer.from(hex.replace(/ /g, ''), 'hex'))).toThrow(DerError);
  });
});

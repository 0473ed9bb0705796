/**
 * A minimal DER writer and a strict, bounds-checked DER reader: just what PKCS#12 assembly and CSR/certificate
 * parsing need. The reader refuses indefinite lengths, non-minimal lengths and elements that run past their
 * parent, so hostile input fails with a thrown DerError instead of reading out of bounds.
 */
export class DerError extends Error {}

export const TAG = {
  BOOLEAN: 0x01,
  INTEGER: 0x02,
  BIT_STRING: 0x03,
  OCTET_STRING: 0x04,
  NULL: 0x05,
  OID: 0x06,
  UTF8_STRING: 0x0c,
  PRINTABLE_STRING: 0x13,
  TELETEX_STRING: 0x14,
  IA5_STRING: 0x16,
  UTC_TIME: 0x17,
  GENERALIZED_TIME: 0x18,
  UNIVERSAL_STRING: 0x1c,
  BMP_STRING: 0x1e,
  SEQUENCE: 0x30,
  SET: 0x31,
} as const;

// ---------- writer ----------

function encodeLength(length: number): Buffer {
  if (length < 0x80) return Buffer.from([length]);
  const bytes: number[] = [];
  for (let n = length; n > 0; n = Math.floor(n / 256)) bytes.unshift(n & 0xff);
  return Buffer.from([0x80 | bytes.length, ...bytes]);
}

export function tlv(tag: number, content: Buffer): Buffer {
  return Buffer.concat([Buffer.from([tag]), encodeLength(content.length), content]);
}

export function sequence(...items: Buffer[]): Buffer {
  return tlv(TAG.SEQUENCE, Buffer.concat(items));
}

/** DER wants SET OF elements sorted by their encoding. */
export function set(...items: Buffer[]): Buffer {
  return tlv(TAG.SET, Buffer.concat([...items].sort(Buffer.compare)));
}

export function integer(value: number | Buffer): Buffer {
  let bytes: Buffer;
  if (typeof value === 'number') {
    if (!Number.isSafeInteger(value) || value < 0) throw new DerError('only non-negative safe integers are encoded');
    const out: number[] = [];
    for (let n = value; n > 0; n = Math.floor(n / 256)) out.unshift(n & 0xff);
    bytes = Buffer.from(out.length === 0 ? [0] : out);
  } else {
    let start = 0;
    while (start < value.length - 1 && value[start] === 0) start++;
    bytes = value.subarray(start);
  }
  // A set top bit would read as negative: prefix a zero byte.
  if (bytes.length === 0 || (bytes[0] & 0x80) !== 0) bytes = Buffer.concat([Buffer.from([0]), bytes]);
  return tlv(TAG.INTEGER, bytes);
}

export function octetString(content: Buffer): Buffer {
  return tlv(TAG.OCTET_STRING, content);
}

export function nullValue(): Buffer {
  return Buffer.from([TAG.NULL, 0]);
}

export function oid(dotted: string): Buffer {
  const parts = dotted.split('.').map((p) => Number(p));
  if (parts.length < 2 || parts.some((p) => !Number.isSafeInteger(p) || p < 0)) throw new DerError(`bad OID ${dotted}`);
  const body: number[] = [];
  const arcs = [parts[0] * 40 + parts[1], ...parts.slice(2)];
  for (const arc of arcs) {
    const chunk: number[] = [arc & 0x7f];
    for (let n = Math.floor(arc / 128); n > 0; n = Math.floor(n / 128)) chunk.unshift((n & 0x7f) | 0x80);
    body.push(...chunk);
  }
  return tlv(TAG.OID, Buffer.from(body));
}

/** BMPString (UTF-16BE), the type PKCS#12 uses for friendlyName. */
export function bmpString(text: string): Buffer {
  return tlv(TAG.BMP_STRING, Buffer.from(text, 'utf16le').swap16());
}

/** [n] EXPLICIT: a constructed context-specific wrapper around one element. */
export function explicit(tagNumber: number, inner: Buffer): Buffer {
  return tlv(0xa0 | tagNumber, inner);
}

/** [n] IMPLICIT for a primitive type (e.g. the OCTET STRING of EncryptedContentInfo.encryptedContent). */
export function implicitPrimitive(tagNumber: number, content: Buffer): Buffer {
  return tlv(0x80 | tagNumber, content);
}

// ---------- reader ----------

export interface DerElement {
  tag: number;
  /** the whole element, header included */
  raw: Buffer;
  /** the content octets */
  content: Buffer;
}

export function readElement(buffer: Buffer, offset = 0): DerElement {
  if (offset + 2 > buffer.length) throw new DerError('truncated element');
  const tag = buffer[offset];
  if ((tag & 0x1f) === 0x1f) throw new DerError('high tag numbers are not supported');
  let length = buffer[offset + 1];
  let header = 2;
  if (length & 0x80) {
    const count = length & 0x7f;
    if (count === 0) throw new DerError('indefinite length is not DER');
    if (count > 4) throw new DerError('length too large');
    if (offset + 2 + count > buffer.length) throw new DerError('truncated length');
    length = 0;
    for (let i = 0; i < count; i++) length = length * 256 + buffer[offset + 2 + i];
    if (length < 0x80 || buffer[offset + 2] === 0) throw new DerError('non-minimal length');
    header += count;
  }
  const end = offset + header + length;
  if (end > buffer.length) throw new DerError('element runs past its parent');
  return { tag, raw: buffer.subarray(offset, end), content: buffer.subarray(offset + header, end) };
}

/** Reads exactly one element that fills the whole buffer. */
export function readSingle(buffer: Buffer): DerElement {
  const element = readElement(buffer, 0);
  if (element.raw.length !== buffer.length) throw new DerError('trailing bytes after the element');
  return element;
}

export function readChildren(parent: DerElement): DerElement[] {
  if ((parent.tag & 0x20) === 0) throw new DerError('primitive element has no children');
  const children: DerElement[] = [];
  for (let offset = 0; offset < parent.content.length; ) {
    const child = readElement(parent.content, offset);
    children.push(child);
    offset += child.raw.length;
  }
  return children;
}

export function expectTag(element: DerElement | undefined, tag: number, what: string): DerElement {
  if (!element || element.tag !== tag) throw new DerError(`expected ${what}`);
  return element;
}

export function decodeOid(element: DerElement): string {
  expectTag(element, TAG.OID, 'OBJECT IDENTIFIER');
  const bytes = element.content;
  if (bytes.length === 0) throw new DerError('empty OID');
  const arcs: number[] = [];
  let value = 0;
  for (let i = 0; i < bytes.length; i++) {
    value = value * 128 + (bytes[i] & 0x7f);
    if (value > Number.MAX_SAFE_INTEGER / 128) throw new DerError('OID arc too large');
    if ((bytes[i] & 0x80) === 0) {
      arcs.push(value);
      value = 0;
    } else if (i === bytes.length - 1) {
      throw new DerError('truncated OID');
    }
  }
  const first = arcs[0] < 80 ? Math.floor(arcs[0] / 40) : 2;
  return [first, arcs[0] - first * 40, ...arcs.slice(1)].join('.');
}

/** Decodes the ASN.1 string types used in names and SANs; null for anything that is not a string type. */
export function decodeString(element: DerElement): string | null {
  switch (element.tag) {
    case TAG.UTF8_STRING:
      return element.content.toString('utf8');
    case TAG.PRINTABLE_STRING:
    case TAG.IA5_STRING:
    case TAG.TELETEX_STRING:
      return element.content.toString('latin1');
    case TAG.BMP_STRING: {
      if (element.content.length % 2 !== 0) throw new DerError('odd BMPString');
      return Buffer.from(element.content).swap16().toString('utf16le');
    }
    case TAG.UNIVERSAL_STRING: {
      if (element.content.length % 4 !== 0) throw new DerError('bad UniversalString');
      const points: number[] = [];
      for (let i = 0; i < element.content.length; i += 4) points.push(element.content.readUInt32BE(i));
      try {
        return String.fromCodePoint(...points);
      } catch {
        throw new DerError('bad UniversalString');
      }
    }
    default:
      return null;
  }
}

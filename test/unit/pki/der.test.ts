import {
  DerError,
  decodeOid,
  integer,
  oid,
  readChildren,
  readElement,
  readSingle,
  sequence,
  set,
  octetString,
} from '../../../shared/pki/der.js';

describe('DER writer', () => {
  it.each([
    [0, '020100'],
    [127, '02017f'],
    [128, '02020080'],
    [2048, '02020800'],
    [Buffer.from([0x00, 0x00, 0x05]), '020105'],
    [Buffer.from([0xff]), '020200ff'],
  ] as const)('encodes INTEGER %p minimally and positive', (value, hex) => {
    expect(integer(value as number | Buffer).toString('hex')).toBe(hex);
  });

  it.each(['1.2.840.113549.1.12.10.1.2', '2.16.840.1.101.3.4.1.42', '1.3.14.3.2.26', '2.5.29.17'])(
    'round-trips OID %s',
    (dotted) => {
      expect(decodeOid(readSingle(oid(dotted)))).toBe(dotted);
    },
  );

  it('encodes long lengths and sorts SET OF by encoding', () => {
    const big = octetString(Buffer.alloc(300));
    expect(big.subarray(0, 4).toString('hex')).toBe('0482012c');
    expect(set(Buffer.from('0401ff', 'hex'), Buffer.from('040100', 'hex')).toString('hex')).toBe(
      '3106040100' + '0401ff',
    );
  });
});

describe('DER reader refuses hostile input', () => {
  it.each([
    ['truncated header', '30'],
    ['length past the end', '300a0201'],
    ['indefinite length', '30800000'],
    ['non-minimal length', '3081050201000201'],
    ['5-byte length', '3085ffffffffff'],
    ['high tag number', '1f8101'],
  ])('%s', (_label, hex) => {
    expect(() => readSingle(Buffer.from(hex, 'hex'))).toThrow(DerError);
  });

  it('refuses trailing bytes and children that overrun their parent', () => {
    expect(() => readSingle(Buffer.from('300000', 'hex'))).toThrow(DerError);
    expect(() => readChildren(readElement(Buffer.from('3003020501', 'hex')))).toThrow(DerError);
  });

  it('reads nested structures', () => {
    const element = readSingle(sequence(integer(3), sequence(oid('1.2.3'))));
    const [version, inner] = readChildren(element);
    expect(version.content).toEqual(Buffer.from([3]));
    expect(decodeOid(readChildren(inner)[0])).toBe('1.2.3');
  });
});

import { checkCommonName, checkSubjectAltNames, PkiError } from '../../../shared/pki/index.js';
import { formatName } from '../../../shared/pki/names.js';

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
    return undefined;
  } catch (err) {
    return err instanceof PkiError ? err.code : `not a PkiError: ${String(err)}`;
  }
}

describe('checkCommonName', () => {
  it.each([['device-1'], ['api.example.com'], ['Ünïcødé 名前'], ['a'], ['x'.repeat(64)], ['Team A (prod) #1']])(
    'accepts %j',
    (cn) => {
      // act + assess
      expect(codeOf(() => checkCommonName(cn))).toBeUndefined();
    },
  );

  it.each([
    ['empty', ''],
    ['65 chars', 'x'.repeat(65)],
    ['comma injection', 'a,CN=admin'],
    ['equals', 'CN=admin'],
    ['plus (multi-valued RDN)', 'a+O=evil'],
    ['semicolon', 'a;b'],
    ['backslash', 'a\\,b'],
    ['quote', 'a"b'],
    ['angle brackets', '<a>'],
    ['CR', 'a\rb'],
    ['LF', 'a\nb'],
    ['NUL', 'a\u0000b'],
    ['DEL', 'a\u007fb'],
    ['C1 control', 'a\u0085b'],
    ['zero-width / bidi format char', 'a\u202eb'],
    ['line separator', 'a\u2028b'],
    ['leading space', ' a'],
    ['trailing space', 'a '],
    ['leading #', '#a'],
  ])('refuses %s', (_label, cn) => {
    expect(codeOf(() => checkCommonName(cn))).toBe('COMMON_NAME_INVALID');
  });

  it('uses the code it is given (CSR parsing reports CSR_SUBJECT_INVALID)', () => {
    expect(codeOf(() => checkCommonName('a,b', 'CSR_SUBJECT_INVALID'))).toBe('CSR_SUBJECT_INVALID');
  });
});

describe('checkSubjectAltNames', () => {
  it('completes a partial set with empty lists', () => {
    expect(checkSubjectAltNames({ dns: ['a.example.com'] })).toEqual({
      dns: ['a.example.com'],
      uri: [],
      email: [],
      ip: [],
    });
    expect(checkSubjectAltNames(undefined)).toEqual({ dns: [], uri: [], email: [], ip: [] });
  });

  it.each([
    ['dns', 'a.example.com'],
    ['dns', '*.example.com'],
    ['dns', 'localhost'],
    ['uri', 'spiffe://example.org/ns/default/sa/app'],
    ['uri', 'https://example.com/x?y=1'],
    ['email', 'ops+certs@example.com'],
    ['ip', '10.0.0.1'],
    ['ip', '2001:db8::1'],
  ] as const)('accepts %s %j', (kind, value) => {
    expect(checkSubjectAltNames({ [kind]: [value] })[kind]).toEqual([value]);
  });

  it.each([
    ['dns', ''],
    ['dns', 'a..example.com'],
    ['dns', '-a.example.com'],
    ['dns', 'a.example.com\n'],
    ['dns', 'a b.example.com'],
    ['dns', 'a.*.example.com'],
    ['dns', `${'a'.repeat(64)}.example.com`],
    ['uri', 'not a uri'],
    ['uri', '/relative/path'],
    ['email', 'no-at-sign'],
    ['email', 'a@b@c'],
    ['email', 'a@-bad-.com'],
    ['ip', '10.0.0.256'],
    ['ip', 'example.com'],
  ] as const)('refuses %s %j', (kind, value) => {
    expect(codeOf(() => checkSubjectAltNames({ [kind]: [value] }))).toBe('SAN_INVALID');
  });

  it.each([
    ['2001:DB8:0:0:0:0:0:1', '2001:db8::1'],
    ['2001:db8:0:0:1:0:0:1', '2001:db8::1:0:0:1'],
    ['0:0:0:0:0:0:0:0', '::'],
    ['::ffff:192.0.2.1', '::ffff:c000:201'],
    ['192.0.2.1', '192.0.2.1'],
  ])('writes IP %s in the form the certificate will show (%s)', (given, canonical) => {
    expect(checkSubjectAltNames({ ip: [given] }).ip).toEqual([canonical]);
  });

  it('refuses more than 100 names', () => {
    const dns = Array.from({ length: 101 }, (_, i) => `h${i}.example.com`);
    expect(codeOf(() => checkSubjectAltNames({ dns }))).toBe('SAN_INVALID');
  });
});

describe('formatName', () => {
  it('prints RDNs in encoded order with RFC 4514 escaping, so a value cannot pose as another attribute', () => {
    // prepare
    const name = [
      [{ oid: '2.5.4.10', value: '#Acme, Inc. ' }],
      [
        { oid: '2.5.4.3', value: 'a=b+c\n\u202e' },
        { oid: '1.2.3.4', value: null },
      ],
    ];
    // act + assess
    expect(formatName(name)).toBe('O=\\#Acme\\, Inc.\\ , CN=a\\=b\\+c\\0a\\e2\\80\\ae+1.2.3.4=#?');
  });
});

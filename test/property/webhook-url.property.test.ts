// Webhook URL classification (shared/notify/webhook-url.ts) against random URLs: it answers a URL or a
// ValidationError with a WEBHOOK_URL_* code (never another error); an address is classified the same in every
// spelling the URL standard allows (decimal, hex, octal or a single number for IPv4; compressed, full or upper-case
// IPv6; letter case; an explicit default port); loopback, private, link-local and metadata addresses are refused in
// every spelling, public unicast addresses outside every IANA special-purpose block are accepted; plain http and
// credentials are refused; allowing loopback (the local stack) widens nothing but loopback.
import { ValidationError } from '../../shared/errors/index.js';
import { checkWebhookUrl } from '../../shared/notify/webhook-url.js';
import { fc, outcome } from './settings.js';

const CODES = ['WEBHOOK_URL_INVALID', 'WEBHOOK_URL_INSECURE', 'WEBHOOK_URL_FORBIDDEN'];

/** The code it is refused with, or 'accepted'. */
function verdict(url: string, allowLoopback = false): string {
  const result = outcome(() => checkWebhookUrl(url, { allowLoopback }));
  if (result.ok) return 'accepted';
  expect(result.error).toBeInstanceOf(ValidationError);
  expect(CODES).toContain((result.error as ValidationError).code);
  return (result.error as ValidationError).code;
}

const toNumber = (ip: string) => ip.split('.').reduce((n, octet) => n * 256 + Number(octet), 0);
const fromNumber = (n: number) => [24, 16, 8, 0].map((shift) => (n >>> shift) & 255).join('.');

/** IPv4 blocks that must always be refused: RFC 1918, loopback, "this network", link-local, CGNAT (metadata). */
const REFUSED_V4: Array<[string, number]> = [
  ['0.0.0.0', 8],
  ['10.0.0.0', 8],
  ['100.64.0.0', 10],
  ['127.0.0.0', 8],
  ['169.254.0.0', 16],
  ['172.16.0.0', 12],
  ['192.168.0.0', 16],
];
/** Every IANA IPv4 special-purpose block, multicast and reserved space: outside these an address is public unicast. */
const SPECIAL_V4: Array<[string, number]> = [
  ...REFUSED_V4,
  ['192.0.0.0', 24],
  ['192.0.2.0', 24],
  ['192.31.196.0', 24],
  ['192.52.193.0', 24],
  ['192.88.99.0', 24],
  ['192.175.48.0', 24],
  ['198.18.0.0', 15],
  ['198.51.100.0', 24],
  ['203.0.113.0', 24],
  ['224.0.0.0', 4],
  ['240.0.0.0', 4],
];
const inV4Block = (ip: string, [network, prefix]: [string, number]) =>
  prefix === 0 || toNumber(ip) >>> (32 - prefix) === toNumber(network) >>> (32 - prefix);

const refusedV4Arb = fc
  .tuple(fc.constantFrom(...REFUSED_V4), fc.nat())
  .map(([[network, prefix], n]) => fromNumber((toNumber(network) + (n % 2 ** (32 - prefix))) >>> 0));
const publicV4Arb = fc.ipV4().filter((ip) => !SPECIAL_V4.some((block) => inV4Block(ip, block)));

/** Spellings of one IPv4 address that the URL standard reads as that address. */
function v4Spellings(ip: string): string[] {
  const octets = ip.split('.').map(Number);
  const n = toNumber(ip);
  return [
    ip,
    String(n),
    `0x${n.toString(16)}`,
    octets.map((o) => `0x${o.toString(16)}`).join('.'),
    octets.map((o) => `0${o.toString(8)}`).join('.'),
    `${octets[0]}.${(n & 0xffffff) >>> 0}`,
    `[::ffff:${ip}]`, // IPv4-mapped IPv6: at least as strict as the IPv4 itself (asserted separately)
  ];
}

const pathArb = fc.constantFrom('/', '/hooks/certs', '/a?b=c', '/x#frag');

describe('checkWebhookUrl', () => {
  it('answers a URL or a WEBHOOK_URL_* ValidationError for any input', () => {
    const input = fc.oneof(
      fc.string(),
      fc.webUrl({ withQueryParameters: true, withFragments: true }),
      fc
        .tuple(fc.constantFrom('https://', 'http://', 'ftp://', 'HTTPS://', ''), fc.string(), pathArb)
        .map((p) => p.join('')),
    );
    fc.assert(
      fc.property(input, fc.boolean(), (url, allowLoopback) => {
        verdict(url, allowLoopback);
      }),
    );
  });

  it('refuses loopback, private, link-local and metadata IPv4 addresses in every spelling', () => {
    fc.assert(
      fc.property(refusedV4Arb, pathArb, fc.constantFrom('', ':443', ':8443'), (ip, path, port) => {
        for (const host of v4Spellings(ip))
          expect(verdict(`https://${host}${port}${path}`)).toBe('WEBHOOK_URL_FORBIDDEN');
      }),
    );
  });

  it('accepts public unicast IPv4 addresses, and classifies every spelling of one the same', () => {
    fc.assert(
      fc.property(publicV4Arb, pathArb, (ip, path) => {
        const [mapped, ...spellings] = v4Spellings(ip).reverse();
        for (const host of spellings) expect(verdict(`https://${host}${path}`)).toBe('accepted');
        expect(['accepted', 'WEBHOOK_URL_FORBIDDEN']).toContain(verdict(`https://${mapped}${path}`));
      }),
    );
  });

  it('refuses private and link-local IPv6 addresses and loopback, however they are spelled', () => {
    const v6Arb = fc.oneof(
      fc.tuple(
        fc.constantFrom('fc', 'fd'),
        fc.array(fc.integer({ min: 0, max: 0xffff }), { minLength: 7, maxLength: 7 }),
      ),
      fc.tuple(fc.constant('fe80'), fc.array(fc.integer({ min: 0, max: 0xffff }), { minLength: 7, maxLength: 7 })),
      fc.constant(['::1', []] as [string, number[]]),
    );
    fc.assert(
      fc.property(v6Arb, fc.boolean(), ([head, rest], upper) => {
        const full =
          head === '::1'
            ? '0:0:0:0:0:0:0:1'
            : [`${head}${head.length === 2 ? '00' : ''}`, ...rest.map((g) => g.toString(16))].join(':');
        const spellings = [full, new URL(`http://[${full}]/`).hostname.slice(1, -1)].map((s) =>
          upper ? s.toUpperCase() : s,
        );
        for (const host of spellings) expect(verdict(`https://[${host}]/hook`)).toBe('WEBHOOK_URL_FORBIDDEN');
      }),
    );
  });

  it('classifies a host name the same whatever its letter case, and an explicit :443 like none', () => {
    const hostArb = fc.domain().filter((d) => !/(^|\.)localhost$/i.test(d));
    fc.assert(
      fc.property(hostArb, fc.array(fc.boolean(), { minLength: 1 }), pathArb, (host, flips, path) => {
        const flipped = [...host].map((ch, i) => (flips[i % flips.length] ? ch.toUpperCase() : ch)).join('');
        const plain = verdict(`https://${host}${path}`);
        expect(verdict(`HTTPS://${flipped}${path}`)).toBe(plain);
        expect(verdict(`https://${host}:443${path}`)).toBe(plain);
      }),
    );
  });

  it('refuses plain http to anything but loopback, and credentials in any URL', () => {
    fc.assert(
      fc.property(
        fc.oneof(fc.domain(), publicV4Arb, refusedV4Arb),
        pathArb,
        fc.boolean(),
        (host, path, allowLoopback) => {
          const loopback = /^(localhost|127\.)/.test(host);
          if (!loopback) expect(verdict(`http://${host}${path}`, allowLoopback)).toBe('WEBHOOK_URL_INSECURE');
          expect(verdict(`https://user:secret@${host}${path}`, allowLoopback)).toBe('WEBHOOK_URL_INVALID');
          expect(verdict(`https://user@${host}${path}`, allowLoopback)).toBe('WEBHOOK_URL_INVALID');
        },
      ),
    );
  });

  it('allowing loopback changes the verdict for loopback hosts only', () => {
    const hostArb = fc.oneof(
      fc.domain(),
      publicV4Arb,
      refusedV4Arb,
      fc.constantFrom('localhost', '127.0.0.1', '[::1]'),
    );
    fc.assert(
      fc.property(hostArb, fc.constantFrom('http', 'https'), pathArb, (host, scheme, path) => {
        const url = `${scheme}://${host}${path}`;
        const strict = verdict(url, false);
        const relaxed = verdict(url, true);
        if (strict === 'accepted') expect(relaxed).toBe('accepted');
        if (relaxed !== strict) expect(['localhost', '[::1]']).toContain(host.startsWith('127.') ? 'localhost' : host);
      }),
    );
  });
});

// The policy's name patterns (shared/auth/name-patterns.ts; rules in shared/auth/policy.ts) against random names:
// `*` never matches across a DNS label, a URI path segment or the `@` of an e-mail address; `**` does; a pattern
// without `*` matches only its own text (its dots and other characters are literal); DNS names compare without regard
// to case; an IP pattern matches exactly the addresses of its CIDR block (checked against a BigInt reference), in any
// spelling of the address; no input makes a matcher throw.
import {
  matchesDnsPattern,
  matchesEmailPattern,
  matchesIpPattern,
  matchesUriPattern,
} from '../../shared/auth/name-patterns.js';
import { fc, outcome } from './settings.js';

const labelArb = fc
  .tuple(fc.stringMatching(/^[a-z0-9]$/), fc.stringMatching(/^[a-z0-9-]{0,10}$/), fc.stringMatching(/^[a-z0-9]$/))
  .map(([a, mid, z]) => (mid ? `${a}${mid}${z}` : a));
const suffixArb = fc.array(labelArb, { minLength: 1, maxLength: 3 }).map((labels) => labels.join('.'));
const flipCase = (text: string, flips: boolean[]) =>
  [...text].map((ch, i) => (flips[i % flips.length] ? ch.toUpperCase() : ch)).join('');

describe('DNS patterns', () => {
  it('`*` matches exactly one label, never two', () => {
    fc.assert(
      fc.property(labelArb, labelArb, suffixArb, (a, b, suffix) => {
        expect(matchesDnsPattern(`${a}.${suffix}`, `*.${suffix}`)).toBe(true);
        expect(matchesDnsPattern(`${a}.${b}.${suffix}`, `*.${suffix}`)).toBe(false);
        expect(matchesDnsPattern(suffix, `*.${suffix}`)).toBe(false);
        expect(matchesDnsPattern(`${a}.${suffix}`, `${a.slice(0, 1)}*.${suffix}`)).toBe(a.length > 1);
      }),
    );
  });

  it('`**` matches any number of labels', () => {
    fc.assert(
      fc.property(fc.array(labelArb, { minLength: 1, maxLength: 4 }), suffixArb, (labels, suffix) => {
        expect(matchesDnsPattern(`${labels.join('.')}.${suffix}`, `**.${suffix}`)).toBe(true);
      }),
    );
  });

  it('a pattern without `*` matches its own name in any case and no other name (its dots are literal)', () => {
    fc.assert(
      fc.property(suffixArb, suffixArb, fc.array(fc.boolean(), { minLength: 1 }), (name, other, flips) => {
        expect(matchesDnsPattern(flipCase(name, flips), name)).toBe(true);
        expect(matchesDnsPattern(name, flipCase(name, flips))).toBe(true);
        expect(matchesDnsPattern(other, name)).toBe(other === name);
        if (name.includes('.')) expect(matchesDnsPattern(name.replace('.', 'x'), name)).toBe(false);
      }),
    );
  });

  it('a wildcard pattern matches the same names whatever their case', () => {
    fc.assert(
      fc.property(labelArb, suffixArb, fc.array(fc.boolean(), { minLength: 1 }), (a, suffix, flips) => {
        const name = `${a}.${suffix}`;
        expect(matchesDnsPattern(flipCase(name, flips), `*.${suffix}`)).toBe(matchesDnsPattern(name, `*.${suffix}`));
      }),
    );
  });
});

describe('URI patterns', () => {
  const segmentArb = fc.stringMatching(/^[A-Za-z0-9_~-]{1,10}$/);
  it('`*` matches one path segment, never across `/`, `?` or `#`', () => {
    fc.assert(
      fc.property(
        labelArb,
        segmentArb,
        segmentArb,
        fc.constantFrom('/', '?', '#'),
        (host, segment, more, separator) => {
          const pattern = `spiffe://${host}.example/workload/*`;
          expect(matchesUriPattern(`spiffe://${host}.example/workload/${segment}`, pattern)).toBe(true);
          expect(matchesUriPattern(`spiffe://${host}.example/workload/${segment}${separator}${more}`, pattern)).toBe(
            false,
          );
          expect(
            matchesUriPattern(`spiffe://${host}.example/workload/${segment}/${more}`, `${pattern.slice(0, -1)}**`),
          ).toBe(true);
        },
      ),
    );
  });

  it('scheme and host compare without regard to case', () => {
    fc.assert(
      fc.property(labelArb, segmentArb, fc.array(fc.boolean(), { minLength: 1 }), (host, segment, flips) => {
        const uri = `https://${host}.example/${segment}`;
        const head = flipCase(`https://${host}.example`, flips);
        expect(matchesUriPattern(`${head}/${segment}`, `https://*.example/${segment}`)).toBe(true);
        expect(matchesUriPattern(uri, `${head}/${segment}`)).toBe(true);
      }),
    );
  });
});

describe('e-mail patterns', () => {
  const localArb = fc.stringMatching(/^[a-z0-9]+(\.[a-z0-9]+){0,2}$/);
  it('the local-part `*` may hold dots but never an `@`; the domain follows the DNS rules', () => {
    fc.assert(
      fc.property(localArb, labelArb, suffixArb, (local, sub, domain) => {
        expect(matchesEmailPattern(`${local}@${domain}`, `*@${domain}`)).toBe(true);
        expect(matchesEmailPattern(`${local}@x@${domain}`, `*@${domain}`)).toBe(false);
        expect(matchesEmailPattern(`${local}@${sub}.${domain}`, `*@*.${domain}`)).toBe(true);
        expect(matchesEmailPattern(`${local}@${sub}.${sub}.${domain}`, `*@*.${domain}`)).toBe(false);
        expect(matchesEmailPattern(`${local}@${sub}.${domain}`, `*@${domain}`)).toBe(false);
      }),
    );
  });
});

// ---- IP: a BigInt reference for CIDR membership ----
function ipBits(ip: string): { family: 4 | 6; value: bigint } {
  if (!ip.includes(':')) return { family: 4, value: ip.split('.').reduce((n, part) => n * 256n + BigInt(part), 0n) };
  const canonical = new URL(`http://[${ip}]/`).hostname.slice(1, -1);
  const [head, tail = ''] = canonical.split('::');
  const h = head ? head.split(':') : [];
  const t = canonical.includes('::') && tail ? tail.split(':') : [];
  const groups = canonical.includes('::') ? [...h, ...Array(8 - h.length - t.length).fill('0'), ...t] : h;
  return { family: 6, value: groups.reduce((n, g) => n * 65536n + BigInt(`0x${g}`), 0n) };
}
function inBlock(ip: string, network: string, prefix: number): boolean {
  const a = ipBits(ip);
  const b = ipBits(network);
  if (a.family !== b.family) return false;
  const width = a.family === 4 ? 32n : 128n;
  const shift = width - BigInt(prefix);
  return a.value >> shift === b.value >> shift;
}
/** Other spellings of an IPv6 address: all eight groups, upper case. */
function ipv6Spellings(ip: string): string[] {
  const { value } = ipBits(ip);
  const groups = Array.from({ length: 8 }, (_, i) => ((value >> BigInt(112 - 16 * i)) & 0xffffn).toString(16));
  return [ip, groups.join(':'), groups.join(':').toUpperCase(), groups.map((g) => g.padStart(4, '0')).join(':')];
}

describe('IP patterns', () => {
  it('an IPv4 CIDR pattern matches exactly the addresses of its block', () => {
    fc.assert(
      fc.property(fc.ipV4(), fc.ipV4(), fc.integer({ min: 0, max: 32 }), fc.boolean(), (ip, network, prefix, near) => {
        // Half the cases draw an address from the block itself, so matches are as common as misses.
        const candidate = near
          ? ip
              .split('.')
              .map((octet, i) => (i * 8 < prefix - 7 ? network.split('.')[i] : octet))
              .join('.')
          : ip;
        expect(matchesIpPattern(candidate, `${network}/${prefix}`)).toBe(inBlock(candidate, network, prefix));
      }),
    );
  });

  it('an IPv6 CIDR pattern matches exactly the addresses of its block, however the address is spelled', () => {
    fc.assert(
      fc.property(fc.ipV6(), fc.ipV6(), fc.integer({ min: 0, max: 128 }), (ip, network, prefix) => {
        const expected = inBlock(ip, network, prefix);
        for (const spelling of ipv6Spellings(ip))
          expect(matchesIpPattern(spelling, `${network}/${prefix}`)).toBe(expected);
        expect(matchesIpPattern(ip, `${network}/128`)).toBe(ipBits(ip).value === ipBits(network).value);
        expect(matchesIpPattern(ip, `${network}/0`)).toBe(true);
      }),
    );
  });

  it('an address pattern matches only that address, and never one of the other family', () => {
    fc.assert(
      fc.property(fc.ipV4(), fc.ipV6(), (v4, v6) => {
        expect(matchesIpPattern(v4, v4)).toBe(true);
        expect(matchesIpPattern(v6, v4)).toBe(false);
        expect(matchesIpPattern(v4, v6)).toBe(false);
        expect(matchesIpPattern(v4, `${v6}/0`)).toBe(false);
      }),
    );
  });
});

describe('any input', () => {
  it('never makes a matcher throw', () => {
    const text = fc.oneof(
      fc.string(),
      fc.string({ unit: 'binary' }),
      fc.constantFrom('*', '**', '/', '@', '::/0', '1.2.3.4/33'),
    );
    fc.assert(
      fc.property(text, text, (value, pattern) => {
        for (const matcher of [matchesDnsPattern, matchesUriPattern, matchesEmailPattern, matchesIpPattern]) {
          const result = outcome(() => matcher(value, pattern));
          expect(result).toEqual({ ok: true, value: expect.any(Boolean) });
        }
      }),
    );
  });
});

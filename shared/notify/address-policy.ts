/**
 * Which IP addresses a webhook may be delivered to: only globally routable unicast. Every block of IANA's IPv4 and
 * IPv6 Special-Purpose Address Registries (RFC 6890 and updates) is refused, plus multicast, and IPv6 forms that
 * carry an IPv4 address (mapped, compatible, NAT64, 6to4, Teredo) are unwrapped and the IPv4 address judged too,
 * so `::ffff:169.254.169.254`, `64:ff9b::a9fe:a9fe` or `2002:a9fe:a9fe::` reach no metadata service. Pure: the
 * resolver (./guarded-transport.ts) calls it for every address a host name resolves to, at send time.
 *
 * Sources: https://www.iana.org/assignments/iana-ipv4-special-registry/ and
 * https://www.iana.org/assignments/iana-ipv6-special-registry/ (as of 2026), RFC 4380 (Teredo), RFC 3056 (6to4),
 * RFC 6052 and RFC 8215 (NAT64 prefixes), RFC 4291 (mapped and compatible forms, multicast).
 */
import { BlockList, isIP } from 'node:net';

export type AddressVerdict =
  | { allowed: true; address: string }
  | { allowed: false; address: string; block: string; via?: string };

/** IPv4 blocks refused, with what they are (IANA IPv4 special-purpose registry + multicast). */
const IPV4_BLOCKS: Array<[string, number, string]> = [
  ['0.0.0.0', 8, 'this network'],
  ['10.0.0.0', 8, 'private'],
  ['100.64.0.0', 10, 'shared address space (carrier NAT; Alibaba Cloud metadata 100.100.100.200)'],
  ['127.0.0.0', 8, 'loopback'],
  ['169.254.0.0', 16, 'link-local (cloud metadata 169.254.169.254)'],
  ['172.16.0.0', 12, 'private'],
  ['192.0.0.0', 24, 'IETF protocol assignments'],
  ['192.0.2.0', 24, 'documentation (TEST-NET-1)'],
  ['192.31.196.0', 24, 'AS112-v4'],
  ['192.52.193.0', 24, 'AMT'],
  ['192.88.99.0', 24, 'deprecated 6to4 relay anycast'],
  ['192.168.0.0', 16, 'private'],
  ['192.175.48.0', 24, 'direct delegation AS112'],
  ['198.18.0.0', 15, 'benchmarking'],
  ['198.51.100.0', 24, 'documentation (TEST-NET-2)'],
  ['203.0.113.0', 24, 'documentation (TEST-NET-3)'],
  ['224.0.0.0', 4, 'multicast'],
  ['240.0.0.0', 4, 'reserved'],
  ['255.255.255.255', 32, 'limited broadcast'],
];

/** IPv6 blocks refused outright (the embedding forms are handled separately below). */
const IPV6_BLOCKS: Array<[string, number, string]> = [
  ['::', 128, 'unspecified'],
  ['::1', 128, 'loopback'],
  ['64:ff9b:1::', 48, 'local-use NAT64'],
  ['100::', 64, 'discard-only'],
  ['100:0:0:1::', 64, 'dummy prefix'],
  ['2001:db8::', 32, 'documentation'],
  ['3fff::', 20, 'documentation'],
  ['5f00::', 16, 'segment routing SIDs'],
  ['fc00::', 7, 'unique local'],
  ['fe80::', 10, 'link-local'],
  ['fec0::', 10, 'site-local (deprecated)'],
  ['ff00::', 8, 'multicast'],
];

function blockList(entries: Array<[string, number, string]>, type: 'ipv4' | 'ipv6'): Array<[BlockList, string]> {
  return entries.map(([network, prefix, name]) => {
    const list = new BlockList();
    list.addSubnet(network, prefix, type);
    return [list, `${network}/${prefix} ${name}`];
  });
}
const V4 = blockList(IPV4_BLOCKS, 'ipv4');
const V6 = blockList(IPV6_BLOCKS, 'ipv6');

/** The 16 bytes of an IPv6 address (with or without an embedded dotted IPv4 tail, zone id dropped). */
export function ipv6Bytes(address: string): Buffer {
  let text = address.replace(/^\[|\]$/g, '').replace(/%.*$/, '');
  const tail = text.match(/(\d+\.\d+\.\d+\.\d+)$/);
  if (tail) {
    const [a, b, c, d] = tail[1].split('.').map(Number);
    text = `${text.slice(0, -tail[1].length)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head, rest] = text.split('::');
  const headGroups = head ? head.split(':') : [];
  const restGroups = rest ? rest.split(':') : [];
  const groups =
    rest === undefined
      ? headGroups
      : [...headGroups, ...Array(8 - headGroups.length - restGroups.length).fill('0'), ...restGroups];
  const out = Buffer.alloc(16);
  groups.forEach((g, i) => out.writeUInt16BE(parseInt(g || '0', 16), i * 2));
  return out;
}

const v4 = (bytes: Buffer, offset: number) => [...bytes.subarray(offset, offset + 4)].join('.');
const zero = (bytes: Buffer, from: number, to: number) => bytes.subarray(from, to).every((b) => b === 0);

/** IPv4 addresses an IPv6 address carries, with the name of the form (mapped, NAT64, 6to4, Teredo, ...). */
export function embeddedIpv4(address: string): Array<{ ipv4: string; via: string }> {
  const b = ipv6Bytes(address);
  const found: Array<{ ipv4: string; via: string }> = [];
  if (zero(b, 0, 10) && b[10] === 0xff && b[11] === 0xff)
    found.push({ ipv4: v4(b, 12), via: 'IPv4-mapped ::ffff:0:0/96' });
  if (zero(b, 0, 12) && !zero(b, 12, 16)) found.push({ ipv4: v4(b, 12), via: 'IPv4-compatible ::/96' });
  if (b.readUInt32BE(0) === 0x0064ff9b && zero(b, 4, 12)) found.push({ ipv4: v4(b, 12), via: 'NAT64 64:ff9b::/96' });
  if (b.readUInt16BE(0) === 0x2002) found.push({ ipv4: v4(b, 2), via: '6to4 2002::/16' });
  if (b.readUInt32BE(0) === 0x20010000) {
    found.push({ ipv4: v4(b, 4), via: 'Teredo server 2001::/32' });
    const client = Buffer.from(b.subarray(12, 16).map((x) => ~x & 0xff));
    found.push({ ipv4: v4(client, 0), via: 'Teredo client 2001::/32' });
  }
  return found;
}

function judgeIpv4(address: string): string | undefined {
  return V4.find(([list]) => list.check(address, 'ipv4'))?.[1];
}

/** The verdict for one IP address (v4 or v6). Anything that is not an IP address is refused. */
export function classifyAddress(address: string): AddressVerdict {
  const family = isIP(address);
  if (family === 4) {
    const block = judgeIpv4(address);
    return block ? { allowed: false, address, block } : { allowed: true, address };
  }
  if (family !== 6) return { allowed: false, address, block: 'not an IP address' };
  const bytes = ipv6Bytes(address);
  const canonical = [...Array(8).keys()].map((i) => bytes.readUInt16BE(i * 2).toString(16)).join(':');
  const block = V6.find(([list]) => list.check(canonical, 'ipv6'))?.[1];
  if (block) return { allowed: false, address, block };
  for (const { ipv4, via } of embeddedIpv4(canonical)) {
    const inner = judgeIpv4(ipv4);
    if (inner) return { allowed: false, address, block: `${inner} (${ipv4})`, via };
  }
  // The rest of 2001::/23 (IETF protocol assignments: ORCHID, AMT, AS112, ...) is not globally reachable either.
  if (bytes.readUInt16BE(0) === 0x2001 && bytes[2] < 0x02 && bytes.readUInt32BE(0) !== 0x20010000)
    return { allowed: false, address, block: '2001::/23 IETF protocol assignments' };
  // IPv4-compatible addresses are deprecated (RFC 4291) and never routed, whatever they embed.
  if (zero(bytes, 0, 12)) return { allowed: false, address, block: '::/96 IPv4-compatible (deprecated)' };
  return { allowed: true, address };
}

/** Loopback only (127.0.0.0/8, ::1 and their mapped forms): what a local stack may call with ALLOW_LOOPBACK_WEBHOOKS. */
export function isLoopbackAddress(address: string): boolean {
  const family = isIP(address);
  if (family === 4) return address.startsWith('127.');
  if (family !== 6) return false;
  const bytes = ipv6Bytes(address);
  if (zero(bytes, 0, 15) && bytes[15] === 1) return true;
  return embeddedIpv4(address).some((e) => e.via.startsWith('IPv4-mapped') && e.ipv4.startsWith('127.'));
}

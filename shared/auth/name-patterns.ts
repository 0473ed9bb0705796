/** Pure matchers for the name patterns of a policy (see policy.ts for the glob rules). */
import { BlockList, isIP } from 'node:net';

const cache = new Map<string, RegExp>();

function escape(text: string): string {
  return text.replace(/[.+?^${}()|[\]\\/]/g, '\\$&');
}

/** `*` -> one or more characters other than `separators`; `**` -> anything. Case-insensitive, anchored. */
function globToRegExp(pattern: string, separators: string): RegExp {
  const cacheKey = `${separators}\u0000${pattern}`;
  const hit = cache.get(cacheKey);
  if (hit) return hit;
  const source = pattern
    .split('**')
    .map((part) =>
      part
        .split('*')
        .map(escape)
        .join(`[^${escape(separators)}]+`),
    )
    .join('.*');
  const re = new RegExp(`^${source}$`, 'i');
  cache.set(cacheKey, re);
  return re;
}

/** Common names and DNS SANs: `*` stays inside one label. */
export function matchesDnsPattern(name: string, pattern: string): boolean {
  if (pattern === '*') return true;
  return globToRegExp(pattern, '.').test(name);
}

export function matchesUriPattern(uri: string, pattern: string): boolean {
  if (pattern === '*') return true;
  return globToRegExp(pattern, '/?#').test(uri);
}

/** `*@example.com`: the local part may hold dots; the domain part follows DNS rules. */
export function matchesEmailPattern(email: string, pattern: string): boolean {
  if (pattern === '*') return true;
  const at = pattern.lastIndexOf('@');
  const emailAt = email.lastIndexOf('@');
  if (at < 0 || emailAt < 0) return globToRegExp(pattern, '@').test(email);
  return (
    globToRegExp(pattern.slice(0, at), '@').test(email.slice(0, emailAt)) &&
    matchesDnsPattern(email.slice(emailAt + 1), pattern.slice(at + 1))
  );
}

export function matchesIpPattern(ip: string, pattern: string): boolean {
  if (pattern === '*') return true;
  const family = isIP(ip);
  if (family === 0) return false;
  const type = family === 4 ? 'ipv4' : 'ipv6';
  const [address, prefix] = pattern.split('/');
  const patternFamily = isIP(address);
  if (patternFamily !== family) return false;
  const list = new BlockList();
  if (prefix === undefined) list.addAddress(address, type);
  else {
    const bits = Number(prefix);
    if (!Number.isInteger(bits) || bits < 0 || bits > (family === 4 ? 32 : 128)) return false;
    list.addSubnet(address, bits, type);
  }
  return list.check(ip, type);
}

export function matchesAny(
  value: string,
  patterns: readonly string[],
  matcher: (value: string, pattern: string) => boolean,
): boolean {
  return patterns.some((pattern) => matcher(value, pattern));
}

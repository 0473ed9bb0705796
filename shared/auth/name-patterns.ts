/**
 * Pure matchers for the name patterns of a policy (see policy.ts for the glob rules). A pattern other than `*`
 * only ever matches what it can judge: DNS names of LDH labels (IDNA A-labels for international names, so a
 * Unicode look-alike never satisfies `*.example.com`), and URIs without encoded separators or dot segments whose
 * path is compared case-sensitively (only scheme and host are case-insensitive, as RFC 3986 says).
 */
import { BlockList, isIP } from 'node:net';

const cache = new Map<string, RegExp>();

function escape(text: string): string {
  return text.replace(/[.+?^${}()|[\]\\/]/g, '\\$&');
}

/** `*` -> one or more characters other than `separators`; `**` -> anything. Anchored. */
function globToRegExp(pattern: string, separators: string, flags = 'i'): RegExp {
  const cacheKey = `${flags}\u0000${separators}\u0000${pattern}`;
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
  const re = new RegExp(`^${source}$`, flags);
  cache.set(cacheKey, re);
  return re;
}

const LDH_LABEL = '[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?';
/** Letters, digits and hyphens (RFC 1123) per label, an optional leading `*.` for wildcard names. */
const LDH_NAME = new RegExp(`^(?:\\*\\.)?${LDH_LABEL}(?:\\.${LDH_LABEL})*$`, 'i');

export function isLdhName(name: string): boolean {
  return name.length <= 253 && LDH_NAME.test(name);
}

/** Common names and DNS SANs: `*` stays inside one label; only LDH names can match a pattern other than `*`. */
export function matchesDnsPattern(name: string, pattern: string): boolean {
  if (pattern === '*') return true;
  return isLdhName(name) && globToRegExp(pattern, '.').test(name);
}

/** `%2F`, `%5C` (encoded / and \\), `%2E` (an encoded dot, the stuff of hidden dot segments). */
const ENCODED_SEPARATOR = /%(2f|5c|2e)/i;

/** True for a path with a `.` or `..` segment, which a receiver may resolve into another path. */
export function hasDotSegment(path: string): boolean {
  return path.split(/[/?#]/).some((segment) => segment === '.' || segment === '..');
}

/** `SCHEME://AUTHORITY` lower-cased, the rest as it is: the parts RFC 3986 compares case-insensitively. */
function caseNormalizedUri(uri: string): { head: string; rest: string } {
  const m = uri.match(/^([a-z][a-z0-9+.-]*:(?:\/\/[^/?#]*)?)(.*)$/is);
  return m ? { head: m[1].toLowerCase(), rest: m[2] } : { head: '', rest: uri };
}

export function matchesUriPattern(uri: string, pattern: string): boolean {
  if (pattern === '*') return true;
  if (!/^[\x21-\x7e]+$/.test(uri) || ENCODED_SEPARATOR.test(uri)) return false;
  const value = caseNormalizedUri(uri);
  if (hasDotSegment(value.rest)) return false;
  const glob = caseNormalizedUri(pattern);
  return globToRegExp(glob.head + glob.rest, '/?#', '').test(value.head + value.rest);
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

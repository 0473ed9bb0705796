/**
 * Does a certificate cover a host name? RFC 6125 matching as TLS clients do it: DNS SANs when present (the CN
 * only when there are none), case-insensitive, a wildcard only as the whole left-most label and matching one label.
 */
export function certificateCoversHost(cert: { commonName?: string; dnsNames: string[] }, host: string): boolean {
  const names = cert.dnsNames.length > 0 ? cert.dnsNames : cert.commonName ? [cert.commonName] : [];
  const target = host.toLowerCase().replace(/\.$/, '');
  return names.some((name) => nameMatches(name.toLowerCase().replace(/\.$/, ''), target));
}

function nameMatches(pattern: string, host: string): boolean {
  if (!pattern.startsWith('*.')) return pattern === host;
  const suffix = pattern.slice(1); // ".example.com"
  // "*.com"-style patterns (fewer than two labels after the wildcard) are refused by browsers: refuse them too.
  if (suffix.split('.').filter(Boolean).length < 2) return false;
  if (!host.endsWith(suffix)) return false;
  const label = host.slice(0, host.length - suffix.length);
  return label.length > 0 && !label.includes('.');
}

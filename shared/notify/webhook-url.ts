/**
 * Which webhook URLs we call: HTTPS only, no credentials in the URL, no IP literals of loopback, private, link-local
 * or metadata ranges (a tenant must not aim our function at the FC instance's own network). Plain HTTP only to
 * loopback, and only when ALLOW_LOOPBACK_WEBHOOKS is set (the local stack). Host names are not resolved here: a
 * name that resolves to a private address is not caught (documented in docs/renewal.md).
 */
import { isIP } from 'node:net';
import { ValidationError } from '../errors/index.js';

const LOOPBACK_HOSTS = new Set(['localhost', '127.0.0.1', '::1', '[::1]']);

function isInternalAddress(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, '').toLowerCase();
  if (LOOPBACK_HOSTS.has(h)) return true;
  const version = isIP(h);
  if (version === 4) {
    const [a, b] = h.split('.').map(Number);
    return (
      a === 10 ||
      a === 127 ||
      a === 0 ||
      (a === 172 && b >= 16 && b <= 31) ||
      (a === 192 && b === 168) ||
      (a === 169 && b === 254) ||
      (a === 100 && b >= 64 && b <= 127)
    );
  }
  if (version === 6)
    return h === '::' || h.startsWith('fc') || h.startsWith('fd') || h.startsWith('fe80') || h.startsWith('::ffff:');
  return false;
}

export function checkWebhookUrl(value: string, options: { allowLoopback: boolean }): URL {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new ValidationError('WEBHOOK_URL_INVALID', 'The webhook URL is not a valid absolute URL.');
  }
  if (url.username || url.password)
    throw new ValidationError('WEBHOOK_URL_INVALID', 'The webhook URL must not carry credentials.');
  const loopback = LOOPBACK_HOSTS.has(url.hostname.toLowerCase());
  if (url.protocol === 'http:') {
    if (options.allowLoopback && loopback) return url;
    throw new ValidationError('WEBHOOK_URL_INSECURE', 'The webhook URL must use https.');
  }
  if (url.protocol !== 'https:') throw new ValidationError('WEBHOOK_URL_INSECURE', 'The webhook URL must use https.');
  if (isInternalAddress(url.hostname) && !(options.allowLoopback && loopback)) {
    throw new ValidationError(
      'WEBHOOK_URL_FORBIDDEN',
      'The webhook URL must not point at a loopback, private or link-local address.',
    );
  }
  return url;
}

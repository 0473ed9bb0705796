/**
 * Which webhook URLs we call: HTTPS only, no credentials in the URL, and no IP literal outside public unicast
 * (./address-policy.ts: every IANA special-purpose block, with IPv4 embedded in IPv6 unwrapped). Plain HTTP only to
 * loopback, and only when ALLOW_LOOPBACK_WEBHOOKS is set (the local stack). Host names are checked again at every
 * send, on each address they resolve to (./guarded-transport.ts): this check is what the API can tell at issue time.
 */
import { isIP } from 'node:net';
import { ValidationError } from '../errors/index.js';
import { classifyAddress, isLoopbackAddress } from './address-policy.js';

const LOOPBACK_NAMES = new Set(['localhost']);

function isLoopbackHost(hostname: string): boolean {
  const host = hostname.replace(/^\[|\]$/g, '').toLowerCase();
  return LOOPBACK_NAMES.has(host) || (isIP(host) !== 0 && isLoopbackAddress(host));
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
  const loopback = isLoopbackHost(url.hostname);
  if (url.protocol === 'http:') {
    if (options.allowLoopback && loopback) return url;
    throw new ValidationError('WEBHOOK_URL_INSECURE', 'The webhook URL must use https.');
  }
  if (url.protocol !== 'https:') throw new ValidationError('WEBHOOK_URL_INSECURE', 'The webhook URL must use https.');
  if (options.allowLoopback && loopback) return url;
  const host = url.hostname.replace(/^\[|\]$/g, '');
  const forbidden =
    LOOPBACK_NAMES.has(host.toLowerCase()) ||
    /\.localhost$/i.test(host) ||
    (isIP(host) !== 0 && !classifyAddress(host).allowed);
  if (forbidden) {
    throw new ValidationError(
      'WEBHOOK_URL_FORBIDDEN',
      'The webhook URL must not point at a loopback, private, link-local, metadata or other special-purpose address.',
    );
  }
  return url;
}

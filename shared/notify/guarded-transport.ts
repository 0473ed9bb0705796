/**
 * One webhook POST over node:http(s) that can only reach addresses it checked. The host name is resolved at send
 * time inside the socket's own `lookup` hook; every address it resolves to is classified (./address-policy.ts)
 * and the connection goes to one of exactly those addresses, so DNS rebinding between a check and the connect is
 * impossible. TLS still verifies the certificate against the host name (SNI = the name, not the address).
 * Redirects are never followed; the body of the answer is discarded unread.
 */
import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { isIP, type LookupFunction } from 'node:net';
import { classifyAddress, isLoopbackAddress } from './address-policy.js';

/** Resolves a host name to all its addresses (dns.lookup with `all: true` by default). */
export type Resolver = (hostname: string) => Promise<LookupAddress[]>;

export const systemResolver: Resolver = (hostname) =>
  new Promise((resolve, reject) =>
    dnsLookup(hostname, { all: true, verbatim: true }, (err, addresses) => (err ? reject(err) : resolve(addresses))),
  );

/** Why a send went nowhere, as the sender reports it (never the address itself beyond its block's name). */
export class WebhookAddressError extends Error {
  constructor(
    readonly code: 'WEBHOOK_ADDRESS_FORBIDDEN' | 'WEBHOOK_DNS_FAILED',
    message: string,
  ) {
    super(message);
    this.name = 'WebhookAddressError';
  }
}

export interface PostResult {
  status: number;
  retryAfter?: string;
}

export interface GuardedTransportOptions {
  /** Loopback addresses only (127.0.0.0/8, ::1) are accepted in addition: the local stack's receivers. */
  allowLoopback: boolean;
  resolver?: Resolver;
}

export type WebhookPost = (
  url: URL,
  input: { headers: Record<string, string>; body: string; timeoutMs: number },
) => Promise<PostResult>;

function checkAddress(address: string, allowLoopback: boolean): void {
  if (allowLoopback && isLoopbackAddress(address)) return;
  const verdict = classifyAddress(address);
  if (!verdict.allowed)
    throw new WebhookAddressError(
      'WEBHOOK_ADDRESS_FORBIDDEN',
      `The webhook host resolves to a non-public address (${verdict.block}).`,
    );
}

export function createGuardedTransport(options: GuardedTransportOptions): WebhookPost {
  const resolver = options.resolver ?? systemResolver;

  /** net's lookup hook: resolve, refuse the whole name if any address is not public, hand back only checked ones. */
  const guardedLookup: LookupFunction = (hostname, lookupOptions, callback) => {
    resolver(hostname).then(
      (addresses) => {
        try {
          if (addresses.length === 0)
            throw new WebhookAddressError('WEBHOOK_DNS_FAILED', 'The webhook host did not resolve.');
          for (const a of addresses) checkAddress(a.address, options.allowLoopback);
        } catch (err) {
          callback(err as NodeJS.ErrnoException, '', 0);
          return;
        }
        const wanted = lookupOptions.family === 4 || lookupOptions.family === 6 ? lookupOptions.family : 0;
        const usable = wanted ? addresses.filter((a) => a.family === wanted) : addresses;
        if (lookupOptions.all) (callback as unknown as (e: null, a: LookupAddress[]) => void)(null, usable);
        else if (usable[0]) callback(null, usable[0].address, usable[0].family);
        else callback(Object.assign(new Error('no address of the requested family'), { code: 'ENOTFOUND' }), '', 0);
      },
      (err: NodeJS.ErrnoException) =>
        callback(
          new WebhookAddressError(
            'WEBHOOK_DNS_FAILED',
            `The webhook host did not resolve (${err.code ?? 'error'}).`,
          ) as NodeJS.ErrnoException,
          '',
          0,
        ),
    );
  };

  return (url, input) =>
    new Promise<PostResult>((resolve, reject) => {
      const literal = url.hostname.replace(/^\[|\]$/g, '');
      // An IP literal is never looked up by net: check it here.
      if (isIP(literal)) {
        try {
          checkAddress(literal, options.allowLoopback);
        } catch (err) {
          reject(err);
          return;
        }
      }
      const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
      const req = send(url, {
        method: 'POST',
        headers: { ...input.headers, 'content-length': String(Buffer.byteLength(input.body)) },
        lookup: guardedLookup,
        agent: false,
        timeout: input.timeoutMs,
      });
      const timer = setTimeout(
        () => req.destroy(Object.assign(new Error('webhook timed out'), { name: 'TimeoutError' })),
        input.timeoutMs,
      );
      req.on('timeout', () => req.destroy(Object.assign(new Error('webhook timed out'), { name: 'TimeoutError' })));
      req.on('error', (err) => {
        clearTimeout(timer);
        reject(err);
      });
      req.on('response', (res) => {
        clearTimeout(timer);
        res.resume();
        const retryAfter = res.headers['retry-after'];
        resolve({ status: res.statusCode ?? 0, ...(typeof retryAfter === 'string' ? { retryAfter } : {}) });
      });
      req.end(input.body);
    });
}

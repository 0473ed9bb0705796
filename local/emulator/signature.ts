/**
 * ACS3-HMAC-SHA256 verification, the way Alibaba's gateway checks what `@alicloud/openapi-client` and
 * `@alicloud/openapi-core` sign (openapi-util `getAuthorization`): canonical request = method, path, sorted
 * query, signed headers, payload hash; string to sign = algorithm + hex(sha256(canonical request)); HMAC-SHA256
 * with the secret. Shared by the RPC server (CAS, NLB) and the ROA-style FC server.
 */
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import { unescape as queryUnescape } from 'node:querystring';

export const ACS3_ALGORITHM = 'ACS3-HMAC-SHA256';

export interface AccessKeyRecord {
  accessKeyId: string;
  accessKeySecret: string;
  /** When set, the key is an STS key: requests must carry this token in `x-acs-security-token`. */
  securityToken?: string;
}

export interface SignedRequest {
  method: string;
  /** The path as it came on the wire, without the query string. */
  path: string;
  /** The raw query string (without `?`) as it came on the wire. */
  query: string;
  /** Node's lower-cased request headers. */
  headers: IncomingHttpHeaders;
  body: Buffer;
}

export interface SignatureFailure {
  ok: false;
  status: number;
  code: string;
  message: string;
}
export type SignatureResult = { ok: true; accessKeyId: string } | SignatureFailure;

/** How far `x-acs-date` may be from the server clock, as on Alibaba's gateway. */
const MAX_CLOCK_SKEW_MS = 15 * 60 * 1000;

const fail = (status: number, code: string, message: string): SignatureFailure => ({
  ok: false,
  status,
  code,
  message,
});

/** openapi-util's `encode`: encodeURIComponent plus the RFC 3986 reserved characters it leaves alone. */
export function acsEncode(value: string): string {
  return encodeURIComponent(value).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

/** Parses a raw query string the way the client built it (Node `querystring.stringify`); repeated keys join with `,`. */
export function parseRawQuery(raw: string): Record<string, string> {
  const out: Record<string, string> = {};
  if (!raw) return out;
  for (const part of raw.split('&')) {
    if (!part) continue;
    const eq = part.indexOf('=');
    const key = queryUnescape((eq < 0 ? part : part.slice(0, eq)).replace(/\+/g, ' '));
    const value = eq < 0 ? '' : queryUnescape(part.slice(eq + 1).replace(/\+/g, ' '));
    out[key] = key in out ? `${out[key]},${value}` : value;
  }
  return out;
}

export function canonicalQueryString(query: Record<string, string>): string {
  return Object.keys(query)
    .sort()
    .map((k) => `${k}=${acsEncode(query[k])}`)
    .join('&');
}

function headerValue(headers: IncomingHttpHeaders, name: string): string | undefined {
  const v = headers[name];
  if (v === undefined) return undefined;
  return Array.isArray(v)
    ? v
        .map((x) => x.trim())
        .sort()
        .join(',')
    : v.trim();
}

export function canonicalRequest(req: SignedRequest, signedHeaders: string[]): string {
  const uri = req.path.replace(/\+/g, '%20').replace(/\*/g, '%2A').replace(/%7E/g, '~');
  const headers = signedHeaders.map((h) => `${h}:${headerValue(req.headers, h) ?? ''}\n`).join('');
  const payloadHash = createHash('sha256').update(req.body).digest('hex');
  return [
    req.method.toUpperCase(),
    uri,
    canonicalQueryString(parseRawQuery(req.query)),
    headers,
    signedHeaders.join(';'),
    payloadHash,
  ].join('\n');
}

export function acs3Signature(canonical: string, secret: string): string {
  const stringToSign = `${ACS3_ALGORITHM}\n${createHash('sha256').update(canonical).digest('hex')}`;
  return createHmac('sha256', secret).update(stringToSign).digest('hex');
}

/** Signs a request the way the SDK does; tests use it to hand-craft requests. Returns the Authorization header. */
export function signAcs3(req: SignedRequest, key: { accessKeyId: string; accessKeySecret: string }): string {
  const signed = Object.keys(req.headers)
    .map((h) => h.toLowerCase())
    .filter((h) => h.startsWith('x-acs-') || h === 'host' || h === 'content-type')
    .sort();
  const signature = acs3Signature(canonicalRequest(req, signed), key.accessKeySecret);
  return `${ACS3_ALGORITHM} Credential=${key.accessKeyId},SignedHeaders=${signed.join(';')},Signature=${signature}`;
}

function parseAuthorization(
  value: string,
): { accessKeyId: string; signedHeaders: string[]; signature: string } | undefined {
  const m = value.match(/^ACS3-HMAC-SHA256\s+(.*)$/);
  if (!m) return undefined;
  const fields: Record<string, string> = {};
  for (const part of m[1].split(',')) {
    const eq = part.indexOf('=');
    if (eq > 0) fields[part.slice(0, eq).trim()] = part.slice(eq + 1).trim();
  }
  if (!fields.Credential || !fields.SignedHeaders || !fields.Signature) return undefined;
  return {
    accessKeyId: fields.Credential,
    signedHeaders: fields.SignedHeaders.split(';').filter(Boolean),
    signature: fields.Signature,
  };
}

function sameHex(a: string, b: string): boolean {
  const x = Buffer.from(a, 'utf8');
  const y = Buffer.from(b, 'utf8');
  return x.length === y.length && timingSafeEqual(x, y);
}

/**
 * Checks one request. `lookupKey` answers the configured key for an AccessKeyId. Failures carry Alibaba's
 * code and HTTP status; messages never echo the secret, the token or the expected signature.
 */
export function verifyAcs3Signature(
  req: SignedRequest,
  lookupKey: (accessKeyId: string) => AccessKeyRecord | undefined,
  now: number = Date.now(),
): SignatureResult {
  const authorization = headerValue(req.headers, 'authorization');
  if (!authorization) return fail(400, 'MissingAuthorization', 'The Authorization header is required.');
  const auth = parseAuthorization(authorization);
  if (!auth) {
    return fail(
      400,
      'IncompleteSignature',
      'The request signature does not conform to Aliyun standards (expected ACS3-HMAC-SHA256 Credential=...,SignedHeaders=...,Signature=...).',
    );
  }
  const key = lookupKey(auth.accessKeyId);
  if (!key) return fail(404, 'InvalidAccessKeyId.NotFound', 'Specified access key is not found.');

  const token = headerValue(req.headers, 'x-acs-security-token');
  if ((key.securityToken ?? '') !== (token ?? '')) {
    return fail(
      400,
      'InvalidSecurityToken.MismatchWithAccessKey',
      'The security token you provided does not match the access key.',
    );
  }

  // Every x-acs-* header must be covered, or a proxy could swap the action or version without breaking the signature.
  const unsigned = Object.keys(req.headers).filter((h) => h.startsWith('x-acs-') && !auth.signedHeaders.includes(h));
  if (!auth.signedHeaders.includes('host') || unsigned.length > 0) {
    return fail(
      400,
      'IncompleteSignature',
      `The request signature does not cover required headers: ${unsigned.length > 0 ? unsigned.join(', ') : 'host'}.`,
    );
  }

  const expected = acs3Signature(canonicalRequest(req, auth.signedHeaders), key.accessKeySecret);
  if (!sameHex(expected, auth.signature.toLowerCase())) {
    return fail(400, 'SignatureDoesNotMatch', 'Specified signature is not matched with our calculation.');
  }

  const date = headerValue(req.headers, 'x-acs-date');
  if (date) {
    const at = Date.parse(date);
    if (Number.isNaN(at) || Math.abs(now - at) > MAX_CLOCK_SKEW_MS) {
      return fail(400, 'InvalidTimeStamp.Expired', 'Specified time stamp or date value is expired.');
    }
  }
  return { ok: true, accessKeyId: key.accessKeyId };
}

/** Remembers signature nonces for the skew window so a replayed request is refused, as the gateway does. */
export class NonceWindow {
  private readonly seen = new Map<string, number>();
  /** True when the nonce is fresh (and records it); false when it was already used. */
  accept(nonce: string, now: number = Date.now()): boolean {
    if (this.seen.size > 10_000) {
      for (const [n, at] of this.seen) if (now - at > MAX_CLOCK_SKEW_MS) this.seen.delete(n);
    }
    const at = this.seen.get(nonce);
    if (at !== undefined && now - at <= MAX_CLOCK_SKEW_MS) return false;
    this.seen.set(nonce, now);
    return true;
  }
}

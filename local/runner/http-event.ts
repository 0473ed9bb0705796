/**
 * FC 3.0 HTTP trigger mapping for built-in runtimes: an HTTP request becomes the `v1` event a handler receives,
 * and whatever the handler returns becomes the HTTP answer. Pure, so the mapping is unit-tested without sockets.
 */
import { randomBytes } from 'node:crypto';
import { scrub } from '../../shared/log/index.js';

export interface HttpTriggerEvent {
  version: 'v1';
  /** The path as sent (still URL-encoded); `requestContext.http.path` is the decoded one. */
  rawPath: string;
  /** Lower-case names; several values of one header are joined with `,` as FC does. */
  headers: Record<string, string>;
  queryParameters: Record<string, string>;
  body: string;
  isBase64Encoded: boolean;
  requestContext: {
    accountId: string;
    domainName: string;
    domainPrefix: string;
    http: { method: string; path: string; protocol: string; sourceIp: string; userAgent: string };
    requestId: string;
    time: string;
    timeEpoch: string;
  };
}

export interface IncomingHttpRequest {
  method: string;
  /** Path and query exactly as on the request line, e.g. `/v1/certificates?limit=2`. */
  url: string;
  /** Header name -> every value received (Node's `headersDistinct`). */
  headers: Record<string, string[] | string | undefined>;
  body: Buffer;
  sourceIp: string;
  protocol?: string;
}

export interface HttpAnswer {
  statusCode: number;
  headers: Record<string, string | string[]>;
  body: Buffer;
}

/** FC-like request id: `1-<seconds hex>-<random>`. */
export function newRequestId(now: Date = new Date()): string {
  return `1-${Math.floor(now.getTime() / 1000).toString(16)}-${randomBytes(12).toString('hex')}`;
}

// FC base64-encodes "binary" bodies; text types travel as they are (when they are valid UTF-8).
const TEXT_CONTENT_TYPE =
  /^(text\/|application\/(json|[\w.+-]+\+json|xml|[\w.+-]+\+xml|x-www-form-urlencoded|javascript|x-yaml|yaml))/i;

function isTextBody(contentType: string | undefined, body: Buffer): boolean {
  if (body.length === 0) return true;
  if (!contentType || !TEXT_CONTENT_TYPE.test(contentType.trim())) return false;
  return Buffer.from(body.toString('utf8'), 'utf8').equals(body);
}

function safeDecode(value: string): string {
  try {
    return decodeURIComponent(value);
  } catch {
    return value;
  }
}

function parseQuery(query: string): Record<string, string> {
  const out: Record<string, string[]> = {};
  for (const part of query.split('&')) {
    if (!part) continue;
    const eq = part.indexOf('=');
    const name = safeDecode((eq < 0 ? part : part.slice(0, eq)).replace(/\+/g, ' '));
    const value = eq < 0 ? '' : safeDecode(part.slice(eq + 1).replace(/\+/g, ' '));
    (out[name] ??= []).push(value);
  }
  return Object.fromEntries(Object.entries(out).map(([k, v]) => [k, v.join(',')]));
}

/** `Tue, 05 Sep 2023 06:41:11.895Z` -> `2023-09-05T06:41:11Z` (FC drops the milliseconds). */
function fcTime(now: Date): string {
  return now.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

export function toHttpTriggerEvent(
  request: IncomingHttpRequest,
  meta: { accountId: string; requestId: string; now: Date },
): HttpTriggerEvent {
  const q = request.url.indexOf('?');
  const rawPath = (q < 0 ? request.url : request.url.slice(0, q)) || '/';
  const query = q < 0 ? '' : request.url.slice(q + 1);
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(request.headers)) {
    if (value === undefined) continue;
    headers[name.toLowerCase()] = Array.isArray(value) ? value.join(',') : value;
  }
  const text = isTextBody(headers['content-type'], request.body);
  const domainName = headers.host ?? '127.0.0.1';
  return {
    version: 'v1',
    rawPath,
    headers,
    queryParameters: parseQuery(query),
    body: text ? request.body.toString('utf8') : request.body.toString('base64'),
    isBase64Encoded: !text,
    requestContext: {
      accountId: meta.accountId,
      domainName,
      domainPrefix: domainName.split('.')[0].split(':')[0],
      http: {
        method: request.method.toUpperCase(),
        path: safeDecode(rawPath),
        protocol: request.protocol ?? 'HTTP/1.1',
        sourceIp: request.sourceIp.replace(/^::ffff:/, ''),
        userAgent: headers['user-agent'] ?? '',
      },
      requestId: meta.requestId,
      time: fcTime(meta.now),
      timeEpoch: String(meta.now.getTime()),
    },
  };
}

function headerValues(raw: unknown): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  if (!raw || typeof raw !== 'object') return out;
  for (const [name, value] of Object.entries(raw as Record<string, unknown>)) {
    if (value === undefined || value === null) continue;
    out[name.toLowerCase()] = Array.isArray(value) ? value.map(String) : String(value);
  }
  return out;
}

function structuredAnswer(result: Record<string, unknown>): HttpAnswer {
  const statusCode = Number(result.statusCode);
  const headers = headerValues(result.headers);
  const raw = result.body;
  let body: Buffer;
  if (raw === undefined || raw === null) body = Buffer.alloc(0);
  else if (Buffer.isBuffer(raw)) body = raw;
  else if (typeof raw === 'string')
    body = result.isBase64Encoded === true ? Buffer.from(raw, 'base64') : Buffer.from(raw, 'utf8');
  else {
    body = Buffer.from(JSON.stringify(raw), 'utf8');
    headers['content-type'] ??= 'application/json';
  }
  return { statusCode, headers, body };
}

function isStructured(value: unknown): value is Record<string, unknown> {
  if (!value || typeof value !== 'object' || Buffer.isBuffer(value)) return false;
  const code = (value as { statusCode?: unknown }).statusCode;
  return Number.isInteger(code) && (code as number) >= 100 && (code as number) <= 599;
}

/**
 * The handler's answer -> HTTP. `{statusCode, headers, isBase64Encoded, body}` is used as it is; anything else is
 * the body of a 200, like FC does for a plain string or object.
 */
export function fromHandlerResult(result: unknown): HttpAnswer {
  if (isStructured(result)) return structuredAnswer(result);
  if (result === undefined || result === null) return { statusCode: 200, headers: {}, body: Buffer.alloc(0) };
  if (Buffer.isBuffer(result) || result instanceof Uint8Array) {
    return { statusCode: 200, headers: { 'content-type': 'application/octet-stream' }, body: Buffer.from(result) };
  }
  if (typeof result === 'string') {
    try {
      const parsed: unknown = JSON.parse(result);
      if (isStructured(parsed)) return structuredAnswer(parsed);
      return { statusCode: 200, headers: { 'content-type': 'application/json' }, body: Buffer.from(result, 'utf8') };
    } catch {
      return {
        statusCode: 200,
        headers: { 'content-type': 'text/plain; charset=utf-8' },
        body: Buffer.from(result, 'utf8'),
      };
    }
  }
  return {
    statusCode: 200,
    headers: { 'content-type': 'application/json' },
    body: Buffer.from(JSON.stringify(result), 'utf8'),
  };
}

/** What FC answers when the handler throws or runs out of time (the stack trace stays in the function's log). */
export function errorAnswer(
  error: unknown,
  errorType: 'UnhandledInvocationError' | 'FunctionTimeoutError',
): HttpAnswer {
  const err = error instanceof Error ? error : new Error(String(error));
  return {
    statusCode: 502,
    headers: { 'content-type': 'application/json', 'x-fc-error-type': errorType },
    body: Buffer.from(JSON.stringify({ errorMessage: scrub(err.message), errorType: err.name }), 'utf8'),
  };
}

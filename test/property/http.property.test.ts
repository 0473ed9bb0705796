// The HTTP edge (shared/http/: event parsing, router, JSON body parser) and the local runner's request mapping
// (local/runner/http-event.ts) against random input: whatever the event, path or body, the answer is a 4xx with a
// machine-readable code and a message (never a 5xx, never a crash); a path parameter reads back as the value that was
// percent-encoded into it, whatever equivalent encoding was used; a JSON body reads back as the value that was sent,
// plain or base64; the runner's event carries the request's bytes to the function unchanged.
import middy from '@middy/core';
import * as z from 'zod';
import { toHttpTriggerEvent, type IncomingHttpRequest } from '../../local/runner/http-event.js';
import { isAppError } from '../../shared/errors/index.js';
import {
  MAX_BODY_BYTES,
  createRouter,
  httpErrors,
  httpEvent,
  isJsonContentType,
  jsonResponse,
  parseHttpEvent,
  route,
  type HttpResponse,
} from '../../shared/http/index.js';
import { parseJsonBody } from '../../shared/http/middlewares.js';
import { createLogger } from '../../shared/log/index.js';
import { fc, outcome } from './settings.js';

const routes = [
  route({ method: 'GET', path: '/v1/things/:id', handle: async ({ params }) => jsonResponse(200, { id: params.id }) }),
  route({
    method: 'POST',
    path: '/v1/things',
    body: z.strictObject({ value: z.unknown() }),
    handle: async ({ body }) => jsonResponse(201, { value: body.value }),
  }),
  route({ method: 'GET', path: '/healthz', public: true, handle: async () => jsonResponse(200, { ok: true }) }),
];
const handler = middy(createRouter(routes, { authenticate: () => 'caller' }))
  .use(httpEvent())
  .use(httpErrors({ log: createLogger({ fn: 'property' }, 'error') }));
const invoke = (event: unknown) =>
  (handler as unknown as (e: unknown, c: unknown) => Promise<HttpResponse>)(event, { requestId: 'req-1' });

function event(method: string, rawPath: string, body = '', headers: Record<string, string> = {}, base64 = false) {
  return {
    version: 'v1',
    rawPath,
    headers,
    queryParameters: {},
    body,
    isBase64Encoded: base64,
    requestContext: { requestId: 'req-1', http: { method } },
  };
}

/** An error answer: a 4xx with `{code, message}`. */
function expectClientError(response: HttpResponse, codes?: string[]) {
  expect(response.statusCode).toBeGreaterThanOrEqual(400);
  expect(response.statusCode).toBeLessThan(500);
  const body = JSON.parse(response.body) as { code: unknown; message: unknown };
  expect(body).toEqual(expect.objectContaining({ code: expect.any(String), message: expect.any(String) }));
  if (codes) expect(codes).toContain(body.code);
}

describe('event parsing', () => {
  it('answers any event that is not an HTTP-trigger event with a coded 4xx, whatever its form', async () => {
    const notAnEvent = fc.oneof(
      fc.jsonValue(),
      fc.string().map((s) => Buffer.from(s)),
      fc.string(),
      fc.record({ rawPath: fc.jsonValue(), requestContext: fc.jsonValue() }, { requiredKeys: [] }),
    );
    await fc.assert(
      fc.asyncProperty(notAnEvent, async (raw) => {
        const response = await invoke(raw);
        // A JSON value can by chance be a valid event of an unknown path: then it is a 404, still a client error.
        expectClientError(response);
      }),
    );
  });

  it('accepts the same event as JSON text, as a Buffer of it, or as an object', () => {
    fc.assert(
      fc.property(fc.string(), fc.dictionary(fc.string({ minLength: 1 }), fc.string()), (body, headers) => {
        const e = event('post', '/v1/things', body, headers);
        const forms = [e, JSON.stringify(e), Buffer.from(JSON.stringify(e))].map((raw) => parseHttpEvent(raw));
        expect(forms[1]).toEqual(forms[0]);
        expect(forms[2]).toEqual(forms[0]);
        expect(forms[0].method).toBe('POST');
        expect(Object.keys(forms[0].headers).every((name) => name === name.toLowerCase())).toBe(true);
      }),
    );
  });

  it('marks a body over MAX_BODY_BYTES as oversized (413), plain or base64, and no body at or under it', () => {
    fc.assert(
      fc.property(fc.integer({ min: -3, max: 3 }), fc.boolean(), (delta, base64) => {
        const bytes = Buffer.alloc(MAX_BODY_BYTES + delta, 0x61);
        const request = parseHttpEvent(
          event('POST', '/v1/things', base64 ? bytes.toString('base64') : bytes.toString('utf8'), {}, base64),
        );
        expect(request.oversized === true).toBe(delta > 0);
        if (delta > 0)
          expect(outcome(() => parseJsonBody(request))).toMatchObject({ ok: false, error: { status: 413 } });
        else expect(request.body.length).toBe(bytes.length);
      }),
      { numRuns: 20 },
    );
  });
});

describe('router', () => {
  it('answers any path with a route or a 4xx (INVALID_PATH, ROUTE_NOT_FOUND, METHOD_NOT_ALLOWED)', async () => {
    const pathArb = fc.oneof(
      fc.string().map((s) => `/${s}`),
      fc
        .array(fc.constantFrom('v1', 'things', '.', '..', '%2e', '%2E%2e', '%', '%zz', '', 'x', '%2F', '?a=b'), {
          maxLength: 5,
        })
        .map((parts) => `/${parts.join('/')}`),
    );
    await fc.assert(
      fc.asyncProperty(fc.constantFrom('GET', 'POST', 'DELETE', 'get'), pathArb, async (method, rawPath) => {
        const response = await invoke(event(method, rawPath));
        if (response.statusCode === 200) return;
        // POST /v1/things itself is a route: its empty body then fails the body schema (VALIDATION_FAILED).
        expectClientError(response, ['INVALID_PATH', 'ROUTE_NOT_FOUND', 'METHOD_NOT_ALLOWED', 'VALIDATION_FAILED']);
      }),
    );
  });

  it('hands the handler the decoded parameter, whatever equivalent percent-encoding the caller used', async () => {
    const idArb = fc.string({ minLength: 1, unit: 'grapheme' }).filter((id) => id !== '.' && id !== '..');
    // Each character either as it is (when safe in a path segment) or percent-encoded, in either hex case.
    const spelled = (id: string, choices: boolean[]) =>
      [...Buffer.from(id, 'utf8')]
        .map((byte, i) => {
          const ch = String.fromCharCode(byte);
          const safe = byte < 0x80 && /[A-Za-z0-9\-_~!$&'()*+,;=:@]/.test(ch);
          const hex = byte.toString(16).padStart(2, '0');
          if (safe && !choices[i % choices.length]) return ch;
          return `%${i % 2 ? hex.toUpperCase() : hex}`;
        })
        .join('');
    await fc.assert(
      fc.asyncProperty(idArb, fc.array(fc.boolean(), { minLength: 1 }), fc.boolean(), async (id, choices, slash) => {
        const response = await invoke(event('GET', `/v1/things/${spelled(id, choices)}${slash ? '/' : ''}`));
        expect(response.statusCode).toBe(200);
        expect(JSON.parse(response.body)).toEqual({ id });
      }),
    );
  });

  it('refuses a dot segment in every spelling with 400 INVALID_PATH', async () => {
    const dots = fc.constantFrom('.', '..', '%2e', '%2E', '%2e%2e', '.%2E', '%2e.');
    await fc.assert(
      fc.asyncProperty(dots, fc.constantFrom('/v1/things/', '/v1/', '/'), async (dot, before) => {
        expectClientError(await invoke(event('GET', `${before}${dot}`)), ['INVALID_PATH']);
      }),
      { numRuns: 30 },
    );
  });
});

describe('JSON body parser', () => {
  const jsonTypeArb = fc.constantFrom(
    'application/json',
    'Application/JSON',
    'application/json; charset=utf-8',
    'application/json;charset="UTF-8"',
    'application/merge-patch+json',
    'application/vnd.example.v1+json ; charset=utf-8',
  );

  it('reads back any JSON value, sent as text or base64, under any JSON media type', async () => {
    await fc.assert(
      fc.asyncProperty(fc.jsonValue(), jsonTypeArb, fc.boolean(), async (value, contentType, base64) => {
        const text = JSON.stringify({ value });
        const body = base64 ? Buffer.from(text).toString('base64') : text;
        const response = await invoke(event('POST', '/v1/things', body, { 'Content-Type': contentType }, base64));
        expect(response.statusCode).toBe(201);
        expect(JSON.parse(response.body)).toEqual(JSON.parse(text));
      }),
    );
  });

  it('answers any body under any media type with the value or a coded 4xx (never a 5xx)', async () => {
    const bodyArb = fc.oneof(
      fc.string(),
      fc.jsonValue().map((v) => JSON.stringify(v)),
      fc.uint8Array({ maxLength: 64 }).map((b) => Buffer.from(b).toString('latin1')),
    );
    const typeArb = fc.oneof(
      jsonTypeArb,
      fc.string(),
      fc.constantFrom('text/plain', 'application/json; charset=latin1'),
    );
    await fc.assert(
      fc.asyncProperty(bodyArb, typeArb, async (body, contentType) => {
        const response = await invoke(event('POST', '/v1/things', body, { 'content-type': contentType }));
        if (response.statusCode === 201) return;
        expectClientError(response, ['INVALID_JSON', 'UNSUPPORTED_MEDIA_TYPE', 'VALIDATION_FAILED']);
      }),
    );
  });

  it('parses raw bytes to JSON or throws a coded client error', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), jsonTypeArb, (bytes, contentType) => {
        const request = parseHttpEvent(event('POST', '/v1/things', Buffer.from(bytes).toString('base64'), {}, true));
        request.headers['content-type'] = contentType;
        const result = outcome(() => parseJsonBody(request));
        if (!result.ok) {
          expect(isAppError(result.error)).toBe(true);
          expect(result.error).toMatchObject({ status: 400, code: 'INVALID_JSON' });
        }
      }),
    );
  });

  it('classifies a media type the same whatever its case, spacing and charset spelling', () => {
    const spelling = fc.tuple(
      fc.constantFrom('application/json', 'application/problem+json', 'text/json', 'application/jsonx', 'text/plain'),
      fc.constantFrom('', '; charset=utf-8', ';charset=UTF-8', ' ; charset="utf-8"', '; charset=iso-8859-1'),
      fc.boolean(),
    );
    fc.assert(
      fc.property(spelling, fc.constantFrom('', ' ', '  '), ([type, params, upper], pad) => {
        const plain = type + params;
        const other = pad + (upper ? plain.toUpperCase() : plain) + pad;
        expect(isJsonContentType(other)).toBe(isJsonContentType(plain));
        expect(isJsonContentType(plain)).toBe(/^application\/(.+\+)?json$/.test(type) && !/8859/.test(params));
      }),
    );
  });
});

describe('local runner -> function: the request arrives unchanged', () => {
  const headerName = fc.stringMatching(/^[A-Za-z][A-Za-z0-9-]{0,15}$/);
  const requestArb = fc.record({
    method: fc.constantFrom('get', 'POST', 'Put', 'delete'),
    path: fc.array(fc.stringMatching(/^[A-Za-z0-9._~%-]{1,8}$/), { maxLength: 4 }).map((s) => `/${s.join('/')}`),
    query: fc.dictionary(
      fc.stringMatching(/^[a-z]{1,6}$/),
      fc.string({ maxLength: 12 }).filter((v) => !v.includes(',')),
    ),
    headers: fc.dictionary(
      headerName,
      fc.array(
        fc.stringMatching(/^[ -~]{0,20}$/).filter((v) => !v.includes(',')),
        { minLength: 1, maxLength: 2 },
      ),
    ),
    contentType: fc.constantFrom(undefined, 'application/json', 'text/plain', 'application/octet-stream', 'image/png'),
    body: fc.oneof(
      fc.string().map((s) => Buffer.from(s)),
      fc.uint8Array({ maxLength: 200 }).map((b) => Buffer.from(b)),
    ),
  });

  it('carries method, path, query, headers and body bytes through the v1 event to parseHttpEvent', () => {
    fc.assert(
      fc.property(requestArb, (r) => {
        const query = Object.entries(r.query)
          .map(([k, v]) => `${k}=${encodeURIComponent(v)}`)
          .join('&');
        const headers: Record<string, string[]> = {};
        for (const [name, values] of Object.entries(r.headers)) headers[name.toLowerCase()] = values;
        if (r.contentType) headers['content-type'] = [r.contentType];
        const incoming: IncomingHttpRequest = {
          method: r.method,
          url: query ? `${r.path}?${query}` : r.path,
          headers,
          body: r.body,
          sourceIp: '::ffff:127.0.0.1',
        };
        const fcEvent = toHttpTriggerEvent(incoming, { accountId: '1', requestId: 'req-1', now: new Date(0) });
        const request = parseHttpEvent(JSON.stringify(fcEvent));
        expect(request.body).toEqual(r.body);
        expect(request.method).toBe(r.method.toUpperCase());
        expect(request.rawPath).toBe(r.path);
        expect(request.query).toEqual(r.query);
        for (const [name, values] of Object.entries(headers)) expect(request.headers[name]).toBe(values.join(','));
        expect(request.sourceIp).toBe('127.0.0.1');
      }),
    );
  });
});

import middy from '@middy/core';
import * as z from 'zod';
import { AppError, UpstreamError } from '../../../shared/errors/index.js';
import {
  createRouter,
  httpErrors,
  httpEvent,
  isJsonContentType,
  jsonBody,
  jsonResponse,
  MAX_BODY_BYTES,
  route,
  type HttpResponse,
} from '../../../shared/http/index.js';
import { createLogger, setLogSink } from '../../../shared/log/index.js';

const lines: string[] = [];
setLogSink((line) => lines.push(line));

const routes = [
  route({ method: 'GET', path: '/things/:id', handle: async ({ params }) => jsonResponse(200, { id: params.id }) }),
  route({
    method: 'POST',
    path: '/things',
    body: z.strictObject({ name: z.string() }),
    handle: async ({ body }) => jsonResponse(201, { name: body.name }),
  }),
  route({ method: 'GET', path: '/boom', handle: async () => Promise.reject(new Error('secret detail: key=abc')) }),
  route({
    method: 'GET',
    path: '/busy',
    handle: async () => Promise.reject(new UpstreamError('CA_UNAVAILABLE', 'Retry.')),
  }),
  route({
    method: 'GET',
    path: '/fatal',
    handle: async () => Promise.reject(new AppError('STATE_UNREADABLE', 500, 'Stored state could not be opened.')),
  }),
];
const handler = middy(createRouter(routes))
  .use(httpEvent())
  .use(jsonBody())
  .use(httpErrors({ log: createLogger({}, 'debug') }));

function event(
  method: string,
  rawPath: string,
  options: { body?: string; headers?: Record<string, string>; base64?: boolean; query?: Record<string, string> } = {},
) {
  return {
    version: 'v1',
    rawPath,
    headers: options.headers ?? {},
    queryParameters: options.query ?? {},
    body: options.body ?? '',
    isBase64Encoded: options.base64 ?? false,
    requestContext: { requestId: 'req-1', http: { method, path: rawPath, sourceIp: '127.0.0.1' } },
  };
}

async function call(e: unknown): Promise<{ status: number; json: any; headers: Record<string, string> }> {
  const answer = (await handler(e as never, {} as never)) as HttpResponse;
  return { status: answer.statusCode, json: JSON.parse(answer.body), headers: answer.headers };
}

describe('FC HTTP events', () => {
  it.each([
    ['an object', event('GET', '/things/a1')],
    ['a string', JSON.stringify(event('GET', '/things/a1'))],
    ['a Buffer', Buffer.from(JSON.stringify(event('GET', '/things/a1')))],
  ])('accepts the event as %s', async (_kind, e) => {
    const answer = await call(e);
    expect(answer).toMatchObject({ status: 200, json: { id: 'a1' } });
    expect(answer.headers).toMatchObject({
      'x-content-type-options': 'nosniff',
      'cache-control': 'no-store',
      'x-request-id': 'req-1',
      'content-type': 'application/json; charset=utf-8',
    });
  });

  it('refuses something that is not an HTTP event', async () => {
    expect(await call(Buffer.from('{"triggerTime":"x"}'))).toMatchObject({
      status: 400,
      json: { code: 'INVALID_EVENT' },
    });
  });

  it('decodes base64 bodies', async () => {
    const body = Buffer.from('{"name":"n1"}').toString('base64');
    expect(
      await call(event('POST', '/things', { body, base64: true, headers: { 'content-type': 'application/json' } })),
    ).toMatchObject({ status: 201, json: { name: 'n1' } });
  });
});

describe('JSON bodies', () => {
  it.each([
    ['application/json', 201],
    ['application/json; charset=utf-8', 201],
    ['Application/JSON; charset="UTF-8"', 201],
    ['application/merge-patch+json', 201],
    ['application/json; charset=latin1', 415],
    ['text/plain', 415],
    ['application/x-www-form-urlencoded', 415],
  ])('content type %s -> %i', async (contentType, status) => {
    const answer = await call(
      event('POST', '/things', { body: '{"name":"n"}', headers: { 'content-type': contentType } }),
    );
    expect(answer.status).toBe(status);
    if (status === 415) expect(answer.json.code).toBe('UNSUPPORTED_MEDIA_TYPE');
  });

  it('refuses a body over 256 KB with 413, also when base64-encoded', async () => {
    const big = `{"name":"${'x'.repeat(MAX_BODY_BYTES)}"}`;
    expect(
      (await call(event('POST', '/things', { body: big, headers: { 'content-type': 'application/json' } }))).json.code,
    ).toBe('PAYLOAD_TOO_LARGE');
    const big64 = Buffer.from(big).toString('base64');
    expect(
      (
        await call(
          event('POST', '/things', { body: big64, base64: true, headers: { 'content-type': 'application/json' } }),
        )
      ).status,
    ).toBe(413);
  });

  it.each([
    ['truncated JSON', '{"name":'],
    ['invalid UTF-8', Buffer.from([0x7b, 0xff, 0x7d]).toString('latin1')],
  ])('refuses %s with INVALID_JSON', async (_name, body) => {
    const base64 = Buffer.from(body, 'latin1').toString('base64');
    const answer = await call(
      event('POST', '/things', { body: base64, base64: true, headers: { 'content-type': 'application/json' } }),
    );
    expect(answer).toMatchObject({ status: 400, json: { code: 'INVALID_JSON' } });
  });

  it('validates strictly and names the field', async () => {
    const answer = await call(
      event('POST', '/things', { body: '{"name":"n","extra":1}', headers: { 'content-type': 'application/json' } }),
    );
    expect(answer.status).toBe(400);
    expect(answer.json.code).toBe('VALIDATION_FAILED');
    expect(answer.json.details.issues[0]).toMatchObject({ code: 'unrecognized_keys' });
  });

  it('refuses a JSON array or a __proto__ key', async () => {
    expect(
      (await call(event('POST', '/things', { body: '[1]', headers: { 'content-type': 'application/json' } }))).json
        .code,
    ).toBe('VALIDATION_FAILED');
    expect(
      (
        await call(
          event('POST', '/things', {
            body: '{"name":"n","__proto__":{"x":1}}',
            headers: { 'content-type': 'application/json' },
          }),
        )
      ).json.code,
    ).toBe('VALIDATION_FAILED');
  });
});

describe('routing', () => {
  it.each([
    ['GET', '/nowhere', 404, 'ROUTE_NOT_FOUND'],
    ['DELETE', '/things/a1', 405, 'METHOD_NOT_ALLOWED'],
    ['GET', '/things/../boom', 400, 'INVALID_PATH'],
    ['GET', '/things/%2e%2e', 400, 'INVALID_PATH'],
    ['GET', '/things/%E0%A4%A', 400, 'INVALID_PATH'],
  ])('%s %s -> %i %s', async (method, path, status, code) => {
    expect(await call(event(method, path))).toMatchObject({ status, json: { code } });
  });

  it('names the methods a path takes in the Allow header of a 405 (RFC 9110)', async () => {
    const answer = await call(event('PUT', '/things/a1'));
    expect(answer).toMatchObject({
      status: 405,
      json: { code: 'METHOD_NOT_ALLOWED', details: { allowed: ['GET', 'HEAD'] } },
    });
    expect(answer.headers.allow).toBe('GET, HEAD');
  });

  it('answers HEAD like GET (RFC 9110), and names POST-only paths without HEAD', async () => {
    expect(await call(event('HEAD', '/things/a1'))).toMatchObject({ status: 200, json: { id: 'a1' } });
    const postOnly = await call(event('HEAD', '/things'));
    expect(postOnly.status).toBe(405);
    expect(postOnly.headers.allow).toBe('POST');
  });

  it("refuses a path over 4096 characters as the caller's error (INVALID_PATH), not as a broken event", async () => {
    const answer = await call(event('GET', `/things/${'a'.repeat(5000)}`));
    expect(answer).toMatchObject({ status: 400, json: { code: 'INVALID_PATH' } });
  });

  it('refuses query parameters a route does not take', async () => {
    expect((await call(event('GET', '/things/a1', { query: { x: '1' } }))).json.code).toBe('VALIDATION_FAILED');
  });
});

describe('errors', () => {
  it('hides unexpected errors behind a generic 500 and logs them without secrets', async () => {
    lines.length = 0;
    const answer = await call(event('GET', '/boom'));
    expect(answer).toMatchObject({ status: 500, json: { code: 'INTERNAL', message: 'Internal error.' } });
    expect(JSON.stringify(answer.json)).not.toContain('secret detail');
    expect(lines.some((l) => l.includes('"level":"error"'))).toBe(true);
  });

  it('shows retryable upstream errors with retry-after', async () => {
    const answer = await call(event('GET', '/busy'));
    expect(answer).toMatchObject({ status: 503, json: { code: 'CA_UNAVAILABLE', retryable: true } });
    expect(answer.headers['retry-after']).toBe('1');
  });

  it('keeps a non-retryable 5xx message generic', async () => {
    expect(await call(event('GET', '/fatal'))).toMatchObject({
      status: 500,
      json: { code: 'STATE_UNREADABLE', message: 'Internal error.' },
    });
  });
});

describe('isJsonContentType', () => {
  it('needs a content type', () => {
    expect(isJsonContentType(undefined)).toBe(false);
  });
});

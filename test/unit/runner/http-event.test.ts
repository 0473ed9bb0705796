// The FC 3.0 HTTP-trigger mapping: request -> v1 event, handler answer -> HTTP (pure, no sockets).
import {
  errorAnswer,
  fromHandlerResult,
  toHttpTriggerEvent,
  type IncomingHttpRequest,
} from '../../../local/runner/http-event.js';

const now = new Date('2026-03-01T10:20:30.456Z');
const meta = { accountId: '1234567890123456', requestId: '1-abc-def', now };

function request(overrides: Partial<IncomingHttpRequest> = {}): IncomingHttpRequest {
  return {
    method: 'post',
    url: '/v1/certificates',
    headers: { host: ['127.0.0.1:9000'], 'user-agent': ['curl/8.5.0'], 'content-type': ['application/json'] },
    body: Buffer.from('{"commonName":"a.example.com"}'),
    sourceIp: '::ffff:127.0.0.1',
    ...overrides,
  };
}

describe('toHttpTriggerEvent', () => {
  it('builds the v1 event with FC request context', () => {
    // Act
    const event = toHttpTriggerEvent(request(), meta);
    // Assess
    expect(event).toEqual({
      version: 'v1',
      rawPath: '/v1/certificates',
      headers: { host: '127.0.0.1:9000', 'user-agent': 'curl/8.5.0', 'content-type': 'application/json' },
      queryParameters: {},
      body: '{"commonName":"a.example.com"}',
      isBase64Encoded: false,
      requestContext: {
        accountId: '1234567890123456',
        domainName: '127.0.0.1:9000',
        domainPrefix: '127',
        http: {
          method: 'POST',
          path: '/v1/certificates',
          protocol: 'HTTP/1.1',
          sourceIp: '127.0.0.1',
          userAgent: 'curl/8.5.0',
        },
        requestId: '1-abc-def',
        time: '2026-03-01T10:20:30Z',
        timeEpoch: String(now.getTime()),
      },
    });
  });

  it.each([
    ['repeated query keys are joined with a comma', '/x?status=a&status=b&q=', { status: 'a,b', q: '' }],
    ['values are URL-decoded', '/x?prefix=a%2Eb+c&flag', { prefix: 'a.b c', flag: '' }],
    ['malformed escapes are kept as sent', '/x?bad=%zz', { bad: '%zz' }],
  ])('query: %s', (_name, url, expected) => {
    expect(toHttpTriggerEvent(request({ url }), meta).queryParameters).toEqual(expected);
  });

  it('keeps rawPath encoded and decodes http.path', () => {
    const event = toHttpTriggerEvent(request({ url: '/v1/certificates/%2e%2e%2fx?a=1' }), meta);
    expect(event.rawPath).toBe('/v1/certificates/%2e%2e%2fx');
    expect(event.requestContext.http.path).toBe('/v1/certificates/../x');
  });

  it('lower-cases header names and joins repeated values with a comma', () => {
    const event = toHttpTriggerEvent(request({ headers: { 'X-Custom': ['a', 'b'], Accept: 'text/plain' } }), meta);
    expect(event.headers).toEqual({ 'x-custom': 'a,b', accept: 'text/plain' });
  });

  it.each([
    ['application/json', false, Buffer.from('{"a":1}')],
    ['text/plain; charset=utf-8', false, Buffer.from('héllo')],
    ['application/merge-patch+json', false, Buffer.from('{}')],
    ['application/x-www-form-urlencoded', false, Buffer.from('a=1')],
    ['application/octet-stream', true, Buffer.from([0, 1, 2, 255])],
    ['application/x-pem-file', true, Buffer.from('-----BEGIN CERTIFICATE REQUEST-----')],
    [undefined, true, Buffer.from('no content type')],
    ['application/json', true, Buffer.from([0xc3, 0x28])], // not valid UTF-8: never corrupt it
  ])('content-type %s -> base64 %s', (contentType, base64, body) => {
    const headers = contentType ? { 'content-type': [contentType] } : {};
    const event = toHttpTriggerEvent(request({ headers, body }), meta);
    expect(event.isBase64Encoded).toBe(base64);
    const decoded = base64 ? Buffer.from(event.body, 'base64') : Buffer.from(event.body, 'utf8');
    expect(decoded.equals(body)).toBe(true);
  });

  it('an empty body is an empty, not encoded string', () => {
    const event = toHttpTriggerEvent(request({ method: 'GET', body: Buffer.alloc(0), headers: {} }), meta);
    expect(event.body).toBe('');
    expect(event.isBase64Encoded).toBe(false);
  });
});

describe('fromHandlerResult', () => {
  it.each([
    [
      'a structured answer',
      { statusCode: 201, headers: { 'Content-Type': 'application/json', 'X-N': 5 }, body: '{"id":"x"}' },
      { statusCode: 201, headers: { 'content-type': 'application/json', 'x-n': '5' }, body: '{"id":"x"}' },
    ],
    [
      'a base64 body',
      { statusCode: 200, isBase64Encoded: true, body: Buffer.from([1, 2, 3]).toString('base64') },
      { statusCode: 200, headers: {}, body: '\u0001\u0002\u0003' },
    ],
    [
      'an object body',
      { statusCode: 400, body: { code: 'X' } },
      { statusCode: 400, headers: { 'content-type': 'application/json' }, body: '{"code":"X"}' },
    ],
    ['a plain string', 'ok', { statusCode: 200, headers: { 'content-type': 'text/plain; charset=utf-8' }, body: 'ok' }],
    [
      'a JSON string of a structured answer',
      JSON.stringify({ statusCode: 204, body: '' }),
      { statusCode: 204, headers: {}, body: '' },
    ],
    ['a plain object', { a: 1 }, { statusCode: 200, headers: { 'content-type': 'application/json' }, body: '{"a":1}' }],
    ['nothing', undefined, { statusCode: 200, headers: {}, body: '' }],
    [
      'an out-of-range statusCode is just data',
      { statusCode: 42 },
      { statusCode: 200, headers: { 'content-type': 'application/json' }, body: '{"statusCode":42}' },
    ],
  ])('maps %s', (_name, result, expected) => {
    const answer = fromHandlerResult(result);
    expect({ statusCode: answer.statusCode, headers: answer.headers, body: answer.body.toString('latin1') }).toEqual(
      expected,
    );
  });

  it('keeps multi-value headers (set-cookie) as arrays', () => {
    const answer = fromHandlerResult({ statusCode: 200, headers: { 'set-cookie': ['a=1', 'b=2'] } });
    expect(answer.headers['set-cookie']).toEqual(['a=1', 'b=2']);
  });
});

describe('errorAnswer', () => {
  it('answers 502 with the error type and a scrubbed message, no stack', () => {
    const answer = errorAnswer(new TypeError('boom https://x/?Signature=abc123'), 'UnhandledInvocationError');
    const body = JSON.parse(answer.body.toString());
    expect(answer.statusCode).toBe(502);
    expect(answer.headers['x-fc-error-type']).toBe('UnhandledInvocationError');
    expect(body).toEqual({ errorMessage: 'boom https://x/?Signature=[REDACTED]', errorType: 'TypeError' });
  });
});

/**
 * middy middlewares for FC HTTP-trigger functions, in the order they run:
 * `httpEvent` turns the raw event into an `HttpRequest` (size checked), `jsonBody` checks the content type and
 * parses JSON (or the router does, after authentication), `httpErrors` maps any error to `{code, message}` with its status, and every answer leaves with
 * the security headers. Usage: `middy(handler).use(httpEvent()).use(jsonBody()).use(httpErrors({ log }))`.
 */
import type { MiddlewareObj, Request } from '@middy/core';
import { AppError, ValidationError, isAppError, toPublicBody } from '../errors/index.js';
import { errorFields, type Logger } from '../log/index.js';
import { PayloadTooLargeError, parseHttpEvent, type HttpRequest, type HttpResponse } from './event.js';
import { jsonResponse, withSecurityHeaders } from './response.js';

type HttpMiddyRequest = Request<HttpRequest, HttpResponse>;

const START = Symbol('start');

export function httpEvent(): MiddlewareObj<HttpRequest, HttpResponse> {
  return {
    before: (request: HttpMiddyRequest) => {
      const context = request.context as unknown as { requestId?: string };
      (request as unknown as Record<symbol, number>)[START] = Date.now();
      request.event = parseHttpEvent(request.event as unknown, context);
    },
  };
}

export class UnsupportedMediaTypeError extends AppError {
  constructor() {
    super('UNSUPPORTED_MEDIA_TYPE', 415, 'Send the body as application/json (UTF-8).');
  }
}

const JSON_MEDIA_TYPE = /^application\/(?:[a-z0-9.+-]+\+)?json$/;

/** `application/json` or `application/*+json`, with no charset or a UTF-8 one. */
export function isJsonContentType(value: string | undefined): boolean {
  if (!value) return false;
  const [type, ...params] = value.split(';').map((p) => p.trim().toLowerCase());
  if (!JSON_MEDIA_TYPE.test(type)) return false;
  return params.every((p) => !p.startsWith('charset=') || /^charset="?utf-8"?$/.test(p));
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * Parses a JSON body when there is one (413 when it was too large, 415 when it is not JSON); an empty body leaves
 * `json` undefined (routes decide if that is fine). The router calls it after authentication.
 */
export function parseJsonBody(event: HttpRequest): void {
  if (event.oversized) throw new PayloadTooLargeError();
  if (event.body.length === 0) return;
  if (!isJsonContentType(event.headers['content-type'])) throw new UnsupportedMediaTypeError();
  let text: string;
  try {
    text = utf8.decode(event.body);
  } catch {
    throw new ValidationError('INVALID_JSON', 'The body is not valid UTF-8.');
  }
  try {
    event.json = JSON.parse(text);
  } catch {
    throw new ValidationError('INVALID_JSON', 'The body is not valid JSON.');
  }
}

/** `parseJsonBody` as a middleware, for handlers without authentication (the router parses bodies itself). */
export function jsonBody(): MiddlewareObj<HttpRequest, HttpResponse> {
  return {
    before: (request: HttpMiddyRequest) => parseJsonBody(request.event),
  };
}

/**
 * Any error becomes `{code, message[, details, retryable]}` with the error's status. Causes, stacks and SDK
 * errors go to the log only; a 5xx that is not retryable shows a generic text (middy's http-error-handler rule).
 */
export function httpErrors(options: { log: Logger }): MiddlewareObj<HttpRequest, HttpResponse> {
  const finish = (request: HttpMiddyRequest, code?: string) => {
    const started = (request as unknown as Record<symbol, number | undefined>)[START];
    const event = request.event as HttpRequest | undefined;
    const requestId = event?.requestId ?? (request.context as unknown as { requestId?: string })?.requestId;
    if (request.response) {
      request.response = withSecurityHeaders(request.response, requestId);
      options.log.info('request', {
        event: 'http.request',
        requestId,
        method: event?.method,
        path: event?.rawPath,
        statusCode: request.response.statusCode,
        code,
        durationMs: started ? Date.now() - started : undefined,
      });
    }
  };
  return {
    after: finish,
    onError: (request: HttpMiddyRequest) => {
      const err = request.error;
      const status = isAppError(err) ? err.status : 500;
      const headers: Record<string, string> = {};
      if (status === 401) headers['www-authenticate'] = 'Bearer';
      const allowed = isAppError(err) ? err.details?.allowed : undefined;
      if (status === 405 && Array.isArray(allowed)) headers.allow = allowed.join(', ');
      if (isAppError(err) && err.retryable) {
        // A 429 names its own wait (rate limit, daily quota); other retryable errors: a second.
        const wait = Number(err.details?.retryAfterSeconds);
        headers['retry-after'] = Number.isInteger(wait) && wait > 0 ? String(wait) : '1';
      }
      if (status >= 500) {
        options.log.error('request failed', {
          ...errorFields(err),
          status,
          retryable: isAppError(err) ? err.retryable : false,
        });
      }
      const body = toPublicBody(err);
      request.response = jsonResponse(status, body, headers);
      finish(request, body.code);
    },
  };
}

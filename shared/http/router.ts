/**
 * Routes as data: method + path pattern (`/v1/certificates/:id/links`) + optional zod schemas for the body and
 * the query. The router matches on the raw path, refuses dot segments and bad percent-encoding, authenticates,
 * then parses and validates the inputs once, and hands the handler typed values. Param values are only decoded, never trusted: handlers
 * check them (e.g. certificate ids) before using them in a storage key.
 */
import * as z from 'zod';
import { AppError, ValidationError } from '../errors/index.js';
import type { HttpRequest, HttpResponse } from './event.js';
import { parseJsonBody } from './middlewares.js';

export interface RouteInput<TBody, TQuery> {
  request: HttpRequest;
  /** What the router's `authenticate` returned (undefined on public routes or without one). */
  caller: unknown;
  params: Record<string, string>;
  body: TBody;
  query: TQuery;
}

export interface Route {
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  path: string;
  /** No authentication (e.g. a health check). */
  public?: boolean;
  /** Body schema; without one a non-empty body is refused. An empty body is validated as `{}`. */
  body?: z.ZodType;
  /** Query schema; without one any query parameter is refused. */
  query?: z.ZodType;
  handle(input: RouteInput<unknown, unknown>): Promise<HttpResponse>;
}

/** Keeps each route's handler typed by its schemas while the table stays a plain array. */
export function route<
  B extends z.ZodType | undefined = undefined,
  Q extends z.ZodType | undefined = undefined,
>(definition: {
  method: Route['method'];
  path: string;
  public?: boolean;
  body?: B;
  query?: Q;
  handle(
    input: RouteInput<
      B extends z.ZodType ? z.infer<B> : undefined,
      Q extends z.ZodType ? z.infer<Q> : Record<string, never>
    >,
  ): Promise<HttpResponse>;
}): Route {
  return definition as unknown as Route;
}

export class RouteNotFoundError extends AppError {
  constructor() {
    super('ROUTE_NOT_FOUND', 404, 'No such endpoint.');
  }
}

export class MethodNotAllowedError extends AppError {
  /** `allowed`: the methods the path does take, for the `Allow` header RFC 9110 requires on a 405. */
  constructor(allowed: string[] = []) {
    super('METHOD_NOT_ALLOWED', 405, 'This endpoint does not accept that method.', {
      details: allowed.length > 0 ? { allowed } : undefined,
    });
  }
}

/** zod issues as machine-readable details; messages never carry the input values. */
export function validationError(error: z.ZodError, where: 'body' | 'query'): ValidationError {
  const issues = error.issues.slice(0, 20).map((issue) => ({
    path: issue.path.map(String).join('.') || where,
    code: issue.code,
    message: issue.message,
  }));
  return new ValidationError('VALIDATION_FAILED', `The request ${where} is invalid.`, { details: { issues } });
}

function splitPath(rawPath: string): string[] {
  const withoutQuery = rawPath.split('?')[0];
  const segments = withoutQuery.split('/').slice(1);
  if (segments.length > 1 && segments[segments.length - 1] === '') segments.pop();
  return segments.map((segment) => {
    let decoded: string;
    try {
      decoded = decodeURIComponent(segment);
    } catch {
      throw new ValidationError('INVALID_PATH', 'The request path is not valid percent-encoding.');
    }
    if (segment === '.' || segment === '..' || decoded === '.' || decoded === '..') {
      throw new ValidationError('INVALID_PATH', 'The request path must not contain dot segments.');
    }
    return decoded;
  });
}

function matchPattern(pattern: string[], segments: string[]): Record<string, string> | undefined {
  if (pattern.length !== segments.length) return undefined;
  const params: Record<string, string> = {};
  for (let i = 0; i < pattern.length; i += 1) {
    if (pattern[i].startsWith(':')) params[pattern[i].slice(1)] = segments[i];
    else if (pattern[i] !== segments[i]) return undefined;
  }
  return params;
}

export interface RouterOptions {
  /** Runs for every non-public route once it matched, before the body is read or any input validated. */
  authenticate?(request: HttpRequest): unknown;
}

export function createRouter(
  routes: Route[],
  options: RouterOptions = {},
): (request: HttpRequest) => Promise<HttpResponse> {
  const table = routes.map((r) => ({ route: r, pattern: r.path.split('/').slice(1) }));
  return async (request) => {
    const segments = splitPath(request.rawPath);
    // HEAD is GET without the body (RFC 9110 9.3.2): same route, same checks; the HTTP layer sends no body.
    const method = request.method === 'HEAD' ? 'GET' : request.method;
    const allowed: string[] = [];
    for (const { route: r, pattern } of table) {
      const params = matchPattern(pattern, segments);
      if (!params) continue;
      if (r.method !== method) {
        for (const m of r.method === 'GET' ? ['GET', 'HEAD'] : [r.method]) if (!allowed.includes(m)) allowed.push(m);
        continue;
      }

      // Authentication first: without a valid token the answer is 401 whatever the body or query holds.
      const caller = r.public ? undefined : await options.authenticate?.(request);
      if (request.json === undefined) parseJsonBody(request);

      let body: unknown = undefined;
      if (r.body) {
        const parsed = r.body.safeParse(request.json ?? {});
        if (!parsed.success) throw validationError(parsed.error, 'body');
        body = parsed.data;
      } else if (request.json !== undefined) {
        throw new ValidationError('VALIDATION_FAILED', 'This endpoint takes no request body.');
      }

      let query: unknown = {};
      if (r.query) {
        const parsed = r.query.safeParse(request.query);
        if (!parsed.success) throw validationError(parsed.error, 'query');
        query = parsed.data;
      } else if (Object.keys(request.query).length > 0) {
        throw new ValidationError('VALIDATION_FAILED', 'This endpoint takes no query parameters.');
      }
      return r.handle({ request, caller, params, body, query });
    }
    throw allowed.length > 0 ? new MethodNotAllowedError(allowed) : new RouteNotFoundError();
  };
}

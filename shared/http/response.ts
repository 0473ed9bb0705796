/**
 * JSON answers with the headers every answer carries. The API only ever returns JSON to programs, so the
 * headers forbid caching, sniffing, framing and referrers outright.
 */
import type { HttpResponse } from './event.js';

export const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'cache-control': 'no-store',
  'content-security-policy': "default-src 'none'; frame-ancestors 'none'",
  'referrer-policy': 'no-referrer',
  'strict-transport-security': 'max-age=63072000; includeSubDomains',
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
};

export function jsonResponse(statusCode: number, body: unknown, headers: Record<string, string> = {}): HttpResponse {
  return {
    statusCode,
    headers: { 'content-type': 'application/json; charset=utf-8', ...headers },
    isBase64Encoded: false,
    body: JSON.stringify(body),
  };
}

/** Adds the security headers to an answer without overriding what the handler set on purpose. */
export function withSecurityHeaders(response: HttpResponse, requestId?: string): HttpResponse {
  return {
    ...response,
    headers: { ...SECURITY_HEADERS, ...(requestId ? { 'x-request-id': requestId } : {}), ...response.headers },
  };
}

/**
 * FC stops a function at its timeout, and the caller then gets a non-retryable error whatever was half done. Each
 * request gets a deadline a margin before that (from the FC context's `function.timeout`), and the certificate
 * service answers a retryable 503 (DEADLINE_EXCEEDED) when it cannot finish by then (shared/certificates/budget.ts).
 */
import type { MiddlewareObj, Request } from '@middy/core';
import type { Clock } from '../../shared/domain/ports.js';
import type { HttpRequest, HttpResponse } from '../../shared/http/index.js';

/** Time kept for answering: a tenth of the timeout, at least 3 s. */
export function deadlineFor(start: Date, timeoutSeconds: number): Date {
  const timeoutMs = timeoutSeconds * 1000;
  return new Date(start.getTime() + timeoutMs - Math.max(3000, timeoutMs / 10));
}

export function requestDeadline(clock: Clock): MiddlewareObj<HttpRequest, HttpResponse> {
  return {
    before: (request: Request<HttpRequest, HttpResponse>) => {
      const timeout = (request.context as unknown as { function?: { timeout?: unknown } })?.function?.timeout;
      if (typeof timeout === 'number' && timeout > 0) request.event.deadline = deadlineFor(clock.now(), timeout);
    },
  };
}

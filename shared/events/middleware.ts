/**
 * middy middlewares for event-triggered functions (timer, EventBridge, async invocation): decode and validate the
 * event once, before the handler; log a failure with safe fields and rethrow it, so FC counts the invocation as
 * failed and applies its retries and failure destination.
 */
import type middy from '@middy/core';
import { isAppError } from '../errors/index.js';
import { errorFields, type Logger } from '../log/index.js';
import { decodeFcEvent } from './fc-event.js';

type Request = middy.Request<unknown, unknown, Error, { requestId?: string }>;

export function parsedEvent<T>(
  parse: (event: unknown) => T,
): middy.MiddlewareObj<unknown, unknown, Error, { requestId?: string }> {
  return {
    before: async (request: Request) => {
      request.event = parse(decodeFcEvent(request.event));
    },
  };
}

export function logFailures(log: Logger): middy.MiddlewareObj<unknown, unknown, Error, { requestId?: string }> {
  return {
    onError: async (request: Request) => {
      const err = request.error;
      log.error('invocation failed', {
        requestId: request.context?.requestId,
        status: isAppError(err) ? err.status : 500,
        retryable: isAppError(err) ? err.retryable : undefined,
        ...(isAppError(err) && err.details ? { summary: err.details } : {}),
        ...errorFields(err),
      });
    },
  };
}

/**
 * Errors with a machine-readable code, an HTTP status and a message that is safe to show the caller.
 * The `cause` (which may hold SDK errors, stack traces, request ids) goes to the logs only.
 */
export class AppError extends Error {
  readonly code: string;
  readonly status: number;
  /** True when retrying the same request later may succeed (throttling, provider outage). */
  readonly retryable: boolean;
  /** Extra machine-readable facts for the caller (never secrets), e.g. `{ rule: 'commonName' }`. */
  readonly details?: Record<string, unknown>;

  constructor(
    code: string,
    status: number,
    message: string,
    options: { cause?: unknown; retryable?: boolean; details?: Record<string, unknown> } = {},
  ) {
    super(message, { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
    this.status = status;
    this.retryable = options.retryable ?? false;
    this.details = options.details;
  }
}

/** 400: the request itself is wrong. */
export class ValidationError extends AppError {
  constructor(code: string, message: string, options: { cause?: unknown; details?: Record<string, unknown> } = {}) {
    super(code, 400, message, options);
  }
}

export class UnauthorizedError extends AppError {
  constructor(message = 'A valid bearer token is required.') {
    super('UNAUTHORIZED', 401, message);
  }
}

export class ForbiddenError extends AppError {
  constructor(rule: string, message: string) {
    super('FORBIDDEN_BY_POLICY', 403, message, { details: { rule } });
  }
}

export class NotFoundError extends AppError {
  constructor(what = 'certificate') {
    super('NOT_FOUND', 404, `No such ${what}.`);
  }
}

export class ConflictError extends AppError {
  constructor(code: string, message: string) {
    super(code, 409, message);
  }
}

/** 503: a dependency (CAS, OSS, NLB) failed or throttled; the same request can be retried. */
export class UpstreamError extends AppError {
  constructor(code: string, message: string, cause?: unknown) {
    super(code, 503, message, { cause, retryable: true });
  }
}

export function isAppError(err: unknown): err is AppError {
  return err instanceof AppError;
}

/** The body a caller sees: the public message only below 500, a generic text otherwise (as middy's http-error-handler does). */
export function toPublicBody(err: unknown): {
  code: string;
  message: string;
  retryable?: boolean;
  details?: Record<string, unknown>;
} {
  if (isAppError(err)) {
    if (err.status < 500 || err.retryable) {
      return {
        code: err.code,
        message: err.message,
        ...(err.retryable ? { retryable: true } : {}),
        ...(err.details ? { details: err.details } : {}),
      };
    }
    return { code: err.code, message: 'Internal error.' };
  }
  return { code: 'INTERNAL', message: 'Internal error.' };
}

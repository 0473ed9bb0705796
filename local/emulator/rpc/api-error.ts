/**
 * An error answered the way Alibaba's RPC gateway answers: HTTP status plus `{RequestId, HostId, Code, Message}`.
 * Handlers throw it; the server turns it into the response body.
 */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

export const missingParameter = (name: string): ApiError =>
  new ApiError(
    400,
    'MissingParameter',
    `The input parameter "${name}" that is mandatory for processing this request is not supplied.`,
  );

export const invalidParameter = (name: string, why?: string): ApiError =>
  new ApiError(400, 'InvalidParameter', `The specified parameter "${name}" is not valid.${why ? ` ${why}` : ''}`);

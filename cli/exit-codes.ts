/**
 * Exit codes and the one error type the CLI throws: each failure a script may want to tell apart has its own code
 * (docs/cli.md lists them), and the message is written for the person at the terminal.
 */
export const EXIT = {
  OK: 0,
  /** A bug: an error nobody anticipated. */
  INTERNAL: 1,
  /** Unknown flag, missing argument, bad value or config file. */
  USAGE: 2,
  /** A local file is missing, unreadable or wrong (key and certificate do not match, another CA, ...). */
  LOCAL: 3,
  /** The API refused the request (4xx: revoked, superseded, policy, replayed proof, ...). Retrying will not help. */
  REFUSED: 4,
  /** The API or a download could not be reached, timed out or answered 5xx. Retrying later may help. */
  UNAVAILABLE: 5,
  /** What was downloaded failed verification (fingerprint, chain, key, names): nothing was written. */
  VERIFICATION: 6,
  /** `check`: the listener's verdict was not the expected one (by default: it refused the handshake). */
  CHECK_FAILED: 7,
  /** `agent`/`renew`: the certificate was renewed and written, but the --on-renew command failed. */
  HOOK_FAILED: 8,
} as const;

export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

export class CliError extends Error {
  constructor(
    readonly exitCode: ExitCode,
    /** Machine-readable: the API's code when the API refused, else the CLI's own (`FILE_NOT_FOUND`, ...). */
    readonly code: string,
    message: string,
    options: { cause?: unknown; hint?: string; details?: Record<string, unknown> } = {},
  ) {
    super(message, { cause: options.cause });
    this.name = 'CliError';
    this.hint = options.hint;
    this.details = options.details;
  }
  readonly hint?: string;
  readonly details?: Record<string, unknown>;
}

export const usageError = (message: string, hint?: string) => new CliError(EXIT.USAGE, 'USAGE', message, { hint });

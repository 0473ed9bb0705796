/**
 * The few HTTP calls the CLI makes: cert-api (JSON, errors as `{code, message}`) and signed download links. Every
 * failure becomes a CliError with the exit code a script can act on; messages never carry the token or a link's
 * signature.
 */
import { CliError, EXIT, usageError } from './exit-codes.js';

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '[::1]']);
const MAX_DOWNLOAD_BYTES = 8 * 1024 * 1024;

/** The API base URL, checked: https, or http to this machine only (a token must not cross a network in clear). */
export function checkApiUrl(value: string, source: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw usageError(`${source} is not a URL: "${value}".`);
  }
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && LOOPBACK.has(url.hostname)))
    throw usageError(`${source} must be https (plain http only to 127.0.0.1 or localhost): "${value}".`);
  if (url.search || url.hash) throw usageError(`${source} must not have a query or fragment.`);
  return url.href.replace(/\/+$/, '');
}

export interface ApiError {
  code: string;
  message: string;
  retryable?: boolean;
  details?: Record<string, unknown>;
}

export interface ApiClient {
  readonly base: string;
  call<T>(
    method: 'GET' | 'POST',
    path: string,
    options?: { token?: string; body?: unknown; idempotencyKey?: string },
  ): Promise<T>;
}

function unreachable(what: string, cause: unknown, timeoutMs: number): CliError {
  const err = cause as { name?: string; cause?: { code?: string; message?: string }; message?: string };
  const reason =
    err.name === 'TimeoutError' || err.name === 'AbortError'
      ? `no answer within ${Math.round(timeoutMs / 1000)} s`
      : (err.cause?.code ?? err.cause?.message ?? err.message ?? 'network error');
  return new CliError(EXIT.UNAVAILABLE, 'UNREACHABLE', `Cannot reach ${what}: ${reason}.`, {
    cause,
    hint: 'check the URL and the network; run the command again later',
  });
}

export function createApiClient(base: string, timeoutMs: number): ApiClient {
  return {
    base,
    async call<T>(
      method: 'GET' | 'POST',
      path: string,
      options: { token?: string; body?: unknown; idempotencyKey?: string } = {},
    ): Promise<T> {
      const headers: Record<string, string> = { accept: 'application/json' };
      if (options.token) headers.authorization = `Bearer ${options.token}`;
      if (options.body !== undefined) headers['content-type'] = 'application/json';
      if (options.idempotencyKey) headers['idempotency-key'] = options.idempotencyKey;
      let response: Response;
      try {
        response = await fetch(`${base}${path}`, {
          method,
          headers,
          body: options.body === undefined ? undefined : JSON.stringify(options.body),
          signal: AbortSignal.timeout(timeoutMs),
          redirect: 'error',
        });
      } catch (cause) {
        throw unreachable(`the API at ${base}`, cause, timeoutMs);
      }
      let text: string;
      try {
        text = await response.text();
      } catch (cause) {
        throw unreachable(`the API at ${base}`, cause, timeoutMs);
      }
      let json: unknown;
      try {
        json = JSON.parse(text);
      } catch {
        throw new CliError(
          EXIT.UNAVAILABLE,
          'API_BAD_ANSWER',
          `The API at ${base} answered ${response.status} without JSON: is this the cert-api URL?`,
        );
      }
      if (response.ok) return json as T;
      const error = (json ?? {}) as Partial<ApiError>;
      const code = typeof error.code === 'string' ? error.code : `HTTP_${response.status}`;
      const message = typeof error.message === 'string' ? error.message : `The API answered ${response.status}.`;
      const retryable = response.status >= 500 || error.retryable === true;
      throw new CliError(retryable ? EXIT.UNAVAILABLE : EXIT.REFUSED, code, `The API refused: ${message}`, {
        details: { status: response.status, ...(error.details ? { api: error.details } : {}) },
        hint: apiHint(code),
      });
    },
  };
}

function apiHint(code: string): string | undefined {
  switch (code) {
    case 'UNAUTHORIZED':
      return 'set a valid bearer token in NLB_MTLS_TOKEN';
    case 'CERTIFICATE_REVOKED':
      return 'a revoked certificate cannot renew itself: request a new one with a token (nlb-mtls request --force)';
    case 'CERTIFICATE_EXPIRED':
      return 'an expired certificate cannot renew itself: request a new one with a token (nlb-mtls request --force)';
    case 'CERTIFICATE_SUPERSEDED':
      return 'this certificate was renewed elsewhere; fetch the current one (nlb-mtls fetch --id ... with a token) or request a new one';
    case 'PROOF_REPLAYED':
      return 'every proof is used once; run the command again to sign a fresh one';
    case 'FORBIDDEN_BY_POLICY':
      return "the tenant's token policy decides this (docs/api.md#authorization)";
    default:
      return undefined;
  }
}

/** A link without its query (which holds the signature): safe to print. */
export function safeUrl(url: string): string {
  try {
    const u = new URL(url);
    return `${u.origin}${u.pathname}`;
  } catch {
    return '(not a URL)';
  }
}

export async function download(url: string, timeoutMs: number): Promise<Buffer> {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw usageError('The download link is not a URL.');
  }
  if (parsed.protocol !== 'https:' && !(parsed.protocol === 'http:' && LOOPBACK.has(parsed.hostname)))
    throw usageError(`The download link must be https (plain http only to 127.0.0.1 or localhost): ${safeUrl(url)}`);
  let response: Response;
  try {
    response = await fetch(url, { signal: AbortSignal.timeout(timeoutMs), redirect: 'error' });
  } catch (cause) {
    throw unreachable(safeUrl(url), cause, timeoutMs);
  }
  if (!response.ok) {
    await response.body?.cancel().catch(() => undefined);
    const refused = response.status === 403 || response.status === 404;
    throw new CliError(
      refused ? EXIT.REFUSED : EXIT.UNAVAILABLE,
      refused ? 'LINK_REFUSED' : `HTTP_${response.status}`,
      refused
        ? `The download link was refused (${response.status}): it has expired, was changed, or its bundle was deleted.`
        : `The download failed with HTTP ${response.status}.`,
      {
        hint: refused
          ? 'ask for fresh links: POST /v1/certificates/{id}/links, or nlb-mtls fetch --id ID with a token'
          : undefined,
      },
    );
  }
  const length = Number(response.headers.get('content-length') ?? 0);
  if (length > MAX_DOWNLOAD_BYTES)
    throw new CliError(EXIT.VERIFICATION, 'BUNDLE_TOO_LARGE', 'The download is too large to be a certificate bundle.');
  try {
    const body = Buffer.from(await response.arrayBuffer());
    if (body.length > MAX_DOWNLOAD_BYTES)
      throw new CliError(
        EXIT.VERIFICATION,
        'BUNDLE_TOO_LARGE',
        'The download is too large to be a certificate bundle.',
      );
    return body;
  } catch (cause) {
    if (cause instanceof CliError) throw cause;
    throw unreachable(safeUrl(url), cause, timeoutMs);
  }
}

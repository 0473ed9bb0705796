/**
 * JSON-lines logger with an allowlist of fields. Anything not on the list is dropped, and string values are
 * scrubbed of things that look like secrets (PEM private keys, signed-URL signatures, bearer tokens), so a
 * careless call site cannot leak a key, a password or a credential.
 */
export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

const ALLOWED_FIELDS = new Set([
  'msg',
  'level',
  'time',
  'fn',
  'requestId',
  'event',
  'code',
  'status',
  'retryable',
  'errorName',
  'errorMessage',
  'tenant',
  'actor',
  'action',
  'decision',
  'rule',
  'result',
  'certificateId',
  'serialNumber',
  'commonName',
  'generation',
  'notAfter',
  'renewAt',
  'reason',
  'attempt',
  'nextAttemptAt',
  'durationMs',
  'count',
  'due',
  'renewed',
  'failed',
  'skipped',
  'scanned',
  'listenerId',
  'region',
  'plan',
  'changes',
  'probe',
  'outcome',
  'jobId',
  'method',
  'path',
  'statusCode',
  'action',
  'apiAction',
  'objectKey',
  'bucket',
  'port',
  'url',
  'summary',
  'mode',
  'batch',
  'batches',
  'invocations',
  'webhook',
  'eventType',
  'delivered',
  'caIdentifier',
  'sweepId',
  'trigger',
  'reviewed',
]);

const SECRET_PATTERNS: Array<[RegExp, string]> = [
  [/-----BEGIN [A-Z ]*PRIVATE KEY-----[\s\S]*?-----END [A-Z ]*PRIVATE KEY-----/g, '[REDACTED PRIVATE KEY]'],
  [
    /((?:x-oss-signature|Signature|x-oss-security-token|security-token|OSSAccessKeyId|x-oss-credential)=)[^&\s"]+/gi,
    '$1[REDACTED]',
  ],
  [/(Bearer\s+)[A-Za-z0-9._~+/=-]+/g, '$1[REDACTED]'],
  [/(Credential=)[^,\s]+/g, '$1[REDACTED]'],
];

export function scrub(value: string): string {
  let out = value;
  for (const [pattern, replacement] of SECRET_PATTERNS) out = out.replace(pattern, replacement);
  return out;
}

function sanitize(value: unknown, depth = 0): unknown {
  if (typeof value === 'string') return scrub(value);
  if (value === null || typeof value !== 'object' || depth > 4) return value;
  if (Array.isArray(value)) return value.slice(0, 50).map((v) => sanitize(v, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) {
    if (/secret|password|passphrase|privatekey|private_key|token|signature|credential/i.test(k)) continue;
    out[k] = sanitize(v, depth + 1);
  }
  return out;
}

export type LogSink = (line: string) => void;

let sink: LogSink = (line) => process.stdout.write(line + '\n');

/** Tests capture every line written by every logger with this. */
export function setLogSink(next: LogSink): LogSink {
  const previous = sink;
  sink = next;
  return previous;
}

export interface Logger {
  debug(msg: string, fields?: Record<string, unknown>): void;
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
  error(msg: string, fields?: Record<string, unknown>): void;
  child(fields: Record<string, unknown>): Logger;
}

const LEVELS: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

export function createLogger(
  base: Record<string, unknown> = {},
  minLevel: LogLevel = (process.env.LOG_LEVEL as LogLevel) || 'info',
): Logger {
  const write = (level: LogLevel, msg: string, fields: Record<string, unknown> = {}) => {
    if (LEVELS[level] < (LEVELS[minLevel] ?? 20)) return;
    const entry: Record<string, unknown> = { time: new Date().toISOString(), level, msg: scrub(msg) };
    for (const [k, v] of Object.entries({ ...base, ...fields })) {
      if (ALLOWED_FIELDS.has(k) && v !== undefined) entry[k] = sanitize(v);
    }
    sink(JSON.stringify(entry));
  };
  return {
    debug: (m, f) => write('debug', m, f),
    info: (m, f) => write('info', m, f),
    warn: (m, f) => write('warn', m, f),
    error: (m, f) => write('error', m, f),
    child: (fields) => createLogger({ ...base, ...fields }, minLevel),
  };
}

/** Error facts that are safe to log: name, code and a scrubbed message; never the raw SDK error object. */
export function errorFields(err: unknown): Record<string, unknown> {
  if (err instanceof Error) {
    const code = (err as { code?: unknown }).code;
    const cause = (err as { cause?: unknown }).cause;
    const causeText = cause instanceof Error ? ` (cause: ${cause.name}: ${cause.message})` : '';
    return {
      errorName: err.name,
      code: typeof code === 'string' ? code : undefined,
      errorMessage: scrub(err.message + causeText).slice(0, 500),
    };
  }
  return { errorMessage: scrub(String(err)).slice(0, 500) };
}

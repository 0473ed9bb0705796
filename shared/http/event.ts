/**
 * The FC 3.0 HTTP-trigger event, parsed once into the request shape handlers use. FC hands the event over as a
 * Buffer holding JSON; the local runner and tests may pass a string or an object: all three are accepted.
 */
import * as z from 'zod';
import { AppError, ValidationError } from '../errors/index.js';

/** The largest request body the API reads (issue 4): anything bigger is refused before it is decoded or parsed. */
export const MAX_BODY_BYTES = 256 * 1024;

/** The longest request path the router reads; a longer one is the caller's mistake (400 INVALID_PATH), not FC's. */
export const MAX_PATH_LENGTH = 4096;

/** The envelope is the platform's, not the caller's: unknown fields are tolerated here (bodies are strict). */
export const HttpTriggerEventSchema = z.object({
  version: z.string().optional(),
  rawPath: z.string().min(1),
  headers: z.record(z.string(), z.union([z.string(), z.array(z.string())])).default({}),
  queryParameters: z.record(z.string(), z.union([z.string(), z.array(z.string())])).nullish(),
  body: z.string().nullish(),
  isBase64Encoded: z.boolean().default(false),
  requestContext: z
    .object({
      requestId: z.string().optional(),
      http: z
        .object({ method: z.string().min(1), path: z.string().optional(), sourceIp: z.string().optional() })
        .loose(),
    })
    .loose(),
});
export type HttpTriggerEvent = z.infer<typeof HttpTriggerEventSchema>;

export interface HttpRequest {
  method: string;
  /** As received: percent-encoding and dot segments untouched, so the router can refuse them. */
  rawPath: string;
  /** Lower-case names; repeated headers joined with ", " as HTTP allows. */
  headers: Record<string, string>;
  query: Record<string, string | string[]>;
  body: Buffer;
  requestId: string;
  sourceIp?: string;
  /**
   * The body was over MAX_BODY_BYTES: it was never decoded (`body` is empty) and reading it throws 413. Deferred
   * rather than thrown here so that a request without a valid token gets 401 whatever its body: the platform has
   * already buffered the event (FC caps it), so answering 401 first costs no extra memory.
   */
  oversized?: boolean;
  /** Set by the JSON body middleware: the parsed body, `undefined` when there was none. */
  json?: unknown;
  /** When the answer must be on its way (FC's function timeout minus a margin); set by a handler that budgets time. */
  deadline?: Date;
}

export interface HttpResponse {
  statusCode: number;
  headers: Record<string, string>;
  isBase64Encoded: boolean;
  body: string;
}

export class PayloadTooLargeError extends AppError {
  constructor() {
    super('PAYLOAD_TOO_LARGE', 413, `The request body is larger than ${MAX_BODY_BYTES} bytes.`);
  }
}

function decodeEnvelope(raw: unknown): unknown {
  if (Buffer.isBuffer(raw) || raw instanceof Uint8Array) raw = Buffer.from(raw).toString('utf8');
  if (typeof raw === 'string') {
    try {
      return JSON.parse(raw);
    } catch {
      throw new ValidationError(
        'INVALID_EVENT',
        'The function was invoked with an event that is not an HTTP-trigger event.',
      );
    }
  }
  return raw;
}

export function parseHttpEvent(raw: unknown, context?: { requestId?: string }): HttpRequest {
  const parsed = HttpTriggerEventSchema.safeParse(decodeEnvelope(raw));
  if (!parsed.success) {
    throw new ValidationError(
      'INVALID_EVENT',
      'The function was invoked with an event that is not an HTTP-trigger event.',
    );
  }
  const event = parsed.data;
  if (event.rawPath.length > MAX_PATH_LENGTH) {
    throw new ValidationError('INVALID_PATH', `The request path is longer than ${MAX_PATH_LENGTH} characters.`);
  }
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(event.headers)) {
    headers[name.toLowerCase()] = Array.isArray(value) ? value.join(', ') : value;
  }
  const text = event.body ?? '';
  // Checked on the encoded length first so a huge body is never decoded into memory.
  const encodedLimit = event.isBase64Encoded ? Math.ceil((MAX_BODY_BYTES * 4) / 3) + 4 : MAX_BODY_BYTES * 4;
  let body =
    text.length > encodedLimit
      ? undefined
      : event.isBase64Encoded
        ? Buffer.from(text, 'base64')
        : Buffer.from(text, 'utf8');
  if (body && body.length > MAX_BODY_BYTES) body = undefined;
  return {
    ...(body ? {} : { oversized: true }),
    method: event.requestContext.http.method.toUpperCase(),
    rawPath: event.rawPath,
    headers,
    query: event.queryParameters ?? {},
    body: body ?? Buffer.alloc(0),
    requestId: event.requestContext.requestId ?? context?.requestId ?? 'unknown',
    sourceIp: event.requestContext.http.sourceIp,
  };
}

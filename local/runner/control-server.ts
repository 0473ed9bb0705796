/**
 * The local stack's own endpoint (loopback only, dev token required): what the cloud does through EventBridge,
 * timers and `s invoke`, on demand.
 *   POST /functions/<name>/invoke   raw event in the body -> the handler's result (like FC's sync InvokeFunction)
 *   POST /events                    a CloudEvent (structured JSON, or binary with ce-* headers) -> every function
 *                                   whose EventBridge trigger pattern matches
 *   POST /events/<name>             the same, to one function, whatever its pattern
 *   POST /timers/<name>[/<trigger>] fire a timer trigger now
 *   GET  /functions                 what is loaded, with its triggers
 *   POST /faults                    arm the emulator's fault injector: {action, fault, count | probability, ms,
 *                                   code, status, message} (docs/local-emulator.md)
 *   DELETE /faults                  disarm every fault
 *   GET  /calls                     calls per emulated API action since the start (or the last DELETE /calls)
 *   DELETE /calls                   reset the counts
 *   GET  /healthz                   no token needed
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage } from 'node:http';
import * as z from 'zod';
import { Faults, type Fault } from '../emulator/faults.js';
import { errorAnswer, newRequestId, type HttpAnswer } from './http-event.js';
import { BodyTooLargeError, closeServer, json, listen, readBody, send } from './http-io.js';
import { FunctionTimeoutError } from './function-host.js';
import { UnknownFunctionError, type EventDelivery } from './function-registry.js';

/** The emulator's fault injector and call counts, as the control endpoint exposes them. */
export interface FaultControl {
  failNext(action: string, count: number, fault: Fault): void;
  failRandomly(action: string, probability: number, fault: Fault): void;
  clear(): void;
  byAction(): Record<string, number>;
  resetCounts(): void;
}

export const FaultRequestSchema = z
  .strictObject({
    /** The API's own action name: CreateClientCertificateWithCsr, PutObject, GetObject, InvokeFunction, ... */
    action: z.string().regex(/^[A-Z][A-Za-z0-9]{1,63}$/, 'an API action name such as PutObject'),
    fault: z.enum(['throttling', 'internal', 'unavailable', 'systemBusy', 'conflictLock', 'delay', 'drop', 'error']),
    /** The next `count` calls fail (default 1)... */
    count: z.int().min(1).max(10_000).optional(),
    /** ... or each call fails with this probability, until DELETE /faults. */
    probability: z.number().min(0).max(1).optional(),
    /** delay: how long the call is held before it takes effect (longer than a client's timeout: an answer lost). */
    ms: z.int().min(0).max(600_000).optional(),
    /** error: the answer's code, HTTP status and message. */
    code: z.string().min(1).max(128).optional(),
    status: z.int().min(400).max(599).optional(),
    message: z.string().max(512).optional(),
  })
  .superRefine((r, ctx) => {
    if (r.count !== undefined && r.probability !== undefined)
      ctx.addIssue({ code: 'custom', path: ['probability'], message: 'send count or probability, not both' });
    if (r.fault === 'delay' && r.ms === undefined)
      ctx.addIssue({ code: 'custom', path: ['ms'], message: 'a delay needs ms' });
    if (r.fault === 'error' && (r.code === undefined || r.status === undefined))
      ctx.addIssue({ code: 'custom', path: ['code'], message: 'an error needs code and status' });
  });
export type FaultRequest = z.infer<typeof FaultRequestSchema>;

function faultOf(r: FaultRequest): Fault {
  switch (r.fault) {
    case 'delay':
      return Faults.delay(r.ms ?? 0);
    case 'drop':
      return Faults.drop();
    case 'error':
      return { kind: 'error', code: r.code!, status: r.status!, message: r.message };
    default:
      return Faults[r.fault]();
  }
}

export interface ControlTarget {
  describe(): unknown;
  faults?: FaultControl;
  invoke(name: string, event: Buffer, requestId: string): Promise<unknown>;
  publish(event: unknown, onlyFunction?: string): Promise<{ eventId: string; deliveries: EventDelivery[] }>;
  fireTimer(name: string, triggerName?: string): Promise<EventDelivery[]>;
}

const MAX_BODY_BYTES = 6 * 1024 * 1024;

function digest(value: string): Buffer {
  return createHash('sha256').update(value).digest();
}

function authorized(req: IncomingMessage, devToken: string): boolean {
  const header = req.headers.authorization ?? '';
  const m = header.match(/^Bearer\s+(\S+)$/i);
  return !!m && timingSafeEqual(digest(m[1]), digest(devToken));
}

/** Binary-mode CloudEvents carry the attributes in `ce-*` headers and the data as the body. */
function cloudEventFromRequest(req: IncomingMessage, body: Buffer): unknown {
  const ceType = req.headers['ce-type'];
  if (typeof ceType !== 'string') return JSON.parse(body.toString('utf8'));
  const attrs: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(req.headers)) {
    if (name.startsWith('ce-') && typeof value === 'string') attrs[name.slice(3)] = value;
  }
  const contentType = req.headers['content-type'] ?? 'application/json';
  const text = body.toString('utf8');
  return {
    ...attrs,
    datacontenttype: contentType,
    data: body.length === 0 ? undefined : /json/i.test(contentType) ? JSON.parse(text) : text,
  };
}

/** Like FC's synchronous InvokeFunction: the body is what the handler returned, not an HTTP mapping of it. */
function rawResult(result: unknown): HttpAnswer {
  if (Buffer.isBuffer(result))
    return { statusCode: 200, headers: { 'content-type': 'application/octet-stream' }, body: result };
  if (typeof result === 'string')
    return {
      statusCode: 200,
      headers: { 'content-type': 'text/plain; charset=utf-8' },
      body: Buffer.from(result, 'utf8'),
    };
  return json(200, result ?? null);
}

async function route(target: ControlTarget, req: IncomingMessage, requestId: string): Promise<HttpAnswer> {
  const path = (req.url ?? '/').split('?')[0];
  const method = req.method ?? 'GET';
  const parts = path.split('/').filter(Boolean).map(decodeURIComponent);
  if (method === 'GET' && parts.length === 1 && parts[0] === 'functions') return json(200, target.describe());
  if (parts.length === 1 && (parts[0] === 'faults' || parts[0] === 'calls') && target.faults)
    return faultRoute(target.faults, method, parts[0], req);
  if (method !== 'POST')
    return json(404, { errorCode: 'PathNotSupported', errorMessage: `${method} ${path} is not supported` });
  const body = await readBody(req, MAX_BODY_BYTES);
  if (parts[0] === 'functions' && parts.length === 3 && parts[2] === 'invoke') {
    try {
      return rawResult(await target.invoke(parts[1], body, requestId));
    } catch (err) {
      if (err instanceof UnknownFunctionError) throw err;
      return errorAnswer(
        err,
        err instanceof FunctionTimeoutError ? 'FunctionTimeoutError' : 'UnhandledInvocationError',
      );
    }
  }
  if (parts[0] === 'events' && parts.length <= 2) {
    return json(200, await target.publish(cloudEventFromRequest(req, body), parts[1]));
  }
  if (parts[0] === 'timers' && (parts.length === 2 || parts.length === 3)) {
    return json(200, { deliveries: await target.fireTimer(parts[1], parts[2]) });
  }
  return json(404, { errorCode: 'PathNotSupported', errorMessage: `${method} ${path} is not supported` });
}

async function faultRoute(
  faults: FaultControl,
  method: string,
  what: 'faults' | 'calls',
  req: IncomingMessage,
): Promise<HttpAnswer> {
  if (what === 'calls' && method === 'GET') {
    const calls = faults.byAction();
    return json(200, { calls, total: Object.values(calls).reduce((n, c) => n + c, 0) });
  }
  if (what === 'calls' && method === 'DELETE') {
    faults.resetCounts();
    return json(200, { reset: true });
  }
  if (what === 'faults' && method === 'DELETE') {
    faults.clear();
    return json(200, { cleared: true });
  }
  if (what === 'faults' && method === 'POST') {
    const request = FaultRequestSchema.parse(JSON.parse((await readBody(req, MAX_BODY_BYTES)).toString('utf8')));
    if (request.probability !== undefined) faults.failRandomly(request.action, request.probability, faultOf(request));
    else faults.failNext(request.action, request.count ?? 1, faultOf(request));
    return json(200, { armed: request });
  }
  return json(405, { errorCode: 'MethodNotAllowed', errorMessage: `${method} /${what} is not supported` });
}

export async function startControlServer(opts: {
  target: ControlTarget;
  devToken: string;
  port?: number;
  host?: string;
  onAccess?: (entry: {
    method: string;
    path: string;
    statusCode: number;
    durationMs: number;
    requestId: string;
  }) => void;
}): Promise<{
  url: string;
  port: number;
  close(): Promise<void>;
}> {
  const server = createServer((req, res) => {
    const requestId = newRequestId();
    const started = Date.now();
    const reply = (answer: HttpAnswer) => {
      answer.headers['x-fc-request-id'] = requestId;
      send(res, answer);
      const path = (req.url ?? '/').split('?')[0];
      opts.onAccess?.({
        method: req.method ?? 'GET',
        path,
        statusCode: answer.statusCode,
        durationMs: Date.now() - started,
        requestId,
      });
    };
    if (req.method === 'GET' && req.url === '/healthz') return reply(json(200, { ok: true }));
    if (!authorized(req, opts.devToken))
      return reply(json(401, { errorCode: 'Unauthorized', errorMessage: 'Bearer <devToken> required' }));
    route(opts.target, req, requestId).then(reply, (err: unknown) => {
      if (err instanceof UnknownFunctionError)
        reply(json(404, { errorCode: 'FunctionNotFound', errorMessage: err.message }));
      else if (err instanceof BodyTooLargeError)
        reply(json(413, { errorCode: 'EntityTooLarge', errorMessage: err.message }));
      else if (err instanceof SyntaxError || err instanceof z.ZodError) {
        reply(
          json(400, {
            errorCode: 'InvalidArgument',
            errorMessage:
              err instanceof z.ZodError
                ? err.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')
                : err.message,
          }),
        );
      } else
        reply(
          json(500, { errorCode: 'InternalError', errorMessage: err instanceof Error ? err.message : String(err) }),
        );
    });
  });
  const port = await listen(server, opts.port ?? 0, opts.host);
  return { url: `http://127.0.0.1:${port}`, port, close: () => closeServer(server) };
}

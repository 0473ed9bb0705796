/**
 * The emulated FC 3.0 InvokeFunction API, as contracts/fc-2023-03-30/InvokeFunction.json has it: `POST
 * /2023-03-30/functions/{name}/invocations`, ROA style, ACS3-HMAC-SHA256 signed. `x-fc-invocation-type: Async`
 * answers 202 at once and queues the run (bounded concurrency, FC-style retries, failures kept as the
 * "destination on failure"); Sync runs the function and answers with its result. Bound to 127.0.0.1 only.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { randomBytes } from 'node:crypto';
import { closeServer, keepIdleConnections, listen, PendingDelays, readBody } from '../../http-server.js';
import { applyFault, type ErrorFault } from '../fault-effects.js';
import type { FaultInjector } from '../faults.js';
import { createLogger, type Logger } from '../../../shared/log/index.js';
import { checkRoaRequest } from '../contracts/check-request.js';
import { contractFailure } from '../contracts/enforce.js';
import { contractFor } from '../contracts/load.js';
import { NonceWindow, verifyAcs3Signature, type AccessKeyRecord } from '../signature.js';
import { AsyncInvocationQueue, type FailedInvocation } from './async-queue.js';

export type FunctionInvoke = (event: Buffer) => Promise<unknown>;

export interface AsyncInvokeOptions {
  /** Retries after the first failed run, as `asyncInvokeConfig.maxAsyncRetryAttempts` (default 3). */
  maxAsyncRetryAttempts?: number;
  /** Back-off before the first retry, doubled for each next one (default 50 ms: FC waits longer, tests should not). */
  retryDelayMs?: number;
}

export interface FcServerOptions {
  faults: FaultInjector;
  credentials: AccessKeyRecord[];
  /** 0 or absent: a free port. */
  port?: number;
  /** Async invocations running at once (default 4). */
  concurrency?: number;
  /** Refuse requests that break the InvokeFunction contract (default true); false only logs them. */
  strictContracts?: boolean;
  /** Where non-strict contract findings are logged (default: the emulator's logger). */
  log?: Logger;
}

export interface FcServer {
  /** `http://127.0.0.1:PORT` */
  endpoint: string;
  port: number;
  register(functionName: string, invoke: FunctionInvoke, options?: AsyncInvokeOptions): void;
  /** Resolves when no async invocation is queued, running or waiting for a retry. */
  idle(): Promise<void>;
  /** Async invocations that failed on every attempt, oldest first. */
  failedInvocations(): FailedInvocation[];
  /** Accepted InvokeFunction requests (sync and async; not faulted or refused ones), for one function or all. */
  invocations(functionName?: string): number;
  /** Runs of the function itself, retries included. */
  executions(functionName?: string): number;
  close(): Promise<void>;
}

const INVOKE_PATH = /^\/2023-03-30\/functions\/([^/?]+)\/invocations$/;
/** FC's payload limits: 128 KB for async, 32 MB for sync invocations. */
const MAX_ASYNC_PAYLOAD = 128 * 1024;
const MAX_SYNC_PAYLOAD = 32 * 1024 * 1024;

interface RegisteredFunction {
  invoke: FunctionInvoke;
  maxRetries: number;
  retryDelayMs: number;
}

class FcError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/** FC 3.0 request ids look like `1-64e70cf1-5cbef92ea8fc8c42899cf5d1`. */
function newRequestId(): string {
  return `1-${Math.floor(Date.now() / 1000).toString(16)}-${randomBytes(12).toString('hex')}`;
}

export async function startFcServer(opts: FcServerOptions): Promise<FcServer> {
  const functions = new Map<string, RegisteredFunction>();
  const accepted = new Map<string, number>();
  const runs = new Map<string, number>();
  const queue = new AsyncInvocationQueue(opts.concurrency ?? 4);
  const keys = new Map(opts.credentials.map((c) => [c.accessKeyId, c]));
  const nonces = new NonceWindow();
  const delays = new PendingDelays();
  let closing = false;

  const bump = (counts: Map<string, number>, name: string) => counts.set(name, (counts.get(name) ?? 0) + 1);
  const total = (counts: Map<string, number>, name?: string) =>
    name !== undefined ? (counts.get(name) ?? 0) : [...counts.values()].reduce((a, b) => a + b, 0);
  const runFunction = (name: string, fn: RegisteredFunction, payload: Buffer) => {
    bump(runs, name);
    return fn.invoke(payload);
  };
  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const requestId = newRequestId();
    res.on('error', () => undefined); // the client may be gone after an injected delay
    res.setHeader('x-fc-request-id', requestId);
    try {
      const raw = req.url ?? '/';
      const q = raw.indexOf('?');
      const rawPath = q >= 0 ? raw.slice(0, q) : raw;
      const rawQuery = q >= 0 ? raw.slice(q + 1) : '';
      const match = INVOKE_PATH.exec(rawPath);
      if (!match || req.method !== 'POST')
        throw new FcError(400, 'PathNotSupported', `'${req.method} ${rawPath}' is not supported`);
      const functionName = decodeName(match[1]);
      const invocationType = header(req, 'x-fc-invocation-type') ?? 'Sync';
      if (invocationType !== 'Sync' && invocationType !== 'Async') {
        throw new FcError(
          400,
          'InvalidArgument',
          `x-fc-invocation-type must be Sync or Async, got '${invocationType}'`,
        );
      }
      const limit = invocationType === 'Async' ? MAX_ASYNC_PAYLOAD : MAX_SYNC_PAYLOAD;
      const body = await readBody(
        req,
        limit,
        () => new FcError(400, 'EntityTooLarge', `payload size exceeds maximum allowed size (${limit} bytes)`),
      );

      const faultEffects = {
        delays,
        closing: () => closing,
        toError: (f: ErrorFault) => new FcError(f.status, f.code, f.message ?? f.code),
      };
      if (!(await applyFault(opts.faults.onCall('InvokeFunction'), req, faultEffects))) return;

      authenticate(req, rawPath, rawQuery, body);
      const contract = contractFor('fc', '2023-03-30', 'InvokeFunction')!;
      const query = [...new URLSearchParams(rawQuery).keys()];
      const refusal = contractFailure(
        contract,
        'request',
        checkRoaRequest(contract, { headers: req.headers, query, headerPrefix: 'x-fc-' }),
        { strict: opts.strictContracts !== false, log: opts.log ?? createLogger({ fn: 'emulator' }) },
      );
      if (refusal) throw new FcError(400, 'ContractViolation', refusal);
      const qualifier = new URLSearchParams(rawQuery).get('qualifier');
      if (qualifier !== null && qualifier !== 'LATEST')
        throw new FcError(
          404,
          'VersionNotFound',
          `version '${qualifier}' does not exist (the emulator runs LATEST only)`,
        );
      const fn = functions.get(functionName);
      if (!fn) throw new FcError(404, 'FunctionNotFound', `function '${functionName}' does not exist`);
      bump(accepted, functionName);

      if (invocationType === 'Async') {
        queue.enqueue({
          functionName,
          payload: body,
          run: () => runFunction(functionName, fn, body),
          maxRetries: fn.maxRetries,
          retryDelayMs: fn.retryDelayMs,
        });
        const taskId = header(req, 'x-fc-async-task-id');
        if (taskId) res.setHeader('x-fc-async-task-id', taskId);
        res.writeHead(202, { 'Content-Length': 0 });
        res.end();
        return;
      }
      await invokeSync(res, () => runFunction(functionName, fn, body));
    } catch (err) {
      sendError(res, err, requestId);
    }
  }

  function authenticate(req: IncomingMessage, rawPath: string, rawQuery: string, body: Buffer): void {
    const result = verifyAcs3Signature(
      { method: req.method ?? 'POST', path: rawPath, query: rawQuery, headers: req.headers, body },
      (id) => keys.get(id),
    );
    if (!result.ok) {
      // FC's gateway names these two differently from the RPC gateway.
      if (result.code === 'SignatureDoesNotMatch') {
        throw new FcError(
          403,
          'SignatureNotMatch',
          'The request signature we calculated does not match the signature you provided. Check your access key and signing method',
        );
      }
      if (result.code === 'InvalidAccessKeyId.NotFound')
        throw new FcError(403, 'InvalidAccessKeyID', 'invalid access key ID');
      throw new FcError(result.status, result.code, result.message);
    }
    const nonce = header(req, 'x-acs-signature-nonce');
    if (nonce && !nonces.accept(nonce))
      throw new FcError(400, 'SignatureNonceUsed', 'Specified signature nonce was used already.');
  }

  const server = createServer((req, res) => void handle(req, res));
  keepIdleConnections(server);
  const port = await listen(server, opts.port ?? 0);

  return {
    endpoint: `http://127.0.0.1:${port}`,
    port,
    register(functionName, invoke, options = {}) {
      functions.set(functionName, {
        invoke,
        maxRetries: options.maxAsyncRetryAttempts ?? 3,
        retryDelayMs: options.retryDelayMs ?? 50,
      });
    },
    idle: () => queue.idle(),
    failedInvocations: () => queue.failures(),
    invocations: (name) => total(accepted, name),
    executions: (name) => total(runs, name),
    async close() {
      closing = true;
      delays.releaseAll();
      queue.close();
      await closeServer(server);
    },
  };
}

/**
 * A sync invocation answers 200 with what the function returned; a function that throws still answers 200,
 * with `x-fc-error-type: UnhandledInvocationError` and FC's `{errorMessage, errorType}` body.
 */
async function invokeSync(res: ServerResponse, run: () => Promise<unknown>): Promise<void> {
  let body: Buffer;
  try {
    const result = await run();
    body = Buffer.isBuffer(result)
      ? result
      : Buffer.from(typeof result === 'string' ? result : (JSON.stringify(result) ?? ''), 'utf8');
  } catch (err) {
    const e = err instanceof Error ? err : new Error(String(err));
    body = Buffer.from(JSON.stringify({ errorMessage: e.message, errorType: e.name }));
    res.setHeader('x-fc-error-type', 'UnhandledInvocationError');
  }
  res.writeHead(200, { 'Content-Type': 'application/octet-stream', 'Content-Length': body.length });
  res.end(body);
}

function sendError(res: ServerResponse, err: unknown, requestId: string): void {
  if (res.headersSent || res.destroyed) return;
  const error = err instanceof FcError ? err : new FcError(500, 'InternalServerError', 'internal error');
  const body = JSON.stringify({ Code: error.code, Message: error.message, RequestId: requestId });
  res.writeHead(error.status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body) });
  res.end(body);
}

function decodeName(raw: string): string {
  try {
    return decodeURIComponent(raw);
  } catch {
    throw new FcError(400, 'InvalidArgument', 'the function name is not correctly percent-encoded');
  }
}

function header(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

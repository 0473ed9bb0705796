/**
 * One local URL per HTTP-triggered function, like FC's `https://<trigger>.<region>.fcapp.run`: every path on it
 * goes to that function as an FC 3.0 HTTP-trigger event; the handler's answer goes back as HTTP.
 */
import { createServer } from 'node:http';
import { errorAnswer, fromHandlerResult, newRequestId, toHttpTriggerEvent, type HttpAnswer } from './http-event.js';
import { BodyTooLargeError, closeServer, json, listen, readBody, send } from './http-io.js';
import { FunctionTimeoutError, type LocalFunction } from './function-host.js';

export interface HttpTriggerServer {
  url: string;
  port: number;
  close(): Promise<void>;
}

export interface AccessLogEntry {
  fn: string;
  method: string;
  path: string;
  statusCode: number;
  durationMs: number;
  requestId: string;
}

// FC's limit for a synchronous invocation payload.
const MAX_BODY_BYTES = 32 * 1024 * 1024;

export async function startHttpTriggerServer(opts: {
  fn: LocalFunction;
  methods: string[];
  accountId: string;
  port?: number;
  host?: string;
  onAccess?: (entry: AccessLogEntry) => void;
}): Promise<HttpTriggerServer> {
  const allowed = new Set(opts.methods.map((m) => m.toUpperCase()));
  const server = createServer((req, res) => {
    const started = Date.now();
    const now = new Date(started);
    const requestId = newRequestId(now);
    const method = (req.method ?? 'GET').toUpperCase();
    const finish = (answer: HttpAnswer) => {
      answer.headers['x-fc-request-id'] = requestId;
      send(res, answer);
      opts.onAccess?.({
        fn: opts.fn.spec.functionName,
        method,
        path: (req.url ?? '/').split('?')[0],
        statusCode: answer.statusCode,
        durationMs: Date.now() - started,
        requestId,
      });
    };
    void (async () => {
      if (!allowed.has(method)) {
        finish(
          json(405, {
            errorCode: 'MethodNotAllowed',
            errorMessage: `method ${method} is not in the trigger's methods`,
          }),
        );
        return;
      }
      let body: Buffer;
      try {
        body = await readBody(req, MAX_BODY_BYTES);
      } catch (err) {
        if (err instanceof BodyTooLargeError)
          finish(json(413, { errorCode: 'EntityTooLarge', errorMessage: err.message }));
        else res.destroy();
        return;
      }
      const event = toHttpTriggerEvent(
        {
          method,
          url: req.url ?? '/',
          headers: req.headersDistinct,
          body,
          sourceIp: req.socket.remoteAddress ?? '127.0.0.1',
          protocol: `HTTP/${req.httpVersion}`,
        },
        { accountId: opts.accountId, requestId, now },
      );
      try {
        const result = await opts.fn.invoke(Buffer.from(JSON.stringify(event), 'utf8'), { requestId });
        finish(fromHandlerResult(result));
      } catch (err) {
        finish(
          errorAnswer(err, err instanceof FunctionTimeoutError ? 'FunctionTimeoutError' : 'UnhandledInvocationError'),
        );
      }
    })();
  });
  const port = await listen(server, opts.port ?? 0, opts.host);
  return { url: `http://127.0.0.1:${port}`, port, close: () => closeServer(server) };
}

/**
 * A built function bundle run the way FC runs it: its own `node` process (test/support/fc-instance.mjs) with the
 * function's env as its whole environment and the code directory as its working directory, its exported `handler`
 * called with a Buffer event and an FC context per invocation. The function's stdout and stderr are kept and
 * handed to the failure report of the test that was running (they are its logs).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import type { Readable, Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { createFcContext, type FcCredentials } from '../../local/runner/context.js';
import { newRequestId, toHttpTriggerEvent, type HttpTriggerEvent } from '../../local/runner/http-event.js';
import { toEventBuffer } from '../../local/runner/function-host.js';
import { keepForFailure } from '../support/failure-log.js';

const driver = fileURLToPath(new URL('../support/fc-instance.mjs', import.meta.url));

interface Answer {
  id: string;
  ok: boolean;
  result?: unknown;
  importMs?: number;
  exports?: string[];
  error?: { name?: string; message?: string; code?: string };
}

export interface BundleInstance {
  /** What the module exports, and how long its import took in this process. */
  readonly exports: string[];
  readonly importMs: number;
  /** Calls `handler(Buffer, context)`; objects are sent as their JSON, like `s invoke --event`. */
  invoke(event: unknown): Promise<unknown>;
  /** An HTTP-trigger invocation: the FC `v1` event of this request, the handler's answer as it returned it. */
  http(request: { method: string; path: string; headers?: Record<string, string>; body?: string }): Promise<{
    statusCode: number;
    headers: Record<string, string>;
    body: string;
  }>;
  close(): Promise<void>;
}

export interface BundleInstanceOptions {
  /** `<outdir>/<function>/index.mjs` */
  entry: string;
  /** The function's whole environment (as the local runner builds it). */
  env: Record<string, string>;
  functionName: string;
  region: string;
  accountId: string;
  credentials: FcCredentials;
}

export async function startBundleInstance(options: BundleInstanceOptions): Promise<BundleInstance> {
  const child: ChildProcess = spawn(process.execPath, [driver, options.entry], {
    cwd: dirname(options.entry),
    env: { ...options.env, PATH: process.env.PATH ?? '' },
    stdio: ['pipe', 'pipe', 'pipe', 'pipe'],
  });
  // The function's own output, kept for the report of whichever test is running when it arrives.
  child.stdout!.on('data', (chunk: Buffer) => keepForFailure(chunk.toString('utf8')));
  child.stderr!.on('data', (chunk: Buffer) => keepForFailure(chunk.toString('utf8')));

  const waiting = new Map<string, (answer: Answer) => void>();
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
  void exited.then((code) => {
    for (const settle of waiting.values())
      settle({ id: '', ok: false, error: { message: `instance exited (${code})` } });
    waiting.clear();
  });
  createInterface({ input: child.stdio[3] as Readable }).on('line', (line) => {
    const answer = JSON.parse(line) as Answer;
    waiting.get(answer.id)?.(answer);
    waiting.delete(answer.id);
  });
  const answerFor = (id: string) => new Promise<Answer>((resolve) => waiting.set(id, resolve));

  const ready = await answerFor('ready');
  if (!ready.ok) throw new Error(`importing ${options.entry} failed: ${ready.error?.message}`);

  let sequence = 0;
  const invoke = async (event: unknown): Promise<unknown> => {
    const id = String(++sequence);
    const requestId = newRequestId();
    const { logger: _logger, ...context } = createFcContext({
      requestId,
      region: options.region,
      accountId: options.accountId,
      credentials: options.credentials,
      fn: { functionName: options.functionName, handler: 'index.handler', memorySize: 512, timeoutSeconds: 60 },
      sink: () => undefined,
    });
    const pending = answerFor(id);
    (child.stdin as Writable).write(
      `${JSON.stringify({ id, event: toEventBuffer(event).toString('base64'), context })}\n`,
    );
    const answer = await pending;
    if (!answer.ok) {
      const e = answer.error ?? {};
      throw Object.assign(new Error(`${options.functionName}: ${e.name}: ${e.message}`), { code: e.code });
    }
    return answer.result;
  };

  return {
    exports: ready.exports ?? [],
    importMs: ready.importMs ?? 0,
    invoke,
    async http(request) {
      const event: HttpTriggerEvent = toHttpTriggerEvent(
        {
          method: request.method,
          url: request.path,
          headers: { host: 'bundle-test.local', ...(request.headers ?? {}) },
          body: Buffer.from(request.body ?? '', 'utf8'),
          sourceIp: '127.0.0.1',
        },
        { accountId: options.accountId, requestId: newRequestId(), now: new Date() },
      );
      const answer = (await invoke(event)) as {
        statusCode: number;
        headers?: Record<string, string>;
        body?: string;
        isBase64Encoded?: boolean;
      };
      const body = answer.isBase64Encoded ? Buffer.from(answer.body ?? '', 'base64').toString('utf8') : answer.body;
      return { statusCode: answer.statusCode, headers: answer.headers ?? {}, body: body ?? '' };
    },
    async close() {
      child.stdin!.end();
      const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

/** `<outdir>/<function>/index.mjs` */
export const bundleEntry = (outdir: string, name: string) => join(outdir, name, 'index.mjs');

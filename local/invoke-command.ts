/**
 * `npm run invoke -- <function> [--event file.json | --event -] [--event-json '{...}'] [--timer [name]]
 *                               [--cloudevent file.json]` (entry: local/invoke.ts; tests call `invoke` in-process)
 * Runs one function once, like `s local invoke`, and prints what it returned. When `npm start` is running it
 * goes through that stack's control endpoint; otherwise it starts the emulator on the `.local/` state with every
 * s.yaml function loaded (the invoked one may hand work to another by FC async invocation, as renew-scheduler does
 * to renew-worker), invokes it, waits for that async work and stops. Exit code 0 when the function (and the async
 * work it started) succeeded, 1 when not, 2 for a usage error.
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { scrub } from '../shared/log/index.js';
import { loadSYaml } from './s-yaml.js';
import { DEFAULT_DATA_DIR, PROJECT_ROOT, findRunningStack } from './runner/stack-file.js';
import { functionEnvFilePath } from './runner/function-env-file.js';
import { localDesiredStateFile } from './runner/desired-state-file.js';
import { fromInvocationDir, type CommandIo } from './command-io.js';

const USAGE = `usage: npm run invoke -- <function> [--event file.json|-] [--event-json JSON] [--timer [trigger]] [--cloudevent file.json|-]
  <function>      s.yaml resource name (cert-api) or function name (nlb-mtls-cert-api)
  --event         the raw event (JSON) from a file, or - for stdin; default {}
  --event-json    the raw event inline
  --timer         send the FC timer event of the function's timer trigger (optionally the named one)
  --cloudevent    send a CloudEvent through the function's EventBridge trigger`;

type Request =
  | { kind: 'invoke'; event: Buffer }
  | { kind: 'timer'; triggerName?: string }
  | { kind: 'cloudevent'; event: unknown };

class Usage {
  constructor(readonly code: number) {}
}

/** npm runs scripts from the project root; a relative path means the folder the user typed the command in. */
function readSource(source: string, env: NodeJS.ProcessEnv): Buffer {
  return source === '-' ? readFileSync(0) : readFileSync(fromInvocationDir(source, env));
}

function parse(argv: string[], io: CommandIo): { fn: string; request: Request } {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      event: { type: 'string' },
      'event-json': { type: 'string' },
      timer: { type: 'boolean' },
      cloudevent: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help || positionals.length === 0) {
    io.stdout(USAGE + '\n');
    throw new Usage(values.help ? 0 : 2);
  }
  const [fn, triggerName] = positionals;
  if (values.timer) return { fn, request: { kind: 'timer', triggerName } };
  if (values.cloudevent)
    return {
      fn,
      request: { kind: 'cloudevent', event: JSON.parse(readSource(values.cloudevent, io.env).toString('utf8')) },
    };
  const raw = values.event ? readSource(values.event, io.env) : Buffer.from(values['event-json'] ?? '{}', 'utf8');
  JSON.parse(raw.toString('utf8')); // fail here, with the CLI's message, on a malformed event
  return { fn, request: { kind: 'invoke', event: raw } };
}

function print(result: unknown, io: CommandIo): void {
  if (typeof result === 'string') io.stdout(result + '\n');
  else if (Buffer.isBuffer(result)) io.stdout(result);
  else io.stdout(JSON.stringify(result, null, 2) + '\n');
}

/** Through a running `npm start`: the control endpoint does the same as the in-process path below. */
async function viaRunningStack(
  controlUrl: string,
  devToken: string,
  fn: string,
  request: Request,
  io: CommandIo,
): Promise<boolean> {
  const name = encodeURIComponent(fn);
  const target =
    request.kind === 'invoke'
      ? { path: `/functions/${name}/invoke`, body: request.event }
      : request.kind === 'timer'
        ? {
            path: `/timers/${name}${request.triggerName ? `/${encodeURIComponent(request.triggerName)}` : ''}`,
            body: Buffer.alloc(0),
          }
        : { path: `/events/${name}`, body: Buffer.from(JSON.stringify(request.event)) };
  const res = await fetch(controlUrl + target.path, {
    method: 'POST',
    headers: { authorization: `Bearer ${devToken}`, 'content-type': 'application/json' },
    body: target.body,
  });
  const text = await res.text();
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {
    // not JSON: print as text
  }
  print(body, io);
  const errorType = res.headers.get('x-fc-error-type');
  if (errorType) io.stderr(`invocation failed: ${errorType}\n`);
  return res.ok && !errorType && !hasFailedDelivery(body);
}

function hasFailedDelivery(body: unknown): boolean {
  const deliveries = (body as { deliveries?: Array<{ ok: boolean }> } | undefined)?.deliveries;
  return Array.isArray(deliveries) && deliveries.some((d) => !d.ok);
}

async function inProcess(fn: string, request: Request, io: CommandIo): Promise<boolean> {
  const sYamlPath = `${PROJECT_ROOT}/s.yaml`;
  const known = Object.entries(loadSYaml(sYamlPath).resources).some(
    ([name, r]) => name === fn || r.props.functionName === fn,
  );
  if (!known) throw new Error(`not in s.yaml: ${fn}`); // before starting anything
  // Every function, not only `fn`: each one must be registered with the emulator's FC server to be invocable async.
  const dataDir = io.env.LOCAL_DATA_DIR || DEFAULT_DATA_DIR;
  // Loaded here, not at the top: the help, a typo and the path through a running stack need none of it (~1 s).
  const { startLocalStack } = await import('./stack.js');
  const stack = await startLocalStack({
    dataDir,
    sYamlPath,
    functionEnvFile: functionEnvFilePath(dataDir),
    // The desired state npm start and npm run reconcile use (local/runner/desired-state-file.ts).
    desiredStateFile: localDesiredStateFile(dataDir, io.env),
    // stdout carries only the result (pipe it to jq); the emulator's JSON logs go to stderr.
    log: (line) => io.stderr(line + '\n'),
  });
  try {
    let result: unknown;
    let ok = true;
    if (request.kind === 'invoke') {
      result = await stack.invoke(fn, request.event);
    } else {
      const deliveries =
        request.kind === 'timer'
          ? await stack.fireTimer(fn, request.triggerName)
          : (await stack.publishEvent(request.event, fn)).deliveries;
      result = { deliveries };
      ok = deliveries.every((d) => d.ok);
    }
    // The async invocations it started (renew-scheduler -> renew-worker) finish, retries included, before we report.
    await stack.idle();
    print(result, io);
    const failed = stack.emulator.fc.failedInvocations();
    for (const f of failed)
      io.stderr(`async invocation of ${f.functionName} failed after ${f.attempts} attempt(s): ${scrub(f.error)}\n`);
    return ok && failed.length === 0;
  } finally {
    await stack.close();
  }
}

/** Invokes once; resolves the exit code (0 succeeded, 1 failed, 2 usage). */
export async function invoke(argv: string[], io: CommandIo): Promise<number> {
  try {
    const { fn, request } = parse(argv, io);
    const running = await findRunningStack(io.env.LOCAL_DATA_DIR || DEFAULT_DATA_DIR);
    const ok = running
      ? await viaRunningStack(running.controlUrl, running.devToken, fn, request, io)
      : await inProcess(fn, request, io);
    return ok ? 0 : 1;
  } catch (err) {
    if (err instanceof Usage) return err.code;
    io.stderr(`invoke failed: ${err instanceof Error ? `${err.name}: ${err.message}` : String(err)}\n`);
    return 1;
  }
}

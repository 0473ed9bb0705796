/**
 * `npm run invoke -- <function> [--event file.json | --event -] [--event-json '{...}'] [--timer [name]]
 *                               [--cloudevent file.json]`
 * Runs one function once, like `s local invoke`, and prints what it returned. When `npm start` is running it
 * goes through that stack's control endpoint; otherwise it starts the emulator on the `.local/` state with every
 * s.yaml function loaded (the invoked one may hand work to another by FC async invocation, as renew-scheduler does
 * to renew-worker), invokes it, waits for that async work and stops.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { scrub, setLogSink } from '../shared/log/index.js';
import { loadSYaml } from './s-yaml.js';
import { DEFAULT_DATA_DIR, PROJECT_ROOT, findRunningStack } from './runner/stack-file.js';
import { functionEnvFilePath } from './runner/function-env-file.js';
import { localDesiredStateFile } from './runner/desired-state-file.js';

const USAGE = `usage: npm run invoke -- <function> [--event file.json|-] [--event-json JSON] [--timer [trigger]] [--cloudevent file.json|-]
  <function>      s.yaml resource name (cert-api) or function name (nlb-mtls-cert-api)
  --event         the raw event (JSON) from a file, or - for stdin; default {}
  --event-json    the raw event inline
  --timer         send the FC timer event of the function's timer trigger (optionally the named one)
  --cloudevent    send a CloudEvent through the function's EventBridge trigger`;

type Request =
  { kind: 'invoke'; event: Buffer } | { kind: 'timer'; triggerName?: string } | { kind: 'cloudevent'; event: unknown };

/** npm runs scripts from the project root; a relative path means the folder the user typed the command in. */
function readSource(source: string): Buffer {
  return source === '-' ? readFileSync(0) : readFileSync(resolve(process.env.INIT_CWD ?? process.cwd(), source));
}

function parse(argv: string[]): { fn: string; request: Request } {
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
    console.log(USAGE);
    process.exit(values.help ? 0 : 2);
  }
  const [fn, triggerName] = positionals;
  if (values.timer) return { fn, request: { kind: 'timer', triggerName } };
  if (values.cloudevent)
    return { fn, request: { kind: 'cloudevent', event: JSON.parse(readSource(values.cloudevent).toString('utf8')) } };
  const raw = values.event ? readSource(values.event) : Buffer.from(values['event-json'] ?? '{}', 'utf8');
  JSON.parse(raw.toString('utf8')); // fail here, with the CLI's message, on a malformed event
  return { fn, request: { kind: 'invoke', event: raw } };
}

function print(result: unknown): void {
  if (typeof result === 'string') console.log(result);
  else if (Buffer.isBuffer(result)) process.stdout.write(result);
  else console.log(JSON.stringify(result, null, 2));
}

/** Through a running `npm start`: the control endpoint does the same as the in-process path below. */
async function viaRunningStack(controlUrl: string, devToken: string, fn: string, request: Request): Promise<boolean> {
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
  print(body);
  const errorType = res.headers.get('x-fc-error-type');
  if (errorType) console.error(`invocation failed: ${errorType}`);
  return res.ok && !errorType && !hasFailedDelivery(body);
}

function hasFailedDelivery(body: unknown): boolean {
  const deliveries = (body as { deliveries?: Array<{ ok: boolean }> } | undefined)?.deliveries;
  return Array.isArray(deliveries) && deliveries.some((d) => !d.ok);
}

async function inProcess(fn: string, request: Request): Promise<boolean> {
  const sYamlPath = `${PROJECT_ROOT}/s.yaml`;
  const known = Object.entries(loadSYaml(sYamlPath).resources).some(
    ([name, r]) => name === fn || r.props.functionName === fn,
  );
  if (!known) throw new Error(`not in s.yaml: ${fn}`); // before starting anything
  // stdout carries only the result (pipe it to jq); the functions' and emulator's JSON logs go to stderr.
  setLogSink((line) => process.stderr.write(line + '\n'));
  // Every function, not only `fn`: each one must be registered with the emulator's FC server to be invocable async.
  const dataDir = process.env.LOCAL_DATA_DIR || DEFAULT_DATA_DIR;
  // Loaded here, not at the top: the help, a typo and the path through a running stack need none of it (~1 s).
  const { startLocalStack } = await import('./stack.js');
  const stack = await startLocalStack({
    dataDir,
    sYamlPath,
    functionEnvFile: functionEnvFilePath(dataDir),
    // The desired state npm start and npm run reconcile use (local/runner/desired-state-file.ts).
    desiredStateFile: localDesiredStateFile(dataDir),
    log: (line) => process.stderr.write(line + '\n'),
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
    print(result);
    const failed = stack.emulator.fc.failedInvocations();
    for (const f of failed)
      console.error(`async invocation of ${f.functionName} failed after ${f.attempts} attempt(s): ${scrub(f.error)}`);
    return ok && failed.length === 0;
  } finally {
    await stack.close();
  }
}

async function main(): Promise<void> {
  const { fn, request } = parse(process.argv.slice(2));
  const running = await findRunningStack(process.env.LOCAL_DATA_DIR || DEFAULT_DATA_DIR);
  const ok = running
    ? await viaRunningStack(running.controlUrl, running.devToken, fn, request)
    : await inProcess(fn, request);
  process.exit(ok ? 0 : 1);
}

main().catch((err: unknown) => {
  console.error(`invoke failed: ${err instanceof Error ? `${err.name}: ${err.message}` : String(err)}`);
  process.exit(1);
});

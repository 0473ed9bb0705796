/**
 * `npm run reconcile -- (--plan | --apply) [--listener lsn-...] [--desired FILE] [--force-ca-change] [--no-verify]
 *                        [--json] [--cloud] [--fail-on-blocked]`
 * Runs reconcile-listeners' own code from a terminal and prints the plan the way `terraform plan` does.
 * Default target: the local emulator (a running `npm start`, found through .local/stack.json, or else the
 * `.local/` state started just for this run). `--cloud`: Alibaba Cloud with the credentials and settings in the
 * environment (shared/config/reconcile.ts). Exit code 1 when a listener failed, 3 when one is blocked and
 * --fail-on-blocked was given (CI), 0 otherwise.
 */
import { randomUUID } from 'node:crypto';
import { isAbsolute, relative, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { loadReconcileConfig } from '../shared/config/reconcile.js';
import type { ListenerMtls } from '../shared/domain/listeners/desired-state.js';
import { listenerBaseId } from '../shared/domain/listeners/listener-id.js';
import { reconcileListeners } from '../shared/listeners/reconcile.js';
import { renderReport } from '../shared/domain/listeners/render.js';
import { createLogger, setLogSink, type LogLevel } from '../shared/log/index.js';
import { buildReconcileRuntime, readDesiredState } from '../functions/reconcile-listeners/deps.js';
import { ensureSeedDesiredState, localDesiredStateFile } from './runner/desired-state-file.js';
import { DEFAULT_DATA_DIR } from './runner/stack-file.js';
import { localTarget, type Target } from './reconcile-target.js';

const USAGE = `usage: npm run reconcile -- (--plan | --apply) [--listener lsn-...] [--desired FILE] [--force-ca-change] [--no-verify] [--json] [--cloud] [--fail-on-blocked]
  --plan             show what would change; change nothing
  --apply            change what differs (dry run first), wait for NLB, then verify with TLS handshakes
  --listener ID      only this declared listener
  --desired FILE     the desired state (default locally: DESIRED_STATE_FILE, else .local/listeners.yaml, written
                     from the seeded listeners on first use and read by npm start's reconcile-listeners too;
                     with --cloud: DESIRED_STATE_FILE or config/listeners.yaml)
  --force-ca-change  replace a CA even when active client certificates would be locked out
  --no-verify        skip the handshakes after apply
  --json             print the JSON report instead of the plan text
  --cloud            Alibaba Cloud with credentials from the environment instead of the local emulator
  --fail-on-blocked  exit 3 when a declared listener is blocked by a rule (for CI: plan, then fail the build)
exit codes: 0 done (blocked listeners included, unless --fail-on-blocked), 1 a listener failed or the run could
not start, 2 usage, 3 a listener is blocked and --fail-on-blocked was given`;

/** A path the user typed, from the directory they ran `npm run` in (npm itself runs us in the project root). */
function fromInvocationDir(path: string): string {
  return isAbsolute(path) ? path : resolve(process.env.INIT_CWD ?? process.cwd(), path);
}

function parse(argv: string[]) {
  const { values } = parseArgs({
    args: argv,
    options: {
      plan: { type: 'boolean' },
      apply: { type: 'boolean' },
      listener: { type: 'string' },
      desired: { type: 'string' },
      'force-ca-change': { type: 'boolean' },
      'no-verify': { type: 'boolean' },
      json: { type: 'boolean' },
      cloud: { type: 'boolean' },
      'fail-on-blocked': { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help || values.plan === values.apply) {
    console.log(USAGE);
    process.exit(values.help ? 0 : 2);
  }
  return values;
}

/** 1 when a listener failed; 3 when one is blocked and the caller asked to fail on that (CI); else 0. */
function exitCodeOf(summary: { failed: number; blocked: number }, failOnBlocked: boolean): number {
  if (summary.failed > 0) return 1;
  return failOnBlocked && summary.blocked > 0 ? 3 : 0;
}

async function main(): Promise<void> {
  const args = parse(process.argv.slice(2));
  const mode = args.apply ? 'apply' : 'plan';
  // stdout is for the plan; logs (warnings and errors only, unless LOG_LEVEL says otherwise) go to stderr.
  setLogSink((line) => process.stderr.write(line + '\n'));
  const log = createLogger({ fn: 'reconcile' }, (process.env.LOG_LEVEL as LogLevel) || 'warn');

  let target: Target | undefined;
  let desired: ListenerMtls[];
  let runtime;
  try {
    if (args.cloud) {
      const config = loadReconcileConfig(process.env);
      runtime = buildReconcileRuntime(config, {
        log,
        desired: readDesiredState(args.desired ? fromInvocationDir(args.desired) : config.desiredStateFile),
      });
      desired = await runtime.desired();
    } else {
      const dataDir = process.env.LOCAL_DATA_DIR || DEFAULT_DATA_DIR;
      target = await localTarget(dataDir);
      // The same file npm start's reconcile-listeners reads (local/runner/desired-state-file.ts).
      const file = args.desired ? fromInvocationDir(args.desired) : localDesiredStateFile(dataDir);
      if (!args.desired && (await ensureSeedDesiredState(file, target.env, target.localPorts))) {
        console.error(
          `wrote ${relative(process.cwd(), file)} from the seeded listeners; edit it to declare what you want`,
        );
      }
      console.error(`target: ${target.describe}; desired state: ${relative(process.cwd(), file)}`);
      runtime = buildReconcileRuntime(loadReconcileConfig({ ...target.env, LOG_LEVEL: 'warn' }), {
        log,
        desired: readDesiredState(file),
      });
      const ports = new Map([...target.localPorts].map(([id, port]) => [listenerBaseId(id), port]));
      desired = (await runtime.desired()).map((d) => {
        const port = ports.get(listenerBaseId(d.listenerId));
        return port ? { ...d, probe: { ...d.probe, address: '127.0.0.1', port } } : d;
      });
    }
    const report = await reconcileListeners(runtime.engine, desired, {
      mode,
      runId: `cli:${randomUUID()}`,
      ...(args.listener ? { listenerId: args.listener } : {}),
      ...(args['force-ca-change'] ? { forceCaChange: true } : {}),
      ...(args['no-verify'] ? { verify: false } : {}),
    });
    console.log(args.json ? JSON.stringify(report, null, 2) : renderReport(report));
    process.exitCode = exitCodeOf(report.summary, Boolean(args['fail-on-blocked']));
  } finally {
    await target?.close();
  }
}

main().catch((err: unknown) => {
  console.error(`npm run reconcile failed: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});

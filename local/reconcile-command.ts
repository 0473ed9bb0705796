/**
 * `npm run reconcile -- (--plan | --apply) [--listener lsn-...] [--desired FILE] [--force-ca-change] [--no-verify]
 *                        [--json] [--cloud] [--fail-on-blocked]` (entry: local/reconcile.ts; tests call `reconcile`
 * in-process): reconcile-listeners' own code from a terminal, the plan printed the way `terraform plan` does.
 * Default target: the local emulator (a running `npm start`, found through .local/stack.json, or else the `.local/`
 * state started just for this run). `--cloud`: Alibaba Cloud with the credentials and settings in the environment
 * (shared/config/reconcile.ts). Exit code 1 when a listener failed or the run could not start, 2 for a usage error,
 * 3 when one is blocked and --fail-on-blocked was given (CI), 0 otherwise.
 */
import { randomUUID } from 'node:crypto';
import { parseArgs } from 'node:util';
import { loadReconcileConfig } from '../shared/config/reconcile.js';
import type { ListenerMtls } from '../shared/domain/listeners/desired-state.js';
import { reconcileListeners } from '../shared/listeners/reconcile.js';
import { renderReport } from '../shared/domain/listeners/render.js';
import { createLogger, type LogLevel } from '../shared/log/index.js';
import { buildReconcileRuntime, readDesiredState } from '../functions/reconcile-listeners/deps.js';
import { ensureSeedDesiredState, localDesiredStateFile } from './runner/desired-state-file.js';
import { DEFAULT_DATA_DIR } from './runner/stack-file.js';
import { describeFile, localTarget, probeLocally, type Target } from './reconcile-target.js';
import { fromInvocationDir, messageOf, type CommandIo } from './command-io.js';

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
  return values;
}

/** 1 when a listener failed; 3 when one is blocked and the caller asked to fail on that (CI); else 0. */
function exitCodeOf(summary: { failed: number; blocked: number }, failOnBlocked: boolean): number {
  if (summary.failed > 0) return 1;
  return failOnBlocked && summary.blocked > 0 ? 3 : 0;
}

async function run(argv: string[], io: CommandIo): Promise<number> {
  const args = parse(argv);
  if (args.help || args.plan === args.apply) {
    io.stdout(USAGE + '\n');
    return args.help ? 0 : 2;
  }
  const log = createLogger({ fn: 'reconcile' }, (io.env.LOG_LEVEL as LogLevel) || 'warn');

  let target: Target | undefined;
  let desired: ListenerMtls[];
  let runtime;
  try {
    if (args.cloud) {
      const config = loadReconcileConfig(io.env);
      runtime = buildReconcileRuntime(config, {
        log,
        desired: readDesiredState(args.desired ? fromInvocationDir(args.desired, io.env) : config.desiredStateFile),
      });
      desired = await runtime.desired();
    } else {
      const dataDir = io.env.LOCAL_DATA_DIR || DEFAULT_DATA_DIR;
      target = await localTarget(dataDir);
      // The same file npm start's reconcile-listeners reads (local/runner/desired-state-file.ts).
      const file = args.desired ? fromInvocationDir(args.desired, io.env) : localDesiredStateFile(dataDir, io.env);
      if (!args.desired && (await ensureSeedDesiredState(file, target.env, target.localPorts))) {
        io.stderr(`wrote ${describeFile(file)} from the seeded listeners; edit it to declare what you want\n`);
      }
      io.stderr(`target: ${target.describe}; desired state: ${describeFile(file)}\n`);
      runtime = buildReconcileRuntime(loadReconcileConfig({ ...target.env, LOG_LEVEL: 'warn' }), {
        log,
        desired: readDesiredState(file),
      });
      desired = probeLocally(await runtime.desired(), target.localPorts);
    }
    const report = await reconcileListeners(runtime.engine, desired, {
      mode: args.apply ? 'apply' : 'plan',
      runId: `cli:${randomUUID()}`,
      ...(args.listener ? { listenerId: args.listener } : {}),
      ...(args['force-ca-change'] ? { forceCaChange: true } : {}),
      ...(args['no-verify'] ? { verify: false } : {}),
    });
    io.stdout((args.json ? JSON.stringify(report, null, 2) : renderReport(report)) + '\n');
    return exitCodeOf(report.summary, Boolean(args['fail-on-blocked']));
  } finally {
    await target?.close();
  }
}

/** Plans or applies once; resolves the exit code (0 done, 1 a listener failed or the run could not start, 2 usage, 3 blocked with --fail-on-blocked). */
export async function reconcile(argv: string[], io: CommandIo): Promise<number> {
  try {
    return await run(argv, io);
  } catch (err) {
    io.stderr(`npm run reconcile failed: ${messageOf(err)}\n`);
    return 1;
  }
}

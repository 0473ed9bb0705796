/**
 * `npm run reconcile -- (--plan | --apply) [--listener lsn-...] [--desired FILE] [--force-ca-change] [--no-verify]
 *                        [--json] [--cloud]`
 * Runs reconcile-listeners' own code from a terminal and prints the plan the way `terraform plan` does.
 * Default target: the local emulator (a running `npm start`, found through .local/stack.json, or else the
 * `.local/` state started just for this run). `--cloud`: Alibaba Cloud with the credentials and settings in the
 * environment (shared/config/reconcile.ts). Exit code 1 when a listener failed, 0 otherwise (blocked included).
 */
import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { join, relative } from 'node:path';
import { parseArgs } from 'node:util';
import { loadReconcileConfig } from '../shared/config/reconcile.js';
import type { ListenerMtls } from '../shared/domain/listeners/desired-state.js';
import { listenerBaseId } from '../shared/domain/listeners/listener-id.js';
import { reconcileListeners } from '../shared/listeners/reconcile.js';
import { renderReport } from '../shared/domain/listeners/render.js';
import { createLogger, setLogSink, type LogLevel } from '../shared/log/index.js';
import { buildReconcileRuntime, readDesiredState } from '../functions/reconcile-listeners/deps.js';
import { DEFAULT_DATA_DIR } from './runner/stack-file.js';
import { localTarget, writeSeedDesiredState, type Target } from './reconcile-target.js';

const USAGE = `usage: npm run reconcile -- (--plan | --apply) [--listener lsn-...] [--desired FILE] [--force-ca-change] [--no-verify] [--json] [--cloud]
  --plan             show what would change; change nothing
  --apply            change what differs (dry run first), wait for NLB, then verify with TLS handshakes
  --listener ID      only this declared listener
  --desired FILE     the desired state (default: .local/listeners.yaml locally, written from the seeded
                     listeners on first use; DESIRED_STATE_FILE or config/listeners.yaml with --cloud)
  --force-ca-change  replace a CA even when active client certificates would be locked out
  --no-verify        skip the handshakes after apply
  --json             print the JSON report instead of the plan text
  --cloud            Alibaba Cloud with credentials from the environment instead of the local emulator`;

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
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help || values.plan === values.apply) {
    console.log(USAGE);
    process.exit(values.help ? 0 : 2);
  }
  return values;
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
        desired: readDesiredState(args.desired ?? config.desiredStateFile),
      });
      desired = await runtime.desired();
    } else {
      const dataDir = process.env.LOCAL_DATA_DIR || DEFAULT_DATA_DIR;
      target = await localTarget(dataDir);
      const file = args.desired ?? join(dataDir, 'listeners.yaml');
      if (!args.desired && !existsSync(file)) {
        await writeSeedDesiredState(file, target.env, target.localPorts);
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
    process.exitCode = report.summary.failed > 0 ? 1 : 0;
  } finally {
    await target?.close();
  }
}

main().catch((err: unknown) => {
  console.error(`npm run reconcile failed: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});

/**
 * `npm run rotate-ca -- <plan|prepare|gate|switch|finish|rollback|create-ca> [options]` (entry: local/rotate-ca.ts;
 * tests call `rotateCa` in-process): the CA rotation of single-CA
 * listeners, one stage per command (docs/rotation.md), run with reconcile-listeners' own code and state in the
 * bucket. Default target: the local emulator (a running `npm start`, or the `.local/` state started for the run);
 * `--cloud`: Alibaba Cloud with the settings of shared/config/reconcile.ts from the environment (secrets given as
 * values or as *_SECRET_NAME, read from KMS). Exit code 0 when the stage did what it said, 1 when it refused or
 * failed (nothing half-done: the stage can be run again), 2 for a usage error.
 */
import { parseArgs } from 'node:util';
import { loadReconcileConfig } from '../shared/config/reconcile.js';
import { createRpcCaller } from '../shared/alibaba/rpc.js';
import { parseEndpoint } from '../shared/config/alibaba.js';
import { isAppError } from '../shared/errors/index.js';
import { createLogger, type LogLevel } from '../shared/log/index.js';
import type { RotationReport } from '../shared/domain/rotation/report.js';
import { renderRotationReport } from '../shared/domain/rotation/render.js';
import type { RotationDeps } from '../shared/rotation/context.js';
import { RotationRefusedError } from '../shared/rotation/common.js';
import { planRotation } from '../shared/rotation/plan.js';
import { prepareRotation } from '../shared/rotation/prepare.js';
import { gateRotation } from '../shared/rotation/gate.js';
import { switchRotation, SwitchFailedError } from '../shared/rotation/switch.js';
import { finishRotation } from '../shared/rotation/finish.js';
import { rollbackRotation } from '../shared/rotation/rollback.js';
import { SECRET_VARIABLES, secretSourceFromEnv } from '../shared/secrets/cold-start.js';
import { resolveSecretEnv } from '../shared/secrets/secret-source.js';
import { buildReconcileRuntime, readDesiredState } from '../functions/reconcile-listeners/deps.js';
import { DEFAULT_DATA_DIR } from './runner/stack-file.js';
import { describeFile, localTarget, probeLocally, type Target } from './reconcile-target.js';
import { ensureSeedDesiredState, localDesiredStateFile } from './runner/desired-state-file.js';
import { fromInvocationDir, type CommandIo } from './command-io.js';

const COMMANDS = ['plan', 'prepare', 'gate', 'switch', 'finish', 'rollback', 'create-ca'] as const;
type Command = (typeof COMMANDS)[number];

const USAGE = `usage: npm run rotate-ca -- <command> [options]          (docs/rotation.md)
commands, in order:
  plan       what the rotation in progress does next; for a new one (--to ...), whether it may start. Changes nothing
  prepare    start (or resume): canaries under both CAs, a successor under the new CA for every active client,
             delivered by webhook; the listeners are not touched
  gate       successors for clients that appeared since, and the share of clients holding one, per tenant
  switch     listeners trust the new CA (dry run, update, job), proven: new CA in, old CA refused
  finish     old certificates stop renewing (--revoke: revoked)
  rollback   before finish: listeners back on the old CA (--revoke: successors revoked too)
  create-ca  local emulator only: a new root CA and a sub-CA under it (a rotation's target)
options:
  --to CA           plan/prepare: the CA the listeners will trust (PCA identifier; a root, usually)
  --issuing-ca CA   plan/prepare: the sub-CA under it that issues clients (default: --to, when it is a sub-CA)
  --threshold N     plan/prepare: percent of active clients that must hold a successor before the switch (0-100; default 100)
  --listener ID     plan/prepare: a listener to rotate, repeatable (default: every declared one with mutual auth on)
  --force           switch: go even when the gate does not pass
  --revoke          finish: revoke the old certificates; rollback: revoke the successors
  --plan            show what the command would do; change nothing
  --desired FILE    the desired state (default: .local/listeners.yaml locally; DESIRED_STATE_FILE with --cloud)
  --json            the JSON report instead of text
  --cloud           Alibaba Cloud with credentials and settings from the environment`;

class Usage extends Error {
  constructor(readonly code: number) {
    super('usage');
  }
}

function parse(argv: string[], io: CommandIo) {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      to: { type: 'string' },
      'issuing-ca': { type: 'string' },
      threshold: { type: 'string' },
      listener: { type: 'string', multiple: true },
      force: { type: 'boolean' },
      revoke: { type: 'boolean' },
      plan: { type: 'boolean' },
      desired: { type: 'string' },
      json: { type: 'boolean' },
      cloud: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  const command = positionals[0] as Command | undefined;
  if (values.help || !command || !COMMANDS.includes(command) || positionals.length > 1) {
    io.stdout(USAGE + '\n');
    throw new Usage(values.help ? 0 : 2);
  }
  // A threshold that is not a number is refused like one outside 0-100: by the plan's own check.
  const threshold = values.threshold === undefined ? undefined : Number(values.threshold.replace(/%$/, ''));
  return { command, values, threshold };
}

async function cloudEnv(env: NodeJS.ProcessEnv): Promise<NodeJS.ProcessEnv> {
  return resolveSecretEnv(env, SECRET_VARIABLES, secretSourceFromEnv(env));
}

/** create-ca: a root and a sub-CA under it, through the emulated CAS API (as the console would make them). */
async function createCa(env: Record<string, string>): Promise<RotationReport & { created: Record<string, string> }> {
  const call = createRpcCaller('2020-06-30', parseEndpoint(env.CAS_ENDPOINT, env.REGION), {
    accessKeyId: env.ALIBABA_CLOUD_ACCESS_KEY_ID,
    accessKeySecret: env.ALIBABA_CLOUD_ACCESS_KEY_SECRET,
  });
  const sub = await call<{ Certificate: { Algorithm: string } }>('DescribeCACertificate', {
    Identifier: env.PCA_PARENT_IDENTIFIER,
  });
  const algorithm = sub.Certificate.Algorithm === 'ECC' ? 'ECC_256' : 'RSA_2048';
  const subject = {
    Organization: 'nlb-mtls-autopilot',
    OrganizationUnit: 'local',
    Locality: 'Hangzhou',
    State: 'Zhejiang',
  };
  const stamp = new Date().toISOString().slice(0, 10);
  const root = await call<{ Identifier: string }>('CreateRootCACertificate', {
    ...subject,
    CommonName: `Local Root CA ${stamp}`,
    Years: 10,
    Algorithm: algorithm,
  });
  const child = await call<{ Identifier: string }>('CreateSubCACertificate', {
    ...subject,
    ParentIdentifier: root.Identifier,
    CommonName: `Local Sub CA ${stamp}`,
    Years: 5,
    Algorithm: algorithm,
  });
  return {
    command: 'plan',
    planOnly: false,
    created: { rootIdentifier: root.Identifier, subCaIdentifier: child.Identifier },
    next: [
      `new root CA:   ${root.Identifier}`,
      `new sub-CA:    ${child.Identifier} (issues clients under the new root; ${algorithm} keys like the current sub-CA)`,
      `npm run rotate-ca -- plan --to ${root.Identifier} --issuing-ca ${child.Identifier} --listener <lsn-...>`,
    ],
  };
}

async function run(deps: RotationDeps, args: ReturnType<typeof parse>): Promise<RotationReport> {
  const { values } = args;
  const request = {
    ...(values.to ? { toCa: values.to } : {}),
    ...(values['issuing-ca'] ? { issuingCa: values['issuing-ca'] } : {}),
    ...(args.threshold !== undefined ? { thresholdPercent: args.threshold } : {}),
    ...(values.listener?.length ? { listenerIds: values.listener } : {}),
  };
  const planOnly = values.plan === true;
  switch (args.command) {
    case 'plan':
      return planRotation(deps, request);
    case 'prepare':
      return planOnly ? planRotation(deps, request) : prepareRotation(deps, request);
    case 'gate':
      return gateRotation(deps, { planOnly });
    case 'switch':
      return switchRotation(deps, { force: values.force, planOnly });
    case 'finish':
      return finishRotation(deps, { revoke: values.revoke, planOnly });
    default:
      return rollbackRotation(deps, { revokeSuccessors: values.revoke, planOnly });
  }
}

/** Runs one command; resolves the exit code (0 done, 1 refused or failed, 2 usage). */
export async function rotateCa(argv: string[], io: CommandIo): Promise<number> {
  let args: ReturnType<typeof parse>;
  try {
    args = parse(argv, io);
  } catch (err) {
    if (err instanceof Usage) return err.code;
    io.stderr(`rotate-ca: ${(err as Error).message}\n`);
    return 2;
  }
  const log = createLogger({ fn: 'rotate-ca' }, (io.env.LOG_LEVEL as LogLevel) || 'warn');
  const print = (report: RotationReport) =>
    io.stdout((args.values.json ? JSON.stringify(report, null, 2) : renderRotationReport(report)) + '\n');

  let target: Target | undefined;
  try {
    let deps: RotationDeps;
    if (args.values.cloud) {
      if (args.command === 'create-ca')
        throw new RotationRefusedError(
          'LOCAL_ONLY',
          'create-ca makes CAs in the local emulator only: create them in the CAS console',
        );
      const config = loadReconcileConfig(await cloudEnv(io.env));
      deps = buildReconcileRuntime(config, {
        log,
        desired: readDesiredState(
          args.values.desired ? fromInvocationDir(args.values.desired, io.env) : config.desiredStateFile,
        ),
      }).rotation;
    } else {
      const dataDir = io.env.LOCAL_DATA_DIR || DEFAULT_DATA_DIR;
      target = await localTarget(dataDir);
      if (args.command === 'create-ca') {
        print(await createCa(target.env));
        return 0;
      }
      // The same file npm start's reconcile-listeners and `npm run reconcile` read.
      const file = args.values.desired
        ? fromInvocationDir(args.values.desired, io.env)
        : localDesiredStateFile(dataDir, io.env);
      if (!args.values.desired && (await ensureSeedDesiredState(file, target.env, target.localPorts))) {
        io.stderr(`wrote ${describeFile(file)} from the seeded listeners; edit it to declare what you want\n`);
      }
      io.stderr(`target: ${target.describe}; desired state: ${describeFile(file)}\n`);
      const runtime = buildReconcileRuntime(loadReconcileConfig({ ...target.env, LOG_LEVEL: 'warn' }), {
        log,
        desired: readDesiredState(file),
      });
      const ports = target.localPorts;
      deps = { ...runtime.rotation, desired: async () => probeLocally(await runtime.desired(), ports) };
    }
    const report = await run(deps, args);
    print(report);
    // A plan that refuses is a refusal: a script can tell it from a plan that may go ahead.
    return report.refusals?.length ? 1 : 0;
  } catch (err) {
    if (err instanceof SwitchFailedError) print(err.report);
    if (err instanceof RotationRefusedError && !args.values.json) {
      io.stderr(`rotate-ca ${args.command} refused (${err.code}):\n`);
      for (const reason of err.refusals) io.stderr(`  ! ${reason}\n`);
    } else if (isAppError(err)) io.stderr(`rotate-ca ${args.command} failed (${err.code}): ${err.message}\n`);
    else io.stderr(`rotate-ca ${args.command} failed: ${err instanceof Error ? err.message : String(err)}\n`);
    if (args.values.json && isAppError(err))
      io.stdout(
        JSON.stringify({ error: { code: err.code, message: err.message, ...(err.details ?? {}) } }, null, 2) + '\n',
      );
    return 1;
  } finally {
    await target?.close();
  }
}

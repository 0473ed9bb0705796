/**
 * `npm run drift -- [lsn-...] [--security-policy ID]` (entry: local/drift.ts; tests may call `drift` in-process):
 * changes a listener of the running `npm start` behind the reconciler's back, the way someone clicking in the NLB
 * console (or the aliyun CLI) would: one UpdateListenerAttribute through the emulated NLB API, signed with the
 * emulator's keys from .local/stack.json. Default: mutual auth off on the first seeded listener. Exit code 0 when
 * changed, 1 when it could not (no running stack, say), 2 for a usage error.
 */
import { randomUUID } from 'node:crypto';
import { parseArgs } from 'node:util';
import { createNlbListenerGateway } from '../shared/alibaba/nlb.js';
import { parseEndpoint } from '../shared/config/alibaba.js';
import type { ListenerUpdate } from '../shared/domain/listeners/ports.js';
import { DEFAULT_DATA_DIR, findRunningStack } from './runner/stack-file.js';
import { messageOf, type CommandIo } from './command-io.js';

const USAGE = `usage: npm run drift -- [lsn-...] [--security-policy ID]
  changes a listener of the running npm start as a console user would (default: the first listener, mutual auth off)
  --security-policy ID   set this TLS security policy instead (e.g. tls_cipher_policy_1_0)`;

async function run(argv: string[], io: CommandIo): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    options: { 'security-policy': { type: 'string' }, help: { type: 'boolean', short: 'h' } },
    allowPositionals: true,
  });
  if (values.help || positionals.length > 1) {
    io.stdout(USAGE + '\n');
    return values.help ? 0 : 2;
  }
  const dataDir = io.env.LOCAL_DATA_DIR || DEFAULT_DATA_DIR;
  const stack = await findRunningStack(dataDir);
  if (!stack) throw new Error('no running stack: start it with `npm start` (in another terminal) first');
  const listenerId = positionals[0] ?? stack.listeners[0]?.listenerId;
  if (!listenerId) throw new Error('the stack has no listeners');
  const region = stack.emulator.region;
  const gateway = createNlbListenerGateway({
    credentials: { accessKeyId: stack.emulator.accessKeyId, accessKeySecret: stack.emulator.accessKeySecret },
    endpointFor: () => parseEndpoint(`http://${stack.emulator.rpcEndpoint}`, region),
  });
  const before = await gateway.getListener(region, listenerId);
  const update: ListenerUpdate = values['security-policy']
    ? { securityPolicyId: values['security-policy'] }
    : { caEnabled: false };
  const { jobId } = await gateway.updateListener(region, listenerId, update, randomUUID());
  for (let i = 0; i < 100 && (await gateway.getJobStatus(region, jobId)) === 'Processing'; i++)
    await new Promise((r) => setTimeout(r, 100));
  const after = await gateway.getListener(region, listenerId);
  const [field, from, to] = values['security-policy']
    ? ['SecurityPolicyId', before.securityPolicyId, after.securityPolicyId]
    : ['CaEnabled', before.caEnabled, after.caEnabled];
  io.stdout(`${listenerId}: ${field} ${String(from)} -> ${String(to)} (UpdateListenerAttribute, job ${jobId})\n`);
  io.stdout('`npm run reconcile -- --plan` now shows the drift; `npm run reconcile -- --apply` repairs it.\n');
  return 0;
}

/** Changes one listener; resolves the exit code (0 changed, 1 could not, 2 usage). */
export async function drift(argv: string[], io: CommandIo): Promise<number> {
  try {
    return await run(argv, io);
  } catch (err) {
    io.stderr(`npm run drift failed: ${messageOf(err)}\n`);
    return 1;
  }
}

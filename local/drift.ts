/**
 * `npm run drift -- [lsn-...] [--security-policy ID]`: changes a listener of the running `npm start` behind the
 * reconciler's back, the way someone clicking in the NLB console (or the aliyun CLI) would: one
 * UpdateListenerAttribute through the emulated NLB API, signed with the emulator's keys from .local/stack.json.
 * Default: mutual auth off on the first seeded listener. Then `npm run reconcile -- --plan` shows the drift and
 * `--apply` repairs it (docs/reconcile.md, "Drift, locally").
 */
import { randomUUID } from 'node:crypto';
import { parseArgs } from 'node:util';
import { createNlbListenerGateway } from '../shared/alibaba/nlb.js';
import { parseEndpoint } from '../shared/config/alibaba.js';
import type { ListenerUpdate } from '../shared/domain/listeners/ports.js';
import { DEFAULT_DATA_DIR, findRunningStack } from './runner/stack-file.js';

const USAGE = `usage: npm run drift -- [lsn-...] [--security-policy ID]
  changes a listener of the running npm start as a console user would (default: the first listener, mutual auth off)
  --security-policy ID   set this TLS security policy instead (e.g. tls_cipher_policy_1_0)`;

async function main(): Promise<void> {
  const { values, positionals } = parseArgs({
    options: { 'security-policy': { type: 'string' }, help: { type: 'boolean', short: 'h' } },
    allowPositionals: true,
  });
  if (values.help || positionals.length > 1) {
    console.log(USAGE);
    process.exit(values.help ? 0 : 2);
  }
  const dataDir = process.env.LOCAL_DATA_DIR || DEFAULT_DATA_DIR;
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
  console.log(`${listenerId}: ${field} ${String(from)} -> ${String(to)} (UpdateListenerAttribute, job ${jobId})`);
  console.log('`npm run reconcile -- --plan` now shows the drift; `npm run reconcile -- --apply` repairs it.');
}

main().catch((err: unknown) => {
  console.error(`npm run drift failed: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});

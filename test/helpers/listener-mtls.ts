/**
 * Mutual TLS on for one of the local stack's seeded listeners, trusting the PCA root, through the emulated NLB API
 * (what `npm run reconcile -- --apply` ends up doing), and back once the job has finished.
 */
import type { LocalStack } from '../../local/stack.js';
import { createRpcCaller } from '../../shared/alibaba/rpc.js';
import { parseEndpoint } from '../../shared/config/alibaba.js';

export async function enableListenerMtls(
  stack: LocalStack,
  index = 0,
): Promise<{ listenerId: string; host: string; port: number }> {
  const listener = stack.stackInfo.listeners[index];
  const nlb = createRpcCaller(
    '2022-04-30',
    parseEndpoint(stack.emulator.rpcUrl, stack.emulator.region),
    stack.emulator.credentials,
  );
  await nlb('UpdateListenerAttribute', {
    RegionId: stack.emulator.region,
    ListenerId: listener.listenerId,
    CaEnabled: true,
    CaCertificateIds: [stack.stackInfo.ca.rootIdentifier],
  });
  await stack.emulator.nlb.whenRunning(listener.listenerId);
  return listener;
}

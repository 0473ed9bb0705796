/** Shared by the emulator's RPC tests: the project's signed caller pointed at an emulator, and error capture. */
import { createRpcCaller, RpcError, type RpcCaller } from '../../../shared/alibaba/rpc.js';
import type { Emulator } from '../../../local/emulator/index.js';

export const NLB_VERSION = '2022-04-30';
export const PCA_VERSION = '2020-06-30';

export function rpcClient(
  emulator: Emulator,
  version: string,
  options: { readTimeoutMs?: number; credentials?: Emulator['credentials'] } = {},
): RpcCaller {
  return createRpcCaller(
    version,
    {
      endpoint: emulator.rpcEndpoint,
      protocol: 'http',
      regionId: emulator.region,
      readTimeoutMs: options.readTimeoutMs,
    },
    options.credentials ?? emulator.credentials,
  );
}

/** The RpcError a call fails with (fails the test when the call succeeds). */
export async function rpcFailure(call: Promise<unknown>): Promise<RpcError> {
  try {
    await call;
  } catch (err) {
    if (err instanceof RpcError) return err;
    throw err;
  }
  throw new Error('expected the call to fail');
}

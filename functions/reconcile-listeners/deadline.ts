/**
 * A hard deadline around each API call. The SDK's read timeout is not reliable on a reused keep-alive socket
 * (httpx keeps the timer on the socket, where the previous response's cleanup can clear the next request's
 * timer: measured against the emulator, a 400 ms timeout let a 1.5 s answer through), and a reconcile run must
 * stay bounded. A call past its deadline fails with `RequestTimeout`, which the retry policy treats as transient;
 * for an update that is safe because the resend carries the same ClientToken.
 */
import { RpcError, type RpcCaller } from '../../shared/alibaba/rpc.js';

export function withDeadline<T>(work: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new RpcError('RequestTimeout', `${what} did not answer within ${ms} ms`)), ms);
  });
  return Promise.race([work, deadline]).finally(() => clearTimeout(timer));
}

export function callerWithDeadline(call: RpcCaller, ms: number): RpcCaller {
  return <T>(action: string, params: Parameters<RpcCaller>[1]) => withDeadline(call<T>(action, params), ms, action);
}

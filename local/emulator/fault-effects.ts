/**
 * What the emulated FC and OSS endpoints do with an injected fault before they serve the call: an error fault is
 * thrown as the API's own error, a drop cuts the connection, a delay waits and the call still takes effect after
 * it (as a slow cloud call does after the client gave up). A server that is closing cuts the connection too.
 */
import type { IncomingMessage } from 'node:http';
import type { PendingDelays } from '../http-server.js';
import type { Fault } from './faults.js';

export type ErrorFault = Extract<Fault, { kind: 'error' }>;

export interface FaultEffectOptions {
  delays: PendingDelays;
  closing: () => boolean;
  /** The API's own error for an error fault. */
  toError: (fault: ErrorFault) => Error;
}

/** Resolves false when the connection was cut (the handler stops there); throws for an error fault. */
export async function applyFault(
  fault: Fault | undefined,
  req: IncomingMessage,
  options: FaultEffectOptions,
): Promise<boolean> {
  if (fault?.kind === 'error') throw options.toError(fault);
  if (fault?.kind === 'drop') {
    req.socket.destroy();
    return false;
  }
  if (fault?.kind === 'delay') await options.delays.wait(fault.ms);
  if (options.closing()) {
    req.socket.destroy();
    return false;
  }
  return true;
}

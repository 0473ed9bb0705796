/**
 * Before the trusted CA of a listener is replaced: which active client certificates that get in today would be
 * locked out tomorrow? NLB trusts exactly one CA per listener, so a client that does not chain to the new CA
 * stops working the moment the job finishes.
 */
import type { ActiveClientCertificate } from './ports.js';

export type ChainsTo = (certificatePem: string, intermediatePems: string[], trustedCaPem: string) => boolean;

export interface LockoutFinding {
  /** Active clients that chain to the current CA (or all active clients when the current CA is unknown). */
  affected: number;
  /** Ids of those that would not chain to the new CA. */
  lockedOut: string[];
}

export function findLockedOutClients(
  clients: ActiveClientCertificate[],
  currentCaPem: string | undefined,
  newCaPem: string,
  chainsTo: ChainsTo,
): LockoutFinding {
  const affected =
    currentCaPem === undefined
      ? clients
      : clients.filter((c) => chainsTo(c.certificatePem, c.intermediatePems, currentCaPem));
  const lockedOut = affected.filter((c) => !chainsTo(c.certificatePem, c.intermediatePems, newCaPem)).map((c) => c.id);
  return { affected: affected.length, lockedOut };
}

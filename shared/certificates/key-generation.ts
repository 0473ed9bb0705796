/**
 * Key generation with bounded concurrency. RSA generation runs on libuv's small thread pool (4 threads by
 * default), which also serves file I/O, DNS lookups, PBKDF2 and WebCrypto signing: with 20 RSA keys queued, every
 * one of those short jobs waits behind them, and a request's other steps stall (even past a client timeout). As
 * many keys at once as there are CPUs keep the CPUs just as busy and leave threads for the short jobs.
 */
import { availableParallelism } from 'node:os';
import type { KeyAlgorithm } from '../domain/client-certificate.js';
import { generateKeyPair, type KeyPair } from '../pki/index.js';

const SLOTS = Math.max(1, Math.min(availableParallelism(), 3));
let busy = 0;
const waiting: Array<() => void> = [];

async function slot<T>(work: () => Promise<T>): Promise<T> {
  if (busy >= SLOTS) await new Promise<void>((resolve) => waiting.push(resolve));
  else busy += 1;
  try {
    return await work();
  } finally {
    const next = waiting.shift();
    if (next) next();
    else busy -= 1;
  }
}

export function generateKeyPairBounded(algorithm: KeyAlgorithm): Promise<KeyPair> {
  // EC keys take well under a millisecond: only RSA needs the queue.
  return algorithm.startsWith('RSA_') ? slot(() => generateKeyPair(algorithm)) : generateKeyPair(algorithm);
}

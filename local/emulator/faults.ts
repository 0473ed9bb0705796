/**
 * Fault injection and call counting shared by every emulated API (RPC actions, OSS operations, FC invocations).
 * An "action" is the API's own name: `CreateClientCertificateWithCsr`, `UpdateListenerAttribute`, `PutObject`,
 * `GetObject`, `InvokeFunction`, ...
 */
export type Fault =
  | { kind: 'error'; code: string; status: number; message?: string }
  | { kind: 'delay'; ms: number } // longer than the client's timeout: the client gives up
  | { kind: 'drop' }; // the connection is destroyed without an answer

export const Faults = {
  throttling: (): Fault => ({
    kind: 'error',
    code: 'Throttling',
    status: 400,
    message: 'Request was denied due to request throttling.',
  }),
  internal: (): Fault => ({
    kind: 'error',
    code: 'InternalError',
    status: 500,
    message: 'The request processing has failed due to some unknown error.',
  }),
  unavailable: (): Fault => ({
    kind: 'error',
    code: 'ServiceUnavailable',
    status: 503,
    message: 'The request has failed due to a temporary failure of the server.',
  }),
  conflictLock: (): Fault => ({
    kind: 'error',
    code: 'Conflict.Lock',
    status: 409,
    message: 'The resource is being modified. Try again later.',
  }),
  systemBusy: (): Fault => ({
    kind: 'error',
    code: 'SystemBusy',
    status: 400,
    message: 'System is busy, please try again later.',
  }),
  delay: (ms: number): Fault => ({ kind: 'delay', ms }),
  drop: (): Fault => ({ kind: 'drop' }),
};

interface PendingFaults {
  remaining: number;
  fault: Fault;
}

export class FaultInjector {
  private readonly pending = new Map<string, PendingFaults[]>();
  private readonly rates = new Map<string, { perSecond: number; stamps: number[] }>();
  private readonly randomFailures = new Map<string, { probability: number; fault: Fault; random: () => number }>();
  private readonly counts = new Map<string, number>();

  /** The next `count` calls of `action` fail with `fault` (queued after faults already pending). */
  failNext(action: string, count: number, fault: Fault): void {
    const list = this.pending.get(action) ?? [];
    list.push({ remaining: count, fault });
    this.pending.set(action, list);
  }

  /** Each call of `action` fails with `probability` (0..1); pass a seeded `random` for reproducible tests. */
  failRandomly(action: string, probability: number, fault: Fault, random: () => number = Math.random): void {
    this.randomFailures.set(action, { probability, fault, random });
  }

  /** More than `perSecond` calls of `action` within any second answer `Throttling`. */
  rateLimit(action: string, perSecond: number): void {
    this.rates.set(action, { perSecond, stamps: [] });
  }

  clear(): void {
    this.pending.clear();
    this.rates.clear();
    this.randomFailures.clear();
  }

  /** Called by the servers once per incoming call: counts it and returns the fault to apply, if any. */
  onCall(action: string, now: number = Date.now()): Fault | undefined {
    this.counts.set(action, (this.counts.get(action) ?? 0) + 1);
    const list = this.pending.get(action);
    if (list && list.length > 0) {
      const head = list[0];
      head.remaining -= 1;
      if (head.remaining <= 0) list.shift();
      return head.fault;
    }
    const random = this.randomFailures.get(action);
    if (random && random.random() < random.probability) return random.fault;
    const rate = this.rates.get(action);
    if (rate) {
      rate.stamps = rate.stamps.filter((t) => now - t < 1000);
      if (rate.stamps.length >= rate.perSecond) return Faults.throttling();
      rate.stamps.push(now);
    }
    return undefined;
  }

  /** Calls seen for one action, or for all when none is named. */
  count(action?: string): number {
    if (action) return this.counts.get(action) ?? 0;
    let total = 0;
    for (const n of this.counts.values()) total += n;
    return total;
  }

  /** Calls per action since the last reset. */
  byAction(): Record<string, number> {
    return Object.fromEntries(this.counts);
  }

  resetCounts(): void {
    this.counts.clear();
  }
}

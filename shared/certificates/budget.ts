/**
 * A request's time budget: FC stops a function at its timeout and the caller then sees a non-retryable failure, so
 * a request that cannot finish in time must answer a retryable 503 first. Every port call of the certificate service
 * runs inside the budget (it fails with DEADLINE_EXCEEDED when the budget runs out, whatever the call is doing), and
 * a CA call is not started unless enough budget is left for it. Without a deadline (the sweep, tests) it is a no-op.
 */
import type { CertificateAuthority, Clock, ObjectStore } from '../domain/ports.js';
import { UpstreamError } from '../errors/index.js';

export class DeadlineExceededError extends UpstreamError {
  constructor(what: string) {
    super(
      'DEADLINE_EXCEEDED',
      'The request could not finish in time; retry the same request (with the same Idempotency-Key).',
      new Error(`time budget exhausted before: ${what}`),
    );
  }
}

export interface Budget {
  /** Milliseconds left; Infinity without a deadline. */
  remainingMs(): number;
  /** Throws DEADLINE_EXCEEDED (503, retryable) unless at least `needMs` are left. */
  require(needMs: number, what: string): void;
  /** Runs `work`, failing with DEADLINE_EXCEEDED once the deadline passes (the call itself is left to finish). */
  run<T>(what: string, work: () => Promise<T>): Promise<T>;
}

export const NO_BUDGET: Budget = {
  remainingMs: () => Infinity,
  require: () => undefined,
  run: (_what, work) => work(),
};

export function budgetUntil(deadline: Date, clock: Clock): Budget {
  const remainingMs = () => deadline.getTime() - clock.now().getTime();
  return {
    remainingMs,
    require(needMs, what) {
      if (remainingMs() < needMs) throw new DeadlineExceededError(what);
    },
    run<T>(what: string, work: () => Promise<T>): Promise<T> {
      const left = remainingMs();
      if (left <= 0) return Promise.reject(new DeadlineExceededError(what));
      let timer: NodeJS.Timeout | undefined;
      // A timeout, not a wait: the timer is cleared as soon as the work settles.
      const deadlinePassed = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new DeadlineExceededError(what)), left);
        timer.unref();
      });
      return Promise.race([work(), deadlinePassed]).finally(() => clearTimeout(timer));
    },
  };
}

export function budgetedStore(store: ObjectStore, budget: Budget): ObjectStore {
  if (budget === NO_BUDGET) return store;
  return {
    put: (key, body, options) => budget.run('OSS put', () => store.put(key, body, options)),
    get: (key) => budget.run('OSS get', () => store.get(key)),
    exists: (key) => budget.run('OSS head', () => store.exists(key)),
    delete: (key) => budget.run('OSS delete', () => store.delete(key)),
    list: (options) => budget.run('OSS list', () => store.list(options)),
    signedGetUrl: (key, options) => budget.run('OSS link', () => store.signedGetUrl(key, options)),
  };
}

export function budgetedCa(ca: CertificateAuthority, budget: Budget): CertificateAuthority {
  if (budget === NO_BUDGET) return ca;
  return {
    issueWithCsr: (request) => budget.run('CAS issue', () => ca.issueWithCsr(request)),
    revoke: (identifier) => budget.run('CAS revoke', () => ca.revoke(identifier)),
    status: (identifier) => budget.run('CAS status', () => ca.status(identifier)),
    getCaCertificate: (identifier) => budget.run('CAS CA read', () => ca.getCaCertificate(identifier)),
    describeClientCertificate: (identifier) => budget.run('CAS read', () => ca.describeClientCertificate(identifier)),
    listClientCertificates: (query) => budget.run('CAS list', () => ca.listClientCertificates(query)),
  };
}

/**
 * FC's asynchronous invocation queue, in process: accepted invocations run with bounded concurrency; a failed
 * one is retried up to `maxAsyncRetryAttempts` times with doubling back-off, then recorded as failed (what FC
 * sends to the "destination on failure"). A retry waiting for its back-off holds no concurrency slot.
 */
export interface AsyncJob {
  functionName: string;
  payload: Buffer;
  run: () => Promise<unknown>;
  maxRetries: number;
  retryDelayMs: number;
}

export interface FailedInvocation {
  functionName: string;
  payload: string;
  error: string;
  /** Runs made, the first included. */
  attempts: number;
}

interface QueuedJob extends AsyncJob {
  attempts: number;
}

export class AsyncInvocationQueue {
  private readonly waiting: QueuedJob[] = [];
  private running = 0;
  /** Queued + running + waiting for a retry: zero means idle. */
  private outstanding = 0;
  private readonly idleWaiters: Array<() => void> = [];
  private readonly retryTimers = new Set<NodeJS.Timeout>();
  private readonly failed: FailedInvocation[] = [];
  private closed = false;

  constructor(private readonly concurrency: number) {}

  enqueue(job: AsyncJob): void {
    if (this.closed) return;
    this.outstanding += 1;
    this.waiting.push({ ...job, attempts: 0 });
    this.pump();
  }

  /** Resolves once nothing is queued, running or waiting to be retried. */
  idle(): Promise<void> {
    if (this.outstanding === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  failures(): FailedInvocation[] {
    return this.failed.map((f) => ({ ...f }));
  }

  /** Drops queued work and pending retries; runs in progress finish but are not retried. */
  close(): void {
    this.closed = true;
    for (const timer of this.retryTimers) clearTimeout(timer);
    this.retryTimers.clear();
    this.waiting.length = 0;
    this.outstanding = this.running;
    this.settleIfIdle();
  }

  private pump(): void {
    while (!this.closed && this.running < this.concurrency && this.waiting.length > 0) {
      const job = this.waiting.shift()!;
      this.running += 1;
      void this.execute(job);
    }
  }

  private async execute(job: QueuedJob): Promise<void> {
    job.attempts += 1;
    let error: unknown;
    let ok = false;
    try {
      await job.run();
      ok = true;
    } catch (err) {
      error = err;
    }
    this.running -= 1;
    if (!ok && !this.closed && job.attempts <= job.maxRetries) {
      const timer = setTimeout(
        () => {
          this.retryTimers.delete(timer);
          this.waiting.push(job);
          this.pump();
        },
        job.retryDelayMs * 2 ** (job.attempts - 1),
      );
      this.retryTimers.add(timer);
    } else {
      if (!ok) {
        this.failed.push({
          functionName: job.functionName,
          payload: job.payload.toString('utf8'),
          error: error instanceof Error ? `${error.name}: ${error.message}` : String(error),
          attempts: job.attempts,
        });
      }
      this.outstanding -= 1;
    }
    this.pump();
    this.settleIfIdle();
  }

  private settleIfIdle(): void {
    if (this.outstanding > 0) return;
    for (const resolve of this.idleWaiters.splice(0)) resolve();
  }
}

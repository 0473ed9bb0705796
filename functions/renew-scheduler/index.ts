/**
 * renew-scheduler: on its timer, sweeps the renewal index and fans due certificates out to renew-worker; on a
 * `renew.requested` CloudEvent (EventBridge), sends that one certificate to renew-worker (docs/renewal.md).
 * After a timer sweep it refreshes the console's fleet summaries (docs/console.md).
 * Wiring only: the sweep lives in shared/renewal/sweep.ts, the summaries in shared/fleet/refresh.ts.
 */
import middy from '@middy/core';
import { logFailures, parsedEvent, parseSchedulerInput, type SchedulerInput } from '../../shared/events/index.js';
import { dispatchRequested, runSweep, type SweepDeps } from '../../shared/renewal/sweep.js';
import { buildRenewSchedulerDeps } from './deps.js';
import { refreshFleetSummariesSafely } from '../../shared/fleet/refresh.js';
import { withInvocationCredentials } from '../../shared/alibaba/credentials.js';

export interface SchedulerResult {
  sweepId: string;
  trigger: string;
  due: number;
  batches: number;
  dispatched: number;
  undispatched: number;
}

export type RenewSchedulerHandler = (event: unknown, context?: unknown) => Promise<SchedulerResult>;

export interface SchedulerOptions {
  /** After each timer sweep, refresh the console's fleet summaries (shared/fleet/refresh.ts); on when deployed. */
  fleetSummary?: boolean;
}

export function makeHandler(deps: SweepDeps, options: SchedulerOptions = {}): RenewSchedulerHandler {
  const handler = middy(async (input: SchedulerInput): Promise<SchedulerResult> => {
    const report =
      input.kind === 'sweep'
        ? await runSweep(deps, input.trigger)
        : await dispatchRequested(deps, {
            eventId: input.eventId,
            certificateId: input.data.certificateId,
            generation: input.data.generation,
            force: input.data.force ?? false,
          });
    if (input.kind === 'sweep' && options.fleetSummary)
      await refreshFleetSummariesSafely({ store: deps.store, clock: deps.clock, log: deps.log });
    const { sweepId, trigger, due, batches, dispatched, undispatched } = report;
    return { sweepId, trigger, due, batches, dispatched, undispatched };
  })
    .use(parsedEvent(parseSchedulerInput))
    .use(logFailures(deps.log));
  return (event, context) => handler(event as never, (context ?? {}) as never) as Promise<SchedulerResult>;
}

export function createHandler(env: NodeJS.ProcessEnv = process.env): RenewSchedulerHandler {
  return makeHandler(buildRenewSchedulerDeps(env), { fleetSummary: true });
}

let coldStart: RenewSchedulerHandler | undefined;

// Each invocation's context.credentials sign its calls: the role's keys change while an instance lives (D10).
export const handler: RenewSchedulerHandler = withInvocationCredentials((event, context) => {
  coldStart ??= createHandler(process.env);
  return coldStart(event, context);
});

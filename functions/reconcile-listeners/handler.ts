/** The run: event -> options -> reconcileListeners -> the report (one JSON result per listener and a summary). */
import middy from '@middy/core';
import { reconcileListeners } from '../../shared/listeners/reconcile.js';
import type { RunReport } from '../../shared/domain/listeners/report.js';
import { errorFields } from '../../shared/log/index.js';
import type { ReconcileRuntime } from './deps.js';
import { runOptionsFromEvent } from './event.js';

export type ReconcileHandler = (event: unknown, context?: { requestId?: string }) => Promise<RunReport>;

export function makeHandler(runtime: ReconcileRuntime): ReconcileHandler {
  const run = async (event: unknown, context: { requestId?: string } | undefined): Promise<RunReport> => {
    const options = runOptionsFromEvent(event, context, runtime.defaultMode);
    const log = runtime.log.child({ requestId: context?.requestId, mode: options.mode });
    return reconcileListeners({ ...runtime.engine, log }, await runtime.desired(), options);
  };
  const wrapped = middy(run).use({
    onError: async (request) => {
      runtime.log.error('reconcile run failed', {
        requestId: (request.context as { requestId?: string } | undefined)?.requestId,
        ...errorFields(request.error),
      });
    },
  });
  return (event, context) => wrapped(event as never, (context ?? {}) as never) as Promise<RunReport>;
}

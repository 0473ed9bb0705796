/**
 * renew-worker: reviews one batch of certificates sent by renew-scheduler (FC async invocation): renews the due
 * ones through the certificate service, records failures with backoff, notifies owners (docs/renewal.md).
 * Wiring only: the review lives in shared/domain/renewal/worker.ts.
 */
import middy from '@middy/core';
import {
  logFailures,
  parsedEvent,
  RenewWorkerPayloadSchema,
  type RenewWorkerPayload,
} from '../../shared/events/index.js';
import { ValidationError } from '../../shared/errors/index.js';
import { runWorkerBatch, type WorkerDeps } from '../../shared/renewal/worker.js';
import type { BatchResult } from '../../shared/domain/renewal/sweep-results.js';
import { withSecrets } from '../../shared/secrets/cold-start.js';
import { buildRenewWorkerDeps } from './deps.js';
import { withInvocationCredentials } from '../../shared/alibaba/credentials.js';

export type RenewWorkerHandler = (event: unknown, context?: unknown) => Promise<BatchResult>;

function parsePayload(event: unknown): RenewWorkerPayload {
  const parsed = RenewWorkerPayloadSchema.safeParse(event);
  if (!parsed.success) {
    throw new ValidationError('EVENT_INVALID', 'The renew-worker payload is invalid.', {
      details: { issues: parsed.error.issues.map((i) => ({ path: i.path.join('.'), message: i.message })) },
    });
  }
  return parsed.data;
}

export function makeHandler(deps: WorkerDeps): RenewWorkerHandler {
  const handler = middy(async (payload: RenewWorkerPayload, context: { requestId?: string }) =>
    runWorkerBatch(
      { ...deps, log: deps.log.child({ requestId: context?.requestId, sweepId: payload.sweepId }) },
      payload,
    ),
  )
    .use(parsedEvent(parsePayload))
    .use(logFailures(deps.log));
  return (event, context) => handler(event as never, (context ?? {}) as never) as Promise<BatchResult>;
}

/** Secrets (STATE_KEY, WEBHOOK_MASTER_KEY) from KMS when s.yaml names them (shared/secrets/cold-start.ts). */
export function createHandler(env: NodeJS.ProcessEnv = process.env): RenewWorkerHandler {
  return withSecrets(env, 'renew-worker', (resolved) => makeHandler(buildRenewWorkerDeps(resolved)));
}

let coldStart: RenewWorkerHandler | undefined;

// Each invocation's context.credentials sign its calls: the role's keys change while an instance lives (D10).
export const handler: RenewWorkerHandler = withInvocationCredentials((event, context) => {
  coldStart ??= createHandler(process.env);
  return coldStart(event, context);
});

/**
 * reconcile-listeners: keeps NLB TCPSSL listeners' mutual-TLS settings as config/listeners.yaml declares and
 * proves them with a handshake (docs/reconcile.md). Triggers: a timer and EventBridge `reconcile.requested`.
 * Wiring only: dependencies from the env in ./deps.ts, the run in ./handler.ts, decisions in shared/domain/listeners.
 */
import { loadReconcileConfig } from '../../shared/config/reconcile.js';
import { withSecrets } from '../../shared/secrets/cold-start.js';
import { buildReconcileRuntime } from './deps.js';
import { makeHandler, type ReconcileHandler } from './handler.js';
import { withInvocationCredentials } from '../../shared/alibaba/credentials.js';

export { makeHandler } from './handler.js';

/** The FC handler with its dependencies (and the desired state) read from `env` once, at cold start. */
export function createHandler(env: NodeJS.ProcessEnv = process.env): ReconcileHandler {
  // STATE_KEY from KMS when s.yaml names it (STATE_KEY_SECRET_NAME; shared/secrets/cold-start.ts).
  return withSecrets(env, 'reconcile-listeners', (resolved) =>
    makeHandler(buildReconcileRuntime(loadReconcileConfig(resolved))),
  ) as ReconcileHandler;
}

let coldStart: ReconcileHandler | undefined;

// Each invocation's context.credentials sign its calls: the role's keys change while an instance lives (D10).
export const handler: ReconcileHandler = withInvocationCredentials((event, context) => {
  coldStart ??= createHandler(process.env);
  return coldStart(event, context);
});

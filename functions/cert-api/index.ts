/**
 * cert-api: the HTTP-trigger function that issues, renews and revokes client certificates (docs/api.md).
 * Wiring only: routes in ./routes.ts, dependencies from the env in ./deps.ts, decisions in shared/certificates.
 */
import middy from '@middy/core';
import { createRouter, httpErrors, httpEvent, type HttpResponse } from '../../shared/http/index.js';
import { requestDeadline } from './deadline.js';
import { withSecrets } from '../../shared/secrets/cold-start.js';
import { buildCertApiDeps } from './deps.js';
import { certApiAuthenticate, certApiRoutes, type CertApiDeps } from './routes.js';
import { withInvocationCredentials } from '../../shared/alibaba/credentials.js';

export type { CertApiDeps } from './routes.js';

export type CertApiHandler = (event: unknown, context?: unknown) => Promise<HttpResponse>;

export function makeHandler(deps: CertApiDeps): CertApiHandler {
  // No jsonBody(): the router authenticates before it reads the body (401 whatever the body holds).
  const handler = middy(createRouter(certApiRoutes(deps), { authenticate: certApiAuthenticate(deps) }))
    .use(httpEvent())
    .use(requestDeadline(deps.clock))
    .use(httpErrors({ log: deps.log }));
  return (event, context) => handler(event as never, (context ?? {}) as never) as Promise<HttpResponse>;
}

/** The FC handler with its dependencies built from `env` once (cold start); secrets from KMS when s.yaml names them. */
export function createHandler(env: NodeJS.ProcessEnv = process.env): CertApiHandler {
  return withSecrets(env, 'cert-api', (resolved, secrets) => makeHandler(buildCertApiDeps(resolved, secrets)));
}

let coldStart: CertApiHandler | undefined;

// Each invocation's context.credentials sign its calls: the role's keys change while an instance lives (D10).
export const handler: CertApiHandler = withInvocationCredentials((event, context) => {
  coldStart ??= createHandler(process.env);
  return coldStart(event, context);
});

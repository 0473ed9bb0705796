/** Builds the cert-api's dependencies from its env, once per cold start. */
import { createAlibabaAdapters } from '../../shared/alibaba/adapters.js';
import { createTokenAuthenticator } from '../../shared/auth/tokens.js';
import { createCertificateService, timingFor } from '../../shared/certificates/service.js';
import { loadCertApiConfig } from '../../shared/config/cert-api.js';
import type { CertApiDeps } from './routes.js';
import { systemSleep } from '../../shared/domain/ports.js';

export function buildCertApiDeps(env: NodeJS.ProcessEnv): CertApiDeps {
  const config = loadCertApiConfig(env);
  const adapters = createAlibabaAdapters('cert-api', config);
  const service = createCertificateService({
    ...adapters,
    sleep: systemSleep,
    config: {
      parentIdentifier: config.parentIdentifier,
      stateKey: config.stateKey,
      linkDefaultSeconds: config.linkDefaultSeconds,
      linkMaxSeconds: config.linkMaxSeconds,
      defaultValidityDays: config.defaultValidityDays,
      maxValidityDays: config.maxValidityDays,
      allowLoopbackWebhooks: config.allowLoopbackWebhooks,
      bundleExampleUrl: config.bundleExampleUrl,
      idempotencyTtlSeconds: config.idempotencyTtlSeconds,
    },
    timing: timingFor(config.casTimeoutMs, config.caAnswerSettleMs),
  });
  return { service, authenticator: createTokenAuthenticator(config.tokens), log: adapters.log, clock: adapters.clock };
}

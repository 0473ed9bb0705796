/** Builds the cert-api's dependencies from its env, once per cold start. */
import { createAlibabaAdapters } from '../../shared/alibaba/adapters.js';
import { createTokenAuthenticator } from '../../shared/auth/tokens.js';
import { issuingCaOf } from '../../shared/certificates/authority.js';
import { createPossessionOperations } from '../../shared/certificates/possession.js';
import { createCertificateService } from '../../shared/certificates/service.js';
import { guardedStore } from '../../shared/certificates/storage.js';
import { loadCertApiConfig } from '../../shared/config/cert-api.js';
import type { CertApiDeps } from './routes.js';

export function buildCertApiDeps(env: NodeJS.ProcessEnv): CertApiDeps {
  const config = loadCertApiConfig(env);
  const adapters = createAlibabaAdapters('cert-api', config);
  const service = createCertificateService({
    ...adapters,
    config: {
      parentIdentifier: config.parentIdentifier,
      stateKey: config.stateKey,
      linkDefaultSeconds: config.linkDefaultSeconds,
      linkMaxSeconds: config.linkMaxSeconds,
      defaultValidityDays: config.defaultValidityDays,
      maxValidityDays: config.maxValidityDays,
      allowLoopbackWebhooks: config.allowLoopbackWebhooks,
      bundleExampleUrl: config.bundleExampleUrl,
    },
  });
  const possession = createPossessionOperations({
    service,
    store: guardedStore(adapters.store),
    clock: adapters.clock,
    log: adapters.log,
    tokens: () => config.tokens,
    issuingCa: issuingCaOf(adapters.ca, config.parentIdentifier),
    maxValidityDays: config.maxValidityDays,
  });
  return { service, authenticator: createTokenAuthenticator(config.tokens), possession, log: adapters.log };
}

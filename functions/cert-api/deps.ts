/** Builds the cert-api's dependencies from its env, once per cold start. */
import { createCasPcaClient } from '../../shared/alibaba/cas-pca.js';
import { createOssObjectStore } from '../../shared/alibaba/oss-store.js';
import { createTokenAuthenticator } from '../../shared/auth/tokens.js';
import { createCertificateService } from '../../shared/certificates/service.js';
import { loadCertApiConfig } from '../../shared/config/cert-api.js';
import { systemClock } from '../../shared/domain/ports.js';
import { createLogger } from '../../shared/log/index.js';
import type { CertApiDeps } from './routes.js';

export function buildCertApiDeps(env: NodeJS.ProcessEnv): CertApiDeps {
  const config = loadCertApiConfig(env);
  const log = createLogger({ fn: 'cert-api' });
  const { alibaba } = config;
  const ca = createCasPcaClient({ ...alibaba.cas, readTimeoutMs: config.casTimeoutMs }, alibaba.credentials);
  const store = createOssObjectStore({
    endpoint: alibaba.oss.endpoint,
    bucket: alibaba.oss.bucket,
    credentials: alibaba.credentials,
    region: alibaba.region,
    local: alibaba.oss.local,
    timeoutMs: config.ossTimeoutMs,
  });
  const service = createCertificateService({
    ca,
    store,
    clock: systemClock,
    log,
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
  return { service, authenticator: createTokenAuthenticator(config.tokens), log };
}

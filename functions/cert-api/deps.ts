/** Builds the cert-api's dependencies from its env, once per cold start. */
import { createAlibabaAdapters } from '../../shared/alibaba/adapters.js';
import { createIssuanceQuota } from '../../shared/auth/issuance-quota.js';
import { createRateLimiter } from '../../shared/auth/rate-limit.js';
import { createRefreshingTokenAuthenticator, createTokenAuthenticator } from '../../shared/auth/tokens.js';
import { issuingCaOf } from '../../shared/certificates/authority.js';
import { createPossessionOperations } from '../../shared/certificates/possession.js';
import { createCertificateService, timingFor } from '../../shared/certificates/service.js';
import { acceptedIssuingCas, followingService, memoized } from '../../shared/certificates/following-service.js';
import { createIssuingFollower } from '../../shared/rotation/issuing-follower.js';
import { guardedStore } from '../../shared/certificates/storage.js';
import { loadCertApiConfig } from '../../shared/config/cert-api.js';
import { errorFields } from '../../shared/log/index.js';
import { createWebhookSecrets } from '../../shared/notify/tenant-secrets.js';
import type { SecretSource } from '../../shared/secrets/secret-source.js';
import type { CertApiDeps } from './routes.js';
import { createSuccessorPickup } from '../../shared/rotation/pickup.js';
import { createStateCipher } from '../../shared/certificates/sealing.js';
import { systemSleep } from '../../shared/domain/ports.js';
import { createCertificateDetailsReads } from '../../shared/certificates/details.js';
import { createFleetReads } from '../../shared/fleet/summary-reads.js';
import { createListenerStatusStore } from '../../shared/listeners/status-store.js';
import { loadConsoleAssets } from './console-assets.js';

/** `secrets`: the KMS-backed source when API_TOKENS comes from a secret (it is then re-read every 30 s). */
export function buildCertApiDeps(env: NodeJS.ProcessEnv, secrets?: SecretSource): CertApiDeps {
  const config = loadCertApiConfig(env);
  const adapters = createAlibabaAdapters('cert-api', config);
  // OSS failures of the quota, secret and console objects become retryable 503s, as for the certificates themselves.
  const store = guardedStore(adapters.store);
  // Issuance follows a CA rotation (rotation/state.json, one small read per issuance): docs/rotation.md.
  const parents = createIssuingFollower({ store, configured: config.parentIdentifier });
  const serviceFor = memoized((parentIdentifier) =>
    createCertificateService({
      ...adapters,
      sleep: systemSleep,
      config: {
        parentIdentifier,
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
    }),
  );
  const service = followingService(parents, serviceFor);
  const issuingCaFor = memoized((identifier) => issuingCaOf(adapters.ca, identifier));
  const tokensSecret = env.API_TOKENS_SECRET_NAME;
  const authenticator =
    secrets && tokensSecret
      ? createRefreshingTokenAuthenticator({
          load: () => secrets.get(tokensSecret),
          clock: adapters.clock,
          onInvalid: (err) =>
            adapters.log.error('API_TOKENS secret is invalid: keeping the last good list', {
              ...errorFields(err),
              code: 'API_TOKENS_INVALID',
            }),
        })
      : createTokenAuthenticator(config.tokens, adapters.clock);
  const possessionDeps = {
    service,
    store,
    clock: adapters.clock,
    log: adapters.log,
    tokens: () => authenticator.tokens(),
    issuingCa: issuingCaFor(config.parentIdentifier),
    alsoIssuingCas: acceptedIssuingCas(parents, issuingCaFor),
    maxValidityDays: config.maxValidityDays,
  };
  const possession = createPossessionOperations(possessionDeps);
  return {
    service,
    authenticator,
    possession,
    log: adapters.log,
    clock: adapters.clock,
    rateLimiter: createRateLimiter({ defaultRequestsPerMinute: config.rateLimitPerMinute, clock: adapters.clock }),
    quota: createIssuanceQuota({
      store,
      clock: adapters.clock,
      defaultIssuancesPerDay: config.issuanceQuotaPerDay,
    }),
    successors: createSuccessorPickup({
      service,
      store,
      cipher: createStateCipher(config.stateKey),
      clock: adapters.clock,
      log: adapters.log,
      possession: possessionDeps,
      issuingCaFor,
      linkSeconds: config.linkDefaultSeconds,
    }),
    console: {
      assets: loadConsoleAssets(),
      fleet: createFleetReads({ store, log: adapters.log }),
      listeners: createListenerStatusStore(store, adapters.clock),
      details: createCertificateDetailsReads({ store, log: adapters.log }),
    },
    webhookSecrets: config.webhookMasterKey
      ? createWebhookSecrets({ masterKey: config.webhookMasterKey, store, clock: adapters.clock })
      : undefined,
  };
}

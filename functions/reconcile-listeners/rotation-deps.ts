/**
 * The CA rotation's dependencies (shared/rotation/context.ts) from reconcile-listeners' config: the same bucket,
 * NLB gateway, PCA reads and prober as reconciliation, one certificate service per issuing sub-CA (a rotation's
 * successors and canaries come from the new one), the owners' webhooks signed with WEBHOOK_MASTER_KEY.
 */
import type { AlibabaAdapters } from '../../shared/alibaba/adapters.js';
import { createCertificateService, type CertificateService } from '../../shared/certificates/service.js';
import { createStateCipher } from '../../shared/certificates/sealing.js';
import type { ReconcileFunctionConfig } from '../../shared/config/reconcile.js';
import type { ListenerMtls } from '../../shared/domain/listeners/desired-state.js';
import type { CanaryProvider, ListenerGateway, TlsProber } from '../../shared/domain/listeners/ports.js';
import type { ReconcileConfig } from '../../shared/listeners/reconcile.js';
import { createWebhookSecrets, createWebhookSender } from '../../shared/notify/index.js';
import { chainsTo } from '../../shared/pki/index.js';
import type { RotationDeps } from '../../shared/rotation/context.js';
import { createCanaryProvider } from './canary.js';
import type { PcaReads } from './pca-reads.js';

export const ROTATION_LINK_SECONDS = 86_400;

export interface RotationWiring {
  deps: RotationDeps;
  canaryFor(parentIdentifier: string, objectKey: string): CanaryProvider;
}

export function buildRotationDeps(input: {
  config: ReconcileFunctionConfig;
  adapters: AlibabaAdapters;
  gateway: ListenerGateway;
  pca: PcaReads;
  prober: TlsProber;
  engine: ReconcileConfig;
  sleep: (ms: number) => Promise<void>;
  desired(): Promise<ListenerMtls[]>;
}): RotationWiring {
  const { config, adapters } = input;
  const services = new Map<string, CertificateService>();
  const serviceFor = (parentIdentifier: string) => {
    let service = services.get(parentIdentifier);
    if (!service) {
      service = createCertificateService({
        ...adapters,
        sleep: input.sleep,
        config: {
          parentIdentifier,
          stateKey: config.stateKey,
          linkDefaultSeconds: ROTATION_LINK_SECONDS,
          linkMaxSeconds: ROTATION_LINK_SECONDS,
          defaultValidityDays: config.canaryValidityDays,
          // Successors keep their client's lifetime; the CA's own end still caps it (VALIDITY_EXCEEDS_CA).
          maxValidityDays: 3650,
          allowLoopbackWebhooks: config.allowLoopbackWebhooks,
        },
      });
      services.set(parentIdentifier, service);
    }
    return service;
  };
  const canaries = new Map<string, CanaryProvider>();
  const canaryFor = (parentIdentifier: string, objectKey: string) => {
    let canary = canaries.get(objectKey);
    if (!canary) {
      canary = createCanaryProvider({
        service: serviceFor(parentIdentifier),
        store: adapters.store,
        pca: input.pca,
        stateKey: config.stateKey,
        clock: adapters.clock,
        log: adapters.log,
        validityDays: config.canaryValidityDays,
        objectKey,
        purpose: 'rotation-canary',
        parentIdentifier,
      });
      canaries.set(objectKey, canary);
    }
    return canary;
  };
  const webhooks = config.webhookMasterKey
    ? createWebhookSender({
        secretsFor: createWebhookSecrets({
          masterKey: config.webhookMasterKey,
          store: adapters.store,
          clock: adapters.clock,
        }).signingSecrets,
        allowLoopback: config.allowLoopbackWebhooks,
        timeoutMs: 5_000,
        maxAttempts: 3,
        backoffBaseMs: 500,
        clock: adapters.clock,
        log: adapters.log,
      })
    : undefined;
  return {
    canaryFor,
    deps: {
      store: adapters.store,
      gateway: input.gateway,
      pca: input.pca,
      serviceFor,
      canaryFor,
      prober: input.prober,
      ...(webhooks ? { webhooks } : {}),
      cipher: createStateCipher(config.stateKey),
      chainsTo,
      desired: input.desired,
      clock: adapters.clock,
      sleep: input.sleep,
      random: Math.random,
      log: adapters.log,
      config: {
        issuingCa: config.parentIdentifier,
        retry: input.engine.retry,
        poll: input.engine.poll,
        probeTimeoutMs: input.engine.probeTimeoutMs,
        verifyAttempts: input.engine.verifyAttempts,
        verifyRetryDelayMs: input.engine.verifyRetryDelayMs,
        linkSeconds: ROTATION_LINK_SECONDS,
        minCaDaysLeft: config.rotationMinCaDays,
      },
    },
  };
}

/** Builds renew-worker's dependencies from its env, once per cold start. */
import { createAlibabaAdapters } from '../../shared/alibaba/adapters.js';
import { systemPrincipal } from '../../shared/auth/principal.js';
import { readRecord, writeRecord } from '../../shared/certificates/records.js';
import {
  createCertificateService,
  timingFor,
  type CertificateService,
  type RenewResult,
} from '../../shared/certificates/service.js';
import { guardedStore } from '../../shared/certificates/storage.js';
import { followingService, memoized } from '../../shared/certificates/following-service.js';
import { createIssuingFollower } from '../../shared/rotation/issuing-follower.js';
import { loadRenewWorkerConfig } from '../../shared/config/renewal.js';
import type { Clock, ObjectStore, Sleep } from '../../shared/domain/ports.js';
import type { CertificateRenewer, RenewedCertificate, WorkerDeps } from '../../shared/renewal/worker.js';
import type { Logger } from '../../shared/log/index.js';
import { createWebhookSecrets, createWebhookSender, type DownloadLink } from '../../shared/notify/index.js';
import type { RenewWorkerConfig } from '../../shared/config/renewal.js';
import { systemSleep } from '../../shared/domain/ports.js';

function toRenewed(result: RenewResult): RenewedCertificate {
  return {
    certificate: {
      id: result.id,
      tenant: result.tenant,
      commonName: result.commonName,
      mode: result.mode,
      generation: result.generation,
      serialNumber: result.serialNumber,
      notBefore: result.notBefore,
      notAfter: result.notAfter,
      autoRenew: result.autoRenew,
    },
    renewAt: result.renewal.renewAt,
    downloads: result.downloads as unknown as Record<string, DownloadLink>,
    ...(result.p12Password ? { p12Password: result.p12Password } : {}),
  };
}

/** The certificate service as renew-worker's renewer: a system principal, the same crash-safe issuance as the API. */
export function serviceRenewer(service: CertificateService): CertificateRenewer {
  const principal = systemPrincipal('renew-worker');
  return {
    renew: async (id, { trigger, expectedGeneration }) =>
      toRenewed(await service.renew(principal, id, { trigger, expectedGeneration })),
    finishPending: async (id, generation) => {
      const result = await service.finishPending(principal, id, generation);
      return result ? toRenewed(result) : undefined;
    },
    finishRevocation: async (id) => {
      await service.finishRevocation(principal, id);
    },
  };
}

/** Everything but the cloud clients, so tests can hand in the emulator-backed ones and a clock. */
export function assembleWorkerDeps(input: {
  config: RenewWorkerConfig;
  store: ObjectStore;
  service: CertificateService;
  clock: Clock;
  sleep?: Sleep;
  log: Logger;
}): WorkerDeps {
  const { config, clock, log } = input;
  const store = guardedStore(input.store);
  return {
    store,
    records: { get: (id) => readRecord(store, id), put: (record) => writeRecord(store, record) },
    renewer: serviceRenewer(input.service),
    webhooks: createWebhookSender({
      // Each tenant's own secret(s), derived from the master key: no tenant can forge another's events.
      secretsFor: createWebhookSecrets({ masterKey: config.webhook.masterKey, store, clock }).signingSecrets,
      allowLoopback: config.webhook.allowLoopback,
      timeoutMs: config.webhook.timeoutMs,
      maxAttempts: config.webhook.maxAttempts,
      backoffBaseMs: 500,
      clock,
      log,
    }),
    clock,
    sleep: input.sleep ?? systemSleep,
    log,
    config: {
      concurrency: config.concurrency,
      csrKeyReuse: config.csrKeyReuse,
      backoff: config.backoff,
      throttleWaitMs: config.throttleWaitMs,
      expiringNoticeDays: config.expiringNoticeDays,
    },
  };
}

export function buildRenewWorkerDeps(env: NodeJS.ProcessEnv): WorkerDeps {
  const config = loadRenewWorkerConfig(env);
  const adapters = createAlibabaAdapters('renew-worker', config);
  const serviceFor = memoized((parentIdentifier) =>
    createCertificateService({
      ...adapters,
      sleep: systemSleep,
      config: {
        parentIdentifier,
        stateKey: config.stateKey,
        linkDefaultSeconds: config.linkSeconds,
        linkMaxSeconds: config.linkSeconds,
        defaultValidityDays: Math.min(30, config.maxValidityDays),
        maxValidityDays: config.maxValidityDays,
        allowLoopbackWebhooks: config.webhook.allowLoopback,
      },
      // A worker never waits long for a twin: the item is simply tried again by the next sweep.
      timing: { ...timingFor(config.casTimeoutMs, config.caAnswerSettleMs), twinWaitMs: 1_000 },
    }),
  );
  // Scheduled renewals follow a CA rotation (rotation/state.json, one small read per renewal): docs/rotation.md.
  const parents = createIssuingFollower({ store: guardedStore(adapters.store), configured: config.parentIdentifier });
  const service = followingService(parents, serviceFor);
  return assembleWorkerDeps({ ...adapters, config, service });
}

/**
 * Builds renew-scheduler's dependencies from its env, once per cold start: OSS, FC, and CAS for the CA inventory
 * scan only (list, describe, revoke orphans: deploy/ram-policies/renew-scheduler.json).
 */
import { createFcAsyncInvoker } from '../../shared/alibaba/fc-invoker.js';
import { createConfiguredObjectStore } from '../../shared/alibaba/oss-store.js';
import { systemClock, systemSleep, type CaInventory } from '../../shared/domain/ports.js';
import { createLogger } from '../../shared/log/index.js';
import { loadRenewSchedulerConfig } from '../../shared/config/renewal.js';
import type { SweepDeps } from '../../shared/renewal/sweep.js';

export function buildRenewSchedulerDeps(env: NodeJS.ProcessEnv): SweepDeps {
  const config = loadRenewSchedulerConfig(env);
  const { alibaba } = config;
  const store = createConfiguredObjectStore(alibaba, config.ossTimeoutMs);
  const clock = systemClock;
  const log = createLogger({ fn: 'renew-scheduler' });
  // The CA inventory scan (shared/renewal/inventory.ts) lists, describes and revokes under the sub-CA: the only CAS
  // calls the scheduler makes (deploy/ram-policies/renew-scheduler.json).
  // Loaded on the scan's first call: a sweep without a scan loads no CAS adapter and no PKI (docs/architecture.md).
  const ca = lazyCaInventory(() =>
    import('../../shared/alibaba/cas-pca-reads.js').then((m) =>
      m.createCasInventoryClient({ ...alibaba.cas, readTimeoutMs: config.casTimeoutMs }, alibaba.credentials),
    ),
  );
  return {
    store,
    invoker: createFcAsyncInvoker({
      endpoint: alibaba.fc,
      credentials: alibaba.credentials,
      region: alibaba.region,
      accountId: alibaba.fc.accountId,
    }),
    ca,
    clock,
    sleep: systemSleep,
    log,
    config: {
      workerFunctionName: config.workerFunctionName,
      batchSize: config.batchSize,
      maxItemsPerSweep: config.maxItemsPerSweep,
      maxPendingPerSweep: config.maxPendingPerSweep,
      invokeConcurrency: config.invokeConcurrency,
      summaryOverdueMs: config.summaryOverdueMs,
      // The inventory scan needs the sub-CA; without PCA_PARENT_IDENTIFIER it stays off (and says so in the docs).
      ...(config.parentIdentifier
        ? {
            inventory: {
              parentIdentifier: config.parentIdentifier,
              orphanGraceMs: config.orphanGraceMs,
              maxPages: config.inventoryMaxPages,
            },
          }
        : {}),
    },
  };
}

/** A CaInventory whose adapter module is imported on the first call, once. */
function lazyCaInventory(load: () => Promise<CaInventory>): CaInventory {
  let loaded: Promise<CaInventory> | undefined;
  const ca = () => (loaded ??= load());
  return {
    status: async (identifier) => (await ca()).status(identifier),
    getCaCertificate: async (identifier) => (await ca()).getCaCertificate(identifier),
    describeClientCertificate: async (identifier) => (await ca()).describeClientCertificate(identifier),
    listClientCertificates: async (query) => (await ca()).listClientCertificates(query),
    revoke: async (identifier) => (await ca()).revoke(identifier),
  };
}

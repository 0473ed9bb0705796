/** Builds renew-scheduler's dependencies from its env, once per cold start. */
import { createAlibabaAdapters } from '../../shared/alibaba/adapters.js';
import { createFcAsyncInvoker } from '../../shared/alibaba/fc-invoker.js';
import { loadRenewSchedulerConfig } from '../../shared/config/renewal.js';
import type { SweepDeps } from '../../shared/renewal/sweep.js';
import { systemSleep } from '../../shared/domain/ports.js';

export function buildRenewSchedulerDeps(env: NodeJS.ProcessEnv): SweepDeps {
  const config = loadRenewSchedulerConfig(env);
  const { alibaba } = config;
  const { store, ca, clock, log } = createAlibabaAdapters('renew-scheduler', config);
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

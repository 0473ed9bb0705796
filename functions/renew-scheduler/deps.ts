/** Builds renew-scheduler's dependencies from its env, once per cold start. */
import { createFcAsyncInvoker } from '../../shared/alibaba/fc-invoker.js';
import { createOssObjectStore } from '../../shared/alibaba/oss-store.js';
import { loadRenewSchedulerConfig } from '../../shared/config/renewal.js';
import { systemClock } from '../../shared/domain/ports.js';
import type { SweepDeps } from '../../shared/domain/renewal/sweep.js';
import { createLogger } from '../../shared/log/index.js';

export function buildRenewSchedulerDeps(env: NodeJS.ProcessEnv): SweepDeps {
  const config = loadRenewSchedulerConfig(env);
  const { alibaba } = config;
  return {
    store: createOssObjectStore({
      endpoint: alibaba.oss.endpoint,
      bucket: alibaba.oss.bucket,
      credentials: alibaba.credentials,
      region: alibaba.region,
      local: alibaba.oss.local,
      timeoutMs: config.ossTimeoutMs,
    }),
    invoker: createFcAsyncInvoker({ endpoint: alibaba.fc, credentials: alibaba.credentials, region: alibaba.region, accountId: alibaba.fc.accountId }),
    clock: systemClock,
    log: createLogger({ fn: 'renew-scheduler' }),
    config: {
      workerFunctionName: config.workerFunctionName,
      batchSize: config.batchSize,
      maxItemsPerSweep: config.maxItemsPerSweep,
      invokeConcurrency: config.invokeConcurrency,
      summaryOverdueMs: config.summaryOverdueMs,
    },
  };
}

/**
 * Builds renew-scheduler's dependencies from its env, once per cold start. Only OSS and FC: the scheduler never
 * calls CAS, so it builds no CAS client (and its RAM role, deploy/ram-policies/renew-scheduler.json, has no CAS).
 */
import { createFcAsyncInvoker } from '../../shared/alibaba/fc-invoker.js';
import { createOssObjectStore } from '../../shared/alibaba/oss-store.js';
import { systemClock } from '../../shared/domain/ports.js';
import { createLogger } from '../../shared/log/index.js';
import { loadRenewSchedulerConfig } from '../../shared/config/renewal.js';
import type { SweepDeps } from '../../shared/renewal/sweep.js';

export function buildRenewSchedulerDeps(env: NodeJS.ProcessEnv): SweepDeps {
  const config = loadRenewSchedulerConfig(env);
  const { alibaba } = config;
  const store = createOssObjectStore({
    endpoint: alibaba.oss.endpoint,
    bucket: alibaba.oss.bucket,
    credentials: alibaba.credentials,
    region: alibaba.region,
    local: alibaba.oss.local,
    timeoutMs: config.ossTimeoutMs,
  });
  const clock = systemClock;
  const log = createLogger({ fn: 'renew-scheduler' });
  return {
    store,
    invoker: createFcAsyncInvoker({
      endpoint: alibaba.fc,
      credentials: alibaba.credentials,
      region: alibaba.region,
      accountId: alibaba.fc.accountId,
    }),
    clock,
    log,
    config: {
      workerFunctionName: config.workerFunctionName,
      batchSize: config.batchSize,
      maxItemsPerSweep: config.maxItemsPerSweep,
      invokeConcurrency: config.invokeConcurrency,
      summaryOverdueMs: config.summaryOverdueMs,
    },
  };
}

/**
 * Builds reconcile-listeners' dependencies from its config, once per cold start: the desired state (shipped
 * with the function), the NLB/CAS/OSS adapters, the TLS prober, the canary and the policy numbers.
 */
import { readFileSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import { createAlibabaAdapters } from '../../shared/alibaba/adapters.js';
import { createCasStoreClient } from '../../shared/alibaba/cas-store.js';
import { createNlbListenerGateway, NLB_API_VERSION } from '../../shared/alibaba/nlb.js';
import { createRpcCaller } from '../../shared/alibaba/rpc.js';
import { createCertificateService } from '../../shared/certificates/service.js';
import type { ReconcileFunctionConfig } from '../../shared/config/reconcile.js';
import {
  parseDesiredState,
  resolveDesiredState,
  type DesiredStateDocument,
  type ListenerMtls,
} from '../../shared/domain/listeners/desired-state.js';
import type { ReconcileDeps } from '../../shared/listeners/reconcile.js';
import { DEFAULT_POLL_POLICY, DEFAULT_RETRY_POLICY } from '../../shared/listeners/retry.js';
import type { Clock } from '../../shared/domain/ports.js';
import type { Logger } from '../../shared/log/index.js';
import { chainsTo } from '../../shared/pki/index.js';
import { tlsProber } from '../../shared/tls-probe/index.js';
import { createListenerStatusStore } from '../../shared/listeners/status-store.js';
import { createAppliedStateStore } from './applied-store.js';
import { createCanaryProvider } from './canary.js';
import { createClientCertificateInventory } from './inventory.js';
import { createPcaReads, PCA_API_VERSION, type PcaReads } from './pca-reads.js';
import { createCasServerCertificateClient } from '../../shared/alibaba/cas-pca-server.js';
import { createCasServerCertificateUploadsClient } from '../../shared/alibaba/cas-store-uploads.js';
import { createStateCipher } from '../../shared/certificates/sealing.js';
import { createManagedCertificateStateStore } from './managed-state-store.js';
import { createServerCertificateNotifier } from './server-certificate-notifier.js';
import { buildRotationDeps } from './rotation-deps.js';
import { createRotationSource } from '../../shared/rotation/source.js';
import type { RotationDeps } from '../../shared/rotation/context.js';
import { systemSleep } from '../../shared/domain/ports.js';

export interface ReconcileRuntime {
  /** The desired state with `ca: default` resolved (once per instance; a failed resolution is retried next run). */
  desired(): Promise<ListenerMtls[]>;
  engine: ReconcileDeps;
  /** A CA rotation's stages (npm run rotate-ca, docs/rotation.md) over the same clients. */
  rotation: RotationDeps;
  defaultMode: 'plan' | 'apply';
  log: Logger;
}

/** Reads and validates the desired state file; a relative path is taken from `baseDir` (FC: the code directory). */
export function readDesiredState(file: string, baseDir = process.cwd()): DesiredStateDocument {
  const path = isAbsolute(file) ? file : resolve(baseDir, file);
  return parseDesiredState(readFileSync(path, 'utf8'));
}

/**
 * What `ca: default` means: RECONCILE_DEFAULT_CA, or else the root above the sub-CA that issues this project's
 * clients (trust the root on the listener, issue from the intermediate: a sub-CA can then change under it).
 */
async function defaultCaIdentifier(
  configured: string | undefined,
  parentIdentifier: string,
  pca: PcaReads,
): Promise<string> {
  if (configured) return configured;
  const issuing = await pca.getCa(parentIdentifier);
  if (!issuing)
    throw new Error(`PCA_PARENT_IDENTIFIER ${parentIdentifier} was not found: cannot tell what ca: default means`);
  return issuing.parentIdentifier ?? issuing.identifier;
}

export interface RuntimeOverrides {
  log?: Logger;
  clock?: Clock;
  /** The desired state document itself, instead of the configured file (tests, the CLI's --desired). */
  desired?: DesiredStateDocument;
  baseDir?: string;
}

export function buildReconcileRuntime(
  config: ReconcileFunctionConfig,
  overrides: RuntimeOverrides = {},
): ReconcileRuntime {
  const { alibaba } = config;
  const adapters = createAlibabaAdapters('reconcile-listeners', config, overrides);
  const { store, casEndpoint, clock, log } = adapters;
  // Parsed at cold start: a bad file stops the function at once, naming the bad field.
  const document = overrides.desired ?? readDesiredState(config.desiredStateFile, overrides.baseDir);

  const nlbOverridden = alibaba.nlb.endpoint !== `nlb.${alibaba.region}.aliyuncs.com`;
  const gateway = createNlbListenerGateway({
    credentials: alibaba.credentials,
    callerFor: (endpoint) => createRpcCaller(NLB_API_VERSION, endpoint, alibaba.credentials),
    // NLB is regional; an explicit NLB_ENDPOINT (a VPC endpoint, the emulator) serves every declared region.
    endpointFor: (region) =>
      region === alibaba.region || nlbOverridden
        ? { ...alibaba.nlb, readTimeoutMs: config.nlbTimeoutMs }
        : {
            endpoint: `nlb.${region}.aliyuncs.com`,
            protocol: 'https',
            regionId: region,
            readTimeoutMs: config.nlbTimeoutMs,
          },
  });
  // Every RPC and certificate-store call carries its own hard deadline (shared/alibaba/rpc.ts withDeadline).
  const pca = createPcaReads(createRpcCaller(PCA_API_VERSION, casEndpoint, alibaba.credentials));
  const service = createCertificateService({
    ...adapters,
    sleep: systemSleep,
    config: {
      parentIdentifier: config.parentIdentifier,
      stateKey: config.stateKey,
      linkDefaultSeconds: 900,
      linkMaxSeconds: 900,
      defaultValidityDays: config.canaryValidityDays,
      maxValidityDays: config.canaryValidityDays,
    },
  });

  const serverCertificates = createCasStoreClient(casEndpoint, alibaba.credentials);
  const engine: ReconcileDeps = {
    gateway,
    cas: pca,
    serverCertificates,
    managed: {
      authority: createCasServerCertificateClient(casEndpoint, alibaba.credentials),
      uploads: createCasServerCertificateUploadsClient(casEndpoint, alibaba.credentials),
      serverCertificates,
      cas: pca,
      state: createManagedCertificateStateStore(store),
      cipher: createStateCipher(config.stateKey),
      clock,
      log,
    },
    notices: {
      store,
      notifier: createServerCertificateNotifier({ webhook: config.serverCertificateWebhook, store, clock, log }),
      clock,
      log,
      thresholdsDays: config.serverCertificateNoticeDays,
    },
    prober: tlsProber,
    canary: createCanaryProvider({
      service,
      store,
      pca,
      stateKey: config.stateKey,
      clock,
      log,
      validityDays: config.canaryValidityDays,
      parentIdentifier: config.parentIdentifier,
    }),
    inventory: createClientCertificateInventory({ store, pca, clock }),
    applied: createAppliedStateStore(store),
    status: createListenerStatusStore(store, clock),
    chainsTo,
    clock,
    sleep: (ms) => new Promise((r) => setTimeout(r, ms)),
    random: Math.random,
    log,
    config: {
      caExpiryWindowDays: config.caExpiryWindowDays,
      concurrency: config.concurrency,
      readBatchSize: 20,
      retry: DEFAULT_RETRY_POLICY,
      poll: { ...DEFAULT_POLL_POLICY, initialDelayMs: config.jobPollInitialMs, timeoutMs: config.jobTimeoutMs },
      probeTimeoutMs: config.probeTimeoutMs,
      verifyAttempts: 3,
      verifyRetryDelayMs: 1_000,
    },
  };
  let resolved: Promise<ListenerMtls[]> | undefined;
  const desired = () => {
    const needsDefault = document.listeners.some((l) => l.mutualAuth && l.ca === 'default');
    resolved ??= (
      needsDefault
        ? defaultCaIdentifier(config.defaultCaIdentifier, config.parentIdentifier, pca)
        : Promise.resolve(undefined)
    ).then(
      (ca) =>
        resolveDesiredState(document, {
          defaultCaIdentifier: ca,
          defaultServerCertificateIssuer: config.serverCertificateIssuer,
        }),
      (err: unknown) => {
        resolved = undefined;
        throw err;
      },
    );
    return resolved;
  };
  const rotation = buildRotationDeps({
    config,
    adapters,
    gateway,
    pca,
    prober: tlsProber,
    engine: engine.config,
    sleep: engine.sleep,
    desired,
  });
  engine.rotation = createRotationSource({ store, clock, canaryFor: rotation.canaryFor });
  return { desired, engine, rotation: rotation.deps, defaultMode: config.defaultMode, log };
}

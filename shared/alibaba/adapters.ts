/**
 * The adapters every function builds the same way from its cold-start config: the OSS object store, the CAS
 * private CA (with its endpoint, for the function's own CAS reads), the clock and the function's logger.
 * Clients only one function needs (NLB, FC invocations, the certificate store) stay in that function's deps.
 */
import type { AlibabaConfig } from '../config/alibaba.js';
import { systemClock, type CertificateAuthority, type Clock, type ObjectStore } from '../domain/ports.js';
import { createLogger, type Logger } from '../log/index.js';
import { createCasPcaClient } from './cas-pca.js';
import { createConfiguredObjectStore } from './oss-store.js';
import type { RpcEndpoint } from './rpc.js';

export interface AlibabaAdapterConfig {
  alibaba: AlibabaConfig;
  ossTimeoutMs: number;
  /** Read timeout of CAS calls; the RPC caller's default (10 s) when the function has no setting. */
  casTimeoutMs?: number;
}

export interface AlibabaAdapters {
  store: ObjectStore;
  ca: CertificateAuthority;
  /** The CAS endpoint with the configured read timeout. */
  casEndpoint: RpcEndpoint;
  clock: Clock;
  log: Logger;
}

/** `fn` names the function in every log line; tests and the CLI may hand in their own logger and clock. */
export function createAlibabaAdapters(
  fn: string,
  config: AlibabaAdapterConfig,
  overrides: { log?: Logger; clock?: Clock } = {},
): AlibabaAdapters {
  const { alibaba } = config;
  const casEndpoint: RpcEndpoint =
    config.casTimeoutMs === undefined ? alibaba.cas : { ...alibaba.cas, readTimeoutMs: config.casTimeoutMs };
  return {
    store: createConfiguredObjectStore(alibaba, config.ossTimeoutMs),
    ca: createCasPcaClient(casEndpoint, alibaba.credentials),
    casEndpoint,
    clock: overrides.clock ?? systemClock,
    log: overrides.log ?? createLogger({ fn }),
  };
}

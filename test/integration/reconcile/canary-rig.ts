/**
 * What the canary tests share: the emulator, the OSS store and the certificate service over its PCA, and the PCA
 * reads reconcile-listeners uses, with the test's own clock and state key.
 */
import { startEmulator, type Emulator } from '../../../local/emulator/index.js';
import type { CasAlgorithm } from '../../../local/emulator/cas/pca.js';
import { createConfiguredObjectStore } from '../../../shared/alibaba/oss-store.js';
import { createRpcCaller } from '../../../shared/alibaba/rpc.js';
import { createCasPcaClient } from '../../../shared/alibaba/cas-pca.js';
import { createCertificateService, type CertificateService } from '../../../shared/certificates/service.js';
import { loadAlibabaConfig } from '../../../shared/config/alibaba.js';
import { createPcaReads, PCA_API_VERSION, type PcaReads } from '../../../functions/reconcile-listeners/pca-reads.js';
import { createLogger, type Logger } from '../../../shared/log/index.js';
import type { Clock, ObjectStore } from '../../../shared/domain/ports.js';
import { systemSleep } from '../../../shared/domain/ports.js';

export interface CanaryRig {
  emulator: Emulator;
  store: ObjectStore;
  service: CertificateService;
  pca: PcaReads;
  log: Logger;
}

export async function startCanaryRig(options: {
  caKeyAlgorithm: CasAlgorithm;
  clock: Clock;
  stateKey: Buffer;
}): Promise<CanaryRig> {
  const emulator = await startEmulator({ caKeyAlgorithm: options.caKeyAlgorithm, log: createLogger({}, 'error') });
  const alibaba = loadAlibabaConfig(emulator.env());
  const store = createConfiguredObjectStore(alibaba);
  const log = createLogger({}, 'error');
  const service = createCertificateService({
    ca: createCasPcaClient(alibaba.cas, alibaba.credentials),
    store,
    clock: options.clock,
    sleep: systemSleep,
    log,
    config: {
      parentIdentifier: emulator.ca.subCaIdentifier,
      stateKey: options.stateKey,
      linkDefaultSeconds: 900,
      linkMaxSeconds: 900,
      defaultValidityDays: 30,
      maxValidityDays: 30,
    },
  });
  const pca = createPcaReads(createRpcCaller(PCA_API_VERSION, alibaba.cas, alibaba.credentials));
  return { emulator, store, service, pca, log };
}

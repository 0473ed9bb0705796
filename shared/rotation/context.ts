/**
 * What every stage of a CA rotation works with (docs/rotation.md): the bucket, NLB, the private CA's reads, a
 * certificate service per issuing sub-CA (successors come from the new one), the canaries, the TLS prober, the
 * owners' webhooks, the state cipher, and the injected clock and sleep. Built once by
 * functions/reconcile-listeners/rotation-deps.ts; `npm run rotate-ca` runs the stages with it.
 */
import type { CertificateService } from '../certificates/service.js';
import type { StateCipher } from '../certificates/sealing.js';
import type { Clock, ObjectStore } from '../domain/ports.js';
import type { ListenerMtls } from '../domain/listeners/desired-state.js';
import type { CanaryProvider, CaSource, ListenerGateway, TlsProber } from '../domain/listeners/ports.js';
import type { ChainsTo } from '../domain/listeners/ca-rotation.js';
import type { Logger } from '../log/index.js';
import type { WebhookSender } from '../notify/delivery.js';
import type { PollPolicy, RetryPolicy } from '../listeners/retry.js';

export interface IssuedClient {
  certificatePem: string;
  /** Issuing sub-CA first. */
  chainPems: string[];
  status: string;
}

export interface RotationPca extends CaSource {
  getClientCertificate(identifier: string): Promise<IssuedClient | undefined>;
}

export interface RotationConfig {
  /** The sub-CA this deployment issues clients from today (PCA_PARENT_IDENTIFIER): the rotation's old issuing CA. */
  issuingCa: string;
  retry: RetryPolicy;
  poll: PollPolicy;
  probeTimeoutMs: number;
  /** Handshake tries before a switch is judged (a data plane may lag its control plane). */
  verifyAttempts: number;
  verifyRetryDelayMs: number;
  /** Lifetime of the signed links in a successor's webhook and pickup answer. */
  linkSeconds: number;
  /** A target CA must have at least this many days left. */
  minCaDaysLeft: number;
}

export interface RotationDeps {
  store: ObjectStore;
  gateway: ListenerGateway;
  pca: RotationPca;
  /** The certificate service issuing under `parentIdentifier` (the configured one, or a rotation's new sub-CA). */
  serviceFor(parentIdentifier: string): CertificateService;
  /** A canary client certificate under `parentIdentifier`, its state at `objectKey`. */
  canaryFor(parentIdentifier: string, objectKey: string): CanaryProvider;
  prober: TlsProber;
  /** Signs and sends the owners' webhooks (absent: WEBHOOK_MASTER_KEY is not configured; successors wait for pickup). */
  webhooks?: WebhookSender;
  cipher: StateCipher;
  chainsTo: ChainsTo;
  /** The declared listeners (where to knock: probe host, port, SNI). */
  desired(): Promise<ListenerMtls[]>;
  clock: Clock;
  sleep: (ms: number) => Promise<void>;
  random: () => number;
  log: Logger;
  config: RotationConfig;
}

/**
 * What the reconciler needs from the outside world, as small interfaces. Each has one Alibaba adapter
 * (shared/alibaba/nlb.ts, cas-store.ts, cas-pca.ts, shared/tls-probe) and the local emulator behind it in tests.
 */

export type ListenerStatus =
  | 'Provisioning'
  | 'Running'
  | 'Configuring'
  | 'Stopping'
  | 'Stopped'
  | 'Starting'
  | 'Deleting'
  | 'Deleted'
  | string;

/** The listener fields reconciliation reads (NLB `GetListenerAttribute` / `ListListeners`). */
export interface ListenerAttributes {
  listenerId: string;
  region: string;
  loadBalancerId?: string;
  protocol: string;
  port: number;
  status: ListenerStatus;
  caEnabled: boolean;
  caCertificateIds: string[];
  certificateIds: string[];
  securityPolicyId?: string;
  serverGroupId?: string;
}

export interface ServerGroupAttributes {
  serverGroupId: string;
  protocol: string;
  preserveClientIpEnabled: boolean;
  status?: string;
}

/** The fields `UpdateListenerAttribute` may change; absent = left as is. */
export interface ListenerUpdate {
  caEnabled?: boolean;
  caCertificateIds?: string[];
  certificateIds?: string[];
  securityPolicyId?: string;
}

export type JobStatus = 'Succeeded' | 'Processing' | 'Failed';

/** NLB 2022-04-30. Errors are thrown with the provider's `code` (e.g. `Throttling`, `Conflict.Lock`). */
export interface ListenerGateway {
  /** One read per listener (GetListenerAttribute). */
  getListener(region: string, listenerId: string): Promise<ListenerAttributes>;
  /** Batched reads (ListListeners by id), keyed by base id (`lsn-abc`, whichever form NLB reports); ids not found are absent. */
  getListeners(region: string, listenerIds: string[]): Promise<Map<string, ListenerAttributes>>;
  /** Batched reads (ListServerGroups by id). */
  getServerGroups(region: string, serverGroupIds: string[]): Promise<Map<string, ServerGroupAttributes>>;
  /** A dry run resolves when NLB answers `DryRunOperation` (the request would succeed) and throws otherwise. */
  dryRunUpdate(region: string, listenerId: string, update: ListenerUpdate): Promise<void>;
  /** Starts the asynchronous change; the same `clientToken` with the same parameters starts no second job. */
  updateListener(
    region: string,
    listenerId: string,
    update: ListenerUpdate,
    clientToken: string,
  ): Promise<{ jobId: string }>;
  getJobStatus(region: string, jobId: string): Promise<JobStatus>;
  /** What the listener reports it holds (ListListenerCertificates): CA ids, and server certificate ids default first. */
  getListenerCertificates(region: string, listenerId: string): Promise<ListenerCertificates>;
}

export interface ListenerCertificates {
  caCertificateIds: string[];
  serverCertificateIds: string[];
}

/** A server certificate in the CAS certificate store (2020-04-07), public facts only: never its key. */
export interface ServerCertificateFacts {
  certId: string;
  /** CAS's `CertIdentifier` (`<CertId>-<site>`, e.g. `123-cn-hangzhou`): the id a listener's CertificateIds take. */
  certIdentifier: string;
  commonName: string;
  dnsNames: string[];
  notBefore: Date;
  notAfter: Date;
  /** SHA-256 of the DER, lower-case hex without separators. */
  fingerprintSha256: string;
  /** Lower-case hex, when CAS reports it (`SerialNo`). */
  serialNumber?: string;
}

export interface ServerCertificateSource {
  /** By CertId (what UploadUserCertificate returned); `undefined` when the store has no such certificate. */
  getServerCertificate(certId: string): Promise<ServerCertificateFacts | undefined>;
}

/** The CA facts the seed rules need (from `CertificateAuthority.getCaCertificate`). */
export interface CaFacts {
  identifier: string;
  certificatePem: string;
  status: string;
  notAfter: Date;
  /** The CA above it (absent for a root). */
  parentIdentifier?: string;
  /** `ROOT` or `SUB_ROOT`, as CAS reports it. */
  type?: string;
  /** The family of the CA's own key: CAS issues only keys of the same family under it. */
  keyFamily?: 'RSA' | 'EC' | 'unknown';
}

export interface CaSource {
  /** Resolves `undefined` when the PCA has no such CA. */
  getCa(identifier: string): Promise<CaFacts | undefined>;
}

export interface ProbeRequest {
  host: string;
  port: number;
  servername: string;
  /** Leaf first, then intermediates: a listener trusting the root needs the client's sub-CA. */
  clientCertificateChainPem?: string;
  clientKeyPem?: string;
  request: 'http' | 'none';
  httpHost: string;
  timeoutMs: number;
  /** Check the server's chain against this CA too (reported, not enforced: verification pins the declared certificate). */
  trustedCaPem?: string;
  /** Read the whole answer (until the server closes, at most this many bytes) into `answer`, not just its first bytes. */
  readAnswerBytes?: number;
}

/** The handshake a declared `probe` asks for (no client certificate yet: the caller adds one). */
export function probeRequestOf(
  probe: { host: string; port: number; sni: string; address: string; request: 'http' | 'none' },
  timeoutMs: number,
): ProbeRequest {
  return {
    host: probe.address,
    port: probe.port,
    servername: probe.sni,
    request: probe.request,
    httpHost: probe.host,
    timeoutMs,
  };
}

/** What one TLS handshake to a listener showed. */
export interface ProbeResult {
  /** `answered`: the handshake completed and the backend sent bytes; `accepted`: completed, nothing sent (request `none`);
   *  `refused`: the TLS layer refused us (alert, handshake failure); `error`: TCP/timeout problems, no TLS verdict. */
  outcome: 'answered' | 'accepted' | 'refused' | 'error';
  clientCertificateSent: boolean;
  protocol?: string;
  cipher?: string;
  /** Why the TLS layer refused or failed (e.g. `ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED`, `ECONNREFUSED`). */
  errorCode?: string;
  errorMessage?: string;
  peerCertificate?: {
    /** Lower-case hex. */
    serialNumber?: string;
    commonName?: string;
    dnsNames: string[];
    issuer?: string;
    notAfter?: string;
    fingerprintSha256: string;
  };
  /** Only with `trustedCaPem`: did the server's chain verify, and if not, why. */
  serverAuthorized?: boolean;
  serverAuthorizationError?: string;
  /** The answer's first bytes (printable, capped), e.g. `HTTP/1.1 200 OK`. */
  firstBytes?: string;
  /** Only with `readAnswerBytes`: the answer as text (UTF-8), capped. */
  answer?: string;
  durationMs: number;
}

export interface TlsProber {
  probe(request: ProbeRequest): Promise<ProbeResult>;
}

/** The canary: a client certificate the project issues to itself, to prove a listener lets a good client in. */
export interface CanaryCredentials {
  certificateId: string;
  /** Leaf then chain (sub-CA, root). */
  certificateChainPem: string;
  privateKeyPem: string;
  notAfter: Date;
}

export interface CanaryProvider {
  /** A canary valid now, issued or renewed when due. */
  current(): Promise<CanaryCredentials>;
}

/** A client certificate this project issued that is still usable (ACTIVE, not expired). */
export interface ActiveClientCertificate {
  id: string;
  commonName: string;
  certificatePem: string;
  /** Issuing sub-CA first. */
  intermediatePems: string[];
}

export interface ClientCertificateInventory {
  listActive(): Promise<ActiveClientCertificate[]>;
}

/** What the reconciler last applied to (or confirmed on) a listener: tells a repaired drift from a changed declaration. */
export interface AppliedRecord {
  desiredHash: string;
  /** ISO time the listener was last seen matching `desiredHash` (after our change or as found). */
  confirmedAt: string;
  jobId?: string;
  /**
   * The id NLB reported for each id we sent (a PCA identifier, a CertIdentifier), read after our update
   * (ListListenerCertificates): NLB may report a CA in a form of its own (D5), so equality is never assumed.
   */
  reportedIds?: Record<string, string>;
}

/** One small document for all listeners: one read per run, one write when something changed. */
export interface AppliedStateStore {
  load(): Promise<Record<string, AppliedRecord>>;
  save(records: Record<string, AppliedRecord>): Promise<void>;
}

/**
 * What a CA rotation (docs/rotation.md, shared/rotation) says about one listener's CA while it runs: the CA the
 * listener must trust now, or `hold` while a switch or rollback is in flight (reconcile then leaves the CA alone),
 * and the canary that proves a listener trusting the rotation's new CA.
 */
export interface RotationOverride {
  rotationId: string;
  stage: string;
  ca: string | 'hold';
  /** The rotation's new CA, and a canary client certificate under it. */
  toCa: string;
  toCanary: CanaryProvider;
}

export interface RotationSource {
  /** `declaredCa`: what the desired state names; a rotation speaks only for listeners declared with its old or new CA. */
  forListener(listenerId: string, declaredCa: string | undefined): Promise<RotationOverride | undefined>;
}

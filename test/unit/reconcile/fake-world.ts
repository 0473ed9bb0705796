/**
 * A small stateful stand-in for NLB, the CAS lookups and a listener's data plane, for orchestration tests that
 * need to decide timing (hanging jobs, lock conflicts) deterministically. It behaves (jobs, status, settings take
 * effect when a job finishes, the data plane follows the settings); it does not replay what the code sent.
 * The same scenarios run against the real emulator in test/integration/reconcile.
 */
import type {
  AppliedRecord,
  ListenerAttributes,
  ListenerGateway,
  ListenerUpdate,
  ProbeRequest,
  ProbeResult,
  ServerGroupAttributes,
} from '../../../shared/domain/listeners/ports.js';
import type { ReconcileDeps } from '../../../shared/listeners/reconcile.js';
import { createLogger } from '../../../shared/log/index.js';

const err = (code: string) => Object.assign(new Error(`${code} (fake)`), { code });

export class FakeNlb implements ListenerGateway {
  listeners = new Map<string, ListenerAttributes>();
  groups = new Map<string, ServerGroupAttributes>();
  calls: Array<{ action: string; listenerId?: string; token?: string }> = [];
  /** Polls of GetJobStatus before a job succeeds; Infinity = the job hangs. */
  pollsPerJob = 1;
  private jobs = new Map<string, { listenerId: string; update: ListenerUpdate; polls: number }>();
  private tokens = new Map<string, string>();
  private failures = new Map<string, string[]>();
  knownCas = new Set(['ca-root', 'ca-new']);

  failNext(action: string, ...codes: string[]) {
    this.failures.set(action, [...(this.failures.get(action) ?? []), ...codes]);
  }
  private enter(action: string, listenerId?: string, token?: string) {
    this.calls.push({ action, listenerId, token });
    const code = this.failures.get(action)?.shift();
    if (code) throw err(code);
  }
  count(action: string) {
    return this.calls.filter((c) => c.action === action).length;
  }

  async getListener(_region: string, id: string) {
    this.enter('GetListenerAttribute', id);
    const l = this.listeners.get(id);
    if (!l) throw err('ResourceNotFound.listener');
    return structuredClone(l);
  }
  async getListeners(_region: string, ids: string[]) {
    this.enter('ListListeners');
    return new Map(
      ids.filter((id) => this.listeners.has(id)).map((id) => [id, structuredClone(this.listeners.get(id)!)]),
    );
  }
  async getServerGroups(_region: string, ids: string[]) {
    this.enter('ListServerGroups');
    return new Map(ids.filter((id) => this.groups.has(id)).map((id) => [id, { ...this.groups.get(id)! }]));
  }
  private check(id: string, update: ListenerUpdate) {
    const l = this.listeners.get(id);
    if (!l) throw err('ResourceNotFound.listener');
    if (l.status !== 'Running') throw err('IncorrectStatus.listener');
    for (const ca of update.caCertificateIds ?? [])
      if (!this.knownCas.has(ca)) throw err('ResourceNotFound.CaCertificate');
    return l;
  }
  async dryRunUpdate(_region: string, id: string, update: ListenerUpdate) {
    this.enter('UpdateListenerAttribute(DryRun)', id);
    this.check(id, update);
  }
  async updateListener(_region: string, id: string, update: ListenerUpdate, token: string) {
    this.enter('UpdateListenerAttribute', id, token);
    const existing = this.tokens.get(token);
    if (existing) return { jobId: existing };
    const l = this.check(id, update);
    const jobId = `job-${this.jobs.size + 1}`;
    this.jobs.set(jobId, { listenerId: id, update, polls: 0 });
    this.tokens.set(token, jobId);
    l.status = 'Configuring';
    return { jobId };
  }
  async getListenerCertificates(_region: string, id: string) {
    this.enter('ListListenerCertificates', id);
    const l = this.listeners.get(id);
    if (!l) throw err('ResourceNotFound.listener');
    return { caCertificateIds: [...l.caCertificateIds], serverCertificateIds: [...l.certificateIds] };
  }
  async getJobStatus(_region: string, jobId: string) {
    this.enter('GetJobStatus');
    const job = this.jobs.get(jobId)!;
    job.polls += 1;
    if (job.polls < this.pollsPerJob) return 'Processing' as const;
    const l = this.listeners.get(job.listenerId)!;
    if (l.status === 'Configuring') {
      if (job.update.caEnabled !== undefined) l.caEnabled = job.update.caEnabled;
      if (job.update.caCertificateIds) l.caCertificateIds = job.update.caCertificateIds;
      if (job.update.certificateIds) l.certificateIds = job.update.certificateIds;
      if (job.update.securityPolicyId) l.securityPolicyId = job.update.securityPolicyId;
      l.status = 'Running';
    }
    return 'Succeeded' as const;
  }
}

/** The data plane as the listener's settings say: with CaEnabled, a client chaining to the CA gets in, others are refused. */
export function fakeProber(nlb: FakeNlb, options: { enforce?: boolean } = {}) {
  const probes: ProbeRequest[] = [];
  return {
    probes,
    probe: async (r: ProbeRequest): Promise<ProbeResult> => {
      probes.push(r);
      const l = [...nlb.listeners.values()].find((x) => x.port === r.port)!;
      const sent = Boolean(r.clientCertificateChainPem);
      const base = {
        clientCertificateSent: sent,
        durationMs: 1,
        peerCertificate: { dnsNames: ['www.example.com'], fingerprintSha256: 'f1' },
      };
      const admitted =
        !l.caEnabled ||
        options.enforce === false ||
        (sent && r.clientCertificateChainPem === `leaf:${l.caCertificateIds[0]}`);
      return admitted
        ? { ...base, outcome: 'answered', firstBytes: 'HTTP/1.1 200 OK..ECS01' }
        : { ...base, outcome: 'refused', errorCode: 'ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED' };
    },
  };
}

export function seedListener(
  nlb: FakeNlb,
  id: string,
  port: number,
  patch: Partial<ListenerAttributes> = {},
  group: Partial<ServerGroupAttributes> = {},
) {
  const serverGroupId = `sgp-${id}`;
  nlb.listeners.set(id, {
    listenerId: id,
    region: 'cn-hangzhou',
    protocol: 'TCPSSL',
    port,
    status: 'Running',
    caEnabled: false,
    caCertificateIds: [],
    certificateIds: ['100-cn-hangzhou'],
    securityPolicyId: 'tls_cipher_policy_1_2',
    serverGroupId,
    ...patch,
  });
  nlb.groups.set(serverGroupId, { serverGroupId, protocol: 'TCP', preserveClientIpEnabled: false, ...group });
}

export function makeDeps(nlb: FakeNlb, overrides: Partial<ReconcileDeps> = {}) {
  let saved: Record<string, AppliedRecord> = {};
  const applied = {
    saves: 0,
    load: async () => structuredClone(saved),
    save: async (records: Record<string, AppliedRecord>) => {
      applied.saves += 1;
      saved = structuredClone(records);
    },
  };
  const farFuture = new Date('2030-01-01T00:00:00Z');
  const deps: ReconcileDeps = {
    gateway: nlb,
    cas: {
      getCa: async (id) =>
        nlb.knownCas.has(id)
          ? { identifier: id, certificatePem: `ca:${id}`, status: 'ISSUE', notAfter: farFuture }
          : undefined,
    },
    serverCertificates: {
      getServerCertificate: async (certId) => ({
        certId,
        certIdentifier: `${certId}-cn-hangzhou`,
        commonName: 'www.example.com',
        dnsNames: ['www.example.com'],
        notBefore: new Date('2025-01-01T00:00:00Z'),
        notAfter: farFuture,
        fingerprintSha256: 'f1',
      }),
    },
    prober: fakeProber(nlb),
    canary: {
      current: async () => ({
        certificateId: 'cc-canary',
        certificateChainPem: 'leaf:ca-root',
        privateKeyPem: 'KEY',
        notAfter: farFuture,
      }),
    },
    inventory: { listActive: async () => [] },
    applied,
    chainsTo: (leaf, _intermediates, ca) => leaf.replace('leaf:', 'ca:') === ca,
    clock: { now: () => new Date('2026-06-01T00:00:00Z') },
    sleep: async () => undefined,
    random: () => 0.5,
    log: createLogger({}, 'error'),
    config: {
      caExpiryWindowDays: 30,
      concurrency: 4,
      readBatchSize: 20,
      retry: { maxAttempts: 5, baseDelayMs: 10, maxDelayMs: 100 },
      poll: { initialDelayMs: 10, factor: 2, maxDelayMs: 100, timeoutMs: 1_000 },
      probeTimeoutMs: 1_000,
      verifyAttempts: 2,
      verifyRetryDelayMs: 1,
    },
    ...overrides,
  };
  return { deps, applied };
}

/**
 * The handle's state helpers for tests and benchmarks: read NLB and CAS state, change it "behind the API's
 * back" (as a console click would), grow a fleet of listeners, make jobs hang, sign throwaway client certificates.
 * Reads return copies, so a caller mutating them cannot change state past the persistence log.
 */
import { randomBytes } from 'node:crypto';
import type { CertificateStore, UserCertificate } from './cas/cert-store.js';
import type { ClientCertificateRecord, PrivateCa } from './cas/pca.js';
import type { CustomIdentifierRepeats } from './cas/assumed.js';
import { issueTestClientCertificate, type TestClientCertificate, type TestClientOptions } from './cas/test-clients.js';
import type { DataPlane } from './nlb/data-plane.js';
import type { Job, Listener, ListenerSettings, SecurityPolicy, ServerGroup } from './nlb/model.js';
import type { NlbState } from './nlb/state.js';
import { SEED_TLS_POLICY } from './seed.js';

export interface EmulatedListener {
  listenerId: string;
  loadBalancerId: string;
  /** The name the server certificate is for; resolve it to 127.0.0.1 (curl --resolve). */
  host: string;
  /** Local port of the data plane. */
  port: number;
  /** The port the listener has "in the cloud" (ListenerPort). */
  listenerPort: number;
}

export interface NlbHelpers {
  getListener(listenerId: string): Listener | undefined;
  listeners(): Listener[];
  getServerGroup(serverGroupId: string): ServerGroup | undefined;
  /** Custom `tls-...` policies (the seed makes one). */
  securityPolicies(): SecurityPolicy[];
  serverGroups(): ServerGroup[];
  getJob(jobId: string): Job | undefined;
  /** Configuration jobs (of one listener), oldest first. */
  jobs(listenerId?: string): Job[];
  /** A change made behind the API's back (console, another tool): immediate, no job. */
  patchListener(
    listenerId: string,
    patch: Partial<ListenerSettings> & { ListenerStatus?: Listener['ListenerStatus'] },
  ): Listener;
  patchServerGroup(serverGroupId: string, patch: Partial<Omit<ServerGroup, 'ServerGroupId'>>): ServerGroup;
  /** Adds `count` TCPSSL listeners like the seeded one (for benchmarks); without a data plane by default. */
  addListeners(
    count: number,
    options?: { dataPlane?: boolean; settings?: Partial<ListenerSettings> },
  ): Promise<EmulatedListener[]>;
  /** Jobs of one listener (or `*`: all) take `ms`; `Infinity` makes them hang until finishJobs(). */
  setJobDelay(listenerId: string | '*', ms: number): void;
  finishJobs(listenerId?: string): void;
  /** Resolves when the listener is `Running` again. */
  whenRunning(listenerId: string, timeoutMs?: number): Promise<Listener>;
  /** Local data-plane port of a listener. */
  portOf(listenerId: string): number | undefined;
}

export interface CasHelpers {
  /** Every client certificate the PCA issued through the API (no private keys). */
  listClientCertificates(): Array<Omit<ClientCertificateRecord, 'privateKeyPem'>>;
  getClientCertificate(identifier: string): Omit<ClientCertificateRecord, 'privateKeyPem'> | undefined;
  revoke(identifier: string): void;
  /** Signs a client certificate directly (no API call, not counted, not listed): for data-plane tests. */
  issueTestClient(options?: TestClientOptions): Promise<TestClientCertificate>;
  /** Uploads to the certificate store without an API call; returns the NLB certificate id `<CertId>-<region>`. */
  uploadServerCertificate(input: { name: string; certPem: string; keyPem: string }): string;
  userCertificates(): Array<Omit<UserCertificate, 'keyPem'>>;
  /** The ASSUMED answers of the private CA where CAS documents none (local/emulator/cas/assumed.ts), switched. */
  behave(options: { customIdentifierRepeats?: CustomIdentifierRepeats; listCertFiltersByParent?: boolean }): void;
  /** Another sub-CA under the root, for certificates that are not this project's. Returns its identifier. */
  addSubordinateCa(commonName: string): Promise<string>;
}

const copy = <T>(value: T): T => (value === undefined ? value : structuredClone(value));

const withoutKey = <T extends { privateKeyPem?: string }>(r: T): Omit<T, 'privateKeyPem'> => {
  const { privateKeyPem: _key, ...rest } = r;
  return rest;
};

export function createNlbHelpers(deps: {
  nlb: NlbState;
  dataPlane: DataPlane;
  dataPlaneOn: boolean;
  describe: (listener: Listener) => EmulatedListener;
}): NlbHelpers {
  const { nlb, dataPlane } = deps;
  return {
    getListener: (id) => copy(nlb.getListener(id)),
    listeners: () => copy(nlb.listeners()),
    getServerGroup: (id) => copy(nlb.getServerGroup(id)),
    securityPolicies: () => copy(nlb.securityPolicies()),
    serverGroups: () => copy(nlb.serverGroups()),
    getJob: (id) => copy(nlb.getJob(id)),
    jobs: (id) => copy(nlb.jobs(id)).sort((a, b) => a.createdAt - b.createdAt),
    patchListener: (id, patch) => copy(nlb.patchListener(id, patch)),
    patchServerGroup: (id, patch) => copy(nlb.patchServerGroup(id, patch)),
    addListeners: async (count, options = {}) => {
      const template = nlb
        .listeners()
        .find(
          (l) =>
            l.ListenerProtocol === 'TCPSSL' && nlb.getServerGroup(l.ServerGroupId)?.PreserveClientIpEnabled === false,
        );
      if (!template) throw new Error('addListeners needs the seeded topology (seed: true)');
      const lb = nlb.createLoadBalancer(`nlb-bench-${randomBytes(4).toString('hex')}`);
      const withDataPlane = Boolean(options.dataPlane) && deps.dataPlaneOn;
      const created: Listener[] = [];
      for (let i = 0; i < count; i++) {
        created.push(
          nlb.createListener({
            loadBalancerId: lb.LoadBalancerId,
            protocol: 'TCPSSL',
            port: 10_000 + i,
            settings: {
              ServerGroupId: template.ServerGroupId,
              CertificateIds: template.CertificateIds,
              SecurityPolicyId: SEED_TLS_POLICY,
              CaEnabled: false,
              CaCertificateIds: [],
              ...options.settings,
            },
            dataPlane: withDataPlane,
          }),
        );
      }
      if (withDataPlane) await Promise.all(created.map((l) => dataPlane.sync(l.ListenerId)));
      return created.map(deps.describe);
    },
    setJobDelay: (id, ms) => nlb.setJobDelay(id, ms),
    finishJobs: (id) => nlb.finishJobs(id),
    whenRunning: (id, timeoutMs = 10_000) =>
      new Promise<Listener>((resolve, reject) => {
        const deadline = Date.now() + timeoutMs;
        const check = () => {
          const l = nlb.getListener(id);
          if (!l) return reject(new Error(`no listener ${id}`));
          if (l.ListenerStatus === 'Running') return resolve(copy(l));
          if (Date.now() > deadline)
            return reject(new Error(`listener ${id} still ${l.ListenerStatus} after ${timeoutMs} ms`));
          setTimeout(check, 20);
        };
        check();
      }),
    portOf: (id) => dataPlane.portOf(id),
  };
}

export function createCasHelpers(pca: PrivateCa, certStore: CertificateStore): CasHelpers {
  return {
    listClientCertificates: () => pca.clientCertificateList().map(withoutKey),
    getClientCertificate: (id) => {
      const r = pca.getClientCertificate(id);
      return r ? withoutKey(r) : undefined;
    },
    revoke: (id) => void pca.revoke(id),
    issueTestClient: (options) => issueTestClientCertificate(pca, options),
    uploadServerCertificate: (input) => certStore.identifierOf(certStore.upload(input).certId),
    userCertificates: () => certStore.list().map(({ keyPem: _key, ...rest }) => rest),
    behave: (options) => {
      if (options.customIdentifierRepeats) pca.customIdentifierRepeats = options.customIdentifierRepeats;
      if (options.listCertFiltersByParent !== undefined) pca.listCertFiltersByParent = options.listCertFiltersByParent;
    },
    addSubordinateCa: async (commonName) => (await pca.addSubordinateCa(commonName)).identifier,
  };
}

/**
 * `startEmulator()`: the whole local Alibaba Cloud in one process, on 127.0.0.1 only. One RPC port serves CAS
 * 2020-06-30 (private CA), CAS 2020-04-07 (certificate store) and NLB 2022-04-30; OSS and FC have their own
 * ports; every TCPSSL listener gets a real TLS data plane forwarding to the ECS01/ECS02 backends. One
 * FaultInjector is shared by all servers. State lives in `dataDir` and survives a restart with the same dir.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { KeyAlgorithm } from '../../shared/domain/client-certificate.js';
import { createLogger, type Logger } from '../../shared/log/index.js';
import { CertificateStore, type UserCertificate } from './cas/cert-store.js';
import { certStoreProduct } from './cas/cert-store-actions.js';
import { PrivateCa, type ClientCertificateRecord } from './cas/pca.js';
import { pcaProduct } from './cas/pca-actions.js';
import { issueTestClientCertificate, type TestClientCertificate, type TestClientOptions } from './cas/test-clients.js';
import { startFcServer, type FcServer } from './fc/server.js';
import { lockDataDir } from './data-dir-lock.js';
import { FaultInjector } from './faults.js';
import { startBackend, type Backend } from './nlb/backends.js';
import { nlbProduct } from './nlb/actions.js';
import { DataPlane } from './nlb/data-plane.js';
import type { ClientTokenUse, Job, Listener, ListenerSettings, LoadBalancer, ServerGroup } from './nlb/model.js';
import { NlbState } from './nlb/state.js';
import { startOssServer, type OssServer } from './oss/server.js';
import { JsonlCollection } from './persistence.js';
import { startRpcServer } from './rpc/server.js';
import { SEED_HOST, SEED_TLS_POLICY, seedTopology } from './seed.js';
import type { AccessKeyRecord } from './signature.js';

export { FaultInjector, Faults, type Fault } from './faults.js';
export type { AccessKeyRecord } from './signature.js';
export type { Listener, ListenerSettings, ServerGroup } from './nlb/model.js';
export type { TestClientCertificate } from './cas/test-clients.js';

export interface EmulatorOptions {
  /** Where state is kept; default: a fresh temp dir, removed by close(). */
  dataDir?: string;
  /** 0 or absent = a free port. `listeners` are the local ports of the two seeded TCPSSL listeners. */
  ports?: { rpc?: number; oss?: number; fc?: number; listeners?: number[] };
  /** How long an NLB configuration job keeps a listener `Configuring` (default 300 ms). */
  jobDelayMs?: number;
  /** Access keys the servers accept; default: one generated pair (kept in dataDir/credentials.json). */
  credentials?: AccessKeyRecord[];
  /** Seed the manual's topology on first start (default true). */
  seed?: boolean;
  /** Serve TCPSSL listeners on local ports (default true). */
  dataPlane?: boolean;
  region?: string;
  bucket?: string;
  /** Key algorithm of the PCA root and sub-CA made on first start (default RSA_2048). */
  caKeyAlgorithm?: KeyAlgorithm;
  log?: Logger;
}

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

export interface Emulator {
  rpcEndpoint: string;
  rpcUrl: string;
  ossEndpoint: string;
  fcEndpoint: string;
  region: string;
  bucket: string;
  dataDir: string;
  /** The first configured access key; `accessKeys` holds all of them. */
  credentials: AccessKeyRecord;
  accessKeys: AccessKeyRecord[];
  ca: {
    rootIdentifier: string;
    rootCertificatePem: string;
    subCaIdentifier: string;
    subCaCertificatePem: string;
    /** For tests that sign with root.key as the manual does. Never log it. */
    exportRootKeyPem(): string;
    exportSubCaKeyPem(): string;
  };
  /** The seeded www.example.com server certificate in the certificate store. */
  serverCertificate: { certId: number; certificateId: string; certificatePem: string };
  /** The seeded listeners with a data plane (the good one first, then the rule-breaking one). */
  listeners: EmulatedListener[];
  faults: FaultInjector;
  nlb: NlbHelpers;
  cas: CasHelpers;
  oss: OssServer;
  fc: FcServer;
  /** Env vars that point this project's code at the emulator. */
  env(): Record<string, string>;
  close(): Promise<void>;
}

export interface NlbHelpers {
  getListener(listenerId: string): Listener | undefined;
  listeners(): Listener[];
  getServerGroup(serverGroupId: string): ServerGroup | undefined;
  serverGroups(): ServerGroup[];
  getJob(jobId: string): Job | undefined;
  /** Configuration jobs (of one listener), oldest first. */
  jobs(listenerId?: string): Job[];
  /** A change made behind the API's back (console, another tool): immediate, no job. */
  patchListener(listenerId: string, patch: Partial<ListenerSettings> & { ListenerStatus?: Listener['ListenerStatus'] }): Listener;
  patchServerGroup(serverGroupId: string, patch: Partial<Omit<ServerGroup, 'ServerGroupId'>>): ServerGroup;
  /** Adds `count` TCPSSL listeners like the seeded one (for benchmarks); without a data plane by default. */
  addListeners(count: number, options?: { dataPlane?: boolean; settings?: Partial<ListenerSettings> }): Promise<EmulatedListener[]>;
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
}

const ALPHANUMERIC = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
function randomText(length: number): string {
  return [...randomBytes(length)].map((b) => ALPHANUMERIC[b % ALPHANUMERIC.length]).join('');
}

function loadOrCreateCredentials(dataDir: string): AccessKeyRecord[] {
  const file = join(dataDir, 'credentials.json');
  if (existsSync(file)) return JSON.parse(readFileSync(file, 'utf8')) as AccessKeyRecord[];
  const keys = [{ accessKeyId: `LTAI${randomText(20)}`, accessKeySecret: randomText(30) }];
  writeFileSync(file, JSON.stringify(keys, null, 2), { mode: 0o600 });
  return keys;
}

const copy = <T>(value: T): T => (value === undefined ? value : structuredClone(value));

const withoutKey = <T extends { privateKeyPem?: string }>(r: T): Omit<T, 'privateKeyPem'> => {
  const { privateKeyPem: _key, ...rest } = r;
  return rest;
};

export async function startEmulator(options: EmulatorOptions = {}): Promise<Emulator> {
  const temporary = !options.dataDir;
  const dataDir = options.dataDir ?? mkdtempSync(join(tmpdir(), 'nma-emu-'));
  mkdirSync(dataDir, { recursive: true });
  const region = options.region ?? 'cn-hangzhou';
  const bucket = options.bucket ?? 'nlb-mtls-local';
  const log = options.log ?? createLogger({ fn: 'emulator' });
  const accessKeys = options.credentials && options.credentials.length > 0 ? options.credentials : loadOrCreateCredentials(dataDir);
  const releaseLock = lockDataDir(dataDir);
  const keysById = new Map(accessKeys.map((k) => [k.accessKeyId, k]));
  const faults = new FaultInjector();
  const closers: Array<() => Promise<void> | void> = [];
  let closing: Promise<void> | undefined;
  const closeAll = () =>
    (closing ??= (async () => {
      for (const close of [...closers].reverse()) await close();
      releaseLock();
      if (temporary) rmSync(dataDir, { recursive: true, force: true });
    })());

  try {
    const collection = <T>(name: string) => {
      const c = new JsonlCollection<T>(join(dataDir, name));
      closers.push(() => c.flush());
      return c;
    };
    const clientCertificates = collection<ClientCertificateRecord>('cas/client-certificates.jsonl');
    const pca = await PrivateCa.open({ caFile: join(dataDir, 'cas/ca.json'), clientCertificates, keyAlgorithm: options.caKeyAlgorithm });
    const certStore = new CertificateStore(collection<UserCertificate>('cas/user-certificates.jsonl'), region);
    const nlb = new NlbState(
      {
        loadBalancers: collection<LoadBalancer>('nlb/load-balancers.jsonl'),
        serverGroups: collection<ServerGroup>('nlb/server-groups.jsonl'),
        listeners: collection<Listener>('nlb/listeners.jsonl'),
        jobs: collection<Job>('nlb/jobs.jsonl'),
        clientTokens: collection<ClientTokenUse>('nlb/client-tokens.jsonl'),
      },
      region,
      options.jobDelayMs ?? 300,
    );
    closers.push(() => nlb.close());
    if (options.seed !== false) await seedTopology({ nlb, pca, certStore });
    // The seeded listeners (data plane on, in ListenerPort order) take the requested local ports; others any free one.
    const seededOrder = nlb
      .listeners()
      .filter((l) => l.emulator.dataPlane)
      .sort((a, b) => a.ListenerPort - b.ListenerPort || a.ListenerId.localeCompare(b.ListenerId))
      .slice(0, 2);
    const localPorts = new Map(seededOrder.map((l, i) => [l.ListenerId, options.ports?.listeners?.[i] ?? 0]));

    const rpc = await startRpcServer({
      faults,
      lookupKey: (id) => keysById.get(id),
      port: options.ports?.rpc,
      log,
      products: [
        pcaProduct(pca),
        certStoreProduct(certStore),
        nlbProduct(nlb, {
          hasServerCertificate: (id) => certStore.getByIdentifier(id) !== undefined,
          hasCaCertificate: (id) => pca.getCa(id) !== undefined,
        }),
      ],
    });
    closers.push(() => rpc.close());
    const oss = await startOssServer({ dataDir: join(dataDir, 'oss'), faults, credentials: accessKeys, buckets: [bucket], port: options.ports?.oss, region });
    closers.push(() => oss.close());
    const fc = await startFcServer({ faults, credentials: accessKeys, port: options.ports?.fc });
    closers.push(() => fc.close());

    // One live HTTP backend per ECS server named in any server group.
    const backends = new Map<string, Backend>();
    const dataPlaneOn = options.dataPlane !== false;
    if (dataPlaneOn) {
      for (const group of nlb.serverGroups()) {
        for (const server of group.Servers) {
          if (!backends.has(server.ServerId)) backends.set(server.ServerId, await startBackend(server.Description));
        }
      }
    }
    closers.push(async () => {
      await Promise.all([...backends.values()].map((b) => b.close()));
    });
    const dataPlane = new DataPlane({
      state: nlb,
      log,
      serverCertificate: (id) => certStore.getByIdentifier(id),
      caChain: (id) => (pca.getCa(id) ? pca.caChainPems(id) : undefined),
      backendAddress: (serverId) => backends.get(serverId),
      localPort: (listenerId) => localPorts.get(listenerId) ?? 0,
    });
    if (dataPlaneOn) {
      await dataPlane.start();
      closers.push(() => dataPlane.close());
    }

    const describe = (l: Listener): EmulatedListener => ({
      listenerId: l.ListenerId,
      loadBalancerId: l.LoadBalancerId,
      host: SEED_HOST,
      port: dataPlane.portOf(l.ListenerId) ?? 0,
      listenerPort: l.ListenerPort,
    });
    const seededListeners = seededOrder.map(describe);
    const seedCertificate = certStore.list().find((c) => c.name === SEED_HOST);
    const primary = accessKeys[0];

    const nlbHelpers: NlbHelpers = {
      // Copies: a test mutating what it got must not change state behind the persistence log.
      getListener: (id) => copy(nlb.getListener(id)),
      listeners: () => copy(nlb.listeners()),
      getServerGroup: (id) => copy(nlb.getServerGroup(id)),
      serverGroups: () => copy(nlb.serverGroups()),
      getJob: (id) => copy(nlb.getJob(id)),
      jobs: (id) => copy(nlb.jobs(id)).sort((a, b) => a.createdAt - b.createdAt),
      patchListener: (id, patch) => nlb.patchListener(id, patch),
      patchServerGroup: (id, patch) => nlb.patchServerGroup(id, patch),
      addListeners: async (count, addOptions = {}) => {
        const template = nlb.listeners().find((l) => l.ListenerProtocol === 'TCPSSL' && nlb.getServerGroup(l.ServerGroupId)?.PreserveClientIpEnabled === false);
        if (!template) throw new Error('addListeners needs the seeded topology (seed: true)');
        const lb = nlb.createLoadBalancer(`nlb-bench-${randomText(6).toLowerCase()}`);
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
                ...addOptions.settings,
              },
              dataPlane: Boolean(addOptions.dataPlane) && dataPlaneOn,
            }),
          );
        }
        if (addOptions.dataPlane && dataPlaneOn) await Promise.all(created.map((l) => dataPlane.sync(l.ListenerId)));
        return created.map(describe);
      },
      setJobDelay: (id, ms) => nlb.setJobDelay(id, ms),
      finishJobs: (id) => nlb.finishJobs(id),
      whenRunning: (id, timeoutMs = 10_000) =>
        new Promise<Listener>((resolve, reject) => {
          const deadline = Date.now() + timeoutMs;
          const check = () => {
            const l = nlb.getListener(id);
            if (!l) return reject(new Error(`no listener ${id}`));
            if (l.ListenerStatus === 'Running') return resolve(l);
            if (Date.now() > deadline) return reject(new Error(`listener ${id} still ${l.ListenerStatus} after ${timeoutMs} ms`));
            setTimeout(check, 20);
          };
          check();
        }),
      portOf: (id) => dataPlane.portOf(id),
    };

    const casHelpers: CasHelpers = {
      listClientCertificates: () => pca.clientCertificateList().map(withoutKey),
      getClientCertificate: (id) => {
        const r = pca.getClientCertificate(id);
        return r ? withoutKey(r) : undefined;
      },
      revoke: (id) => void pca.revoke(id),
      issueTestClient: (testOptions) => issueTestClientCertificate(pca, testOptions),
      uploadServerCertificate: (input) => certStore.identifierOf(certStore.upload(input).certId),
      userCertificates: () => certStore.list().map(({ keyPem: _key, ...rest }) => rest),
    };

    const emulator: Emulator = {
      rpcEndpoint: rpc.endpoint,
      rpcUrl: rpc.url,
      ossEndpoint: oss.endpoint,
      fcEndpoint: fc.endpoint,
      region,
      bucket,
      dataDir,
      credentials: primary,
      accessKeys,
      ca: {
        rootIdentifier: pca.root.identifier,
        rootCertificatePem: pca.root.certificatePem,
        subCaIdentifier: pca.subCa.identifier,
        subCaCertificatePem: pca.subCa.certificatePem,
        exportRootKeyPem: () => pca.root.privateKeyPem,
        exportSubCaKeyPem: () => pca.subCa.privateKeyPem,
      },
      serverCertificate: seedCertificate
        ? { certId: seedCertificate.certId, certificateId: certStore.identifierOf(seedCertificate.certId), certificatePem: seedCertificate.certPem }
        : { certId: 0, certificateId: '', certificatePem: '' },
      listeners: seededListeners,
      faults,
      nlb: nlbHelpers,
      cas: casHelpers,
      oss,
      fc,
      env: () => ({
        ALIBABA_CLOUD_ACCESS_KEY_ID: primary.accessKeyId,
        ALIBABA_CLOUD_ACCESS_KEY_SECRET: primary.accessKeySecret,
        ...(primary.securityToken ? { ALIBABA_CLOUD_SECURITY_TOKEN: primary.securityToken } : {}),
        REGION: region,
        CAS_ENDPOINT: rpc.url,
        NLB_ENDPOINT: rpc.url,
        OSS_ENDPOINT: oss.endpoint,
        OSS_BUCKET: bucket,
        FC_ENDPOINT: fc.endpoint,
        PCA_PARENT_IDENTIFIER: pca.subCa.identifier,
      }),
      close: closeAll,
    };
    return emulator;
  } catch (err) {
    await closeAll().catch(() => undefined);
    throw err;
  }
}

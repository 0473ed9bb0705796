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
import { createLogger, type Logger } from '../../shared/log/index.js';
import { CertificateStore, type UserCertificate } from './cas/cert-store.js';
import { certStoreProduct } from './cas/cert-store-actions.js';
import { PrivateCa, type CasAlgorithm, type ClientCertificateRecord } from './cas/pca.js';
import { pcaProduct } from './cas/pca-actions.js';
import { pcaServerActions, type ServerCertificateRecord } from './cas/pca-server-actions.js';
import { createLifecycleCasHelpers, pcaHierarchyActions, type LifecycleCasHelpers } from './cas/hierarchy.js';
import { startFcServer, type FcServer } from './fc/server.js';
import { lockDataDir } from './data-dir-lock.js';
import { FaultInjector } from './faults.js';
import { startBackend, type Backend } from './nlb/backends.js';
import { nlbProduct } from './nlb/actions.js';
import { createCaIdMapper, type CaIdForm } from './nlb/ca-ids.js';
import { DataPlane } from './nlb/data-plane.js';
import {
  createCasHelpers,
  createNlbHelpers,
  type CasHelpers,
  type EmulatedListener,
  type NlbHelpers,
} from './helpers.js';
import type { ClientTokenUse, Job, Listener, LoadBalancer, SecurityPolicy, ServerGroup } from './nlb/model.js';
import { NlbState } from './nlb/state.js';
import { startOssServer, type OssServer } from './oss/server.js';
import { JsonlCollection } from './persistence.js';
import { startRpcServer, type RpcProduct } from './rpc/server.js';
import { strictFromEnv } from './contracts/enforce.js';
import { kmsProduct, type StoredSecret } from './kms/secrets.js';
import { SEED_HOST, seedTopology } from './seed.js';
import type { AccessKeyRecord } from './signature.js';

export { FaultInjector, Faults, type Fault } from './faults.js';
export type { AccessKeyRecord } from './signature.js';
export type { Listener, ListenerSettings, ServerGroup } from './nlb/model.js';
export type { TestClientCertificate } from './cas/test-clients.js';
export type { CasHelpers, EmulatedListener, NlbHelpers } from './helpers.js';

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
  /** Refuse requests and answers that break contracts/ (default: true unless EMULATOR_STRICT_CONTRACTS=false). */
  strictContracts?: boolean;
  /**
   * Fidelity switches for what the docs leave open (docs/cloud-fidelity.md): the id a listener reports for its CA
   * (`pca`, default, or NLB's own form), the CAS site in `CertIdentifier` (`cn-hangzhou`, the China site, default;
   * `ap-southeast-1`, the International site), how ListListeners reports listener ids (`bare`, default, or `port`).
   */
  fidelity?: { caIdForm?: CaIdForm; casSite?: string; listListenersIdForm?: 'bare' | 'port' };
  /** Key algorithm of the PCA root and sub-CA made on first start, in CAS's names (default RSA_2048). */
  caKeyAlgorithm?: CasAlgorithm;
  log?: Logger;
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
  cas: CasHelpers & LifecycleCasHelpers;
  oss: OssServer;
  fc: FcServer;
  /** Env vars that point this project's code at the emulator. */
  env(): Record<string, string>;
  close(): Promise<void>;
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

/** Temp data dirs of emulators not closed yet: removed when the process exits (a test that forgot close()). */
const openTempDirs = new Set<string>();
let exitHookInstalled = false;
function removeOnExit(dir: string): void {
  openTempDirs.add(dir);
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.once('exit', () => {
    for (const d of openTempDirs) rmSync(d, { recursive: true, force: true });
  });
}

const withActions = (product: RpcProduct, actions: RpcProduct['actions']): RpcProduct => ({
  ...product,
  actions: { ...product.actions, ...actions },
});

export async function startEmulator(options: EmulatorOptions = {}): Promise<Emulator> {
  const temporary = !options.dataDir;
  const dataDir = options.dataDir ?? mkdtempSync(join(tmpdir(), 'nma-emu-'));
  if (temporary) removeOnExit(dataDir);
  mkdirSync(dataDir, { recursive: true });
  const region = options.region ?? 'cn-hangzhou';
  const bucket = options.bucket ?? 'nlb-mtls-local';
  const log = options.log ?? createLogger({ fn: 'emulator' });
  const accessKeys =
    options.credentials && options.credentials.length > 0 ? options.credentials : loadOrCreateCredentials(dataDir);
  const releaseLock = lockDataDir(dataDir);
  const keysById = new Map(accessKeys.map((k) => [k.accessKeyId, k]));
  const faults = new FaultInjector();
  const closers: Array<() => Promise<void> | void> = [];
  let closing: Promise<void> | undefined;
  const closeAll = () =>
    (closing ??= (async () => {
      for (const close of [...closers].reverse()) await close();
      releaseLock();
      if (temporary) {
        rmSync(dataDir, { recursive: true, force: true });
        openTempDirs.delete(dataDir);
      }
    })());

  try {
    const collection = <T>(name: string) => {
      const c = new JsonlCollection<T>(join(dataDir, name));
      closers.push(() => c.flush());
      return c;
    };
    const clientCertificates = collection<ClientCertificateRecord>('cas/client-certificates.jsonl');
    const pca = await PrivateCa.open({
      caFile: join(dataDir, 'cas/ca.json'),
      clientCertificates,
      keyAlgorithm: options.caKeyAlgorithm,
    });
    const serverCertificates = collection<ServerCertificateRecord>('cas/server-certificates.jsonl');
    const certStore = new CertificateStore(
      collection<UserCertificate>('cas/user-certificates.jsonl'),
      region,
      options.fidelity?.casSite,
    );
    const caIds = createCaIdMapper(options.fidelity?.caIdForm ?? 'pca', region, () =>
      pca.caCertificates().map((c) => c.identifier),
    );
    const nlb = new NlbState(
      {
        loadBalancers: collection<LoadBalancer>('nlb/load-balancers.jsonl'),
        serverGroups: collection<ServerGroup>('nlb/server-groups.jsonl'),
        listeners: collection<Listener>('nlb/listeners.jsonl'),
        jobs: collection<Job>('nlb/jobs.jsonl'),
        clientTokens: collection<ClientTokenUse>('nlb/client-tokens.jsonl'),
        securityPolicies: collection<SecurityPolicy>('nlb/security-policies.jsonl'),
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

    const strictContracts = options.strictContracts ?? strictFromEnv();
    const rpc = await startRpcServer({
      strictContracts,
      faults,
      lookupKey: (id) => keysById.get(id),
      port: options.ports?.rpc,
      log,
      products: [
        // Server certificates and more CA hierarchies (issue 15) beside the client-certificate actions.
        withActions(pcaProduct(pca), { ...pcaServerActions(pca, serverCertificates), ...pcaHierarchyActions(pca) }),
        certStoreProduct(certStore),
        nlbProduct(
          nlb,
          { hasServerCertificate: (id) => certStore.getByIdentifier(id) !== undefined, caIds },
          { listListenersIdForm: options.fidelity?.listListenersIdForm },
        ),
        kmsProduct(collection<StoredSecret>('kms/secrets.jsonl')),
      ],
    });
    closers.push(() => rpc.close());
    const oss = await startOssServer({
      dataDir: join(dataDir, 'oss'),
      faults,
      credentials: accessKeys,
      buckets: [bucket],
      port: options.ports?.oss,
      region,
      strictContracts,
      log,
    });
    closers.push(() => oss.close());
    const fc = await startFcServer({ faults, credentials: accessKeys, port: options.ports?.fc, strictContracts, log });
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
      caMaterial: (reportedId) => {
        const pcaId = caIds.toPca(reportedId);
        return pcaId ? pca.caMaterial(pcaId) : undefined;
      },
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

    const nlbHelpers = createNlbHelpers({ nlb, dataPlane, dataPlaneOn, describe });
    const casHelpers = { ...createCasHelpers(pca, certStore), ...createLifecycleCasHelpers(pca) };

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
        ? {
            certId: seedCertificate.certId,
            certificateId: certStore.identifierOf(seedCertificate.certId),
            certificatePem: seedCertificate.certPem,
          }
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

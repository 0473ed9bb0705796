/**
 * A CA rotation on the emulator: the reconcile world (listener 0 with mutual auth on under the seeded root), a
 * second hierarchy to rotate to, client certificates issued through the certificate service with keys the test
 * holds, a webhook receiver for their successors, and the rotation's dependencies with a store that can be told
 * to "crash" (throw) at a chosen write.
 */
import { randomBytes } from 'node:crypto';
import { systemPrincipal } from '../../../shared/auth/principal.js';
import { createOssObjectStore } from '../../../shared/alibaba/oss-store.js';
import type { ObjectStore } from '../../../shared/domain/ports.js';
import { parseDesiredState } from '../../../shared/domain/listeners/desired-state.js';
import { createWebhookSecrets } from '../../../shared/notify/tenant-secrets.js';
import { buildCsr, generateKeyPair } from '../../../shared/pki/index.js';
import type { RotationDeps } from '../../../shared/rotation/context.js';
import type { Hierarchy } from '../../../local/emulator/cas/hierarchy.js';
import { startWebhookReceiver, type WebhookReceiver } from '../renewal/webhook-receiver.js';
import { declaration, startWorld, type World } from '../reconcile/world.js';

export interface Client {
  id: string;
  tenant: string;
  keyPem: string;
  certificateChainPem: string;
}

export interface Rig {
  world: World;
  listenerId: string;
  masterKey: string;
  target: Hierarchy;
  receivers: Record<string, WebhookReceiver>;
  /** Fresh rotation deps (a new process, after a crash); `crash` makes the store throw at the first matching write. */
  deps(crash?: { put?: RegExp; after?: number }): RotationDeps;
  issueClient(
    tenant: string,
    commonName: string,
    options?: { webhook?: boolean; mode?: 'csr' | 'server-key' },
  ): Promise<Client>;
  reconcile(mode: 'plan' | 'apply'): ReturnType<World['run']>;
  store: ObjectStore;
  close(): Promise<void>;
}

export class InjectedCrash extends Error {
  constructor(key: string) {
    super(`injected crash before writing ${key}`);
  }
}

export async function startRig(): Promise<Rig> {
  const world = await startWorld({ jobDelayMs: 50 });
  const listenerId = world.emulator.listeners[0].listenerId;
  const masterKey = randomBytes(32).toString('base64');
  const env = { WEBHOOK_MASTER_KEY: masterKey, ALLOW_LOOPBACK_WEBHOOKS: 'true', PROBE_TIMEOUT_MS: '2000' };
  const doc = parseDesiredState(
    JSON.stringify({
      version: 1,
      listeners: [
        declaration(listenerId, world.emulator.serverCertificate.certificateId, {
          probe: { host: 'www.example.com', port: 443, request: 'http' },
        }),
      ],
    }),
  );
  const store = createOssObjectStore({
    endpoint: world.emulator.ossEndpoint,
    bucket: world.emulator.bucket,
    credentials: world.emulator.credentials,
    region: world.emulator.region,
  });
  const secrets = createWebhookSecrets({
    masterKey: Buffer.from(masterKey, 'base64'),
    store,
    clock: { now: () => new Date() },
  });
  const receivers: Record<string, WebhookReceiver> = {};
  for (const tenant of ['dev', 'shop'])
    receivers[tenant] = await startWebhookReceiver((await secrets.current(tenant)).secret);

  const localPort = world.emulator.listeners[0].port;
  const probeHere = <T extends { probe: { address: string; port: number } }>(d: T): T => ({
    ...d,
    probe: { ...d.probe, address: '127.0.0.1', port: localPort },
  });
  const deps = (crash?: { put?: RegExp; after?: number }): RotationDeps => {
    const runtime = world.runtime(doc, env);
    let seen = 0;
    const base = runtime.rotation;
    const crashing: ObjectStore = crash?.put
      ? {
          ...base.store,
          put: async (key, body, options) => {
            if (crash.put!.test(key) && ++seen > (crash.after ?? 0)) throw new InjectedCrash(key);
            return base.store.put(key, body, options);
          },
        }
      : base.store;
    return { ...base, store: crashing, desired: async () => (await runtime.desired()).map(probeHere) };
  };

  // Mutual auth on under the seeded root (what `npm run reconcile -- --apply` does).
  const reconcile = (mode: 'plan' | 'apply') => world.run(world.runtime(doc, env), { mode });
  const first = await reconcile('apply');
  if (first.results[0].outcome !== 'changed') throw new Error(`setup: ${JSON.stringify(first.results[0])}`);
  const target = await world.emulator.cas.addHierarchy();

  const issueClient: Rig['issueClient'] = async (tenant, commonName, options = {}) => {
    const service = deps().serviceFor(world.env.PCA_PARENT_IDENTIFIER);
    const keyPair = await generateKeyPair('EC_P256');
    const csr = options.mode === 'server-key' ? undefined : await buildCsr({ keyPair, commonName });
    const issued = await service.issue(systemPrincipal('test', tenant), {
      commonName,
      sans: { dns: [], uri: [], email: [], ip: [] },
      validityDays: 30,
      ...(csr ? { csr } : { keyAlgorithm: 'EC_P256' as const }),
      autoRenew: true,
      labels: {},
      ...(options.webhook ? { notify: { webhookUrl: receivers[tenant].url } } : {}),
    });
    const record = await service.getRecord(systemPrincipal('test'), issued.id);
    const cert = world.emulator.cas.getClientCertificate(record.current.casIdentifier)!;
    return {
      id: issued.id,
      tenant,
      keyPem: keyPair.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
      certificateChainPem: cert.certificatePem + world.emulator.ca.subCaCertificatePem,
    };
  };

  return {
    world,
    listenerId,
    masterKey,
    target,
    receivers,
    deps,
    issueClient,
    reconcile,
    store,
    close: async () => {
      for (const r of Object.values(receivers)) await r.close();
      await world.close();
    },
  };
}

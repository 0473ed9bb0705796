/**
 * Where `npm run reconcile` and `npm run rotate-ca` point by default: the local emulator, either a running
 * `npm start` (found through .local/stack.json) or the `.local/` state started just for the run; and the desired
 * state they write on first use from the seeded listeners.
 */
import { existsSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { createNlbListenerGateway } from '../shared/alibaba/nlb.js';
import { parseEndpoint } from '../shared/config/alibaba.js';
import type { ListenerMtls } from '../shared/domain/listeners/desired-state.js';
import { listenerBaseId } from '../shared/domain/listeners/listener-id.js';
import { createLogger } from '../shared/log/index.js';
import { startEmulator } from './emulator/index.js';
import { loadOrCreateDevSecrets } from './runner/dev-secrets.js';
import { findRunningStack } from './runner/stack-file.js';

export interface Target {
  env: Record<string, string>;
  /** Local data-plane ports: the emulator's stand-in for each listener's public address. */
  localPorts: Map<string, number>;
  describe: string;
  close(): Promise<void>;
}

/** The local stack's own secrets, as its functions get them: sealing, and signing webhooks to 127.0.0.1 receivers. */
const localSecrets = (secrets: { stateKey: string; webhookMasterKey: string }) => ({
  STATE_KEY: secrets.stateKey,
  WEBHOOK_MASTER_KEY: secrets.webhookMasterKey,
  ALLOW_LOOPBACK_WEBHOOKS: 'true',
});

export async function localTarget(dataDir: string): Promise<Target> {
  const secrets = loadOrCreateDevSecrets(dataDir);
  const running = await findRunningStack(dataDir);
  if (running) {
    const rpc = `http://${running.emulator.rpcEndpoint}`;
    return {
      env: {
        ALIBABA_CLOUD_ACCESS_KEY_ID: running.emulator.accessKeyId,
        ALIBABA_CLOUD_ACCESS_KEY_SECRET: running.emulator.accessKeySecret,
        REGION: running.emulator.region,
        CAS_ENDPOINT: rpc,
        NLB_ENDPOINT: rpc,
        OSS_ENDPOINT: running.emulator.ossEndpoint,
        OSS_BUCKET: running.emulator.bucket,
        PCA_PARENT_IDENTIFIER: running.ca.subCaIdentifier,
        ...localSecrets(secrets),
      },
      localPorts: new Map(running.listeners.map((l) => [l.listenerId, l.port])),
      describe: `the running local stack (${relative(process.cwd(), join(dataDir, 'stack.json'))})`,
      close: async () => undefined,
    };
  }
  const emulator = await startEmulator({
    dataDir: join(dataDir, 'emulator'),
    log: createLogger({ fn: 'emulator' }, 'error'),
  });
  const localPorts = new Map<string, number>();
  for (const l of emulator.nlb.listeners()) {
    const port = emulator.nlb.portOf(l.ListenerId);
    if (port) localPorts.set(l.ListenerId, port);
  }
  return {
    env: { ...emulator.env(), ...localSecrets(secrets) },
    localPorts,
    describe: `the local emulator on ${relative(process.cwd(), join(dataDir, 'emulator')) || '.'} (started for this run)`,
    close: () => emulator.close(),
  };
}

/** The seeded listeners as a desired state: mutual auth on with the default CA, everything else as it is now. */
export async function writeSeedDesiredState(
  file: string,
  env: Record<string, string>,
  localPorts: Map<string, number>,
): Promise<void> {
  const listenerIds = [...localPorts.keys()];
  const region = env.REGION;
  const gateway = createNlbListenerGateway({
    credentials: { accessKeyId: env.ALIBABA_CLOUD_ACCESS_KEY_ID, accessKeySecret: env.ALIBABA_CLOUD_ACCESS_KEY_SECRET },
    endpointFor: () => parseEndpoint(env.NLB_ENDPOINT, region),
  });
  const found = await gateway.getListeners(region, listenerIds);
  const inOrder = listenerIds
    .map((id) => {
      const l = found.get(listenerBaseId(id));
      return l && { ...l, listenerId: id };
    })
    .filter((l) => l !== undefined);
  const blocks = inOrder.map((l) => {
    // The listener reports CAS's CertIdentifier (`<CertId>-<site>`); the declaration names the CertId.
    const [certId] = (l.certificateIds[0] ?? '0').split('-');
    return [
      `  - region: ${region}`,
      `    listenerId: ${l.listenerId}`,
      `    mutualAuth: on`,
      `    ca: default`,
      `    serverCertificate: { certId: ${certId} }`,
      `    securityPolicy: ${l.securityPolicyId ?? 'tls_cipher_policy_1_2'}`,
      `    probe: { host: www.example.com, port: ${localPorts.get(l.listenerId) ?? l.port}, address: 127.0.0.1 }`,
    ].join('\n');
  });
  const text = [
    '# Desired state for the local stack, written by `npm run reconcile` from the seeded listeners.',
    '# Edit it to declare what you want (the keys are explained in config/listeners.yaml), then run',
    '# `npm run reconcile -- --plan` to see the difference and `--apply` to make it so.',
    "# Locally each listener's data plane is on 127.0.0.1 (ports in stack.json): hence the probes' address and port.",
    "# `DESIRED_STATE_FILE=.local/listeners.yaml npm start` makes the stack's own reconcile-listeners function use it too.",
    'version: 1',
    'listeners:',
    ...blocks,
    '',
  ].join('\n');
  writeFileSync(file, text);
}

/** Locally each listener's data plane is on 127.0.0.1: probes go to its local port. */
export function probeLocally(desired: ListenerMtls[], localPorts: Map<string, number>): ListenerMtls[] {
  const ports = new Map([...localPorts].map(([id, port]) => [listenerBaseId(id), port]));
  return desired.map((d) => {
    const port = ports.get(listenerBaseId(d.listenerId));
    return port ? { ...d, probe: { ...d.probe, address: '127.0.0.1', port } } : d;
  });
}

/** Is `file` the default local desired state, and does it still have to be written? */
export function defaultDesiredFile(dataDir: string, given: string | undefined): { file: string; missing: boolean } {
  const file = given ?? join(dataDir, 'listeners.yaml');
  return { file, missing: !given && !existsSync(file) };
}

export const describeFile = (file: string) => relative(process.cwd(), file);

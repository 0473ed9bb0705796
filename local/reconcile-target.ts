/**
 * Where `npm run reconcile` and `npm run rotate-ca` point by default: the local emulator, either a running
 * `npm start` (found through .local/stack.json) or the `.local/` state started just for the run (the desired state
 * file they share with npm start: local/runner/desired-state-file.ts).
 */
import { join, relative } from 'node:path';
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

/** Locally each listener's data plane is on 127.0.0.1: probes go to its local port. */
export function probeLocally(desired: ListenerMtls[], localPorts: Map<string, number>): ListenerMtls[] {
  const ports = new Map([...localPorts].map(([id, port]) => [listenerBaseId(id), port]));
  return desired.map((d) => {
    const port = ports.get(listenerBaseId(d.listenerId));
    return port ? { ...d, probe: { ...d.probe, address: '127.0.0.1', port } } : d;
  });
}

export const describeFile = (file: string) => relative(process.cwd(), file);

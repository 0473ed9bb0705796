/**
 * The emulator plus reconcile-listeners' real runtime (adapters over HTTP, the TLS prober, the canary through the
 * certificate service), with the desired state given in the test and probes aimed at the emulated data plane.
 */
import { randomBytes } from 'node:crypto';
import { startEmulator, type Emulator } from '../../../local/emulator/index.js';
import { loadReconcileConfig } from '../../../shared/config/reconcile.js';
import { buildReconcileRuntime, type ReconcileRuntime } from '../../../functions/reconcile-listeners/deps.js';
import type { DesiredStateDocument, ListenerMtls } from '../../../shared/domain/listeners/desired-state.js';
import { reconcileListeners, type RunOptions } from '../../../shared/listeners/reconcile.js';
import { createLogger, type Logger } from '../../../shared/log/index.js';
import type { Clock } from '../../../shared/domain/ports.js';

export interface World {
  emulator: Emulator;
  env: Record<string, string>;
  runtime(
    doc: DesiredStateDocument,
    envOverrides?: Record<string, string>,
    options?: Clock | { clock?: Clock; log?: Logger },
  ): ReconcileRuntime;
  run(
    runtime: ReconcileRuntime,
    options: Omit<RunOptions, 'runId'> & { runId?: string },
  ): ReturnType<typeof reconcileListeners>;
  close(): Promise<void>;
}

/** A declaration for an emulated listener; `serverCertificateId` is what the listener reports (`<CertId>-<site>`). */
export function declaration(listenerId: string, serverCertificateId: string, patch: Record<string, unknown> = {}) {
  const [certId] = serverCertificateId.split('-');
  return {
    region: 'cn-hangzhou',
    listenerId,
    mutualAuth: true,
    ca: 'default',
    serverCertificate: { certId },
    securityPolicy: 'tls_cipher_policy_1_2' as const,
    probe: { host: 'www.example.com', port: 443, request: 'http' as const },
    ...patch,
  } as DesiredStateDocument['listeners'][number];
}

export async function startWorld(emulatorOptions: Parameters<typeof startEmulator>[0] = {}): Promise<World> {
  const emulator = await startEmulator({
    caKeyAlgorithm: 'ECC_256',
    log: createLogger({}, 'error'),
    ...emulatorOptions,
  });
  const env = {
    ...emulator.env(),
    STATE_KEY: randomBytes(32).toString('base64'),
    JOB_POLL_INITIAL_MS: '100',
    JOB_TIMEOUT_SECONDS: '10',
    PROBE_TIMEOUT_MS: '3000',
  };
  let runs = 0;
  return {
    emulator,
    env,
    runtime: (doc, envOverrides = {}, options) => {
      const { clock, log } = options && 'now' in options ? { clock: options, log: undefined } : (options ?? {});
      return buildReconcileRuntime(loadReconcileConfig({ ...env, ...envOverrides }), {
        desired: doc,
        log: log ?? createLogger({}, 'error'),
        ...(clock ? { clock } : {}),
      });
    },
    run: async (runtime, options) => {
      // Locally the data plane on 127.0.0.1 stands in for the listener's public address.
      const desired = (await runtime.desired()).map((d: ListenerMtls) => {
        const port = emulator.nlb.portOf(d.listenerId);
        return port ? { ...d, probe: { ...d.probe, address: '127.0.0.1', port } } : d;
      });
      runs += 1;
      return reconcileListeners(runtime.engine, desired, { runId: `test-${runs}`, ...options });
    },
    close: () => emulator.close(),
  };
}

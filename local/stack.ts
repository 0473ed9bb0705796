/**
 * The whole project on one machine: the emulator (CAS, NLB with its TLS listeners, OSS, FC) plus every function of
 * s.yaml served the way FC serves it (HTTP triggers on local URLs, timers on their cron, EventBridge events and
 * async invocations). `npm start` uses it, and so do e2e tests and benchmarks:
 *
 *   const stack = await startLocalStack();                 // random ports, temp data dir
 *   await fetch(`${stack.apiUrl}/v1/certificates`, { headers: { authorization: `Bearer ${stack.devToken}` } });
 *   await stack.close();
 */
import { mkdtempSync, rmSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadSYaml } from './s-yaml.js';
import { loadOrCreateDevSecrets, generateDevSecrets, type DevSecrets } from './runner/dev-secrets.js';
import { functionSpec, loadLocalFunction } from './runner/function-host.js';
import { createFunctionRegistry, type EventDelivery, type LoadedResource } from './runner/function-registry.js';
import { createOssObjectStore } from '../shared/alibaba/oss-store.js';
import { systemClock } from '../shared/domain/ports.js';
import { createWebhookSecrets } from '../shared/notify/tenant-secrets.js';
import {
  buildFunctionEnv,
  DEV_TENANT,
  emulatorEnv,
  localDevEnv,
  localSecretValues,
  unresolvedVariables,
  type EmulatorFacts,
} from './runner/local-env.js';
import { readTriggers, type TimerTrigger } from './runner/triggers.js';
import { readFunctionEnvFile } from './runner/function-env-file.js';
import { ensureSeedDesiredState } from './runner/desired-state-file.js';
import { busRulesFor, readEventBus } from './runner/event-bus.js';
import { startHttpTriggerServer, type HttpTriggerServer } from './runner/http-trigger-server.js';
import { startControlServer } from './runner/control-server.js';
import { startTimers } from './runner/timers.js';
import { writeStackFiles } from './runner/stack-file.js';
import { seedKmsSecrets } from './runner/kms-seed.js';
import { startEmulator, type Emulator, type EmulatorOptions } from './emulator/index.js';

export type { Emulator } from './emulator/index.js';

export const LOCAL_ACCOUNT_ID = '1234567890123456';

export interface LocalStackOptions {
  /** Emulator state, secrets.json, stack.json and root.crt live here; default: a temp dir removed by close(). */
  dataDir?: string;
  /** Default: s.yaml at the project root; `code: ./dist/<fn>` is served from functions/<fn>/ beside it. */
  sYamlPath?: string;
  /** 0 (default) = random. `api` is the first HTTP-triggered function's port; the next ones get api+1, ...
   *  `listeners` are the data-plane ports of the emulator's seeded TCPSSL listeners. */
  ports?: { api?: number; control?: number; rpc?: number; oss?: number; fc?: number; listeners?: number[] };
  /** Passed to startEmulator (jobDelayMs, seed, dataPlane, credentials, listener ports, ...). */
  emulatorOptions?: Partial<EmulatorOptions>;
  /** Run timer triggers on their schedule (default false: tests fire them with fireTimer()). */
  timers?: boolean;
  /** s.yaml resource names or function names to load; default all. */
  functions?: string[];
  /** Extra env for every function (wins over everything else). */
  env?: Record<string, string>;
  /** Extra env per function, keyed by resource name or function name. */
  functionEnv?: Record<string, Record<string, string>>;
  /**
   * The sub-CA the functions issue client certificates from (PCA_PARENT_IDENTIFIER) and whose root `ca: default`
   * means (RECONCILE_DEFAULT_CA); default: the seeded ones. After a CA rotation's switch: the new sub-CA.
   */
  issuingSubCa?: string;
  /** A dotenv file whose values win over s.yaml's for every function (`npm start`: `.local/functions.env`). */
  functionEnvFile?: string;
  /**
   * The desired state reconcile-listeners reads (npm start: the file `npm run reconcile` reads too), written from
   * the seeded listeners when absent; default: what s.yaml says (the example shipped with the function).
   */
  desiredStateFile?: string;
  /** Write stack.json and root.crt into dataDir (npm start does, so other commands can find the stack). */
  writeStackFile?: boolean;
  /** Function logs (context.logger) and the runner's access log; default: dropped. */
  log?: (line: string) => void;
}

export interface StackInfo {
  apiUrl: string;
  devToken: string;
  /** Tenant `dev`'s webhook signing secret (`whsec_...`, Standard Webhooks) at start; rotating it changes it. */
  devWebhookSecret: string;
  controlUrl: string;
  httpUrls: Record<string, string>;
  emulator: {
    rpcEndpoint: string;
    ossEndpoint: string;
    fcEndpoint: string;
    accessKeyId: string;
    accessKeySecret: string;
    region: string;
    bucket: string;
  };
  /**
   * The CA the functions issue from (`subCaIdentifier`) and its root (`rootIdentifier`); `rootCertificatePem` (and
   * root.crt) is the seeded root, which signed the seeded listener's server certificate: clients verify the server with
   * it. When the functions issue from another hierarchy (after a CA rotation), that root comes first in the same PEM:
   * a server certificate from either hierarchy then verifies.
   */
  ca: { rootIdentifier: string; rootCertificatePem: string; subCaIdentifier: string };
  listeners: Array<{ listenerId: string; host: string; port: number; loadBalancerId?: string }>;
}

export interface LocalStack {
  /** Base URL of the cert-api HTTP trigger (paths like /v1/certificates go below it). */
  apiUrl: string;
  /** Bearer token for tenant `dev` (its SHA-256 is in API_TOKENS). */
  devToken: string;
  controlUrl: string;
  /** Base URL per HTTP-triggered resource. */
  httpUrls: Record<string, string>;
  emulator: Emulator;
  stackInfo: StackInfo;
  dataDir: string;
  /** The env each loaded function was built with, by resource name. */
  functionEnv: Record<string, Record<string, string>>;
  /** Runs a function once (resource or function name); objects are sent as JSON, like `s invoke --event`. */
  invoke(fnName: string, event?: unknown): Promise<unknown>;
  /** Delivers a CloudEvent to every function whose EventBridge trigger matches (or to `onlyFunction`). */
  publishEvent(event: unknown, onlyFunction?: string): Promise<{ eventId: string; deliveries: EventDelivery[] }>;
  /** Fires a function's timer trigger(s) now with the FC timer event. */
  fireTimer(fnName: string, triggerName?: string): Promise<EventDelivery[]>;
  /** Resolves once no async invocation (FC queue, timers, events) is queued or running. */
  idle(): Promise<void>;
  close(): Promise<void>;
}

const projectRoot = fileURLToPath(new URL('..', import.meta.url));

/** The issuing sub-CA and its root: the seeded ones, or the configured sub-CA (which must exist in the emulator). */
function issuingCaOf(
  emulator: Emulator,
  subCa: string | undefined,
): { subCaIdentifier: string; rootIdentifier: string } {
  if (!subCa) return { subCaIdentifier: emulator.ca.subCaIdentifier, rootIdentifier: emulator.ca.rootIdentifier };
  const ca = emulator.cas.describeCa(subCa);
  if (!ca?.parentIdentifier)
    throw new Error(
      `PCA_PARENT_IDENTIFIER ${subCa} is not a sub-CA of the local emulator (npm run rotate-ca -- create-ca makes one)`,
    );
  return { subCaIdentifier: ca.identifier, rootIdentifier: ca.parentIdentifier };
}

/** What the functions need to know about the emulator (their env): also used by the bundle tests. */
export function factsOf(
  emulator: Emulator,
  issuing: { subCaIdentifier: string; rootIdentifier: string } = issuingCaOf(emulator, undefined),
): EmulatorFacts {
  return {
    region: emulator.region,
    rpcUrl: emulator.rpcUrl,
    ossEndpoint: emulator.ossEndpoint,
    fcEndpoint: emulator.fcEndpoint,
    bucket: emulator.bucket,
    credentials: emulator.credentials,
    ...issuing,
  };
}

/** Tenant `dev`'s current webhook secret, read the way cert-api reads it (version from the bucket). */
async function currentDevWebhookSecret(emulator: Emulator, secrets: DevSecrets): Promise<string> {
  const store = createOssObjectStore({
    endpoint: emulator.ossEndpoint,
    bucket: emulator.bucket,
    credentials: emulator.credentials,
    region: emulator.region,
  });
  const webhookSecrets = createWebhookSecrets({
    masterKey: Buffer.from(secrets.webhookMasterKey, 'base64'),
    store,
    clock: systemClock,
  });
  return (await webhookSecrets.current(DEV_TENANT)).secret;
}

export async function startLocalStack(options: LocalStackOptions = {}): Promise<LocalStack> {
  const tempDir = options.dataDir ? undefined : mkdtempSync(join(tmpdir(), 'nma-stack-'));
  const dataDir = options.dataDir ?? tempDir!;
  mkdirSync(dataDir, { recursive: true });
  const log = options.log ?? (() => undefined);
  const ports = options.ports ?? {};

  const sYamlPath = options.sYamlPath ?? join(projectRoot, 's.yaml');
  const doc = loadSYaml(sYamlPath);
  const wanted = options.functions;
  const resources = Object.entries(doc.resources).filter(
    ([name, r]) => !wanted || wanted.includes(name) || wanted.includes(r.props.functionName),
  );
  if (wanted) {
    const missing = wanted.filter((w) => !resources.some(([name, r]) => name === w || r.props.functionName === w));
    if (missing.length > 0) throw new Error(`not in s.yaml: ${missing.join(', ')}`);
  }
  // Parse triggers before starting anything: a bad cron or pattern fails fast. Rules of the custom event bus
  // (deploy/event-bus.json) deliver to their target functions like triggers.
  const bus = readEventBus(dirname(sYamlPath));
  const planned = resources.map(([resourceName, r]) => ({
    resourceName,
    props: r.props,
    triggers: [...readTriggers(resourceName, r.props.triggers), ...busRulesFor(bus, r.props.functionName)],
  }));

  const emulator = await startEmulator({
    // CAS certifies only keys of the sub-CA's family: an EC PCA matches the EC_P256 keys every walkthrough uses.
    caKeyAlgorithm: 'ECC_256',
    ...options.emulatorOptions,
    dataDir: join(dataDir, 'emulator'),
    ports: {
      rpc: ports.rpc ?? options.emulatorOptions?.ports?.rpc,
      oss: ports.oss ?? options.emulatorOptions?.ports?.oss,
      fc: ports.fc ?? options.emulatorOptions?.ports?.fc,
      listeners: ports.listeners ?? options.emulatorOptions?.ports?.listeners,
    },
  });
  const cleanups: Array<() => Promise<unknown> | unknown> = [];
  try {
    const secrets: DevSecrets = tempDir ? generateDevSecrets() : loadOrCreateDevSecrets(dataDir);
    const issuing = issuingCaOf(emulator, options.issuingSubCa);
    const facts = factsOf(emulator, issuing);
    const emuEnv = { ...emulatorEnv(facts), ...emulator.env() };
    await seedKmsSecrets(emulator.rpcUrl, emulator.region, emulator.credentials, localSecretValues(secrets));
    const localEnv = localDevEnv(secrets, facts);
    const fileEnv = options.functionEnvFile ? readFunctionEnvFile(options.functionEnvFile) : {};
    if (options.functionEnvFile && Object.keys(fileEnv).length > 0)
      log(
        JSON.stringify({
          level: 'info',
          msg: 'function env overrides',
          file: options.functionEnvFile,
          names: Object.keys(fileEnv),
        }),
      );
    const desiredState: Record<string, string> = {};
    if (options.desiredStateFile) {
      const listenerPorts = new Map(emulator.listeners.map((l) => [l.listenerId, l.port]));
      if (await ensureSeedDesiredState(options.desiredStateFile, emuEnv, listenerPorts))
        log(
          JSON.stringify({
            level: 'info',
            msg: 'desired state written from the seeded listeners',
            path: options.desiredStateFile,
          }),
        );
      desiredState.DESIRED_STATE_FILE = options.desiredStateFile;
    }
    const creds = emulator.credentials;
    const runtime = {
      region: emulator.region,
      accountId: LOCAL_ACCOUNT_ID,
      credentials: {
        accessKeyId: creds.accessKeyId,
        accessKeySecret: creds.accessKeySecret,
        securityToken: creds.securityToken ?? '',
      },
      sink: log,
    };

    const loaded: LoadedResource[] = [];
    for (const p of planned) {
      const spec = functionSpec(p.resourceName, p.props, dirname(sYamlPath));
      const env = buildFunctionEnv({
        spec,
        accountId: LOCAL_ACCOUNT_ID,
        emulator: emuEnv,
        local: localEnv,
        file: fileEnv,
        overrides: {
          // Only to the functions that read it (s.yaml declares it): reconcile-listeners.
          ...('DESIRED_STATE_FILE' in (p.props.environmentVariables ?? {}) ? desiredState : {}),
          ...options.env,
          ...options.functionEnv?.[p.resourceName],
          ...options.functionEnv?.[p.props.functionName],
        },
      });
      // s.yaml ${env('X')} without a value that no local layer fills either: the function will see it unset.
      const unset = unresolvedVariables(p.props.environmentVariables).filter((name) => env[name] === undefined);
      if (unset.length > 0)
        log(JSON.stringify({ level: 'warn', msg: 'env not set locally', fn: p.resourceName, unset }));
      loaded.push({
        resourceName: p.resourceName,
        fn: await loadLocalFunction(spec, env, runtime),
        triggers: p.triggers,
      });
    }

    const registry = createFunctionRegistry(loaded, { accountId: LOCAL_ACCOUNT_ID, region: emulator.region, log });

    // FC async invocations (renew-scheduler -> renew-worker) arrive at the emulator's FC server.
    for (const r of loaded) {
      const asyncConfig = (r.fn.spec.props.asyncInvokeConfig ?? {}) as { maxAsyncRetryAttempts?: number };
      emulator.fc.register(r.fn.spec.functionName, (payload: Buffer) => r.fn.invoke(payload), {
        maxAsyncRetryAttempts: asyncConfig.maxAsyncRetryAttempts,
      });
    }

    const httpUrls: Record<string, string> = {};
    let nextApiPort = ports.api ?? 0;
    for (const r of loaded) {
      const http = r.triggers.find((t) => t.kind === 'http');
      if (!http) continue;
      const server: HttpTriggerServer = await startHttpTriggerServer({
        fn: r.fn,
        methods: http.methods,
        accountId: LOCAL_ACCOUNT_ID,
        port: nextApiPort,
        onAccess: (entry) => log(JSON.stringify({ level: 'info', msg: 'http', ...entry })),
      });
      cleanups.push(() => server.close());
      httpUrls[r.resourceName] = server.url;
      if (nextApiPort !== 0) nextApiPort += 1;
    }

    const control = await startControlServer({
      devToken: secrets.devToken,
      port: ports.control ?? 0,
      onAccess: (entry) => log(JSON.stringify({ level: 'info', msg: 'control', ...entry })),
      target: {
        describe: () =>
          registry.loaded.map((r) => ({
            resourceName: r.resourceName,
            functionName: r.fn.spec.functionName,
            url: httpUrls[r.resourceName],
            triggers: r.triggers.map((t) => ({ kind: t.kind, triggerName: t.triggerName })),
          })),
        invoke: registry.invoke,
        publish: registry.publishEvent,
        fireTimer: registry.fireTimer,
        faults: emulator.faults,
      },
    });
    cleanups.push(() => control.close());

    if (options.timers) {
      const specs = loaded.flatMap((r) =>
        r.triggers
          .filter((t): t is TimerTrigger => t.kind === 'timer' && t.enabled)
          .map((t) => ({
            functionName: r.resourceName,
            triggerName: t.triggerName,
            schedule: t.schedule,
            payload: t.payload,
          })),
      );
      const stop = startTimers(specs, (timer, event) => {
        void registry.deliver(registry.find(timer.functionName), timer.triggerName, event);
      });
      cleanups.unshift(stop); // stop the clocks before anything else closes
    }

    const apiUrl = httpUrls['cert-api'] ?? Object.values(httpUrls)[0] ?? '';
    const devWebhookSecret = await currentDevWebhookSecret(emulator, secrets);
    const stackInfo: StackInfo = {
      apiUrl,
      devToken: secrets.devToken,
      devWebhookSecret,
      controlUrl: control.url,
      httpUrls,
      emulator: {
        rpcEndpoint: emulator.rpcEndpoint,
        ossEndpoint: emulator.ossEndpoint,
        fcEndpoint: emulator.fcEndpoint,
        accessKeyId: creds.accessKeyId,
        accessKeySecret: creds.accessKeySecret,
        region: emulator.region,
        bucket: emulator.bucket,
      },
      ca: {
        rootIdentifier: issuing.rootIdentifier,
        rootCertificatePem:
          issuing.rootIdentifier === emulator.ca.rootIdentifier
            ? emulator.ca.rootCertificatePem
            : emulator.cas.describeCa(issuing.rootIdentifier)!.certificatePem + emulator.ca.rootCertificatePem,
        subCaIdentifier: issuing.subCaIdentifier,
      },
      listeners: emulator.listeners.map((l) => ({
        listenerId: l.listenerId,
        host: l.host,
        port: l.port,
        loadBalancerId: l.loadBalancerId,
      })),
    };
    if (options.writeStackFile) writeStackFiles(dataDir, stackInfo);

    const idle = async () => {
      // An async invocation may start timers' or events' work and vice versa: loop until both are quiet.
      for (;;) {
        await emulator.fc.idle();
        if (!registry.busy()) return;
        await registry.settled();
      }
    };

    let closed = false;
    return {
      apiUrl,
      devToken: secrets.devToken,
      controlUrl: control.url,
      httpUrls,
      emulator,
      stackInfo,
      dataDir,
      functionEnv: Object.fromEntries(loaded.map((r) => [r.resourceName, r.fn.env])),
      invoke: (fnName, event) => registry.invoke(fnName, event),
      publishEvent: registry.publishEvent,
      fireTimer: registry.fireTimer,
      idle,
      async close() {
        if (closed) return;
        closed = true;
        for (const cleanup of cleanups) await cleanup();
        await Promise.race([idle(), new Promise((r) => setTimeout(r, 5000).unref())]);
        await emulator.close();
        if (tempDir) rmSync(tempDir, { recursive: true, force: true });
      },
    };
  } catch (err) {
    for (const cleanup of cleanups) await cleanup();
    await emulator.close();
    if (tempDir) rmSync(tempDir, { recursive: true, force: true });
    throw err;
  }
}

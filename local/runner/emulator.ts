/**
 * The part of the emulator handle (local/emulator/index.ts) the runner relies on, and the way it is started.
 * Loaded lazily so the runner's pure parts can be imported without starting anything.
 */
export interface EmulatorCredentials {
  accessKeyId: string;
  accessKeySecret: string;
  securityToken?: string;
}

export interface EmulatorOptions {
  dataDir?: string;
  ports?: { rpc?: number; oss?: number; fc?: number; [name: string]: unknown };
  jobDelayMs?: number;
  credentials?: EmulatorCredentials[];
  seed?: boolean;
  dataPlane?: boolean;
  [option: string]: unknown;
}

export interface EmulatorHandle {
  rpcEndpoint: string;
  rpcUrl?: string;
  ossEndpoint: string;
  fcEndpoint: string;
  region: string;
  bucket: string;
  credentials: EmulatorCredentials | EmulatorCredentials[];
  ca: { rootIdentifier: string; rootCertificatePem: string; subCaIdentifier: string; subCaCertificatePem?: string };
  listeners: Array<{ listenerId: string; host: string; port: number; loadBalancerId?: string }>;
  fc?: {
    register(functionName: string, invoke: (event: Buffer) => Promise<unknown>, options?: { maxAsyncRetryAttempts?: number; retryDelayMs?: number }): void;
    idle(): Promise<void>;
  };
  env?: () => Record<string, string>;
  close(): Promise<void>;
  [more: string]: unknown;
}

// A variable specifier keeps the type-checker away from a module that other work is still writing.
const emulatorModule = './../emulator/index.js';

export async function startEmulator(options: EmulatorOptions): Promise<EmulatorHandle> {
  const mod = (await import(emulatorModule)) as { startEmulator: (o: EmulatorOptions) => Promise<EmulatorHandle> };
  return mod.startEmulator(options);
}

/**
 * The `context` FC 3.0 hands a Node.js handler: request id, region, account, the role's temporary credentials
 * (here: the emulator's keys), the function's settings and a console-like logger prefixed with the request id.
 */
import { format } from 'node:util';

export interface FcCredentials {
  accessKeyId: string;
  accessKeySecret: string;
  securityToken: string;
}

export interface FcContextLogger {
  debug(...args: unknown[]): void;
  info(...args: unknown[]): void;
  warn(...args: unknown[]): void;
  error(...args: unknown[]): void;
  log(...args: unknown[]): void;
}

export interface FcContext {
  requestId: string;
  region: string;
  accountId: string;
  credentials: FcCredentials;
  function: { name: string; handler: string; memory: number; timeout: number; initializer?: string };
  service: { logProject: string; logStore: string; qualifier: string; versionId: string };
  tracing: Record<string, string>;
  logger: FcContextLogger;
}

export type FunctionLogSink = (line: string) => void;

export interface FunctionIdentity {
  functionName: string;
  handler: string;
  memorySize: number;
  timeoutSeconds: number;
  logProject?: string;
  logStore?: string;
}

export function createFcContext(input: {
  requestId: string;
  region: string;
  accountId: string;
  credentials: FcCredentials;
  fn: FunctionIdentity;
  sink: FunctionLogSink;
}): FcContext {
  const line =
    (level: string) =>
    (...args: unknown[]) =>
      input.sink(`${new Date().toISOString()} ${input.requestId} [${level}] ${format(...args)}`);
  return {
    requestId: input.requestId,
    region: input.region,
    accountId: input.accountId,
    credentials: input.credentials,
    function: {
      name: input.fn.functionName,
      handler: input.fn.handler,
      memory: input.fn.memorySize,
      timeout: input.fn.timeoutSeconds,
    },
    service: {
      logProject: input.fn.logProject ?? '',
      logStore: input.fn.logStore ?? '',
      qualifier: 'LATEST',
      versionId: '',
    },
    tracing: {},
    logger: { debug: line('DEBUG'), info: line('INFO'), warn: line('WARN'), error: line('ERROR'), log: line('INFO') },
  };
}

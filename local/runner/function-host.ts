/**
 * One local "instance" of an FC function: the module of `functions/<name>` loaded once, its handler built once from
 * the function's own env (cold start), then invoked with a Buffer event, a fresh context and the function's timeout.
 */
import { join } from 'node:path';
import type { FcFunctionProps } from '../s-yaml.js';
import { createFcContext, type FcCredentials, type FunctionLogSink } from './context.js';
import { newRequestId } from './http-event.js';

export type FcHandler = (event: unknown, context: unknown) => Promise<unknown> | unknown;

interface FunctionModule {
  createHandler?: (env: NodeJS.ProcessEnv) => FcHandler;
  [exportName: string]: unknown;
}

export class FunctionTimeoutError extends Error {
  constructor(functionName: string, seconds: number) {
    super(`Function ${functionName} timed out after ${seconds} seconds`);
    this.name = 'FunctionTimeoutError';
  }
}

export interface FunctionSpec {
  /** The resource key in s.yaml, e.g. `cert-api`. */
  resourceName: string;
  /** The deployed name, e.g. `nlb-mtls-cert-api` (what FC's InvokeFunction and context.function.name use). */
  functionName: string;
  props: FcFunctionProps;
  /** `functions/<name>/<file>.ts`, the source the bundle in `code` is built from. */
  modulePath: string;
  exportName: string;
}

/** `code: ./dist/cert-api` + `handler: index.handler` -> functions/cert-api/index.ts, export `handler`. */
export function functionSpec(resourceName: string, props: FcFunctionProps, projectRoot: string): FunctionSpec {
  const code = props.code.match(/^\.?\/?dist\/([A-Za-z0-9_-]+)\/?$/);
  if (!code) throw new Error(`s.yaml ${resourceName}: code must be ./dist/<function> (got ${props.code})`);
  const handler = props.handler.match(/^([A-Za-z0-9_-]+)\.([A-Za-z_$][\w$]*)$/);
  if (!handler) throw new Error(`s.yaml ${resourceName}: handler must be <file>.<export> (got ${props.handler})`);
  return {
    resourceName,
    functionName: props.functionName,
    props,
    modulePath: join(projectRoot, 'functions', code[1], `${handler[1]}.ts`),
    exportName: handler[2],
  };
}

/** FC hands the handler a Buffer for every non-HTTP source; objects are sent as their JSON. */
export function toEventBuffer(event: unknown): Buffer {
  if (Buffer.isBuffer(event)) return event;
  if (typeof event === 'string') return Buffer.from(event, 'utf8');
  if (event === undefined) return Buffer.alloc(0);
  return Buffer.from(JSON.stringify(event), 'utf8');
}

/** Resolves with the work's result, or rejects with FunctionTimeoutError once `seconds` have passed. */
export function withTimeout<T>(work: Promise<T>, seconds: number, functionName: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new FunctionTimeoutError(functionName, seconds)), seconds * 1000);
  });
  return Promise.race([work, deadline]).finally(() => clearTimeout(timer));
}

export interface LocalFunction {
  spec: FunctionSpec;
  env: Record<string, string>;
  /** Runs the handler once; rejects when it throws or exceeds the function's timeout. */
  invoke(event: unknown, options?: { requestId?: string }): Promise<unknown>;
  /** Invocations still running (a timed-out handler keeps running here; FC would freeze its instance). */
  inFlight(): number;
  settled(): Promise<void>;
}

export interface FunctionRuntime {
  region: string;
  accountId: string;
  credentials: FcCredentials;
  sink: FunctionLogSink;
}

export async function loadLocalFunction(
  spec: FunctionSpec,
  env: Record<string, string>,
  runtime: FunctionRuntime,
): Promise<LocalFunction> {
  const mod = (await import(spec.modulePath)) as FunctionModule;
  // The project's convention: createHandler(env) builds the deps once from the env it is given.
  let handler: FcHandler;
  if (typeof mod.createHandler === 'function') handler = mod.createHandler({ ...env });
  else if (typeof mod[spec.exportName] === 'function') handler = mod[spec.exportName] as FcHandler;
  else throw new Error(`${spec.modulePath} exports neither createHandler nor ${spec.exportName}`);

  const timeoutSeconds = spec.props.timeout ?? 3;
  const logConfig = (spec.props.logConfig ?? {}) as { project?: string; logstore?: string };
  const running = new Set<Promise<unknown>>();
  return {
    spec,
    env,
    inFlight: () => running.size,
    settled: async () => {
      await Promise.allSettled([...running]);
    },
    invoke(event, options = {}) {
      const requestId = options.requestId ?? newRequestId();
      const context = createFcContext({
        requestId,
        region: runtime.region,
        accountId: runtime.accountId,
        credentials: runtime.credentials,
        fn: {
          functionName: spec.functionName,
          handler: spec.props.handler,
          memorySize: spec.props.memorySize ?? 128,
          timeoutSeconds,
          logProject: logConfig.project,
          logStore: logConfig.logstore,
        },
        sink: runtime.sink,
      });
      const work = Promise.resolve().then(() => handler(toEventBuffer(event), context));
      running.add(work);
      const forget = () => running.delete(work);
      work.then(forget, forget);
      return withTimeout(work, timeoutSeconds, spec.functionName);
    },
  };
}

/**
 * One signed RPC caller for the Alibaba APIs that have no published SDK (NLB 2022-04-30, CAS 2020-06-30):
 * `@alicloud/openapi-client` `callApi` with ACS3-HMAC-SHA256, parameters sent as form data so arrays become
 * `Name.1=a&Name.2=b`. Errors come back as `RpcError` with the provider's code, HTTP status and request id.
 */
import { cjsModule } from './cjs.js';
import { toCredentialSource, type CredentialInput, type CredentialSource } from './credentials.js';

// The module as cjsModule returns it: named exports plus `.default`, the client class.
type OpenApiModule = typeof import('@alicloud/openapi-client');
type OpenApiClient = InstanceType<OpenApiModule['default']>;

let openApiModule: Promise<OpenApiModule> | undefined;

/**
 * `@alicloud/openapi-client`, loaded on the first call rather than at cold start: it is a fifth of a function's
 * code, and paths that call no Alibaba API (health checks, an empty sweep, reads from OSS) never need it.
 */
export function loadOpenApi(): Promise<OpenApiModule> {
  openApiModule ??= import('@alicloud/openapi-client').then((ns) => cjsModule<OpenApiModule>(ns));
  return openApiModule;
}

/**
 * The runtime options of a call: no SDK retries (our callers decide). openapi-client only reads these fields, so a
 * plain object serves and the `@alicloud/tea-util` package (which pulls moment and ws into the bundle) is not needed.
 */
export const NO_RETRY = { autoretry: false } as unknown as Parameters<OpenApiClient['callApi']>[2];

/** Where one OpenAPI client sends its calls (openapi-client's Config fields, without the credential). */
export interface OpenApiTarget {
  endpoint: string;
  protocol: 'https' | 'http';
  regionId?: string;
  readTimeout: number;
  connectTimeout: number;
}

/**
 * An OpenAPI client for one endpoint, built on first use (see loadOpenApi). It signs with `credentials` as they
 * are at each call (signingCredential): never with keys copied into the Config.
 */
export function lazyOpenApiClient(
  credentials: CredentialInput,
  target: OpenApiTarget,
): () => Promise<{ api: OpenApiModule; client: OpenApiClient }> {
  const credential = signingCredential(toCredentialSource(credentials));
  let built: Promise<{ api: OpenApiModule; client: OpenApiClient }> | undefined;
  return () =>
    (built ??= loadOpenApi().then((api) => {
      const config = new api.Config({
        ...target,
        credential: credential as unknown as InstanceType<OpenApiModule['Config']>['credential'],
      });
      return { api, client: new api.default(config) };
    }));
}

export interface AlibabaCredentials {
  accessKeyId: string;
  accessKeySecret: string;
  securityToken?: string;
}

export interface RpcEndpoint {
  /** Host (and port) without scheme, e.g. `nlb.cn-hangzhou.aliyuncs.com` or `127.0.0.1:8701`. */
  endpoint: string;
  /** `https` in the cloud; `http` for the local emulator. */
  protocol?: 'https' | 'http';
  regionId?: string;
  readTimeoutMs?: number;
  connectTimeoutMs?: number;
}

export class RpcError extends Error {
  readonly code: string;
  readonly statusCode?: number;
  readonly requestId?: string;
  constructor(code: string, message: string, statusCode?: number, requestId?: string, cause?: unknown) {
    super(message, { cause });
    this.name = 'RpcError';
    this.code = code;
    this.statusCode = statusCode;
    this.requestId = requestId;
  }
}

export type RpcParams = Record<string, string | number | boolean | undefined | Array<string | number>>;
export type RpcCaller = <T = Record<string, unknown>>(action: string, params: RpcParams) => Promise<T>;

/** Network-level failures (timeouts, resets) become `RpcError` with these codes. */
function toRpcError(err: unknown): RpcError {
  const e = err as {
    code?: string;
    statusCode?: number;
    message?: string;
    data?: { RequestId?: string; Code?: string; Message?: string };
    name?: string;
  };
  if (e?.data?.Code || (e?.code && e?.statusCode)) {
    return new RpcError(
      e.data?.Code ?? e.code ?? 'Unknown',
      e.data?.Message ?? e.message ?? 'error',
      e.statusCode,
      e.data?.RequestId,
      err,
    );
  }
  const msg = String(e?.message ?? err);
  if (/timeout/i.test(msg) || e?.name === 'ReadTimeout' || e?.name === 'ConnectTimeout')
    return new RpcError('RequestTimeout', msg, undefined, undefined, err);
  return new RpcError(e?.code && typeof e.code === 'string' ? e.code : 'NetworkError', msg, undefined, undefined, err);
}

/**
 * A hard deadline around one SDK call. httpx (under the Tea SDKs and openapi-client) keeps its read timer
 * on the socket, where the previous response's cleanup can clear the next request's timer on a reused keep-alive
 * socket (measured against the emulator: a 400 ms timeout let a 1.5 s answer through), so a slow answer could hold
 * the caller until the function's own timeout. Past the deadline the call fails with `RequestTimeout`, which the
 * retry policies treat as transient.
 */
export function withDeadline<T>(work: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new RpcError('RequestTimeout', `${what} did not answer within ${ms} ms`)), ms);
  });
  return Promise.race([work, deadline]).finally(() => clearTimeout(timer));
}

/**
 * What openapi-client asks before signing each request (its Credential interface): the source's keys at that
 * moment, so a long-lived client signs with the current invocation's keys (D10).
 */
export function signingCredential(source: CredentialSource) {
  return {
    getCredential: async () => {
      const c = source.current();
      return {
        accessKeyId: c.accessKeyId,
        accessKeySecret: c.accessKeySecret,
        securityToken: c.securityToken ?? '',
        type: c.securityToken ? 'sts' : 'access_key',
        providerName: '',
      };
    },
  };
}

export function createRpcCaller(version: string, endpoint: RpcEndpoint, credentials: CredentialInput): RpcCaller {
  const openApiClient = lazyOpenApiClient(credentials, {
    endpoint: endpoint.endpoint,
    protocol: endpoint.protocol ?? 'https',
    regionId: endpoint.regionId,
    readTimeout: endpoint.readTimeoutMs ?? 10_000,
    connectTimeout: endpoint.connectTimeoutMs ?? 5_000,
  });
  const deadlineMs = endpoint.readTimeoutMs ?? 10_000;
  return async <T>(action: string, params: RpcParams): Promise<T> => {
    const body: Record<string, string | number | boolean> = {};
    for (const [k, v] of Object.entries(params)) {
      if (v === undefined) continue;
      if (Array.isArray(v)) v.forEach((item, i) => (body[`${k}.${i + 1}`] = item));
      else body[k] = v;
    }
    const { api, client } = await openApiClient();
    const p = new api.Params({
      action,
      version,
      protocol: 'HTTPS',
      pathname: '/',
      method: 'POST',
      authType: 'AK',
      style: 'RPC',
      reqBodyType: 'formData',
      bodyType: 'json',
    });
    // The SDK's read timeout is not enough on a reused socket (see withDeadline): every call also gets our deadline.
    try {
      const res = await withDeadline(client.callApi(p, new api.OpenApiRequest({ body }), NO_RETRY), deadlineMs, action);
      return res.body as T;
    } catch (err) {
      throw err instanceof RpcError ? err : toRpcError(err);
    }
  };
}

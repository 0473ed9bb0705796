/**
 * The AsyncInvoker port on FC 3.0: `InvokeFunction` (ROA: `POST /2023-03-30/functions/{name}/invocations`) with
 * `x-fc-invocation-type: Async`, signed by the same generic `@alicloud/openapi-client` as every other call (no FC
 * SDK package: contracts/fc-2023-03-30/InvokeFunction.json is what it sends). FC answers 202 once the event is
 * queued and retries failed runs itself (`asyncInvokeConfig`), so no retries here. Failures become `RpcError` with
 * FC's code and status.
 */
import { Readable } from 'node:stream';
import type { AsyncInvoker } from '../domain/ports.js';
import type { CredentialInput } from './credentials.js';
import { lazyOpenApiClient, NO_RETRY, RpcError, withDeadline, type RpcEndpoint } from './rpc.js';

export const FC_API_VERSION = '2023-03-30';

export interface FcInvokerConfig {
  /** `<accountId>.<region>.fc.aliyuncs.com` (https), or `127.0.0.1:PORT` with protocol `http` for the emulator. */
  endpoint: Pick<RpcEndpoint, 'endpoint' | 'protocol'> &
    Partial<Pick<RpcEndpoint, 'readTimeoutMs' | 'connectTimeoutMs'>>;
  credentials: CredentialInput;
  region: string;
  accountId: string;
}

function toRpcError(err: unknown): RpcError {
  const e = (err ?? {}) as {
    code?: string;
    statusCode?: number;
    message?: string;
    name?: string;
    data?: { Code?: string; Message?: string; RequestId?: string; statusCode?: number };
  };
  const status = e.statusCode ?? e.data?.statusCode;
  if (status) {
    const code = e.data?.Code ?? e.code ?? 'Unknown';
    return new RpcError(code, e.data?.Message ?? e.message ?? code, status, e.data?.RequestId, err);
  }
  const text = `${e.name ?? ''} ${e.code ?? ''} ${e.message ?? ''}`;
  return new RpcError(
    /timeout/i.test(text) ? 'RequestTimeout' : 'NetworkError',
    e.message ?? String(err),
    undefined,
    undefined,
    err,
  );
}

export function createFcAsyncInvoker(config: FcInvokerConfig): AsyncInvoker {
  const readTimeout = config.endpoint.readTimeoutMs ?? 10_000;
  // The OpenAPI client is loaded on the first invocation (a sweep with nothing due never needs it).
  const openApiClient = lazyOpenApiClient(config.credentials, {
    endpoint: config.endpoint.endpoint,
    protocol: config.endpoint.protocol ?? 'https',
    regionId: config.region,
    readTimeout,
    connectTimeout: config.endpoint.connectTimeoutMs ?? 5_000,
  });

  return {
    async invokeAsync(functionName, payload) {
      const body = Buffer.from(JSON.stringify(payload) ?? 'null', 'utf8');
      const { api, client } = await openApiClient();
      const params = new api.Params({
        action: 'InvokeFunction',
        version: FC_API_VERSION,
        protocol: 'HTTPS',
        pathname: `/${FC_API_VERSION}/functions/${encodeURIComponent(functionName)}/invocations`,
        method: 'POST',
        authType: 'AK',
        style: 'ROA',
        reqBodyType: 'json',
        bodyType: 'binary',
      });
      const request = new api.OpenApiRequest({
        headers: { 'x-fc-invocation-type': 'Async' },
        stream: Readable.from([body]),
      });
      try {
        const res = (await withDeadline(client.callApi(params, request, NO_RETRY), readTimeout, 'InvokeFunction')) as {
          statusCode?: number;
          body?: Readable;
        };
        res.body?.resume(); // an async answer has no body; drain it so the connection is reused
        if (res.statusCode !== 202)
          throw new RpcError(
            'UnexpectedStatus',
            `InvokeFunction answered ${res.statusCode} to an async invocation`,
            res.statusCode,
          );
      } catch (err) {
        if (err instanceof RpcError) throw err;
        throw toRpcError(err);
      }
    },
  };
}

/**
 * The AsyncInvoker port on FC 3.0: `InvokeFunction` with `x-fc-invocation-type: Async` through the published
 * `@alicloud/fc20230330` client. FC answers 202 once the event is queued and retries failed runs itself
 * (`asyncInvokeConfig`), so the SDK's own retries stay off. Failures become `RpcError` with FC's code and status.
 */
import { Readable } from 'node:stream';
import * as FcNs from '@alicloud/fc20230330';
import { cjsModule } from './cjs.js';
import { RpcError, type AlibabaCredentials, type RpcEndpoint } from './rpc.js';
import type { AsyncInvoker } from '../domain/ports.js';

const fc = cjsModule<typeof import('@alicloud/fc20230330')>(FcNs);
const FcClient = fc.default;
const { InvokeFunctionRequest, InvokeFunctionHeaders } = fc;

type FcClientInstance = InstanceType<typeof FcClient>;
// The client's Config and RuntimeOptions classes live in its own dependencies (@alicloud/openapi-core,
// @darabonba/typescript); it only reads their fields, so plain objects of the same shape are passed.
type FcConfig = ConstructorParameters<typeof FcClient>[0];
type FcRuntime = Parameters<FcClientInstance['invokeFunctionWithOptions']>[3];

export interface FcInvokerConfig {
  /** `<accountId>.<region>.fc.aliyuncs.com` (https), or `127.0.0.1:PORT` with protocol `http` for the emulator. */
  endpoint: Pick<RpcEndpoint, 'endpoint' | 'protocol'> &
    Partial<Pick<RpcEndpoint, 'readTimeoutMs' | 'connectTimeoutMs'>>;
  credentials: AlibabaCredentials;
  region: string;
  accountId: string;
}

function toRpcError(err: unknown): RpcError {
  const e = (err ?? {}) as {
    code?: string;
    statusCode?: number;
    message?: string;
    name?: string;
    requestId?: string;
    data?: { Code?: string; Message?: string; RequestId?: string };
  };
  if (e.statusCode) {
    const code = e.data?.Code ?? e.code ?? 'Unknown';
    return new RpcError(
      code,
      e.data?.Message ?? e.message ?? code,
      e.statusCode,
      e.data?.RequestId ?? e.requestId,
      err,
    );
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
  const client = new FcClient({
    accessKeyId: config.credentials.accessKeyId,
    accessKeySecret: config.credentials.accessKeySecret,
    securityToken: config.credentials.securityToken,
    endpoint: config.endpoint.endpoint,
    protocol: config.endpoint.protocol ?? 'https',
    regionId: config.region,
    readTimeout: config.endpoint.readTimeoutMs ?? 10_000,
    connectTimeout: config.endpoint.connectTimeoutMs ?? 5_000,
  } as unknown as FcConfig);
  const runtime = {
    autoretry: false,
    readTimeout: config.endpoint.readTimeoutMs ?? 10_000,
    connectTimeout: config.endpoint.connectTimeoutMs ?? 5_000,
  } as unknown as FcRuntime;

  return {
    async invokeAsync(functionName, payload) {
      const body = Buffer.from(JSON.stringify(payload) ?? 'null', 'utf8');
      try {
        const res = await client.invokeFunctionWithOptions(
          functionName,
          new InvokeFunctionRequest({ body: Readable.from([body]) }),
          new InvokeFunctionHeaders({ xFcInvocationType: 'Async' }),
          runtime,
        );
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

/**
 * ServerCertificateSource over the CAS certificate store (2020-04-07) with the published `@alicloud/cas20200407`
 * client. `CertFilter: true` keeps the certificate's private key (and content) out of the answer: the reconciler
 * needs only the names, the validity and the SHA-256 fingerprint, and never wants a key in memory.
 */
import * as CasNs from '@alicloud/cas20200407';
import * as OpenApiNs from '@alicloud/openapi-client';
import type { ServerCertificateFacts, ServerCertificateSource } from '../domain/listeners/ports.js';
import { cjsModule } from './cjs.js';
import { RpcError, withDeadline, type AlibabaCredentials, type RpcEndpoint } from './rpc.js';

const cas = cjsModule<typeof import('@alicloud/cas20200407')>(CasNs);
// The client reads its config as plain properties: openapi-client's Config (a direct dependency) serves, so the
// transitive @alicloud/openapi-core need not be imported.
const { Config } = cjsModule<typeof import('@alicloud/openapi-client')>(OpenApiNs);
const CasClient = cas.default;

/** `<CertId>-<region>` -> the numeric CertId the store knows. */
export function parseServerCertificateId(serverCertificateId: string): { certId: number; region: string } {
  const m = serverCertificateId.match(/^(\d{1,20})-([a-z]{2,}-[a-z0-9-]+)$/);
  if (!m)
    throw new RpcError(
      'InvalidParameter.CertificateId',
      `not a server certificate id of the form <CertId>-<region>: ${serverCertificateId}`,
    );
  return { certId: Number(m[1]), region: m[2] };
}

function toRpcError(err: unknown): RpcError {
  const e = err as {
    code?: string;
    statusCode?: number;
    message?: string;
    data?: { Code?: string; Message?: string; RequestId?: string };
  };
  return new RpcError(
    e?.data?.Code ?? e?.code ?? 'NetworkError',
    e?.data?.Message ?? e?.message ?? String(err),
    e?.statusCode,
    e?.data?.RequestId,
    err,
  );
}

const isNotFound = (err: RpcError) => /NotFound|NotExist/i.test(err.code);

export function createCasServerCertificateSource(config: {
  endpoint: RpcEndpoint;
  credentials: AlibabaCredentials;
}): ServerCertificateSource {
  const client = new CasClient(
    new Config({
      accessKeyId: config.credentials.accessKeyId,
      accessKeySecret: config.credentials.accessKeySecret,
      securityToken: config.credentials.securityToken,
      endpoint: config.endpoint.endpoint,
      protocol: config.endpoint.protocol ?? 'https',
      regionId: config.endpoint.regionId,
      readTimeout: config.endpoint.readTimeoutMs ?? 10_000,
      connectTimeout: config.endpoint.connectTimeoutMs ?? 5_000,
    }) as unknown as ConstructorParameters<typeof CasClient>[0],
  );
  const deadlineMs = config.endpoint.readTimeoutMs ?? 10_000;
  return {
    async getServerCertificate(serverCertificateId): Promise<ServerCertificateFacts | undefined> {
      const { certId } = parseServerCertificateId(serverCertificateId);
      let body: InstanceType<typeof cas.GetUserCertificateDetailResponseBody> | undefined;
      try {
        // The same keep-alive read-timer gap as the RPC caller's: a hard deadline keeps a run bounded.
        const request = client.getUserCertificateDetail(
          new cas.GetUserCertificateDetailRequest({ certId, certFilter: true }),
        );
        body = (await withDeadline(request, deadlineMs, 'GetUserCertificateDetail')).body;
      } catch (err) {
        const rpc = err instanceof RpcError ? err : toRpcError(err);
        if (isNotFound(rpc)) return undefined;
        throw rpc;
      }
      if (!body || body.notAfter === undefined || body.notBefore === undefined || !body.sha2) {
        throw new RpcError(
          'IncompleteAnswer',
          `GetUserCertificateDetail ${certId} answered without validity or fingerprint`,
        );
      }
      const dnsNames = (body.sans ?? '')
        .split(',')
        .map((s) => s.trim())
        .filter((s) => s && !/^\d{1,3}(\.\d{1,3}){3}$/.test(s) && !s.includes(':') && !s.includes('@'));
      return {
        serverCertificateId,
        commonName: body.common ?? '',
        dnsNames,
        notBefore: new Date(Number(body.notBefore)),
        notAfter: new Date(Number(body.notAfter)),
        fingerprintSha256: body.sha2.replace(/:/g, '').toLowerCase(),
      };
    },
  };
}

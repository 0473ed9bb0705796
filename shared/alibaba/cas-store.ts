/**
 * ServerCertificateSource over the CAS certificate store (API 2020-04-07), called through the same signed RPC
 * caller as NLB and the private CA (no SDK package). `GetUserCertificateDetail` with `CertFilter: true` keeps the
 * private key (and content) out of the answer: reconcile needs only the names, the validity, the SHA-256
 * fingerprint and `CertIdentifier`, the id a listener takes (`<CertId>-<site>`, D6), never built by hand.
 */
import type { ServerCertificateFacts, ServerCertificateSource } from '../domain/listeners/ports.js';
import type { CredentialInput } from './credentials.js';
import { createRpcCaller, RpcError, type RpcCaller, type RpcEndpoint } from './rpc.js';

export const CAS_STORE_VERSION = '2020-04-07';

/** The fields of GetUserCertificateDetail (contracts/cas-2020-04-07/GetUserCertificateDetail.json) read here. */
interface CertificateDetail {
  CertIdentifier?: string;
  Common?: string;
  Sans?: string;
  NotBefore?: number;
  NotAfter?: number;
  Sha2?: string;
}

const isNotFound = (err: unknown) => err instanceof RpcError && /NotFound|NotExist/i.test(err.code);

export function createCasServerCertificateSource(call: RpcCaller): ServerCertificateSource {
  return {
    async getServerCertificate(certId): Promise<ServerCertificateFacts | undefined> {
      if (!/^\d{1,20}$/.test(certId)) throw new RpcError('InvalidParameter.CertId', `not a CertId: ${certId}`);
      let body: CertificateDetail;
      try {
        body = await call<CertificateDetail>('GetUserCertificateDetail', { CertId: Number(certId), CertFilter: true });
      } catch (err) {
        if (isNotFound(err)) return undefined;
        throw err;
      }
      if (body.NotAfter === undefined || body.NotBefore === undefined || !body.Sha2 || !body.CertIdentifier) {
        throw new RpcError(
          'IncompleteAnswer',
          `GetUserCertificateDetail ${certId} answered without CertIdentifier, validity or fingerprint`,
        );
      }
      const dnsNames = (body.Sans ?? '')
        .split(',')
        .map((s) => s.trim())
        .filter((s) => s && !/^\d{1,3}(\.\d{1,3}){3}$/.test(s) && !s.includes(':') && !s.includes('@'));
      return {
        certId,
        certIdentifier: body.CertIdentifier,
        commonName: body.Common ?? '',
        dnsNames,
        notBefore: new Date(Number(body.NotBefore)),
        notAfter: new Date(Number(body.NotAfter)),
        fingerprintSha256: body.Sha2.replace(/:/g, '').toLowerCase(),
      };
    },
  };
}

/** The source with its own signed caller, as the functions build it from config. */
export function createCasStoreClient(endpoint: RpcEndpoint, credentials: CredentialInput): ServerCertificateSource {
  return createCasServerCertificateSource(createRpcCaller(CAS_STORE_VERSION, endpoint, credentials));
}

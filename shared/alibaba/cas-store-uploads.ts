/**
 * ServerCertificateUploads over the CAS certificate store (API 2020-04-07, contracts/cas-2020-04-07): the form NLB
 * takes a server certificate in (audit D6: the listener is then given the store's `CertIdentifier`, read back with
 * GetUserCertificateDetail). `UploadUserCertificate` takes the PEM certificate (leaf, then chain), its PEM key and a
 * name, and answers the `CertId`; `DeleteUserCertificate` removes one by `CertId`.
 */
import type { ServerCertificateUploads } from '../domain/listeners/server-certificate-ports.js';
import type { CredentialInput } from './credentials.js';
import { createRpcCaller, RpcError, type RpcCaller, type RpcEndpoint } from './rpc.js';

export const CAS_STORE_UPLOADS_VERSION = '2020-04-07';

const isNotFound = (err: unknown) => err instanceof RpcError && /NotFound|NotExist/i.test(err.code);

export function createCasServerCertificateUploads(call: RpcCaller): ServerCertificateUploads {
  return {
    async upload({ name, certificateChainPem, privateKeyPem }) {
      const answer = await call<{ CertId?: number | string }>('UploadUserCertificate', {
        Name: name,
        Cert: certificateChainPem,
        Key: privateKeyPem,
      });
      if (answer.CertId === undefined || !/^\d{1,20}$/.test(String(answer.CertId)))
        throw new RpcError('IncompleteAnswer', 'UploadUserCertificate answered without a CertId');
      return { certId: String(answer.CertId) };
    },
    async delete(certId) {
      if (!/^\d{1,20}$/.test(certId)) throw new RpcError('InvalidParameter.CertId', `not a CertId: ${certId}`);
      try {
        await call('DeleteUserCertificate', { CertId: Number(certId) });
      } catch (err) {
        if (!isNotFound(err)) throw err;
      }
    },
  };
}

export function createCasServerCertificateUploadsClient(
  endpoint: RpcEndpoint,
  credentials: CredentialInput,
): ServerCertificateUploads {
  return createCasServerCertificateUploads(createRpcCaller(CAS_STORE_UPLOADS_VERSION, endpoint, credentials));
}

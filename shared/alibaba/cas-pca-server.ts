/**
 * ServerCertificateAuthority over CAS 2020-06-30 `CreateServerCertificateWithCsr` (contracts/cas-2020-06-30), through
 * the signed RPC caller. As the model documents it: the common name comes from the CSR; `Domain` carries every name
 * (DNS names and IP addresses, comma-separated) as SANs; `Algorithm` names the key in CAS's words and must be of
 * the sub-CA's family; `BeforeTime` + `AfterTime` (Unix seconds) give the validity; `Immediately: 2` answers the
 * certificate and its chain (0, the default, answers neither: the D1 lesson of the client action applies here too);
 * `CustomIdentifier` is "a unique key" but what CAS does with a repeat is undocumented, so nothing relies on it.
 */
import type { KeyAlgorithm } from '../domain/client-certificate.js';
import type {
  IssuedServerCertificate,
  ServerCertificateAuthority,
  ServerCertificateRequest,
} from '../domain/listeners/server-certificate-ports.js';
import { inspectCertificate, splitPemCertificates } from '../pki/index.js';
import type { CredentialInput } from './credentials.js';
import { createRpcCaller, RpcError, type RpcCaller, type RpcEndpoint } from './rpc.js';

export const CAS_PCA_SERVER_VERSION = '2020-06-30';

/** Our key algorithms in CAS's names (the `Algorithm` valid values of the model). */
const CAS_ALGORITHM: Partial<Record<KeyAlgorithm, string>> = {
  RSA_2048: 'RSA_2048',
  RSA_4096: 'RSA_4096',
  EC_P256: 'ECC_256',
  EC_P384: 'ECC_384',
};

interface CreateServerCertificateAnswer {
  Identifier?: string;
  SerialNumber?: string;
  X509Certificate?: string;
  CertificateChain?: string;
}

export function createCasServerCertificateAuthority(call: RpcCaller): ServerCertificateAuthority {
  return {
    async issueServerCertificate(request: ServerCertificateRequest): Promise<IssuedServerCertificate> {
      const algorithm = CAS_ALGORITHM[request.keyAlgorithm];
      if (!algorithm) throw new RpcError('UnsupportedAlgorithm', `CAS names no algorithm for ${request.keyAlgorithm}`);
      const answer = await call<CreateServerCertificateAnswer>('CreateServerCertificateWithCsr', {
        ParentIdentifier: request.parentIdentifier,
        Csr: request.csrPem,
        Algorithm: algorithm,
        Domain: request.names.join(','),
        BeforeTime: Math.floor(request.notBefore.getTime() / 1000),
        AfterTime: Math.floor(request.notAfter.getTime() / 1000),
        Immediately: 2,
        CustomIdentifier: request.customIdentifier,
      });
      const certificatePem = answer.X509Certificate ? splitPemCertificates(answer.X509Certificate)[0] : undefined;
      if (!answer.Identifier || !certificatePem)
        throw new RpcError('IncompleteAnswer', 'CreateServerCertificateWithCsr answered without the certificate');
      return {
        identifier: answer.Identifier,
        // Read from the certificate itself: the answer's field is only as good as CAS's formatting of it.
        serialNumber: inspectCertificate(certificatePem).serialNumber,
        certificatePem,
        chainPems: answer.CertificateChain ? splitPemCertificates(answer.CertificateChain) : [],
      };
    },
  };
}

export function createCasServerCertificateClient(
  endpoint: RpcEndpoint,
  credentials: CredentialInput,
): ServerCertificateAuthority {
  return createCasServerCertificateAuthority(createRpcCaller(CAS_PCA_SERVER_VERSION, endpoint, credentials));
}

/**
 * The CertificateAuthority port over the CAS private CA (API 2020-06-30), called through the signed RPC caller: the
 * issuing call here, the reading and revoking half in ./cas-pca-reads.ts. Throttling, 5xx and network failures
 * become a retryable 503 (`CA_UNAVAILABLE`); anything else the CA refuses becomes `CA_REJECTED` with the CA's code in
 * the logs. Serial numbers are read from the certificate itself.
 *
 * Parameter and field names are those of the published models: alibabacloud-go/cas-20200630 at
 * cbbe1e07ac62eb6e4bd16a557e1522d86f931886 (2026-08-18), `client/create_client_certificate_with_csr_request_model.go`
 * and `..._response_body_model.go`; the same models in aliyun/alibabacloud-typescript-sdk
 * `cas-20200630/src/models/*`. What the models leave open is listed in docs/api.md ("What depends on undocumented CAS
 * behaviour"), and the emulator's answers to them, ASSUMED, in local/emulator/cas/assumed.ts; no code path depends
 * on a guessed answer.
 */
import type { KeyAlgorithm, SubjectAltNames } from '../domain/client-certificate.js';
import type { CertificateAuthority, IssuedCertificate, IssueWithCsrRequest } from '../domain/ports.js';
import { AppError } from '../errors/index.js';
import { inspectCertificate, splitPemCertificates } from '../pki/index.js';
import { CAS_PCA_VERSION, CaRejectedError, chainOf, createCasReads } from './cas-pca-reads.js';
import type { CredentialInput } from './credentials.js';
import { createRpcCaller, type RpcCaller, type RpcEndpoint } from './rpc.js';

export {
  CAS_PCA_VERSION,
  CaRejectedError,
  CaUnavailableError,
  isRetryableRpcError,
  listCertAfterDate,
  mapCaError,
} from './cas-pca-reads.js';

/** The same API version as the reading half (the RAM-policy test reads which product a file calls from it). */
const API_VERSION = CAS_PCA_VERSION satisfies '2020-06-30';

/** CAS SanType values (the model's SanType: 1 rfc822Name, 2 dNSName, 6 uniformResourceIdentifier, 7 iPAddress). */
const SAN_TYPE: Record<keyof SubjectAltNames, number> = { email: 1, dns: 2, uri: 6, ip: 7 };

/**
 * CAS's `Algorithm` names (`<algorithm>_<key length>`: RSA_1024, RSA_2048, RSA_4096, ECC_256, ECC_384, ECC_512,
 * SM2_256) for the key types this project makes or accepts. RSA 3072 has no CAS name: `Algorithm` is then left out
 * and the CA reads the key from the CSR.
 */
export const CAS_ALGORITHM: Partial<Record<KeyAlgorithm, string>> = {
  RSA_2048: 'RSA_2048',
  RSA_4096: 'RSA_4096',
  EC_P256: 'ECC_256',
  EC_P384: 'ECC_384',
};

/** `Immediately`: 0 (the default) returns no certificate, 1 the certificate, 2 the certificate and its chain. */
const IMMEDIATELY_WITH_CHAIN = 2;

/** The one SAN type CAS accepts per certificate, as SanType + comma-separated SanValue. */
export function sanParameters(sans: SubjectAltNames): { SanType?: number; SanValue?: string } {
  const present = (Object.keys(SAN_TYPE) as Array<keyof SubjectAltNames>).filter((type) => sans[type].length > 0);
  if (present.length === 0) return {};
  if (present.length > 1)
    throw new AppError('SAN_TYPES_UNSUPPORTED', 400, 'The private CA issues SANs of one type per certificate.');
  const type = present[0];
  return { SanType: SAN_TYPE[type], SanValue: sans[type].join(',') };
}

interface CreateWithCsrResponse {
  Identifier?: string;
  SerialNumber?: string;
  X509Certificate?: string;
  CertificateChain?: string | string[];
}

export function createCasCertificateAuthority(call: RpcCaller): CertificateAuthority {
  const { guarded, issuingChain, ...reads } = createCasReads(call);
  return {
    ...reads,
    async issueWithCsr(request: IssueWithCsrRequest): Promise<IssuedCertificate> {
      const algorithm = CAS_ALGORITHM[request.keyAlgorithm];
      const body = await guarded<CreateWithCsrResponse>('CreateClientCertificateWithCsr', {
        ParentIdentifier: request.parentIdentifier,
        Csr: request.csrPem,
        // Determined by the CSR when one is sent (model); sent as well so a request names what it asks for.
        CommonName: request.commonName,
        ...sanParameters(request.sans),
        ...(algorithm ? { Algorithm: algorithm } : {}),
        BeforeTime: Math.floor(request.notBefore.getTime() / 1000),
        AfterTime: Math.floor(request.notAfter.getTime() / 1000),
        Immediately: IMMEDIATELY_WITH_CHAIN,
        CustomIdentifier: request.customIdentifier,
      });
      if (!body.Identifier) throw new CaRejectedError('IncompleteAnswer', undefined);
      let certificatePem = body.X509Certificate ? splitPemCertificates(body.X509Certificate)[0] : undefined;
      let chainPems = chainOf(body.CertificateChain);
      if (!certificatePem) {
        // Issued, but the answer holds no certificate (as with Immediately 0): read it rather than lose it.
        const described = await reads.describeClientCertificate(body.Identifier);
        certificatePem = described?.certificatePem;
        chainPems = chainPems.length > 0 ? chainPems : (described?.chainPems ?? []);
      }
      if (!certificatePem) throw new CaRejectedError('MalformedCertificate', undefined);
      if (chainPems[0]?.trim() === certificatePem.trim()) chainPems = chainPems.slice(1);
      if (chainPems.length === 0) chainPems = await issuingChain(request.parentIdentifier);
      return {
        identifier: body.Identifier,
        serialNumber: inspectCertificate(certificatePem).serialNumber,
        certificatePem,
        chainPems,
      };
    },
  };
}

/** The adapter with its own signed caller, as the functions build it from config. */
export function createCasPcaClient(endpoint: RpcEndpoint, credentials: CredentialInput): CertificateAuthority {
  return createCasCertificateAuthority(createRpcCaller(API_VERSION, endpoint, credentials));
}

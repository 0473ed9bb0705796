/**
 * The CertificateAuthority port over the CAS private CA (API 2020-06-30), called through the signed RPC caller.
 * Throttling, 5xx and network failures become a retryable 503 (`CA_UNAVAILABLE`); anything else the CA refuses
 * becomes `CA_REJECTED` with the CA's code in the logs. Serial numbers are read from the certificate itself.
 */
import type { SubjectAltNames } from '../domain/client-certificate.js';
import type { CaCertificate, CertificateAuthority, IssuedCertificate, IssueWithCsrRequest } from '../domain/ports.js';
import { AppError, UpstreamError } from '../errors/index.js';
import { inspectCertificate, splitPemCertificates } from '../pki/index.js';
import type { CredentialInput } from './credentials.js';
import { createRpcCaller, RpcError, type RpcCaller, type RpcEndpoint } from './rpc.js';

export const CAS_PCA_VERSION = '2020-06-30';

/** CAS SanType values. */
const SAN_TYPE: Record<keyof SubjectAltNames, number> = { email: 1, dns: 2, uri: 6, ip: 7 };

const RETRYABLE_CODES =
  /^(Throttling(\..*)?|ServiceUnavailable|InternalError|SystemBusy|RequestTimeout|NetworkError|ECONNRESET|ECONNREFUSED|ETIMEDOUT|EPIPE|UND_ERR_.*|ServiceUnavailableTemporary|OperationConflict|Conflict\.Lock)$/;
const ALREADY_REVOKED = /already.?revoked|revoked.?already|Certificate\.Revoked|IncorrectStatus/i;

export class CaUnavailableError extends UpstreamError {
  constructor(cause: unknown) {
    super('CA_UNAVAILABLE', 'The certificate authority is busy or unavailable; retry the same request.', cause);
  }
}

export class CaRejectedError extends AppError {
  constructor(caCode: string, cause: unknown) {
    super('CA_REJECTED', 502, 'The certificate authority refused the request.', { cause, details: { caCode } });
  }
}

export function isRetryableRpcError(err: unknown): boolean {
  if (!(err instanceof RpcError)) return true; // not an answer from the CA at all: a transport failure
  if (err.statusCode === undefined || err.statusCode >= 500 || err.statusCode === 429) return true;
  return RETRYABLE_CODES.test(err.code);
}

export function mapCaError(err: unknown): AppError {
  if (err instanceof AppError) return err;
  if (isRetryableRpcError(err)) return new CaUnavailableError(err);
  return new CaRejectedError((err as RpcError).code, err);
}

/** The one SAN type CAS accepts per certificate, as SanType + comma-separated SanValue. */
export function sanParameters(sans: SubjectAltNames): { SanType?: number; SanValue?: string } {
  const present = (Object.keys(SAN_TYPE) as Array<keyof SubjectAltNames>).filter((type) => sans[type].length > 0);
  if (present.length === 0) return {};
  if (present.length > 1)
    throw new AppError('SAN_TYPES_UNSUPPORTED', 400, 'The private CA issues SANs of one type per certificate.');
  const type = present[0];
  return { SanType: SAN_TYPE[type], SanValue: sans[type].join(',') };
}

function chainOf(value: unknown): string[] {
  if (Array.isArray(value)) return value.flatMap((v) => (typeof v === 'string' ? splitPemCertificates(v) : []));
  return typeof value === 'string' ? splitPemCertificates(value) : [];
}

interface CreateWithCsrResponse {
  Identifier?: string;
  SerialNumber?: string;
  X509Certificate?: string;
  CertificateChain?: string | string[];
}

interface DescribeCaResponse {
  Certificate?: {
    Identifier?: string;
    X509Certificate?: string;
    CaCertChain?: string | string[];
    Status?: string;
    CertificateType?: string;
    AfterDate?: number | string;
  };
}

interface StatusResponse {
  CertificateStatus?: Array<{ SerialNumber?: string; Status?: string }>;
}

export function createCasCertificateAuthority(call: RpcCaller): CertificateAuthority {
  const guarded = async <T>(action: string, params: Parameters<RpcCaller>[1]): Promise<T> => {
    try {
      return await call<T>(action, params);
    } catch (err) {
      throw mapCaError(err);
    }
  };
  return {
    async issueWithCsr(request: IssueWithCsrRequest): Promise<IssuedCertificate> {
      const body = await guarded<CreateWithCsrResponse>('CreateClientCertificateWithCsr', {
        ParentIdentifier: request.parentIdentifier,
        Csr: request.csrPem,
        CommonName: request.commonName,
        ...sanParameters(request.sans),
        BeforeTime: Math.floor(request.notBefore.getTime() / 1000),
        AfterTime: Math.floor(request.notAfter.getTime() / 1000),
        // D1: without Immediately CAS issues but answers no certificate; 2 = the certificate and its chain.
        Immediately: 2,
        // D2: this action has no ClientToken (contracts/cas-2020-06-30); CustomIdentifier is its "unique key".
        CustomIdentifier: request.clientToken,
      });
      if (!body.Identifier || !body.X509Certificate) throw new CaRejectedError('IncompleteAnswer', undefined);
      const certificatePem = splitPemCertificates(body.X509Certificate)[0];
      if (!certificatePem) throw new CaRejectedError('MalformedCertificate', undefined);
      return {
        identifier: body.Identifier,
        serialNumber: inspectCertificate(certificatePem).serialNumber,
        certificatePem,
        chainPems: chainOf(body.CertificateChain),
      };
    },

    async revoke(identifier: string): Promise<void> {
      try {
        await call('CreateRevokeClientCertificate', { Identifier: identifier });
      } catch (err) {
        // Revoking twice is a success for us: a retried revoke must not fail on its own earlier success.
        if (err instanceof RpcError && !isRetryableRpcError(err) && ALREADY_REVOKED.test(`${err.code} ${err.message}`))
          return;
        throw mapCaError(err);
      }
    },

    async status(identifier: string): Promise<'good' | 'revoked' | 'unknown'> {
      const body = await guarded<StatusResponse>('DescribeClientCertificateStatus', { Identifier: identifier });
      const status = body.CertificateStatus?.[0]?.Status;
      return status === 'good' || status === 'revoked' ? status : 'unknown';
    },

    async getCaCertificate(identifier: string): Promise<CaCertificate> {
      const body = await guarded<DescribeCaResponse>('DescribeCACertificate', { Identifier: identifier });
      const c = body.Certificate;
      const certificatePem = c?.X509Certificate ? splitPemCertificates(c.X509Certificate)[0] : undefined;
      if (!c || !certificatePem) throw new CaRejectedError('MalformedCaCertificate', undefined);
      return {
        identifier: c.Identifier ?? identifier,
        certificatePem,
        chainPems: chainOf(c.CaCertChain),
        status: c.Status ?? 'unknown',
        type: c.CertificateType ?? 'unknown',
        notAfter:
          c.AfterDate !== undefined ? new Date(Number(c.AfterDate)) : inspectCertificate(certificatePem).notAfter,
      };
    },
  };
}

/** The adapter with its own signed caller, as the functions build it from config. */
export function createCasPcaClient(endpoint: RpcEndpoint, credentials: CredentialInput): CertificateAuthority {
  return createCasCertificateAuthority(createRpcCaller(CAS_PCA_VERSION, endpoint, credentials));
}

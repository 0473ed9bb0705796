/**
 * The CertificateAuthority port over the CAS private CA (API 2020-06-30), called through the signed RPC caller.
 * Throttling, 5xx and network failures become a retryable 503 (`CA_UNAVAILABLE`); anything else the CA refuses
 * becomes `CA_REJECTED` with the CA's code in the logs. Serial numbers are read from the certificate itself.
 *
 * Parameter and field names are those of the published models: alibabacloud-go/cas-20200630 at
 * cbbe1e07ac62eb6e4bd16a557e1522d86f931886 (2026-08-18), `client/create_client_certificate_with_csr_request_model.go`,
 * `..._response_body_model.go`, `client/list_cert_request_model.go`, `client/list_cert_response_body_model.go`,
 * `client/describe_client_certificate_response_body_model.go`, `client/describe_client_certificate_status_*`; the
 * same models in aliyun/alibabacloud-typescript-sdk `cas-20200630/src/models/*`. What the models leave open is
 * listed in docs/api.md ("What depends on undocumented CAS behaviour"), and the emulator's answers to them, ASSUMED,
 * in local/emulator/cas/assumed.ts; no code path depends on a guessed answer.
 */
import type { KeyAlgorithm, SubjectAltNames } from '../domain/client-certificate.js';
import type {
  CaCertificate,
  CaClientCertificate,
  CertificateAuthority,
  ClientCertificateListQuery,
  ClientCertificatePage,
  IssuedCertificate,
  IssueWithCsrRequest,
  KeyFamily,
} from '../domain/ports.js';
import { AppError, UpstreamError } from '../errors/index.js';
import { inspectCertificate, splitPemCertificates } from '../pki/index.js';
import type { CredentialInput } from './credentials.js';
import { createRpcCaller, RpcError, type RpcCaller, type RpcEndpoint } from './rpc.js';

export const CAS_PCA_VERSION = '2020-06-30';

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

/** ListCert pages: the model documents 50 as the default page size and no maximum, so we ask for no more. */
const LIST_PAGE_SIZE = 50;

/**
 * ListCert's `AfterDate` is a `yyyy-MM-dd HH:mm:ss` text whose time zone the model does not state. We write UTC,
 * moved back by an hour for clock skew: if CAS reads it in UTC or any zone east of it (China Standard Time, UTC+8,
 * is the likely one) the window starts no later than asked, so a scan sees some items twice, never none. ASSUMED
 * (docs/api.md): a zone west of UTC would start it late.
 */
const AFTER_DATE_MARGIN_MS = 3_600_000;

const RETRYABLE_CODES =
  /^(Throttling(\..*)?|ServiceUnavailable|InternalError|SystemBusy|RequestTimeout|NetworkError|ECONNRESET|ECONNREFUSED|ETIMEDOUT|EPIPE|UND_ERR_.*|ServiceUnavailableTemporary|OperationConflict|Conflict\.Lock)$/;

/** CAS answered with an error below 500 (a refusal or throttling): the request was not carried out. */
function answeredWithRefusal(err: unknown): boolean {
  return err instanceof RpcError && err.statusCode !== undefined && err.statusCode < 500;
}

export class CaUnavailableError extends UpstreamError {
  /** See `nothingIssued` in shared/domain/ports.ts. */
  readonly nothingIssued: boolean;
  constructor(cause: unknown) {
    super('CA_UNAVAILABLE', 'The certificate authority is busy or unavailable; retry the same request.', cause);
    this.nothingIssued = answeredWithRefusal(cause);
  }
}

export class CaRejectedError extends AppError {
  readonly nothingIssued: boolean;
  constructor(caCode: string, cause: unknown) {
    super('CA_REJECTED', 502, 'The certificate authority refused the request.', { cause, details: { caCode } });
    this.nothingIssued = cause === undefined ? false : answeredWithRefusal(cause);
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

/** `yyyy-MM-dd HH:mm:ss` (ListCert's AfterDate example `2024-05-13 12:59:45`), UTC, moved back by the skew margin. */
export function listCertAfterDate(since: Date): string {
  return new Date(since.getTime() - AFTER_DATE_MARGIN_MS).toISOString().slice(0, 19).replace('T', ' ');
}

function chainOf(value: unknown): string[] {
  if (Array.isArray(value)) return value.flatMap((v) => (typeof v === 'string' ? splitPemCertificates(v) : []));
  return typeof value === 'string' ? splitPemCertificates(value) : [];
}

function dateOf(value: unknown): Date | undefined {
  if (value === undefined || value === null || value === '') return undefined;
  const n = typeof value === 'number' ? value : /^\d+$/.test(String(value)) ? Number(value) : Date.parse(String(value));
  return Number.isFinite(n) ? new Date(n) : undefined;
}

function statusOf(value: unknown): CaClientCertificate['status'] {
  return value === 'ISSUE' || value === 'REVOKE' ? value : 'UNKNOWN';
}

function keyFamilyOf(pem: string): KeyFamily {
  const algorithm = inspectCertificate(pem).keyAlgorithm;
  return algorithm.startsWith('RSA_') ? 'RSA' : algorithm.startsWith('EC_') ? 'EC' : 'unknown';
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

interface DescribeClientResponse {
  Certificate?: {
    Identifier?: string;
    ParentIdentifier?: string;
    SerialNumber?: string;
    Status?: string;
    CustomIdentifier?: string;
    CommonName?: string;
    BeforeDate?: number | string;
    AfterDate?: number | string;
    X509Certificate?: string;
    CertChain?: string;
  };
}

interface ListCertResponse {
  List?: Array<{
    Identifier?: string;
    SerialNumber?: string;
    Status?: string;
    CustomIdentifier?: string;
    CommonName?: string;
    BeforeTime?: number | string;
    AfterTime?: number | string;
  }>;
  NextToken?: string;
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

  async function status(identifier: string): Promise<'good' | 'revoked' | 'unknown'> {
    // Items carry no Identifier (one identifier asked, one item back): take the first.
    const body = await guarded<StatusResponse>('DescribeClientCertificateStatus', { Identifier: identifier });
    const value = body.CertificateStatus?.[0]?.Status;
    return value === 'good' || value === 'revoked' ? value : 'unknown';
  }

  async function getCaCertificate(identifier: string): Promise<CaCertificate> {
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
      notAfter: dateOf(c.AfterDate) ?? inspectCertificate(certificatePem).notAfter,
      keyFamily: keyFamilyOf(certificatePem),
    };
  }

  /** The issuing sub-CA first, then its issuers, from DescribeCACertificate (CertificateChain may be absent: D14). */
  const caChains = new Map<string, Promise<string[]>>();
  function issuingChain(parentIdentifier: string): Promise<string[]> {
    let chain = caChains.get(parentIdentifier);
    if (!chain) {
      chain = getCaCertificate(parentIdentifier).then((ca) =>
        ca.chainPems[0]?.trim() === ca.certificatePem.trim() ? ca.chainPems : [ca.certificatePem, ...ca.chainPems],
      );
      chain.catch(() => caChains.delete(parentIdentifier));
      caChains.set(parentIdentifier, chain);
    }
    return chain;
  }

  /**
   * A refusal by CAS: is it only that the certificate is unknown (or, for a revoke, already revoked)? Asked of
   * DescribeClientCertificateStatus, never read from the error text (no per-action error codes are published).
   */
  async function confirmedStatus(identifier: string, err: unknown): Promise<'good' | 'revoked' | 'unknown'> {
    if (!(err instanceof RpcError) || isRetryableRpcError(err)) throw mapCaError(err);
    try {
      return await status(identifier);
    } catch {
      throw mapCaError(err);
    }
  }

  async function describeClientCertificate(identifier: string): Promise<CaClientCertificate | undefined> {
    let body: DescribeClientResponse;
    try {
      body = await call<DescribeClientResponse>('DescribeClientCertificate', { Identifier: identifier });
    } catch (err) {
      if ((await confirmedStatus(identifier, err)) === 'unknown') return undefined;
      throw mapCaError(err);
    }
    const c = body.Certificate;
    if (!c) return undefined;
    const certificatePem = c.X509Certificate ? splitPemCertificates(c.X509Certificate)[0] : undefined;
    let chainPems = chainOf(c.CertChain);
    // CertChain (newer models) starts with the certificate itself: keep only its issuers.
    if (certificatePem && chainPems[0]?.trim() === certificatePem.trim()) chainPems = chainPems.slice(1);
    if (chainPems.length === 0 && c.ParentIdentifier) chainPems = await issuingChain(c.ParentIdentifier);
    return {
      identifier: c.Identifier ?? identifier,
      ...(c.SerialNumber ? { serialNumber: c.SerialNumber.toLowerCase() } : {}),
      status: statusOf(c.Status),
      ...(c.CustomIdentifier ? { customIdentifier: c.CustomIdentifier } : {}),
      ...(c.ParentIdentifier ? { parentIdentifier: c.ParentIdentifier } : {}),
      ...(c.CommonName ? { commonName: c.CommonName } : {}),
      ...(dateOf(c.BeforeDate) ? { notBefore: dateOf(c.BeforeDate) } : {}),
      ...(dateOf(c.AfterDate) ? { notAfter: dateOf(c.AfterDate) } : {}),
      ...(certificatePem ? { certificatePem, chainPems } : {}),
    };
  }

  return {
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
        const described = await describeClientCertificate(body.Identifier);
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

    async revoke(identifier: string): Promise<void> {
      try {
        await call('CreateRevokeClientCertificate', { Identifier: identifier });
      } catch (err) {
        // Revoking twice is a success for us: a retried revoke must not fail on its own earlier success.
        if ((await confirmedStatus(identifier, err)) === 'revoked') return;
        throw mapCaError(err);
      }
    },

    status,
    getCaCertificate,
    describeClientCertificate,

    async listClientCertificates(query: ClientCertificateListQuery): Promise<ClientCertificatePage> {
      const body = await guarded<ListCertResponse>('ListCert', {
        Type: 'CLIENT',
        ParentIdentifier: query.parentIdentifier,
        ...(query.modifiedSince ? { AfterDate: listCertAfterDate(query.modifiedSince) } : {}),
        MaxResults: Math.min(query.pageSize ?? LIST_PAGE_SIZE, LIST_PAGE_SIZE),
        ...(query.cursor ? { NextToken: query.cursor } : {}),
      });
      const items = (body.List ?? [])
        .filter((item): item is typeof item & { Identifier: string } => typeof item.Identifier === 'string')
        .map((item): CaClientCertificate => ({
          identifier: item.Identifier,
          ...(item.SerialNumber ? { serialNumber: item.SerialNumber.toLowerCase() } : {}),
          status: statusOf(item.Status),
          ...(item.CustomIdentifier ? { customIdentifier: item.CustomIdentifier } : {}),
          ...(item.CommonName ? { commonName: item.CommonName } : {}),
          ...(dateOf(item.BeforeTime) ? { notBefore: dateOf(item.BeforeTime) } : {}),
          ...(dateOf(item.AfterTime) ? { notAfter: dateOf(item.AfterTime) } : {}),
        }));
      return { items, ...(body.NextToken ? { cursor: body.NextToken } : {}) };
    },
  };
}

/** The adapter with its own signed caller, as the functions build it from config. */
export function createCasPcaClient(endpoint: RpcEndpoint, credentials: CredentialInput): CertificateAuthority {
  return createCasCertificateAuthority(createRpcCaller(CAS_PCA_VERSION, endpoint, credentials));
}

/**
 * The reading and revoking half of the CAS private CA adapter (API 2020-06-30): status, CA certificate, one client
 * certificate, the list of what changed (ListCert), and revoke. A module of its own so a function that only scans
 * and revokes (renew-scheduler's CA inventory scan) never loads the issuing call, and its RAM role never grants it
 * (deploy/ram-policies/renew-scheduler.json). Error mapping for every CAS call lives here too.
 *
 * Parameter and field names are those of the published models: alibabacloud-go/cas-20200630 at
 * cbbe1e07ac62eb6e4bd16a557e1522d86f931886 (2026-08-18), `client/list_cert_request_model.go`,
 * `client/list_cert_response_body_model.go`, `client/describe_client_certificate_response_body_model.go`,
 * `client/describe_client_certificate_status_*`, `client/create_revoke_client_certificate_request_model.go`.
 */
import type {
  CaCertificate,
  CaClientCertificate,
  CaInventory,
  ClientCertificateListQuery,
  ClientCertificatePage,
  KeyFamily,
} from '../domain/ports.js';
import { AppError, UpstreamError } from '../errors/index.js';
import { inspectCertificate, splitPemCertificates } from '../pki/index.js';
import type { CredentialInput } from './credentials.js';
import { createRpcCaller, RpcError, type RpcCaller, type RpcEndpoint } from './rpc.js';

export const CAS_PCA_VERSION = '2020-06-30';

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

/** `yyyy-MM-dd HH:mm:ss` (ListCert's AfterDate example `2024-05-13 12:59:45`), UTC, moved back by the skew margin. */
export function listCertAfterDate(since: Date): string {
  return new Date(since.getTime() - AFTER_DATE_MARGIN_MS).toISOString().slice(0, 19).replace('T', ' ');
}

export function chainOf(value: unknown): string[] {
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

/** The port's reading half, plus what the issuing half needs from it (the sub-CA chain, the guarded caller). */
export interface CasReads extends CaInventory {
  /** The issuing sub-CA first, then its issuers (cached per sub-CA). */
  issuingChain(parentIdentifier: string): Promise<string[]>;
  guarded<T>(action: string, params: Parameters<RpcCaller>[1]): Promise<T>;
}

export function createCasReads(call: RpcCaller): CasReads {
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
    guarded,
    issuingChain,
    status,
    getCaCertificate,
    describeClientCertificate,

    async revoke(identifier: string): Promise<void> {
      try {
        await call('CreateRevokeClientCertificate', { Identifier: identifier });
      } catch (err) {
        // Revoking twice is a success for us: a retried revoke must not fail on its own earlier success.
        if ((await confirmedStatus(identifier, err)) === 'revoked') return;
        throw mapCaError(err);
      }
    },

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
        .map(
          (item): CaClientCertificate => ({
            identifier: item.Identifier,
            ...(item.SerialNumber ? { serialNumber: item.SerialNumber.toLowerCase() } : {}),
            status: statusOf(item.Status),
            ...(item.CustomIdentifier ? { customIdentifier: item.CustomIdentifier } : {}),
            ...(item.CommonName ? { commonName: item.CommonName } : {}),
            ...(dateOf(item.BeforeTime) ? { notBefore: dateOf(item.BeforeTime) } : {}),
            ...(dateOf(item.AfterTime) ? { notAfter: dateOf(item.AfterTime) } : {}),
          }),
        );
      return { items, ...(body.NextToken ? { cursor: body.NextToken } : {}) };
    },
  };
}

/** The inventory half with its own signed caller (renew-scheduler). */
export function createCasInventoryClient(endpoint: RpcEndpoint, credentials: CredentialInput): CaInventory {
  const {
    guarded: _g,
    issuingChain: _c,
    ...inventory
  } = createCasReads(createRpcCaller(CAS_PCA_VERSION, endpoint, credentials));
  return inventory;
}

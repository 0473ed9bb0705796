/**
 * The small interfaces the domain talks to. Each has one Alibaba adapter under shared/alibaba/ and the
 * local emulator behind it in tests; the domain itself imports no SDK.
 */
import type { KeyAlgorithm, SubjectAltNames } from './client-certificate.js';

export interface Clock {
  now(): Date;
}
export const systemClock: Clock = { now: () => new Date() };

/** Waiting, injected like the clock so a test never waits for real time. */
export type Sleep = (ms: number) => Promise<void>;
export const systemSleep: Sleep = (ms) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export interface IssuedCertificate {
  /** CAS identifier of the client certificate. */
  identifier: string;
  /** Lower-case hex, no separators. */
  serialNumber: string;
  certificatePem: string;
  /** Issuing sub-CA first, root last. */
  chainPems: string[];
}

export interface IssueWithCsrRequest {
  parentIdentifier: string;
  csrPem: string;
  commonName: string;
  sans: SubjectAltNames;
  /** The CSR's key algorithm (the adapter sends CAS's own name for it); its family must be the sub-CA's. */
  keyAlgorithm: KeyAlgorithm;
  /** Validity as computed at the moment of this call (never a back-dated start: CAS's answer to one is undocumented). */
  notBefore: Date;
  notAfter: Date;
  /**
   * Sent as `CustomIdentifier`, derived from certificate id and generation, so what CAS issued for a pending issuance
   * can be recognised later. NOT an idempotency token: what CAS does with a repeated value is undocumented, and
   * nothing may depend on it (shared/certificates/pending.ts).
   */
  customIdentifier: string;
}

/** What CAS reports about one client certificate (DescribeClientCertificate, or an item of a list). */
export interface CaClientCertificate {
  identifier: string;
  /** Lower-case hex, when CAS reports it. */
  serialNumber?: string;
  status: 'ISSUE' | 'REVOKE' | 'UNKNOWN';
  /** As sent at issuance, when CAS returns it (newer API models only). */
  customIdentifier?: string;
  /** The issuing sub-CA, when CAS reports it (DescribeClientCertificate does; ListCert items do not). */
  parentIdentifier?: string;
  commonName?: string;
  notBefore?: Date;
  notAfter?: Date;
  /** DescribeClientCertificate only. */
  certificatePem?: string;
  /** DescribeClientCertificate only: issuing sub-CA first, root last. */
  chainPems?: string[];
}

export interface ClientCertificateListQuery {
  /** Asked of CAS as a filter; callers must still check each item (CAS may not honour it). */
  parentIdentifier: string;
  /** Only certificates created, revoked or otherwise modified since then (a scan's cursor). */
  modifiedSince?: Date;
  /** The page after the one that returned this cursor. */
  cursor?: string;
  pageSize?: number;
}

export interface ClientCertificatePage {
  items: CaClientCertificate[];
  /** Absent on the last page. */
  cursor?: string;
}

export interface CaCertificate {
  identifier: string;
  certificatePem: string;
  chainPems: string[];
  status: string;
  type: 'ROOT' | 'SUB_ROOT' | string;
  notAfter: Date;
  /** The key family of the CA's own key: client keys must be of the same family (CAS's rule). */
  keyFamily: KeyFamily;
}

export type KeyFamily = 'RSA' | 'EC' | 'unknown';

/**
 * Carried by an error of `issueWithCsr` when CAS answered the call with a refusal (a 4xx, throttling): nothing was
 * issued, so the call may simply be made again. Any other failure (timeout, 5xx, a lost connection) may have issued.
 */
export function nothingIssued(err: unknown): boolean {
  return typeof err === 'object' && err !== null && (err as { nothingIssued?: unknown }).nothingIssued === true;
}

/** The private CA (CAS 2020-06-30). */
export interface CertificateAuthority {
  /** One call, one NEW certificate: CAS has no idempotency token on this action. */
  issueWithCsr(request: IssueWithCsrRequest): Promise<IssuedCertificate>;
  /** Revokes; a certificate that is already revoked counts as done (confirmed with CAS, never guessed). */
  revoke(identifier: string): Promise<void>;
  status(identifier: string): Promise<'good' | 'revoked' | 'unknown'>;
  getCaCertificate(identifier: string): Promise<CaCertificate>;
  /** `undefined` when CAS does not know the identifier (confirmed through its status, never guessed from a message). */
  describeClientCertificate(identifier: string): Promise<CaClientCertificate | undefined>;
  /** Client certificates under a sub-CA, in no promised order; page with `cursor`. */
  listClientCertificates(query: ClientCertificateListQuery): Promise<ClientCertificatePage>;
}

/** The reading and revoking half of the CA: what the inventory scan needs (it never issues). */
export type CaInventory = Pick<
  CertificateAuthority,
  'status' | 'getCaCertificate' | 'describeClientCertificate' | 'listClientCertificates' | 'revoke'
>;

export class ObjectExistsError extends Error {
  constructor(readonly key: string) {
    super(`object already exists: ${key}`);
    this.name = 'ObjectExistsError';
  }
}

export interface ObjectListing {
  keys: string[];
  /**
   * Each key's ETag (quotes removed), in the order of `keys`: OSS changes it whenever the object's content changes
   * (ListObjectsV2 `Contents/ETag`), so a reader can tell which objects changed without reading them. Optional
   * so a fake may leave it out; then every object counts as changed.
   */
  etags?: string[];
  commonPrefixes: string[];
  nextContinuationToken?: string;
}

/** A private OSS bucket. Keys are built only from validated ids. */
export interface ObjectStore {
  /** `ifAbsent` makes the write create-only and throws `ObjectExistsError` when the key exists. */
  put(key: string, body: Buffer | string, options?: { contentType?: string; ifAbsent?: boolean }): Promise<void>;
  get(key: string): Promise<Buffer | null>;
  exists(key: string): Promise<boolean>;
  delete(key: string): Promise<void>;
  list(options: {
    prefix: string;
    startAfter?: string;
    continuationToken?: string;
    maxKeys?: number;
    delimiter?: string;
  }): Promise<ObjectListing>;
  /** A V4 presigned GET link that downloads as an attachment named `filename`. */
  signedGetUrl(key: string, options: { expiresInSeconds: number; filename: string }): Promise<string>;
}

/** FC 3.0 asynchronous invocation of another function (FC retries failed ones itself). */
export interface AsyncInvoker {
  invokeAsync(functionName: string, payload: unknown): Promise<void>;
}

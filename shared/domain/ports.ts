/**
 * The small interfaces the domain talks to. Each has one Alibaba adapter under shared/alibaba/ and the
 * local emulator behind it in tests; the domain itself imports no SDK.
 */
import type { SubjectAltNames } from './client-certificate.js';

export interface Clock {
  now(): Date;
}
export const systemClock: Clock = { now: () => new Date() };

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
  notBefore: Date;
  notAfter: Date;
  /** Same token, same certificate: makes a retried create idempotent at the CA. */
  clientToken: string;
}

export interface CaCertificate {
  identifier: string;
  certificatePem: string;
  chainPems: string[];
  status: string;
  type: 'ROOT' | 'SUB_ROOT' | string;
  notAfter: Date;
}

/** The private CA (CAS 2020-06-30). */
export interface CertificateAuthority {
  issueWithCsr(request: IssueWithCsrRequest): Promise<IssuedCertificate>;
  revoke(identifier: string): Promise<void>;
  status(identifier: string): Promise<'good' | 'revoked' | 'unknown'>;
  getCaCertificate(identifier: string): Promise<CaCertificate>;
}

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

/**
 * In-memory stand-ins for the ports, for unit tests of the service's logic (the emulator covers the wire).
 * The CA really signs (shared/pki) and keeps ClientToken idempotency like CAS; the store keeps create-only
 * semantics and can fail a chosen call, so crash/retry paths are exercised for real.
 */
import {
  createCertificateAuthority,
  parseCsr,
  signClientCertificate,
  type CaMaterial,
} from '../../../shared/pki/index.js';
import {
  ObjectExistsError,
  type CaCertificate,
  type CertificateAuthority,
  type IssuedCertificate,
  type IssueWithCsrRequest,
  type ObjectListing,
  type ObjectStore,
} from '../../../shared/domain/ports.js';
import { inspectCertificate } from '../../../shared/pki/index.js';

export type StoreOperation = 'put' | 'get' | 'exists' | 'delete' | 'list' | 'signedGetUrl';

export class StoreFault extends Error {
  readonly code = 'InternalError';
  readonly status = 500;
  constructor(op: string, key: string) {
    super(`injected failure on ${op} ${key}`);
  }
}

export class MemoryObjectStore implements ObjectStore {
  readonly objects = new Map<string, Buffer>();
  readonly calls: Record<StoreOperation, number> = { put: 0, get: 0, exists: 0, delete: 0, list: 0, signedGetUrl: 0 };
  private failures: Array<{ op: StoreOperation; skip: number; match?: (key: string) => boolean }> = [];

  /** The call after `skip` matching calls of `op` fails once (an OSS 500). */
  failOnce(op: StoreOperation, skip = 0, match?: (key: string) => boolean): void {
    this.failures.push({ op, skip, match });
  }

  private check(op: StoreOperation, key: string): void {
    this.calls[op] += 1;
    const index = this.failures.findIndex((f) => f.op === op && (!f.match || f.match(key)));
    if (index < 0) return;
    const failure = this.failures[index];
    if (failure.skip > 0) {
      failure.skip -= 1;
      return;
    }
    this.failures.splice(index, 1);
    throw new StoreFault(op, key);
  }

  async put(
    key: string,
    body: Buffer | string,
    options: { contentType?: string; ifAbsent?: boolean } = {},
  ): Promise<void> {
    this.check('put', key);
    if (options.ifAbsent && this.objects.has(key)) throw new ObjectExistsError(key);
    this.objects.set(key, Buffer.from(body));
  }

  async get(key: string): Promise<Buffer | null> {
    this.check('get', key);
    return this.objects.get(key) ?? null;
  }

  async exists(key: string): Promise<boolean> {
    this.check('exists', key);
    return this.objects.has(key);
  }

  async delete(key: string): Promise<void> {
    this.check('delete', key);
    this.objects.delete(key);
  }

  async list(options: { prefix: string; startAfter?: string; maxKeys?: number }): Promise<ObjectListing> {
    this.check('list', options.prefix);
    const keys = [...this.objects.keys()]
      .filter((k) => k.startsWith(options.prefix) && (!options.startAfter || k > options.startAfter))
      .sort();
    const max = options.maxKeys ?? 1000;
    return {
      keys: keys.slice(0, max),
      commonPrefixes: [],
      nextContinuationToken: keys.length > max ? 'more' : undefined,
    };
  }

  async signedGetUrl(key: string, options: { expiresInSeconds: number; filename: string }): Promise<string> {
    this.check('signedGetUrl', key);
    return `https://bucket.example.com/${key}?x-oss-expires=${options.expiresInSeconds}&x-oss-signature=c2VjcmV0c2lnbmF0dXJl&filename=${options.filename}`;
  }

  keys(prefix = ''): string[] {
    return [...this.objects.keys()].filter((k) => k.startsWith(prefix)).sort();
  }

  json<T>(key: string): T {
    return JSON.parse(this.objects.get(key)!.toString('utf8')) as T;
  }
}

export interface FakeCa extends CertificateAuthority {
  readonly root: CaMaterial;
  readonly subCa: CaMaterial;
  /** Certificates actually signed (token replays do not count). */
  issuedCount(): number;
  calls: { issueWithCsr: number; revoke: number; getCaCertificate: number };
  revoked: Set<string>;
  failNextIssue(error: Error): void;
}

export async function createFakeCa(): Promise<FakeCa> {
  const now = Date.now();
  const root = await createCertificateAuthority({
    commonName: 'Test Root CA',
    notAfter: new Date(now + 3650 * 86_400_000),
  });
  const subCa = await createCertificateAuthority({
    commonName: 'Test Client Sub CA',
    issuer: root,
    notAfter: new Date(now + 1825 * 86_400_000),
    pathLength: 0,
  });
  const byToken = new Map<string, Promise<IssuedCertificate>>();
  const revoked = new Set<string>();
  const pendingErrors: Error[] = [];
  let counter = 0;
  const calls = { issueWithCsr: 0, revoke: 0, getCaCertificate: 0 };
  return {
    root,
    subCa,
    calls,
    revoked,
    issuedCount: () => counter,
    failNextIssue: (error) => pendingErrors.push(error),
    async issueWithCsr(request: IssueWithCsrRequest): Promise<IssuedCertificate> {
      calls.issueWithCsr += 1;
      const error = pendingErrors.shift();
      if (error) throw error;
      // Like CAS: the same ClientToken gives the same certificate, also while the first call is still running.
      const known = byToken.get(request.clientToken);
      if (known) return known;
      const work = (async () => {
        const csr = await parseCsr(request.csrPem);
        const certificatePem = await signClientCertificate({
          publicKey: csr.publicKey,
          commonName: csr.commonName,
          sans: request.sans,
          notBefore: request.notBefore,
          notAfter: request.notAfter,
          issuer: subCa,
        });
        counter += 1;
        return {
          identifier: `fake-${counter}`,
          serialNumber: inspectCertificate(certificatePem).serialNumber,
          certificatePem,
          chainPems: [subCa.certificatePem, root.certificatePem],
        };
      })();
      byToken.set(request.clientToken, work);
      work.catch(() => byToken.delete(request.clientToken));
      return work;
    },
    async revoke(identifier: string): Promise<void> {
      calls.revoke += 1;
      revoked.add(identifier);
    },
    async status(identifier: string) {
      return revoked.has(identifier) ? 'revoked' : 'good';
    },
    async getCaCertificate(identifier: string): Promise<CaCertificate> {
      calls.getCaCertificate += 1;
      return {
        identifier,
        certificatePem: subCa.certificatePem,
        chainPems: [root.certificatePem],
        status: 'ISSUE',
        type: 'SUB_ROOT',
        notAfter: inspectCertificate(subCa.certificatePem).notAfter,
      };
    },
  };
}

export class ManualClock {
  constructor(private t: number = Date.now()) {}
  now = (): Date => new Date(this.t);
  advance(ms: number): void {
    this.t += ms;
  }
}

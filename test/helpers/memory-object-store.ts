/**
 * Why: the one in-memory ObjectStore for unit tests of the orchestration (certificate service, renewal sweep and
 * worker). It keeps the semantics callers rely on, pinned by the contract suite (test/helpers/object-store-contract.ts)
 * that also runs against the OSS adapter on the emulator: sorted keys, prefix, startAfter, delimiter, paging with an
 * opaque continuation token, max-keys 1..1000 (default 100), create-only puts, a presigned-link shape. It counts each
 * operation and can fail a chosen call, so crash and retry paths are exercised for real.
 */
import { createHash } from 'node:crypto';
import { ObjectExistsError, type ObjectListing, type ObjectStore } from '../../shared/domain/ports.js';

export type StoreOperation = 'put' | 'get' | 'exists' | 'delete' | 'list' | 'signedGetUrl';

/** An injected failure, shaped like the adapter's OSS 500 (a code and an HTTP status). */
export class StoreFault extends Error {
  readonly code = 'InternalError';
  readonly status = 500;
  constructor(op: string, key: string) {
    super(`injected failure on ${op} ${key}`);
    this.name = 'StoreFault';
  }
}

/** A bad argument, shaped like the adapter's answer to one (OSS `InvalidArgument`, HTTP 400). */
export class StoreArgumentError extends Error {
  readonly code = 'InvalidArgument';
  readonly status = 400;
  constructor(message: string) {
    super(message);
    this.name = 'StoreArgumentError';
  }
}

/** As OSS: presigned links live 1 s to 7 days; max-keys is 1..1000, default 100. */
const MAX_LINK_SECONDS = 604800;
const DEFAULT_MAX_KEYS = 100;
const SAFE_FILENAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

type Position = { key: string } | { commonPrefix: string };

export class MemoryObjectStore implements ObjectStore {
  readonly objects = new Map<string, Buffer>();
  readonly calls: Record<StoreOperation, number> = { put: 0, get: 0, exists: 0, delete: 0, list: 0, signedGetUrl: 0 };
  private failures: Array<{ op: StoreOperation; skip: number; match?: (key: string) => boolean }> = [];

  constructor(private readonly now: () => Date = () => new Date()) {}

  /** The call after `skip` matching calls of `op` fails once (an OSS 500). For `list`, `match` sees the prefix. */
  failOnce(op: StoreOperation, skip = 0, match?: (key: string) => boolean): void {
    this.failures.push({ op, skip, match });
  }

  async put(key: string, body: Buffer | string, options: { contentType?: string; ifAbsent?: boolean } = {}) {
    this.check('put', key);
    if (options.ifAbsent && this.objects.has(key)) throw new ObjectExistsError(key);
    this.objects.set(key, Buffer.from(body));
  }

  async get(key: string): Promise<Buffer | null> {
    this.check('get', key);
    const body = this.objects.get(key);
    return body ? Buffer.from(body) : null;
  }

  async exists(key: string): Promise<boolean> {
    this.check('exists', key);
    return this.objects.has(key);
  }

  async delete(key: string): Promise<void> {
    this.check('delete', key);
    this.objects.delete(key);
  }

  async list(options: {
    prefix: string;
    startAfter?: string;
    continuationToken?: string;
    maxKeys?: number;
    delimiter?: string;
  }): Promise<ObjectListing> {
    this.check('list', options.prefix);
    const maxKeys = options.maxKeys ?? DEFAULT_MAX_KEYS;
    if (!Number.isInteger(maxKeys) || maxKeys < 1 || maxKeys > 1000)
      throw new StoreArgumentError('Argument max-keys must be an integer between 1 and 1000.');
    const resume = options.continuationToken ? decodeToken(options.continuationToken) : undefined;
    const prefix = options.prefix;
    const delimiter = options.delimiter ?? '';
    const sorted = [...this.objects.keys()].filter((k) => k.startsWith(prefix)).sort();
    const keys: string[] = [];
    const commonPrefixes: string[] = [];
    let last: Position | undefined;
    let truncated = false;
    for (const key of sorted) {
      if (options.startAfter !== undefined && key <= options.startAfter) continue;
      if (resume && 'key' in resume && key <= resume.key) continue;
      if (resume && 'commonPrefix' in resume && (key <= resume.commonPrefix || key.startsWith(resume.commonPrefix)))
        continue;
      const at = delimiter ? key.indexOf(delimiter, prefix.length) : -1;
      const commonPrefix = at >= 0 ? key.slice(0, at + delimiter.length) : undefined;
      if (commonPrefix !== undefined && last && 'commonPrefix' in last && last.commonPrefix === commonPrefix) continue;
      if (keys.length + commonPrefixes.length === maxKeys) {
        truncated = true;
        break;
      }
      if (commonPrefix !== undefined) {
        commonPrefixes.push(commonPrefix);
        last = { commonPrefix };
      } else {
        keys.push(key);
        last = { key };
      }
    }
    // OSS's ETag of a simple upload: the upper-case hex MD5 of the body.
    const etags = keys.map((key) => createHash('md5').update(this.objects.get(key)!).digest('hex').toUpperCase());
    return {
      keys,
      etags,
      commonPrefixes,
      ...(truncated && last ? { nextContinuationToken: encodeToken(last) } : {}),
    };
  }

  async signedGetUrl(key: string, options: { expiresInSeconds: number; filename: string }): Promise<string> {
    this.check('signedGetUrl', key);
    const { expiresInSeconds, filename } = options;
    if (!Number.isInteger(expiresInSeconds) || expiresInSeconds < 1 || expiresInSeconds > MAX_LINK_SECONDS)
      throw new RangeError(`expiresInSeconds must be an integer from 1 to ${MAX_LINK_SECONDS}`);
    if (!SAFE_FILENAME.test(filename)) throw new RangeError('filename must be a plain file name ([A-Za-z0-9._-])');
    // The shape of an OSS V4 presigned link; the signature is a fixed fake (nothing verifies it).
    const url = new URL(
      `https://memory-bucket.oss-cn-hangzhou.aliyuncs.com/${key.split('/').map(encodeURIComponent).join('/')}`,
    );
    url.searchParams.set('response-content-disposition', `attachment; filename="${filename}"`);
    url.searchParams.set('x-oss-signature-version', 'OSS4-HMAC-SHA256');
    url.searchParams.set(
      'x-oss-date',
      this.now()
        .toISOString()
        .replace(/[-:]|\.\d{3}/g, ''),
    );
    url.searchParams.set('x-oss-expires', String(expiresInSeconds));
    url.searchParams.set('x-oss-signature', 'c2VjcmV0c2lnbmF0dXJl'.padEnd(64, '0'));
    return url.href;
  }

  /** Test helpers: read the state without counting a call. */
  keys(prefix = ''): string[] {
    return [...this.objects.keys()].filter((k) => k.startsWith(prefix)).sort();
  }

  /** The JSON object at `key`; throws when there is none (a test expecting one fails with the key in the message). */
  json<T>(key: string): T {
    const body = this.objects.get(key);
    if (!body) throw new Error(`no object at ${key}`);
    return JSON.parse(body.toString('utf8')) as T;
  }

  /** The JSON object at `key`, or undefined: for fakes of ports that answer "not found" with undefined. */
  maybeJson<T>(key: string): T | undefined {
    return this.objects.has(key) ? this.json<T>(key) : undefined;
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
}

function encodeToken(position: Position): string {
  return Buffer.from('key' in position ? `k${position.key}` : `p${position.commonPrefix}`).toString('base64url');
}

function decodeToken(token: string): Position {
  const text = /^[A-Za-z0-9_-]+$/.test(token) ? Buffer.from(token, 'base64url').toString('utf8') : '';
  if (text.startsWith('k') && text.length > 1) return { key: text.slice(1) };
  if (text.startsWith('p') && text.length > 1) return { commonPrefix: text.slice(1) };
  throw new StoreArgumentError('The continuation token provided is incorrect.');
}

// An in-memory ObjectStore with the semantics the sweep relies on (sorted keys, prefix, paging, create-only puts),
// and a per-operation count, for unit tests of the orchestration. The emulator's OSS is used in integration tests.
import { ObjectExistsError, type ObjectListing, type ObjectStore } from '../../../shared/domain/ports.js';

export class MemoryStore implements ObjectStore {
  readonly objects = new Map<string, Buffer>();
  readonly calls: Record<string, number> = {};
  failNext: Partial<Record<'put' | 'get' | 'exists' | 'delete' | 'list', number>> = {};

  private count(op: keyof MemoryStore['failNext']): void {
    this.calls[op] = (this.calls[op] ?? 0) + 1;
    if ((this.failNext[op] ?? 0) > 0) {
      this.failNext[op]! -= 1;
      throw Object.assign(new Error(`injected ${op} failure`), { code: 'InternalError', status: 500 });
    }
  }

  async put(key: string, body: Buffer | string, options?: { ifAbsent?: boolean }): Promise<void> {
    this.count('put');
    if (options?.ifAbsent && this.objects.has(key)) throw new ObjectExistsError(key);
    this.objects.set(key, Buffer.from(body));
  }
  async get(key: string): Promise<Buffer | null> {
    this.count('get');
    return this.objects.get(key) ?? null;
  }
  async exists(key: string): Promise<boolean> {
    this.count('exists');
    return this.objects.has(key);
  }
  async delete(key: string): Promise<void> {
    this.count('delete');
    this.objects.delete(key);
  }
  async list(options: {
    prefix: string;
    startAfter?: string;
    continuationToken?: string;
    maxKeys?: number;
  }): Promise<ObjectListing> {
    this.count('list');
    const after = options.continuationToken ?? options.startAfter ?? '';
    const all = [...this.objects.keys()].filter((k) => k.startsWith(options.prefix) && k > after).sort();
    const max = options.maxKeys ?? 1000;
    const keys = all.slice(0, max);
    return { keys, commonPrefixes: [], ...(all.length > max ? { nextContinuationToken: keys[keys.length - 1] } : {}) };
  }
  async signedGetUrl(key: string, options: { expiresInSeconds: number; filename: string }): Promise<string> {
    return `https://bucket.example/${key}?x-oss-expires=${options.expiresInSeconds}&x-oss-signature=test`;
  }
  keys(prefix: string): string[] {
    return [...this.objects.keys()].filter((k) => k.startsWith(prefix)).sort();
  }
  json<T>(key: string): T | undefined {
    const body = this.objects.get(key);
    return body ? (JSON.parse(body.toString('utf8')) as T) : undefined;
  }
}

/**
 * The objects of one emulated bucket, kept on disk as two append-only files: `objects.dat` holds the bodies
 * back to back and `index.jsonl` one line per put or delete (key, metadata, offset, length). No object key
 * ever becomes a file name, and seeding 100k objects is 200k appends instead of 100k file creations.
 * Every operation is synchronous, so a forbid-overwrite check and the write that follows cannot interleave
 * with another request. Overwritten and deleted bodies stay in the data file until the next open compacts it.
 */
import { closeSync, existsSync, fstatSync, mkdirSync, openSync, readFileSync, readSync, renameSync, writeSync } from 'node:fs';
import { createHash } from 'node:crypto';
import path from 'node:path';
import { KeyIndex, listPage, type ListPage, type ListRequest } from './key-index.js';

export interface ObjectMeta {
  size: number;
  /** Upper-case hex MD5 of the body, as OSS reports it (quoted in the `ETag` header). */
  etag: string;
  /** Milliseconds since the epoch, truncated to whole seconds like OSS's `Last-Modified`. */
  lastModified: number;
  contentType: string;
  acl?: string;
  serverSideEncryption?: string;
  serverSideEncryptionKeyId?: string;
  contentDisposition?: string;
  contentEncoding?: string;
  cacheControl?: string;
  expires?: string;
  /** `x-oss-meta-*` headers, names lower-cased without the prefix. */
  userMeta?: Record<string, string>;
}

export type PutAttributes = Omit<ObjectMeta, 'size' | 'etag' | 'lastModified'>;

interface StoredObject {
  meta: ObjectMeta;
  offset: number;
}

type JournalLine = { op: 'put'; key: string; offset: number; meta: ObjectMeta } | { op: 'delete'; key: string };

const DATA_FILE = 'objects.dat';
const INDEX_FILE = 'index.jsonl';
/** Compact on open once dead bytes pass this and outweigh the live ones. */
const COMPACT_MIN_DEAD_BYTES = 4 * 1024 * 1024;

export class BucketStore {
  private readonly objects = new Map<string, StoredObject>();
  private readonly index = new KeyIndex();
  private dataFd: number;
  private indexFd: number;
  private dataSize: number;

  private constructor(
    readonly name: string,
    private readonly dir: string,
  ) {
    this.dataFd = -1;
    this.indexFd = -1;
    this.dataSize = 0;
  }

  /** Opens (or creates) the bucket under `dir`, replaying its journal and compacting it when mostly garbage. */
  static open(name: string, dir: string): BucketStore {
    mkdirSync(dir, { recursive: true });
    const store = new BucketStore(name, dir);
    store.replay();
    store.dataFd = openSync(path.join(dir, DATA_FILE), 'a+');
    store.indexFd = openSync(path.join(dir, INDEX_FILE), 'a');
    store.dataSize = fstatSync(store.dataFd).size;
    return store;
  }

  close(): void {
    if (this.dataFd >= 0) closeSync(this.dataFd);
    if (this.indexFd >= 0) closeSync(this.indexFd);
    this.dataFd = -1;
    this.indexFd = -1;
  }

  has(key: string): boolean {
    return this.objects.has(key);
  }

  head(key: string): ObjectMeta | undefined {
    return this.objects.get(key)?.meta;
  }

  get(key: string): { meta: ObjectMeta; body: Buffer } | undefined {
    const stored = this.objects.get(key);
    if (!stored) return undefined;
    const body = Buffer.alloc(stored.meta.size);
    if (body.length > 0) readSync(this.dataFd, body, 0, body.length, stored.offset);
    return { meta: stored.meta, body };
  }

  put(key: string, body: Buffer, attributes: PutAttributes, now = Date.now()): ObjectMeta {
    const meta: ObjectMeta = {
      ...attributes,
      size: body.length,
      etag: createHash('md5').update(body).digest('hex').toUpperCase(),
      lastModified: Math.floor(now / 1000) * 1000,
    };
    const offset = this.dataSize;
    if (body.length > 0) writeSync(this.dataFd, body);
    this.dataSize += body.length;
    this.appendJournal({ op: 'put', key, offset, meta });
    if (!this.objects.has(key)) this.index.add(key);
    this.objects.set(key, { meta, offset });
    return meta;
  }

  /** True when the key existed. */
  delete(key: string): boolean {
    if (!this.objects.has(key)) return false;
    this.appendJournal({ op: 'delete', key });
    this.objects.delete(key);
    this.index.remove(key);
    return true;
  }

  list(request: ListRequest): ListPage & { metas: ObjectMeta[] } {
    const page = listPage(this.index.sorted(), request);
    return { ...page, metas: page.keys.map((k) => this.objects.get(k)!.meta) };
  }

  count(prefix?: string): number {
    return this.index.count(prefix);
  }

  private appendJournal(line: JournalLine): void {
    writeSync(this.indexFd, JSON.stringify(line) + '\n');
  }

  private replay(): void {
    const indexPath = path.join(this.dir, INDEX_FILE);
    const dataPath = path.join(this.dir, DATA_FILE);
    if (!existsSync(indexPath)) return;
    const dataSize = existsSync(dataPath) ? fstatSizeOf(dataPath) : 0;
    let lines = 0;
    for (const text of readFileSync(indexPath, 'utf8').split('\n')) {
      if (!text) continue;
      let line: JournalLine;
      try {
        line = JSON.parse(text) as JournalLine;
      } catch {
        continue; // a torn last line after a crash: the write it describes never completed
      }
      lines += 1;
      if (line.op === 'put' && line.offset + line.meta.size <= dataSize) {
        if (!this.objects.has(line.key)) this.index.add(line.key);
        this.objects.set(line.key, { meta: line.meta, offset: line.offset });
      } else if (line.op === 'delete' && this.objects.delete(line.key)) {
        this.index.remove(line.key);
      }
    }
    let liveBytes = 0;
    for (const o of this.objects.values()) liveBytes += o.meta.size;
    const deadBytes = dataSize - liveBytes;
    if ((deadBytes > COMPACT_MIN_DEAD_BYTES && deadBytes > liveBytes) || lines > 2 * this.objects.size + 10_000) this.compact();
  }

  /** Rewrites both files with only the live objects, then swaps them in. */
  private compact(): void {
    const dataPath = path.join(this.dir, DATA_FILE);
    const indexPath = path.join(this.dir, INDEX_FILE);
    const oldFd = openSync(dataPath, 'r');
    const newDataFd = openSync(`${dataPath}.compact`, 'w');
    const newIndexFd = openSync(`${indexPath}.compact`, 'w');
    let offset = 0;
    for (const [key, stored] of this.objects) {
      const body = Buffer.alloc(stored.meta.size);
      if (body.length > 0) {
        readSync(oldFd, body, 0, body.length, stored.offset);
        writeSync(newDataFd, body);
      }
      writeSync(newIndexFd, JSON.stringify({ op: 'put', key, offset, meta: stored.meta } satisfies JournalLine) + '\n');
      stored.offset = offset;
      offset += body.length;
    }
    closeSync(oldFd);
    closeSync(newDataFd);
    closeSync(newIndexFd);
    renameSync(`${dataPath}.compact`, dataPath);
    renameSync(`${indexPath}.compact`, indexPath);
  }
}

function fstatSizeOf(file: string): number {
  const fd = openSync(file, 'r');
  try {
    return fstatSync(fd).size;
  } finally {
    closeSync(fd);
  }
}

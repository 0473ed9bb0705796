/**
 * The objects of one emulated bucket, kept on disk as two append-only files: `objects.dat` holds the bodies
 * back to back and `index.jsonl` one line per put or delete (key, metadata, offset, length). No object key
 * ever becomes a file name, and seeding 100k objects is 200k appends instead of 100k file creations.
 * Every operation is synchronous, so a forbid-overwrite check and the write that follows cannot interleave
 * with another request. Overwritten and deleted bodies stay in the data file until the next open compacts it.
 */
import {
  closeSync,
  existsSync,
  fstatSync,
  mkdirSync,
  openSync,
  readFileSync,
  readSync,
  renameSync,
  writeSync,
} from 'node:fs';
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

/**
 * What the store keeps in memory per object, kept small (fixed shape, attribute sets shared between objects)
 * because the renewal benchmark holds 200k objects in the same process as the code under test.
 */
class StoredObject {
  constructor(
    public offset: number,
    readonly size: number,
    readonly etag: string,
    readonly lastModified: number,
    readonly attributes: Readonly<PutAttributes>,
  ) {}

  meta(): ObjectMeta {
    return { ...this.attributes, size: this.size, etag: this.etag, lastModified: this.lastModified };
  }
}

type JournalLine = { op: 'put'; key: string; offset: number; meta: ObjectMeta } | { op: 'delete'; key: string };

const DATA_FILE = 'objects.dat';
/** Index entries are empty objects: their ETag needs no hashing. */
const EMPTY_MD5 = createHash('md5').digest('hex').toUpperCase();
/** Journal lines are buffered up to this size (and at most until the next turn of the event loop). */
const JOURNAL_FLUSH_BYTES = 256 * 1024;
const INDEX_FILE = 'index.jsonl';
/** Compact on open once dead bytes pass this and outweigh the live ones. */
const COMPACT_MIN_DEAD_BYTES = 4 * 1024 * 1024;

export class BucketStore {
  private readonly objects = new Map<string, StoredObject>();
  private readonly index = new KeyIndex();
  /** Identical attribute sets (most objects share one of a few) are stored once. */
  private readonly attributeSets = new Map<string, Readonly<PutAttributes>>();
  private journal: string[] = [];
  private journalBytes = 0;
  private flushScheduled = false;
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
    this.flushJournal();
    if (this.dataFd >= 0) closeSync(this.dataFd);
    if (this.indexFd >= 0) closeSync(this.indexFd);
    this.dataFd = -1;
    this.indexFd = -1;
  }

  has(key: string): boolean {
    return this.objects.has(key);
  }

  head(key: string): ObjectMeta | undefined {
    return this.objects.get(key)?.meta();
  }

  get(key: string): { meta: ObjectMeta; body: Buffer } | undefined {
    const stored = this.objects.get(key);
    if (!stored) return undefined;
    const body = Buffer.alloc(stored.size);
    if (body.length > 0) readSync(this.dataFd, body, 0, body.length, stored.offset);
    return { meta: stored.meta(), body };
  }

  put(key: string, body: Buffer, attributes: PutAttributes, now = Date.now()): ObjectMeta {
    const offset = this.dataSize;
    if (body.length > 0) writeSync(this.dataFd, body);
    this.dataSize += body.length;
    const stored = this.remember(key, offset, {
      ...attributes,
      size: body.length,
      etag: body.length === 0 ? EMPTY_MD5 : createHash('md5').update(body).digest('hex').toUpperCase(),
      lastModified: Math.floor(now / 1000) * 1000,
    });
    const meta = stored.meta();
    this.appendJournal({ op: 'put', key, offset, meta });
    return meta;
  }

  private remember(key: string, offset: number, meta: ObjectMeta): StoredObject {
    const { size, etag, lastModified, ...attributes } = meta;
    const signature = JSON.stringify(attributes);
    let shared = this.attributeSets.get(signature);
    if (!shared) {
      shared = Object.freeze(attributes);
      this.attributeSets.set(signature, shared);
    }
    const stored = new StoredObject(offset, size, etag, lastModified, shared);
    if (!this.objects.has(key)) this.index.add(key);
    this.objects.set(key, stored);
    return stored;
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
    return { ...page, metas: page.keys.map((k) => this.objects.get(k)!.meta()) };
  }

  count(prefix?: string): number {
    return this.index.count(prefix);
  }

  /**
   * The body is already in the data file; its journal line is buffered briefly, so seeding 100k objects costs
   * one write per object instead of two. Only an emulator crash in that window loses the latest objects.
   */
  private appendJournal(line: JournalLine): void {
    const text = JSON.stringify(line) + '\n';
    this.journal.push(text);
    this.journalBytes += text.length;
    if (this.journalBytes >= JOURNAL_FLUSH_BYTES) this.flushJournal();
    else if (!this.flushScheduled) {
      this.flushScheduled = true;
      setImmediate(() => this.flushJournal());
    }
  }

  private flushJournal(): void {
    this.flushScheduled = false;
    if (this.journal.length === 0 || this.indexFd < 0) return;
    writeSync(this.indexFd, this.journal.join(''));
    this.journal = [];
    this.journalBytes = 0;
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
        this.remember(line.key, line.offset, line.meta);
      } else if (line.op === 'delete' && this.objects.delete(line.key)) {
        this.index.remove(line.key);
      }
    }
    let liveBytes = 0;
    for (const o of this.objects.values()) liveBytes += o.size;
    const deadBytes = dataSize - liveBytes;
    if ((deadBytes > COMPACT_MIN_DEAD_BYTES && deadBytes > liveBytes) || lines > 2 * this.objects.size + 10_000)
      this.compact();
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
      const body = Buffer.alloc(stored.size);
      if (body.length > 0) {
        readSync(oldFd, body, 0, body.length, stored.offset);
        writeSync(newDataFd, body);
      }
      writeSync(
        newIndexFd,
        JSON.stringify({ op: 'put', key, offset, meta: stored.meta() } satisfies JournalLine) + '\n',
      );
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

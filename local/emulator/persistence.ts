/**
 * The emulator's state on disk: one append-only JSON-lines file per collection. A change appends one line
 * (batched and written asynchronously), so issuing thousands of certificates never rewrites a large file;
 * the log is compacted when it is loaded. Without a file the collection lives in memory only.
 */
import { appendFile, appendFileSync, existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';

type Line<T> = { id: string; value: T } | { id: string; deleted: true };

const FLUSH_DELAY_MS = 50;

export class JsonlCollection<T> {
  private readonly items = new Map<string, T>();
  private pending: string[] = [];
  private timer: NodeJS.Timeout | undefined;
  private writing: Promise<void> = Promise.resolve();

  constructor(private readonly file?: string) {
    if (!file) return;
    mkdirSync(dirname(file), { recursive: true });
    if (!existsSync(file)) return;
    const lines = readFileSync(file, 'utf8').split('\n').filter(Boolean);
    for (const text of lines) {
      let line: Line<T>;
      try {
        line = JSON.parse(text) as Line<T>;
      } catch {
        continue; // a torn last line after a crash: the change before it is what was kept
      }
      if ('deleted' in line) this.items.delete(line.id);
      else this.items.set(line.id, line.value);
    }
    if (lines.length > this.items.size * 2 + 100) this.compact();
  }

  get(id: string): T | undefined {
    return this.items.get(id);
  }

  has(id: string): boolean {
    return this.items.has(id);
  }

  values(): IterableIterator<T> {
    return this.items.values();
  }

  get size(): number {
    return this.items.size;
  }

  put(id: string, value: T): void {
    this.items.set(id, value);
    this.append({ id, value });
  }

  delete(id: string): void {
    if (!this.items.delete(id)) return;
    this.append({ id, deleted: true });
  }

  /** Writes what is still buffered; resolves when it is on disk. */
  async flush(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    if (this.file && this.pending.length > 0) {
      const chunk = this.pending.join('');
      this.pending = [];
      const file = this.file;
      this.writing = this.writing.then(
        () => new Promise<void>((resolve, reject) => appendFile(file, chunk, (err) => (err ? reject(err) : resolve()))),
      );
    }
    await this.writing;
  }

  /** Synchronous last write, for process exit paths. */
  flushSync(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    if (this.file && this.pending.length > 0) appendFileSync(this.file, this.pending.join(''));
    this.pending = [];
  }

  private append(line: Line<T>): void {
    if (!this.file) return;
    this.pending.push(JSON.stringify(line) + '\n');
    if (!this.timer) {
      this.timer = setTimeout(() => void this.flush().catch(() => undefined), FLUSH_DELAY_MS);
      this.timer.unref();
    }
  }

  private compact(): void {
    if (!this.file) return;
    const tmp = `${this.file}.tmp`;
    writeFileSync(tmp, [...this.items].map(([id, value]) => JSON.stringify({ id, value }) + '\n').join(''));
    renameSync(tmp, this.file);
  }
}

/**
 * The sorted key index of one bucket, so a prefix listing of 100,000 keys is a binary search plus one page,
 * not a scan. Writes are buffered and merged into the sorted array on the next read: seeding 100k keys
 * costs one sort, and a sweep that writes then lists costs one O(n) merge, not an O(n) splice per write.
 * Order is JavaScript string order (UTF-16 code units); OSS orders by UTF-8 bytes, which differs only for
 * characters above U+E000 next to astral ones.
 */
const SPLICE_LIMIT = 32;

export class KeyIndex {
  private keys: string[] = [];
  private readonly added = new Set<string>();
  private readonly removed = new Set<string>();

  /** `key` is new to the bucket (the caller knows; an overwrite does not call this). */
  add(key: string): void {
    if (this.removed.has(key)) this.removed.delete(key);
    else this.added.add(key);
  }

  /** `key` was in the bucket and is gone. */
  remove(key: string): void {
    if (this.added.has(key)) this.added.delete(key);
    else this.removed.add(key);
  }

  sorted(): readonly string[] {
    // A few changes are spliced in place (a memmove each); many are merged in one pass.
    if (this.removed.size > SPLICE_LIMIT) this.keys = this.keys.filter((k) => !this.removed.has(k));
    else {
      for (const key of this.removed) {
        const at = lowerBound(this.keys, key);
        if (this.keys[at] === key) this.keys.splice(at, 1);
      }
    }
    this.removed.clear();
    if (this.added.size > SPLICE_LIMIT) this.keys = mergeSorted(this.keys, [...this.added].sort());
    else for (const key of this.added) this.keys.splice(lowerBound(this.keys, key), 0, key);
    this.added.clear();
    return this.keys;
  }

  count(prefix = ''): number {
    const keys = this.sorted();
    if (prefix === '') return keys.length;
    const from = lowerBound(keys, prefix);
    return endOfPrefix(keys, prefix, from) - from;
  }
}

function mergeSorted(a: string[], b: string[]): string[] {
  if (a.length === 0) return b;
  const out = new Array<string>(a.length + b.length);
  let i = 0;
  let j = 0;
  let k = 0;
  while (i < a.length && j < b.length) out[k++] = a[i] < b[j] ? a[i++] : b[j++];
  while (i < a.length) out[k++] = a[i++];
  while (j < b.length) out[k++] = b[j++];
  return out;
}

/** First index whose key is >= `value`. */
export function lowerBound(keys: readonly string[], value: string): number {
  let lo = 0;
  let hi = keys.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (keys[mid] < value) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** First index whose key is > `value`. */
export function upperBound(keys: readonly string[], value: string): number {
  let lo = 0;
  let hi = keys.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (keys[mid] <= value) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** First index at or after `from` whose key does not start with `prefix` (keys with a prefix are contiguous). */
export function endOfPrefix(keys: readonly string[], prefix: string, from: number): number {
  let lo = from;
  let hi = keys.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (keys[mid].startsWith(prefix)) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

export interface ListRequest {
  prefix: string;
  delimiter: string;
  maxKeys: number;
  startAfter?: string;
  /** Where the previous page stopped: after a key, or after every key under a common prefix. */
  resumeAfter?: { key: string } | { commonPrefix: string };
}

export interface ListPage {
  keys: string[];
  commonPrefixes: string[];
  truncated: boolean;
  /** Set when truncated: the last key or common prefix returned. */
  last?: { key: string } | { commonPrefix: string };
}

/** One ListObjectsV2 page: max-keys counts keys and common prefixes together, as OSS does. */
export function listPage(sortedKeys: readonly string[], request: ListRequest): ListPage {
  const { prefix, delimiter, maxKeys } = request;
  let i = lowerBound(sortedKeys, prefix);
  if (request.startAfter !== undefined) i = Math.max(i, upperBound(sortedKeys, request.startAfter));
  const resume = request.resumeAfter;
  if (resume && 'key' in resume) i = Math.max(i, upperBound(sortedKeys, resume.key));
  if (resume && 'commonPrefix' in resume)
    i = Math.max(i, endOfPrefix(sortedKeys, resume.commonPrefix, lowerBound(sortedKeys, resume.commonPrefix)));

  const keys: string[] = [];
  const commonPrefixes: string[] = [];
  let last: ListPage['last'];
  while (i < sortedKeys.length && keys.length + commonPrefixes.length < maxKeys) {
    const key = sortedKeys[i];
    if (!key.startsWith(prefix)) break;
    const at = delimiter ? key.indexOf(delimiter, prefix.length) : -1;
    if (at >= 0) {
      const commonPrefix = key.slice(0, at + delimiter.length);
      commonPrefixes.push(commonPrefix);
      last = { commonPrefix };
      i = endOfPrefix(sortedKeys, commonPrefix, i);
    } else {
      keys.push(key);
      last = { key };
      i += 1;
    }
  }
  const truncated = i < sortedKeys.length && sortedKeys[i].startsWith(prefix);
  return { keys, commonPrefixes, truncated, ...(truncated ? { last } : {}) };
}

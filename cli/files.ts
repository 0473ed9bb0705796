/**
 * Files on the device are replaced, never rewritten in place: the new content goes to a temp file in the same
 * directory, gets its mode, is flushed, and is renamed over the old one. A reader (nginx, curl, the agent after a
 * crash) sees either the old file or the new one, never half of one; a failure leaves no temp file behind.
 */
import { randomBytes } from 'node:crypto';
import {
  closeSync,
  fsyncSync,
  openSync,
  readFileSync,
  renameSync,
  statSync,
  unlinkSync,
  writeSync,
  chmodSync,
} from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { CliError, EXIT } from './exit-codes.js';

export const PRIVATE = 0o600;
export const PUBLIC = 0o644;

function describe(err: unknown): string {
  const e = err as NodeJS.ErrnoException;
  if (e.code === 'ENOENT') return 'no such file or directory';
  if (e.code === 'EACCES' || e.code === 'EPERM') return 'permission denied';
  if (e.code === 'EISDIR') return 'it is a directory';
  if (e.code === 'ENOTDIR') return 'a part of the path is not a directory';
  if (e.code === 'ENOSPC') return 'no space left on the device';
  if (e.code === 'EROFS') return 'read-only file system';
  return e.message;
}

/** Writes `path` atomically with `mode` (set before the rename, whatever the umask). */
export function writeFileAtomic(path: string, data: string | Buffer, mode: number): void {
  const temp = join(dirname(path), `.${basename(path)}.${randomBytes(6).toString('hex')}.tmp`);
  let fd: number | undefined;
  try {
    if (existsAsDirectory(path)) throw Object.assign(new Error('is a directory'), { code: 'EISDIR' });
    fd = openSync(temp, 'wx', mode);
    const bytes = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
    for (let off = 0; off < bytes.length; ) off += writeSync(fd, bytes, off, bytes.length - off);
    fsyncSync(fd);
    closeSync(fd);
    fd = undefined;
    chmodSync(temp, mode);
    renameSync(temp, path);
    fsyncDirectory(dirname(path));
  } catch (cause) {
    if (fd !== undefined) closeSync(fd);
    try {
      unlinkSync(temp);
    } catch {
      // never created, or already renamed
    }
    throw new CliError(EXIT.LOCAL, 'FILE_NOT_WRITABLE', `Cannot write ${path}: ${describe(cause)}.`, { cause });
  }
}

function existsAsDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

function fsyncDirectory(dir: string): void {
  // Makes the rename itself durable; not every platform lets a directory be opened, which is fine.
  try {
    const fd = openSync(dir, 'r');
    try {
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
  } catch {
    // best effort
  }
}

/** Renames atomically (same directory), with a clear error. */
export function replaceFile(from: string, to: string): void {
  try {
    renameSync(from, to);
    fsyncDirectory(dirname(to));
  } catch (cause) {
    throw new CliError(EXIT.LOCAL, 'FILE_NOT_WRITABLE', `Cannot move ${from} to ${to}: ${describe(cause)}.`, { cause });
  }
}

export function readTextFile(path: string, what: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (cause) {
    const code = (cause as NodeJS.ErrnoException).code === 'ENOENT' ? 'FILE_NOT_FOUND' : 'FILE_UNREADABLE';
    throw new CliError(EXIT.LOCAL, code, `Cannot read the ${what} ${path}: ${describe(cause)}.`, { cause });
  }
}

export function fileExists(path: string): boolean {
  try {
    statSync(path);
    return true;
  } catch {
    return false;
  }
}

export function removeFile(path: string): void {
  try {
    unlinkSync(path);
  } catch {
    // already gone
  }
}

/** The directory must exist and be a directory: files are only ever created inside an existing one. */
export function checkDirectory(dir: string): void {
  let ok: boolean;
  try {
    ok = statSync(dir).isDirectory();
  } catch (cause) {
    throw new CliError(EXIT.LOCAL, 'DIRECTORY_NOT_FOUND', `The directory ${dir} does not exist: ${describe(cause)}.`, {
      hint: `mkdir -p ${dir}`,
    });
  }
  if (!ok) throw new CliError(EXIT.LOCAL, 'DIRECTORY_NOT_FOUND', `${dir} is not a directory.`);
}

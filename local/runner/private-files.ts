/**
 * Files of the local stack that hold secrets or keys (`.local/`: dev token, emulator keys, CA keys, state): the
 * directory is 0700 and every file 0600, and an existing file or directory with looser modes is repaired, not
 * just left as it was (`writeFileSync`'s `mode` only applies when it creates the file).
 */
import { chmodSync, existsSync, mkdirSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export function ensurePrivateDir(dir: string): void {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  chmodSync(dir, 0o700);
}

export function writePrivateFile(file: string, content: string | Buffer): void {
  writeFileSync(file, content, { mode: 0o600 });
  chmodSync(file, 0o600);
}

/** Makes `dir` 0700 and everything below it owner-only (directories 0700, files 0600). */
export function restrictTree(dir: string): void {
  if (!existsSync(dir)) return;
  ensurePrivateDir(dir);
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isSymbolicLink()) continue;
    if (entry.isDirectory()) restrictTree(path);
    else if ((statSync(path).mode & 0o077) !== 0) chmodSync(path, 0o600);
  }
}

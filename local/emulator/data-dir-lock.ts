/**
 * One emulator per data dir: two processes appending to the same state logs would interleave their changes.
 * The lock is a pid file; a lock left by a process that is gone is taken over.
 */
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const heldHere = new Set<string>();

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Takes the lock or throws naming the holder; returns the release function. */
export function lockDataDir(dataDir: string): () => void {
  const file = join(dataDir, 'emulator.lock');
  if (heldHere.has(file))
    throw new Error(`the emulator data dir ${dataDir} is already in use by another emulator in this process`);
  if (existsSync(file)) {
    const pid = Number(readFileSync(file, 'utf8').trim());
    if (Number.isInteger(pid) && pid !== process.pid && alive(pid)) {
      throw new Error(`the emulator data dir ${dataDir} is in use by process ${pid} (stop it, or use its endpoints)`);
    }
  }
  writeFileSync(file, String(process.pid));
  heldHere.add(file);
  return () => {
    heldHere.delete(file);
    rmSync(file, { force: true });
  };
}

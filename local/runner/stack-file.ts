/**
 * `.local/stack.json`: written by `npm start`, read by `npm run invoke`, `npm run reconcile` and the quickstart to
 * find a running stack. It holds the dev token, the dev tenant's webhook secret and the emulator's keys, so it is
 * owner-only (0600 in a 0700 directory, repaired if it was looser), and `npm start` never prints what it holds.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { StackInfo } from '../stack.js';
import { ensurePrivateDir, writePrivateFile } from './private-files.js';

export const PROJECT_ROOT = fileURLToPath(new URL('../..', import.meta.url));
export const DEFAULT_DATA_DIR = join(PROJECT_ROOT, '.local');

export function writeStackFiles(dataDir: string, info: StackInfo): void {
  ensurePrivateDir(dataDir);
  writePrivateFile(join(dataDir, 'stack.json'), JSON.stringify(info, null, 2) + '\n');
  writePrivateFile(join(dataDir, 'root.crt'), info.ca.rootCertificatePem);
}

export function readStackFile(dataDir: string = DEFAULT_DATA_DIR): StackInfo | undefined {
  const file = join(dataDir, 'stack.json');
  if (!existsSync(file)) return undefined;
  return JSON.parse(readFileSync(file, 'utf8')) as StackInfo;
}

/** The stack.json of a stack that is actually up (its control endpoint answers), else undefined. */
export async function findRunningStack(dataDir: string = DEFAULT_DATA_DIR): Promise<StackInfo | undefined> {
  const info = readStackFile(dataDir);
  if (!info?.controlUrl) return undefined;
  try {
    const res = await fetch(`${info.controlUrl}/healthz`, { signal: AbortSignal.timeout(1000) });
    return res.ok ? info : undefined;
  } catch {
    return undefined;
  }
}

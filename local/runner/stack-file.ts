/**
 * `.local/stack.json`: written by `npm start`, read by `npm run invoke`, `npm run reconcile` and the quickstart to
 * find a running stack. It holds the dev token and the emulator's keys, so it is owner-only.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { StackInfo } from '../stack.js';

export const PROJECT_ROOT = fileURLToPath(new URL('../..', import.meta.url));
export const DEFAULT_DATA_DIR = join(PROJECT_ROOT, '.local');

export function writeStackFiles(dataDir: string, info: StackInfo): void {
  writeFileSync(join(dataDir, 'stack.json'), JSON.stringify(info, null, 2) + '\n', { mode: 0o600 });
  writeFileSync(join(dataDir, 'root.crt'), info.ca.rootCertificatePem);
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

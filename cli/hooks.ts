/**
 * `--on-renew 'systemctl reload nginx'`: run through /bin/sh after the new files are in place, with the paths and
 * facts in its environment. Its output goes to our stderr so the agent's stdout stays one line per event.
 */
import { spawn } from 'node:child_process';

const HOOK_TIMEOUT_MS = 120_000;

export interface HookResult {
  ok: boolean;
  exitCode: number | null;
  signal?: string;
  error?: string;
}

export function runHook(
  command: string,
  env: Record<string, string>,
  stderr: (text: string) => void,
): Promise<HookResult> {
  return new Promise((resolve) => {
    const child = spawn('/bin/sh', ['-c', command], {
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
      timeout: HOOK_TIMEOUT_MS,
    });
    child.stdout.on('data', (d: Buffer) => stderr(d.toString('utf8')));
    child.stderr.on('data', (d: Buffer) => stderr(d.toString('utf8')));
    child.once('error', (err) => resolve({ ok: false, exitCode: null, error: err.message }));
    child.once('close', (code, signal) => resolve({ ok: code === 0, exitCode: code, ...(signal ? { signal } : {}) }));
  });
}

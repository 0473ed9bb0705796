/**
 * The nlb-mtls CLI as a device runs it: built into its single file (scripts/build-cli.mjs), copied into an empty
 * directory, started with plain `node` and only the environment the test gives (no inherited token, no
 * node_modules next to it).
 */
import { execFile } from 'node:child_process';
import { copyFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { run } from '../../cli/main.js';

const root = process.cwd();

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Builds dist-like single file at `outfile` (esbuild, about a second). */
export function buildCli(outfile: string): Promise<void> {
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      [join(root, 'scripts/build-cli.mjs'), '--outfile', outfile],
      { cwd: root },
      (error, _o, stderr) => (error ? reject(new Error(`build-cli failed: ${stderr}`)) : resolve()),
    );
  });
}

/** A device directory holding only the CLI file. */
export function deviceDir(parent: string, name: string, cliFile: string): { dir: string; cli: string } {
  const dir = join(parent, name);
  mkdirSync(dir, { recursive: true });
  const cli = join(dir, 'nlb-mtls.mjs');
  copyFileSync(cliFile, cli);
  return { dir, cli };
}

export function runCli(
  cli: string,
  args: string[],
  options: { cwd: string; env?: Record<string, string>; timeoutMs?: number },
): Promise<CliResult> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [cli, ...args],
      {
        cwd: options.cwd,
        // Only PATH (for /bin/sh hooks) and what the test passes: a token can only come from `options.env`.
        env: { PATH: process.env.PATH ?? '/usr/bin:/bin', ...options.env },
        timeout: options.timeoutMs ?? 60_000,
      },
      (error, stdout, stderr) =>
        resolve({ code: error ? (typeof error.code === 'number' ? error.code : null) : 0, stdout, stderr }),
    );
  });
}

/** The same CLI in this process (fast): for the many small cases once the single file has proven itself. */
export async function runInProcess(args: string[], env: Record<string, string> = {}): Promise<CliResult> {
  let stdout = '';
  let stderr = '';
  const code = await run(args, {
    env,
    streams: { stdout: (t) => void (stdout += t), stderr: (t) => void (stderr += t) },
  });
  return { code, stdout, stderr };
}

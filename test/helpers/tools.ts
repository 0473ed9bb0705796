/**
 * The real clients a user has (openssl, keytool, curl, unzip), run with argument arrays (never a shell) so
 * passwords and paths need no quoting. A non-zero exit is a result, not an exception: tests assert on it.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export type ToolName = 'openssl' | 'keytool' | 'curl' | 'unzip';

export interface ToolResult {
  /** exit code; null when killed (timeout) */
  code: number | null;
  stdout: string;
  stderr: string;
  /** stdout as bytes, for binary output (e.g. `unzip -p`) */
  stdoutBytes: Buffer;
}

export interface ToolOptions {
  cwd?: string;
  /** written to the tool's stdin, which is then closed */
  input?: string | Buffer;
  timeoutMs?: number;
  env?: NodeJS.ProcessEnv;
}

export function runTool(tool: ToolName, args: string[], options: ToolOptions = {}): Promise<ToolResult> {
  return new Promise((resolve, reject) => {
    const child = execFile(
      tool,
      args,
      {
        cwd: options.cwd,
        timeout: options.timeoutMs ?? 30_000,
        maxBuffer: 16 * 1024 * 1024,
        encoding: 'buffer',
        env: options.env ?? process.env,
      },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : null) : 0;
        if (error && error.code === 'ENOENT') {
          reject(new Error(`${tool} is not installed (see scripts/check-tools.mjs)`));
          return;
        }
        resolve({ code, stdout: stdout.toString('utf8'), stderr: stderr.toString('utf8'), stdoutBytes: stdout });
      },
    );
    // A tool that exits without reading stdin makes the write fail with EPIPE: that is not the tool's result.
    child.stdin?.on('error', () => undefined);
    child.stdin?.end(options.input);
  });
}

export const openssl = (args: string[], options?: ToolOptions) => runTool('openssl', args, options);
/** JVM flags that only shorten keytool's start-up (about 3x on 2 cores); they change nothing it checks. */
const FAST_JVM_START = ['-J-XX:+UseSerialGC', '-J-XX:TieredStopAtLevel=1', '-J-XX:-UsePerfData'];
export const keytool = (args: string[], options?: ToolOptions) =>
  runTool('keytool', [...FAST_JVM_START, ...args], options);
export const curl = (args: string[], options?: ToolOptions) => runTool('curl', args, options);
export const unzip = (args: string[], options?: ToolOptions) => runTool('unzip', args, options);

export interface TempDir {
  dir: string;
  /** writes a file in the directory and returns its path */
  write(name: string, content: string | Buffer): string;
  path(name: string): string;
  cleanup(): void;
}

export function makeTempDir(): TempDir {
  const dir = mkdtempSync(join(tmpdir(), 'nma-'));
  return {
    dir,
    write(name, content) {
      const file = join(dir, name);
      writeFileSync(file, content);
      return file;
    },
    path: (name) => join(dir, name),
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
}

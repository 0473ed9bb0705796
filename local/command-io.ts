/**
 * What a local command (`npm run reconcile`, `drift`, `invoke`, `doctor`, `rotate-ca`) gets instead of the process:
 * the environment and two output streams. Its bin (local/<name>.ts) passes the process's own and exits with the code
 * the command returns; a test passes its own and reads what was written, in-process.
 */
import { isAbsolute, resolve } from 'node:path';

export interface CommandIo {
  /** LOCAL_DATA_DIR, LOG_LEVEL, INIT_CWD, DESIRED_STATE_FILE and, with --cloud, every setting. */
  env: NodeJS.ProcessEnv;
  /** The command's result (a plan, a report, a function's answer: bytes as they came). */
  stdout: (text: string | Uint8Array) => void;
  /** Progress and errors for the person at the terminal. */
  stderr: (text: string) => void;
}

/** The process's own environment and streams: what a bin passes. */
export function processIo(): CommandIo {
  return {
    env: process.env,
    stdout: (text) => void process.stdout.write(text),
    stderr: (text) => void process.stderr.write(text),
  };
}

/** A path the user typed, from the directory they ran `npm run` in (INIT_CWD: npm itself runs us in the project root). */
export function fromInvocationDir(path: string, env: NodeJS.ProcessEnv): string {
  if (isAbsolute(path)) return path;
  return env.INIT_CWD ? resolve(env.INIT_CWD, path) : resolve(path);
}

/** An error as the bins have always printed it: its message only. */
export const messageOf = (err: unknown): string => (err instanceof Error ? err.message : String(err));

/** What a command gets besides its parsed flags: the environment, the output and the streams (tests pass their own). */
import type { ExitCode } from './exit-codes.js';
import type { CommandSpec, ParsedCommand } from './options.js';
import type { Output, Streams } from './output.js';

export interface CommandContext {
  cmd: ParsedCommand;
  env: NodeJS.ProcessEnv;
  output: Output;
  streams: Streams;
  /** Resolves when the process is asked to stop (SIGTERM/SIGINT): the agent's loop ends cleanly. */
  stopped: Promise<void>;
}

export interface Command {
  spec: CommandSpec;
  run(ctx: CommandContext): Promise<ExitCode>;
}

export function timeoutMs(cmd: ParsedCommand): number {
  const text = cmd.get('timeout') ?? '30';
  const seconds = Number(text);
  if (!Number.isFinite(seconds) || seconds <= 0 || seconds > 3600)
    throw new Error(`--timeout must be 1 to 3600 seconds (got "${text}")`);
  return Math.round(seconds * 1000);
}

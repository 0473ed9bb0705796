// Why: most tests of `npm run reconcile`, `invoke`, `doctor`, `rotate-ca` are about what the command does, not about
// the process: they run its command function (local/<name>-command.ts) in this process, as its bin runs it, and read
// what it wrote. One real spawn per bin stays, in the test that is about the bin as a user runs it.
import type { CommandIo } from '../../local/command-io.js';
import { keepForFailure } from '../support/failure-log.js';

export interface CommandRun {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs `command(argv)` with `env` as its environment; its stderr is also kept to print if the test fails. */
export async function runCommand(
  command: (argv: string[], io: CommandIo) => Promise<number>,
  argv: string[],
  env: NodeJS.ProcessEnv,
): Promise<CommandRun> {
  let stdout = '';
  let stderr = '';
  const code = await command(argv, {
    env,
    stdout: (text) => void (stdout += typeof text === 'string' ? text : Buffer.from(text).toString('utf8')),
    stderr: (text) => void (stderr += text),
  });
  keepForFailure(stderr);
  return { code, stdout, stderr };
}

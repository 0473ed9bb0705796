/**
 * nlb-mtls: the device side of nlb-mtls-autopilot. Gets a client certificate (once, with a token), renews it by
 * proof of possession (never a token again), installs bundles from signed links, checks a mutual-TLS listener and
 * keeps the certificate fresh as a daemon. docs/cli.md is the manual; `nlb-mtls <command> --help` the summary.
 * Built into one file, dist/cli/nlb-mtls.mjs, that runs with plain `node` (scripts/build-cli.mjs).
 */
import { agentCommand } from './commands/agent.js';
import { checkCommand } from './commands/check.js';
import { fetchCommand } from './commands/fetch.js';
import { renewCommand } from './commands/renew.js';
import { requestCommand } from './commands/request.js';
import { statusCommand } from './commands/status.js';
import { successorCommand } from './commands/successor.js';
import type { Command } from './context.js';
import { CliError, EXIT, usageError } from './exit-codes.js';
import { helpText } from './help.js';
import { parseCommand, registerConfigKeys } from './options.js';
import { PkiError } from '../shared/pki/index.js';
import { createOutput, processStreams, reportError, type Streams } from './output.js';

declare const __NLB_MTLS_VERSION__: string | undefined;
const VERSION = typeof __NLB_MTLS_VERSION__ === 'string' ? __NLB_MTLS_VERSION__ : 'dev';

export const COMMANDS: Command[] = [
  requestCommand,
  renewCommand,
  fetchCommand,
  checkCommand,
  agentCommand,
  statusCommand,
  successorCommand,
];
for (const c of COMMANDS) registerConfigKeys(c.spec.options);

export const EXIT_CODE_HELP = [
  '0  done (check: the expected verdict)',
  '1  internal error (a bug)',
  '2  usage: unknown flag, missing argument, bad value or config file',
  '3  a local file is missing, unreadable or wrong (empty, not PEM, wrong type, encrypted key, key does not fit,',
  '   another CA, bad client.json, file exists); nothing was changed',
  '4  the API refused (revoked, superseded, expired, policy, replayed proof); retrying will not help',
  '5  the API, a download or the listener could not be reached, or the API answered 5xx; retry later',
  '6  a downloaded certificate failed verification (fingerprint, chain, key, names); nothing was written',
  '7  check: the listener did not give the expected verdict',
  '8  renewed and written, but the --on-renew command failed',
];

function generalHelp(): string {
  const width = Math.max(...COMMANDS.map((c) => c.spec.name.length)) + 2;
  return [
    'Usage: nlb-mtls <command> [options]        (nlb-mtls <command> --help for its options)',
    '',
    'Client certificates for mutual TLS on Alibaba Cloud NLB, from the device side. The first certificate needs a',
    'bearer token; after that the certificate renews itself by proof of possession of its key.',
    '',
    'Commands:',
    ...COMMANDS.map((c) => `  ${c.spec.name.padEnd(width)}${c.spec.summary}`),
    '',
    'Settings: flags, then NLB_MTLS_* environment variables, then a JSON config file (--config / NLB_MTLS_CONFIG).',
    'Common: NLB_MTLS_API (cert-api URL), NLB_MTLS_TOKEN (request only), NLB_MTLS_DIR, NLB_MTLS_NAME.',
    '',
    'Exit codes:',
    ...EXIT_CODE_HELP.map((e) => `  ${e}`),
    '',
  ].join('\n');
}

export interface RunOptions {
  env?: NodeJS.ProcessEnv;
  streams?: Streams;
  /** Resolves when the process should stop (signals); the agent loop ends on it. */
  stopped?: Promise<void>;
}

export async function run(argv: string[], options: RunOptions = {}): Promise<number> {
  const env = options.env ?? process.env;
  const streams = options.streams ?? processStreams;
  const json = argv.includes('--json');
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    if (name === 'help' && rest[0]) return run([rest[0], '--help'], options);
    streams.stdout(generalHelp());
    return name === undefined ? EXIT.USAGE : EXIT.OK;
  }
  if (name === '--version' || name === 'version') {
    streams.stdout(`nlb-mtls ${VERSION}\n`);
    return EXIT.OK;
  }
  const command = COMMANDS.find((c) => c.spec.name === name);
  try {
    if (!command)
      throw usageError(`Unknown command "${name}".`, `commands: ${COMMANDS.map((c) => c.spec.name).join(', ')}`);
    const cmd = parseCommand(command.spec, rest, env);
    if (cmd.flag('help')) {
      streams.stdout(helpText(command.spec, EXIT_CODE_HELP));
      return EXIT.OK;
    }
    const output = createOutput(streams, { json, quiet: cmd.flag('quiet') });
    return await command.run({ cmd, env, output, streams, stopped: options.stopped ?? new Promise(() => undefined) });
  } catch (err) {
    return reportError(err instanceof CliError || !(err instanceof Error) ? err : errorAtTheEdge(err), streams, json);
  }
}

/**
 * The last line of defence, for an error no reader turned into a CliError: the readers of local files name the
 * file and say what is wrong (credentials.ts), but a PKI or JSON error that still gets here came from a file the
 * user gave, so it is bad local input (exit 3) with the library's code, never "a bug" (exit 1).
 */
export function errorAtTheEdge(err: Error): unknown {
  if (err instanceof PkiError)
    return new CliError(EXIT.LOCAL, err.code, `A certificate, key or CSR cannot be used: ${err.message}`, {
      cause: err,
    });
  if (err instanceof SyntaxError && /JSON/.test(err.message))
    return new CliError(EXIT.LOCAL, 'FILE_INVALID', `A file is not valid JSON: ${err.message}`, { cause: err });
  return asUsage(err);
}

/** Plain Errors thrown while reading settings (e.g. a bad --timeout) are usage errors; anything else is a bug. */
function asUsage(err: Error): unknown {
  return err.constructor === Error && /^--[a-z-]+/.test(err.message)
    ? new CliError(EXIT.USAGE, 'USAGE', err.message)
    : err;
}

/** The process entry point (also of the single-file build). */
export async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  let stopped: Promise<void> | undefined;
  // Only the agent stops cleanly on a signal; every other command keeps the default (die at once).
  if (argv[0] === 'agent') {
    stopped = new Promise<void>((resolve) => {
      process.once('SIGTERM', () => resolve());
      process.once('SIGINT', () => resolve());
    });
  }
  const code = await run(argv, { stopped });
  process.exitCode = code;
  // Nothing of ours is pending now; don't let a keep-alive socket hold the process open.
  setTimeout(() => process.exit(code), 50).unref();
}

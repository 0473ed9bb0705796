/**
 * What the CLI says: human text by default (results on stdout, progress and errors on stderr), or with `--json`
 * one JSON document on stdout (errors included) so scripts never parse prose. The agent logs one line per event.
 */
import { CliError, EXIT } from './exit-codes.js';

export interface Streams {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
}

export const processStreams: Streams = {
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
};

export interface Output {
  readonly json: boolean;
  /** A slow step is starting ("Generating an EC P-256 key"). */
  progress(message: string): void;
  /** A note the user should read (human mode, stderr). */
  note(message: string): void;
  /** The command's result: lines for people, a document for scripts. */
  result(human: string[], document: unknown): void;
  /** One log line per agent event. */
  event(name: string, fields: Record<string, string | number | boolean | undefined>, now: Date): void;
}

export function createOutput(streams: Streams, options: { json: boolean; quiet: boolean }): Output {
  return {
    json: options.json,
    progress(message) {
      if (!options.json && !options.quiet) streams.stderr(`... ${message}\n`);
    },
    note(message) {
      if (!options.json && !options.quiet) streams.stderr(`note: ${message}\n`);
    },
    result(human, document) {
      if (options.json) streams.stdout(JSON.stringify(document, null, 2) + '\n');
      else streams.stdout(human.join('\n') + '\n');
    },
    event(name, fields, now) {
      const defined = Object.entries(fields).filter(([, v]) => v !== undefined);
      if (options.json) {
        streams.stdout(JSON.stringify({ time: now.toISOString(), event: name, ...Object.fromEntries(defined) }) + '\n');
        return;
      }
      const text = defined.map(([k, v]) => `${k}=${typeof v === 'string' && /[\s"=]/.test(v) ? JSON.stringify(v) : v}`);
      streams.stdout(`${now.toISOString()} ${name}${text.length ? ' ' + text.join(' ') : ''}\n`);
    },
  };
}

/** Prints an error the way the mode wants it and returns the exit code. */
export function reportError(err: unknown, streams: Streams, json: boolean): number {
  const error =
    err instanceof CliError
      ? err
      : new CliError(
          EXIT.INTERNAL,
          'INTERNAL',
          `Unexpected error: ${err instanceof Error ? err.message : String(err)}`,
        );
  if (json) {
    streams.stdout(
      JSON.stringify({
        error: {
          code: error.code,
          message: error.message,
          exitCode: error.exitCode,
          ...(error.hint ? { hint: error.hint } : {}),
          ...(error.details ? { details: error.details } : {}),
        },
      }) + '\n',
    );
  } else {
    streams.stderr(
      `nlb-mtls: ${error.message}${error.code && error.exitCode !== EXIT.USAGE ? ` [${error.code}]` : ''}\n`,
    );
    if (error.hint) streams.stderr(`hint: ${error.hint}\n`);
  }
  return error.exitCode;
}

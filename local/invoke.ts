/**
 * `npm run invoke -- <function> [--event file.json | --event -] [--event-json '{...}'] [--timer [name]]
 *                               [--cloudevent file.json]`
 * Runs one function once, like `s local invoke`, and prints what it returned (local/invoke-command.ts). When
 * `npm start` is running it goes through that stack's control endpoint; otherwise it starts the emulator on the
 * `.local/` state with every s.yaml function loaded, invokes it, waits for the async work it started and stops.
 */
import { setLogSink } from '../shared/log/index.js';
import { processIo } from './command-io.js';
import { invoke } from './invoke-command.js';

// stdout carries only the result (pipe it to jq); the functions' and emulator's JSON logs go to stderr.
setLogSink((line) => process.stderr.write(line + '\n'));
// Exit explicitly: the functions' clients may keep handles open once the work is done.
invoke(process.argv.slice(2), processIo()).then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(`invoke failed: ${err instanceof Error ? `${err.name}: ${err.message}` : String(err)}`);
    process.exit(1);
  },
);

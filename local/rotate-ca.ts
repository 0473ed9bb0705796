/** `npm run rotate-ca -- <command> [options]`: the CA rotation's stages from a terminal (local/rotate-ca-command.ts). */
import { setLogSink } from '../shared/log/index.js';
import { messageOf, processIo } from './command-io.js';
import { rotateCa } from './rotate-ca-command.js';

// stdout is for the report; logs (warnings and errors, unless LOG_LEVEL says otherwise) go to stderr.
setLogSink((line) => process.stderr.write(line + '\n'));
rotateCa(process.argv.slice(2), processIo()).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    console.error(`npm run rotate-ca failed: ${messageOf(err)}`);
    process.exit(1);
  },
);

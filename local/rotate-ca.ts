/** `npm run rotate-ca -- <command> [options]`: the CA rotation's stages from a terminal (local/rotate-ca-command.ts). */
import { setLogSink } from '../shared/log/index.js';
import { rotateCa } from './rotate-ca-command.js';

// stdout is for the report; logs (warnings and errors, unless LOG_LEVEL says otherwise) go to stderr.
setLogSink((line) => process.stderr.write(line + '\n'));
rotateCa(process.argv.slice(2), {
  env: process.env,
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
}).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    console.error(`npm run rotate-ca failed: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(1);
  },
);

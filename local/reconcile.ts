/**
 * `npm run reconcile -- (--plan | --apply) [--listener lsn-...] [--desired FILE] [--force-ca-change] [--no-verify]
 *                        [--json] [--cloud] [--fail-on-blocked]`
 * Runs reconcile-listeners' own code from a terminal and prints the plan the way `terraform plan` does
 * (local/reconcile-command.ts). Default target: the local emulator (a running `npm start`, or the `.local/` state
 * started just for this run); `--cloud`: Alibaba Cloud with the settings in the environment. Exit code 1 when a
 * listener failed, 2 for a usage error, 3 when one is blocked and --fail-on-blocked was given (CI), 0 otherwise.
 */
import { setLogSink } from '../shared/log/index.js';
import { messageOf, processIo } from './command-io.js';
import { reconcile } from './reconcile-command.js';

// stdout is for the plan; logs (warnings and errors only, unless LOG_LEVEL says otherwise) go to stderr.
setLogSink((line) => process.stderr.write(line + '\n'));
reconcile(process.argv.slice(2), processIo()).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    console.error(`npm run reconcile failed: ${messageOf(err)}`);
    process.exit(1);
  },
);

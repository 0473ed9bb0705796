/**
 * `npm run doctor [-- --cloud] [--record DIR] [--json]`: proves the cloud assumptions the code builds on, one line
 * per assumption (docs/cloud-fidelity.md), with read-only and DryRun calls only (local/doctor-command.ts). Default
 * target: the running local stack (`npm start`); `--cloud`: the account in the environment. `--record DIR` saves
 * every answer, secrets and account ids removed, in the contract format (DIR/<product>-<version>/<Action>.<n>.json),
 * and holds them to the contracts at once; `--validate DIR` holds a saved recording to them later, without calling
 * anything. Exit 1 when a check fails or a recorded answer breaks its contract, 2 when there is nothing to check.
 */
import { messageOf, processIo } from './command-io.js';
import { doctor } from './doctor-command.js';

doctor(process.argv.slice(2), processIo()).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    console.error(`npm run doctor failed: ${messageOf(err)}`);
    process.exit(1);
  },
);

/**
 * `npm run drift -- [lsn-...] [--security-policy ID]`: changes a listener of the running `npm start` behind the
 * reconciler's back, the way someone clicking in the NLB console (or the aliyun CLI) would (local/drift-command.ts).
 * Default: mutual auth off on the first seeded listener. Then `npm run reconcile -- --plan` shows the drift and
 * `--apply` repairs it (docs/reconcile.md, "Drift, locally").
 */
import { messageOf, processIo } from './command-io.js';
import { drift } from './drift-command.js';

drift(process.argv.slice(2), processIo()).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    console.error(`npm run drift failed: ${messageOf(err)}`);
    process.exit(1);
  },
);

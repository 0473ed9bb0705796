// Why: removes the run's shared directory (test/support/global-setup.mjs).
import { rmSync } from 'node:fs';

export default function globalTeardown() {
  if (process.env.NMA_TEST_RUN_DIR) rmSync(process.env.NMA_TEST_RUN_DIR, { recursive: true, force: true });
}

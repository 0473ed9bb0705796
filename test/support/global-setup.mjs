// Why: some work is the same for every test file that needs it and costs seconds of CPU each time (esbuild over
// every function). Jest's globalSetup runs once per run, before any worker starts; the directory it makes here is
// where such work is done once and shared (test/support/shared-build.ts), and globalTeardown removes it.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export default function globalSetup() {
  // Workers start after this, with this environment.
  process.env.NMA_TEST_RUN_DIR = mkdtempSync(join(tmpdir(), 'nma-test-run-'));
}

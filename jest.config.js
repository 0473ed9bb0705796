/** Jest runs the TypeScript sources as native ESM through SWC (no type-check here: `npm run typecheck` does that). */
export default {
  // JSON log lines go to a per-test buffer, printed only for a failing test (see the environment's header).
  // (`setupFiles`, not `setupFilesAfterEnv`: it needs no test framework, and the latter is left to other setups.)
  testEnvironment: '<rootDir>/test/support/log-capture-environment.js',
  setupFiles: ['<rootDir>/test/support/capture-logs.ts'],
  extensionsToTreatAsEsm: ['.ts'],
  transform: {
    '^.+\\.ts$': [
      '@swc/jest',
      { jsc: { parser: { syntax: 'typescript' }, target: 'es2022' }, module: { type: 'es6' } },
    ],
  },
  // Sources import './x.js' (NodeNext style); map those back to the .ts files.
  moduleNameMapper: { '^(\\.{1,2}/.*)\\.js$': '$1' },
  testMatch: ['<rootDir>/test/**/*.test.ts'],
  // One directory per run for work done once and shared between test files (test/support/shared-build.ts).
  globalSetup: '<rootDir>/test/support/global-setup.mjs',
  globalTeardown: '<rootDir>/test/support/global-teardown.mjs',
  // A contract violation recorded by the emulator fails the test it happened in (test/setup/contracts.ts).
  setupFilesAfterEnv: ['<rootDir>/test/setup/contracts.ts'],
  testTimeout: 60000,
  // Three workers on two cores: many tests wait on child processes (openssl, curl, tsx) and sockets, so two workers
  // left about a sixth of the CPU idle. Measured on this 2-core machine, idle: 2 workers 160-170 s, 3 workers 141 s,
  // 4 workers 156 s (docs/testing.md).
  maxWorkers: 3,
  // A worker ends when its event loop is empty; on a loaded 2-core machine tearing down a worker that ran many
  // files takes longer than Jest's default 500 ms, which Jest reports as a leak. Measured: exit follows within
  // ~0.5 s of the last teardown with no open handle left; a real leak (a live timer or socket) still shows.
  workerGracefulExitTimeout: 5000,
};

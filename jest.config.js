/** Jest runs the TypeScript sources as native ESM through SWC (no type-check here: `npm run typecheck` does that). */
export default {
  testEnvironment: 'node',
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
  // A contract violation recorded by the emulator fails the test it happened in (test/setup/contracts.ts).
  setupFilesAfterEnv: ['<rootDir>/test/setup/contracts.ts'],
  testTimeout: 60000,
  maxWorkers: 2,
};

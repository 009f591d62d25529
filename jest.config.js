// Jest runs the TypeScript sources as ES modules (pg-boss and PGlite ship ESM only),
// transpiled by SWC; type checking is `npm run typecheck`'s job.
/** @type {import('jest').Config} */
export default {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  extensionsToTreatAsEsm: ['.ts'],
  transform: {
    '^.+\\.ts$': [
      '@swc/jest',
      {
        jsc: { parser: { syntax: 'typescript' }, target: 'es2023' },
        module: { type: 'es6' },
      },
    ],
  },
  // A folder the run's test files share (test/support/embedded-database.ts), removed at the end.
  globalSetup: '<rootDir>/test/support/global-setup.ts',
  globalTeardown: '<rootDir>/test/support/global-teardown.ts',
  // Integration tests start HTTPS simulators and databases; give them room but keep failures fast.
  testTimeout: 30000,
  // Most suites wait on servers, child processes and timers, not on the CPU: two workers on two cores
  // (Jest's default there is one, in band) take the suite's time down by close to half.
  maxWorkers: 2,
  testSequencer: '<rootDir>/test/support/slow-first-sequencer.js',
};

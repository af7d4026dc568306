/**
 * Jest runs in ESM mode (`node --experimental-vm-modules`): Nest 12 ships ESM only and CommonJS Jest cannot
 * load it. SWC strips types only; `npm test` runs `tsc --noEmit` first for type checking.
 * @type {import('jest').Config}
 */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/src', '<rootDir>/test', '<rootDir>/packages/sagaworks/src'],
  testRegex: '.*\\.(spec|e2e-spec)\\.ts$',
  // The consumer fixtures are apps of their own, with their own test runners; test/consumers/*.e2e-spec.ts drives them.
  testPathIgnorePatterns: ['/node_modules/', '/test/consumers/[^/]+/'],
  // The monolith imports the library by its package name, as any app does; its tests run the library's source
  // (the build is what the consumer tests and the child-process suites load). The library's own relative imports
  // carry `.js`, as ES modules must.
  moduleNameMapper: {
    '^sagaworks$': '<rootDir>/packages/sagaworks/src/index.ts',
    '^sagaworks/(testing|inspector|pglite|rabbitmq|otel)$': '<rootDir>/packages/sagaworks/src/$1/index.ts',
    '^(\\.{1,2}/.*)\\.js$': '$1',
  },
  moduleFileExtensions: ['ts', 'js', 'json'],
  extensionsToTreatAsEsm: ['.ts'],
  transform: {
    '^.+\\.ts$': [
      '@swc/jest',
      {
        jsc: {
          parser: { syntax: 'typescript', decorators: true },
          transform: { legacyDecorator: true, decoratorMetadata: true },
          target: 'es2022',
        },
        module: { type: 'es6' },
      },
    ],
  },
  reporters: ['default', '<rootDir>/test/support/summary-reporter.js'],
  testTimeout: 60000,
  maxWorkers: 2,
  // A worker takes 0.35-0.72 s to exit after its last suite here (measured; it does exit: no handle is left open), so Jest's
  // 500 ms default force-killed one per run and warned of a leak. A real leak still warns, after 5 s.
  workerGracefulExitTimeout: 5000,
};

/**
 * CommonJS Jest. Nest 12's own packages ship ESM only, and Jest's CommonJS runtime cannot `require` ES modules,
 * so SWC compiles both this app's TypeScript and the ES modules of `node_modules/@nestjs/*` to CommonJS.
 * sagaworks ships a CommonJS build (its `require` condition) and is not transformed. `npm test` runs Jest under
 * `node --experimental-vm-modules` (as Nest's template does) only so that PGlite's CommonJS build may `import()`
 * Node built-ins; the tests themselves still run as CommonJS.
 * @type {import('jest').Config}
 */
const swc = (syntax) => [
  '@swc/jest',
  {
    jsc: {
      parser: syntax === 'typescript' ? { syntax, decorators: true } : { syntax },
      transform: { legacyDecorator: true, decoratorMetadata: true },
      target: 'es2022',
    },
    module: { type: 'commonjs' },
  },
];

module.exports = {
  moduleFileExtensions: ['js', 'json', 'ts'],
  rootDir: '.',
  testRegex: '.*\\.spec\\.ts$',
  testPathIgnorePatterns: ['/node_modules/', '/dist/'],
  transform: {
    '^.+\\.ts$': swc('typescript'),
    '^.+\\.m?js$': swc('ecmascript'),
  },
  transformIgnorePatterns: ['/node_modules/(?!@nestjs/)'],
  testEnvironment: 'node',
  testTimeout: 60000,
};

/** Tests are compiled by swc (fast, no type-checking); `npm test` runs `tsc --noEmit` first for the types. */
/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test', '<rootDir>/examples'],
  // The examples import gatehouse by its package name, as an application would.
  moduleNameMapper: {
    '^gatehouse$': '<rootDir>/src/index.ts',
    '^gatehouse/testing$': '<rootDir>/src/testing.ts',
    '^gatehouse/cedar$': '<rootDir>/src/cedar.ts',
    '^gatehouse/apollo$': '<rootDir>/src/apollo.ts',
  },
  testMatch: ['**/*.test.ts'],
  transform: {
    '^.+\\.ts$': ['@swc/jest', { jsc: { parser: { syntax: 'typescript' }, target: 'es2022' }, module: { type: 'commonjs' } }],
  },
  testTimeout: 30_000,
  globalSetup: '<rootDir>/test/global-setup.ts',
};

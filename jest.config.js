/** @type {import('jest').Config} */
const project = {
  preset: 'ts-jest',
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
};

module.exports = {
  projects: [
    { ...project, displayName: 'node', testMatch: ['**/*.test.ts'] },
    // The web UI's e2e files again, in Firefox (test/e2e/browser.ts reads E2E_BROWSER).
    { ...project, displayName: 'firefox', testMatch: ['<rootDir>/test/e2e/**/*.test.ts'], setupFiles: ['<rootDir>/test/e2e/in-firefox.ts'] },
  ],
  globalSetup: '<rootDir>/test/global-setup.ts',
  globalTeardown: '<rootDir>/test/global-teardown.ts',
  maxWorkers: 4,
  testTimeout: 60000,
};

import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    exclude: ['test/e2e/**', 'node_modules/**'],
    pool: 'forks',
    // Fails the run when a test leaves a process behind (issue 16, #19).
    globalSetup: ['test/global-setup.ts'],
    // Integration tests start real Python workers; two files at a time suits a 2-core machine.
    maxWorkers: 2,
    minWorkers: 1,
    testTimeout: 60_000,
    hookTimeout: 120_000,
  },
});

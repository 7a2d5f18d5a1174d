import { defineConfig } from 'vitest/config';

// The window's end-to-end tests: a real `udf-studio serve` and Debian's Chromium, one file at a time.
export default defineConfig({
  test: {
    include: ['test/e2e/**/*.e2e.test.ts'],
    pool: 'forks',
    // Fails the run when a test leaves a process behind (issue 16, #19).
    globalSetup: ['test/global-setup.ts'],
    maxWorkers: 1,
    minWorkers: 1,
    fileParallelism: false,
    testTimeout: 90_000,
    hookTimeout: 120_000,
  },
});

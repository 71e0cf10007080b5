// One vitest run for every lib and tool; integration tests (*.int.test.ts) need real servers
// and are included as well, started by libs/testing.
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['libs/**/*.test.ts', 'tools/**/*.test.ts', 'services/**/*.test.ts'],
    testTimeout: 120_000,
    hookTimeout: 120_000,
    pool: 'forks',
    maxWorkers: 2,
  },
});

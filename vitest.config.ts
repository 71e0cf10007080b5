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
    // Two test files run at once, and the integration tests start up to nine processes, all on the
    // same cores: OpenMP threads of the oneDNN kernels must sleep, not spin, while they wait
    // (spinning workers starved the other processes: the suite took 2.5x as long). Inherited by
    // the service processes the tests spawn.
    env: { OMP_WAIT_POLICY: process.env.OMP_WAIT_POLICY ?? 'passive' },
  },
});

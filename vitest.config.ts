// Two vitest projects: `unit` (tests beside the code, in-memory adapters, seconds each) and `e2e`
// (tests/e2e: real nats-server, S3 server, gRPC services and whole CLI runs). `npm test` runs both;
// `npm run test:unit` runs the fast one.
import { defineConfig } from 'vitest/config';

const shared = {
  testTimeout: 120_000,
  hookTimeout: 120_000,
  pool: 'forks' as const,
  // Two test files run at once, and the integration tests start up to nine processes, all on the
  // same cores: OpenMP threads of the oneDNN kernels must sleep, not spin, while they wait
  // (spinning workers starved the other processes: the suite took 2.5x as long). Inherited by
  // the service processes the tests spawn.
  env: { OMP_WAIT_POLICY: process.env.OMP_WAIT_POLICY ?? 'passive' },
};

export default defineConfig({
  test: {
    maxWorkers: 2,
    projects: [
      {
        test: {
          ...shared,
          name: 'unit',
          include: ['libs/**/*.test.ts', 'tools/**/*.test.ts', 'services/**/*.test.ts'],
          exclude: ['**/node_modules/**', '**/*.int.test.ts'],
        },
      },
      { test: { ...shared, name: 'e2e', include: ['tests/e2e/**/*.test.ts'] } },
    ],
  },
});

// Mutation testing (`npm run test:mutation`, not part of `npm test`): StrykerJS changes one
// operator or constant at a time in the modules where a one-character mistake changes results or
// safety, and runs the unit tests that cover it; a mutant that no test kills is a test missing.
// docs/testing.md lists the survivors and why each is equivalent.
/** @type {import('@stryker-mutator/api/core').PartialStrykerOptions} */
export default {
  testRunner: 'vitest',
  vitest: { configFile: 'vitest.mutation.config.ts', related: false },
  coverageAnalysis: 'perTest',
  concurrency: 2,
  timeoutMS: 10_000,
  timeoutFactor: 3,
  mutate: [
    'libs/pipeline/src/analysis/balance.ts',
    'libs/ml/src/train/loss.ts',
    'libs/ml/src/train/ema.ts',
    'libs/ml/src/train/schedule.ts',
    'libs/ml/src/train/optimizer.ts',
    'libs/pipeline/src/records/record-table.ts',
    'libs/pipeline/src/records/record-index.ts',
    'libs/data/src/preprocess/crop-box.ts',
    'libs/core/src/grid.ts',
    'libs/core/src/redact.ts',
    'libs/data/src/datasets/roots.ts',
    'libs/host/src/data-roots.ts',
    'libs/contracts/src/codec.ts',
    'libs/pipeline/src/records/manifest.ts',
  ],
  reporters: ['clear-text', 'progress', 'json'],
  jsonReporter: { fileName: 'bench/results/mutation.json' },
  tempDirName: '.stryker-tmp',
  cleanTempDir: 'always',
  ignorePatterns: ['/bench/results', '/data', '/.noisy', '/scratch', '/runs', '/test-output'],
};

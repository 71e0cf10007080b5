// The unit tests that cover the mutated modules of stryker.config.mjs (a subset of the unit
// project, so that each mutant runs seconds of tests, not the whole suite).
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    pool: 'forks',
    testTimeout: 120_000,
    include: [
      'libs/pipeline/src/**/balance.test.ts',
      'libs/pipeline/src/**/predictions.test.ts',
      'libs/ml/src/train/loss.test.ts',
      'libs/ml/src/train/optim.test.ts',
      'libs/ml/src/train/ema.test.ts',
      'libs/ml/src/train/trainer.test.ts',
      'libs/pipeline/src/**/record-table.test.ts',
      'libs/pipeline/src/**/record-index.test.ts',
      'libs/data/src/preprocess/crop-box.test.ts',
      'libs/core/src/grid.test.ts',
      'libs/core/src/redact.test.ts',
      'libs/data/src/datasets/roots.test.ts',
      'libs/host/src/data-roots.test.ts',
      'libs/contracts/src/codec.test.ts',
      'libs/pipeline/src/**/manifest.test.ts',
      'libs/pipeline/src/**/commit-race.test.ts',
      'libs/pipeline/src/**/part-stream.test.ts',
    ],
  },
});

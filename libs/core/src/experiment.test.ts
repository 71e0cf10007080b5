import { describe, expect, it } from 'vitest';
import { ConfigError } from './errors.js';
import { compileExperiment } from './experiment.js';

const base = { data: { source: { kind: 'synthetic' } }, students: [{}] };

describe('experiment', () => {
  it('experiment - defaults are filled in, stage overrides replace only the keys they set, and the result is frozen', () => {
    const e = compileExperiment({
      ...base,
      train: { epochs: 7, learningRate: 0.1 },
      students: [{ train: { epochs: 3 } }],
    });
    expect(e.stages[0].train).toMatchObject({
      epochs: 7,
      learningRate: 0.1,
      unlabelRatio: 0,
      batchSize: 64,
      optimizer: 'rmsprop',
    });
    expect(e.stages[1].train).toMatchObject({ epochs: 3, learningRate: 0.1, unlabelRatio: 3 });
    expect(e.filter).toEqual({ minThreshold: 0.3, perClass: 'auto', mode: 'balanced', upsample: true, encode: 'raw' });
    expect(e.pseudoLabels).toEqual({ kind: 'soft', temperature: 1 });
    expect(Object.isFrozen(e.stages[1].train)).toBe(true);
  });

  it('experiment - unknown keys and bad values are rejected with their path', () => {
    expect(() => compileExperiment({ ...base, tracher: {} })).toThrow(/\(root\): Unrecognized key.*tracher/);
    expect(() => compileExperiment({ ...base, students: [{ train: { unlabelRatio: -1 } }] })).toThrow(
      /students\.0\.train\.unlabelRatio/,
    );
    expect(() => compileExperiment({ ...base, teacher: { model: { name: 'vgg' } } })).toThrow(ConfigError);
    expect(() => compileExperiment({ ...base, teacher: { model: { name: 'vgg' } } })).toThrow(
      /teacher\.model\.name: unknown model 'vgg'/,
    );
    expect(() => compileExperiment({ ...base, filter: { minThreshold: 0.305 } })).toThrow(
      /filter\.minThreshold: must lie on the 0\.01 grid/,
    );
    expect(() => compileExperiment({ ...base, students: [] })).toThrow(/students/);
  });
});

import { describe, expect, it } from 'vitest';
import { ConfigError } from './errors.js';
import { CompiledExperimentSchema, compileExperiment } from './experiment.js';

const base = { data: { source: { kind: 'synthetic' } }, students: [{}] };

describe('experiment', () => {
  it('experiment - defaults filled in, stage overrides replace only the keys they set, result frozen', () => {
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

  it('experiment - a stage that leaves a field out inherits the shared value, not the schema default', () => {
    const e = compileExperiment({
      ...base,
      train: { steps: 5, randAugment: null, tabularNoise: { gaussian: 0.5 } },
      students: [{ train: { batchSize: 8 } }],
    });
    expect(e.stages[1].train).toMatchObject({ steps: 5, randAugment: null, batchSize: 8 });
    expect(e.stages[1].train.tabularNoise).toEqual({ gaussian: 0.5, swap: 0.1 });
    expect(e.stages[0].train.batchSize).toBe(64);
  });

  it('experiment - the compiled form survives a JSON round trip byte for byte and comes back frozen', () => {
    const e = compileExperiment({ ...base, students: [{ train: { epochs: 2 } }, {}] });
    const back = CompiledExperimentSchema.parse(JSON.parse(JSON.stringify(e)));
    expect(JSON.stringify(back)).toBe(JSON.stringify(e));
    expect(Object.isFrozen(back.stages[2].train)).toBe(true);
    expect(Object.isFrozen(back.data.source)).toBe(true);
    const tampered = JSON.parse(JSON.stringify(e));
    tampered.stages[1].train.batchSize = -1;
    expect(CompiledExperimentSchema.safeParse(tampered).success).toBe(false);
  });
});

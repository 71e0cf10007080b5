// Upper bounds in the experiment schema: a request for an absurd model or batch is refused at
// compile time, naming the field, instead of exhausting a worker's memory.
import { describe, expect, it } from 'vitest';
import { ConfigError } from './errors.js';
import { compileExperiment } from './experiment.js';

const base = {
  name: 'limits',
  data: { source: { kind: 'synthetic' } },
  teacher: { model: { name: 'cnn-small' } },
  students: [{ model: { name: 'cnn-small' } }],
};
const refusal = (patch: Record<string, unknown>) => {
  try {
    compileExperiment({ ...base, ...patch });
  } catch (e) {
    expect(e).toBeInstanceOf(ConfigError);
    return (e as ConfigError).message;
  }
  return 'accepted';
};

describe('experiment limits', () => {
  it('compileExperiment - width, depth, MLP layers, batch, epochs and steps have upper bounds', () => {
    expect(refusal({ teacher: { model: { name: 'cnn-small', width: 1000 } } })).toMatch(/teacher\.model\.width: .*16/);
    expect(refusal({ students: [{ model: { name: 'cnn-small', depth: 50 } }] })).toMatch(
      /students\.0\.model\.depth: .*8/,
    );
    expect(refusal({ teacher: { model: { name: 'mlp', hidden: [1 << 20] } } })).toMatch(/teacher\.model\.hidden\.0/);
    expect(refusal({ teacher: { model: { name: 'mlp', hidden: Array(17).fill(8) } } })).toMatch(
      /teacher\.model\.hidden/,
    );
    expect(refusal({ train: { batchSize: 1 << 20 } })).toMatch(/train\.batchSize: .*65536/);
    expect(refusal({ train: { epochs: 1e9 } })).toMatch(/train\.epochs/);
    expect(refusal({ train: { steps: 1e12 } })).toMatch(/train\.steps/);
    // The bounds are far from real use: the largest sensible values compile.
    expect(
      refusal({
        teacher: { model: { name: 'wrn-28-2', width: 16, depth: 8 } },
        train: { batchSize: 4096, epochs: 700 },
      }),
    ).toBe('accepted');
  });

  it('compileExperiment - a table delimiter must be printable or a tab', () => {
    const table = (delimiter: string) => ({
      data: { source: { kind: 'table', train: 'rows.csv', delimiter } },
      teacher: { model: { name: 'mlp' } },
      students: [{ model: { name: 'mlp' } }],
    });
    for (const bad of ['\0', '\n', '\r', '\u0007'])
      expect(refusal(table(bad))).toMatch(/data\.source\.delimiter: .*must be one printable character or a tab/);
    for (const good of [',', ';', '\t', '|']) expect(refusal(table(good))).toBe('accepted');
  });
});

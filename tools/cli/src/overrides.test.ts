import { describe, expect, it } from 'vitest';
import { ConfigError, compileExperimentFrom } from '@noisy/core';
import { applyOverrides, describeOverrides, parseOverride } from './overrides.js';

const raw = {
  name: 'base',
  data: { source: { kind: 'synthetic', classes: 3 } },
  students: [{ model: { name: 'cnn-small' } }],
};

describe('--set overrides', () => {
  it('parseOverride - values are typed by the schema: numbers, booleans, null, strings, YAML lists', () => {
    expect(parseOverride('train.steps=800')).toEqual({ path: ['train', 'steps'], value: 800 });
    expect(parseOverride('train.steps=null').value).toBeNull();
    expect(parseOverride('train.padCrop=false').value).toBe(false);
    expect(parseOverride('name=123').value).toBe('123'); // a string field keeps digits as text
    expect(parseOverride('students.0.model.width=1.5').value).toBe(1.5);
    expect(parseOverride('teacher.model.hidden=[64, 32]').value).toEqual([64, 32]);
    expect(parseOverride('train.randAugment=null').value).toBeNull();
  });

  it('parseOverride - text without path=value is a ConfigError naming --set', () => {
    for (const bad of ['train.steps', '=3', 'train..steps=3']) expect(() => parseOverride(bad)).toThrow(ConfigError);
    expect(() => parseOverride('train.steps')).toThrow(/--set: expected path\.to\.field=value/);
  });

  it('applyOverrides - sets nested fields on a copy, creating mappings, and compile sees them', () => {
    const out = applyOverrides(raw, [parseOverride('train.steps=800'), parseOverride('students.0.model.width=2')]);
    expect(raw).not.toHaveProperty('train'); // the file's object is untouched
    const e = compileExperimentFrom(out, 'exp.yaml');
    expect(e.stages.map((s) => s.train.steps)).toEqual([800, 800]);
    expect(e.stages[1].model.width).toBe(2);
  });

  it('applyOverrides - a bad value or unknown field fails compile naming its path', () => {
    expect(() => compileExperimentFrom(applyOverrides(raw, [parseOverride('train.steps=-5')]), 'exp.yaml')).toThrow(
      /exp\.yaml: train\.steps/,
    );
    expect(() => compileExperimentFrom(applyOverrides(raw, [parseOverride('train.stepz=5')]), 'exp.yaml')).toThrow(
      /train: Unrecognized key.*stepz/,
    );
    expect(() => applyOverrides(raw, [parseOverride('name.x=1')])).toThrow(
      /--set name\.x: name is "base", not a mapping/,
    );
  });

  it('describeOverrides - prints path=value as JSON values', () => {
    expect(describeOverrides([parseOverride('train.steps=800'), parseOverride('name=x')])).toBe(
      'train.steps=800, name="x"',
    );
  });
});

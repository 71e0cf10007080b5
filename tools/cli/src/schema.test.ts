import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { experimentJsonSchema, experimentSchemaText } from './schema.js';

describe('experiment JSON Schema', () => {
  it('schema - the committed docs/experiment.schema.json is what `noisy schema` prints now', async () => {
    const committed = await readFile(resolve(import.meta.dirname, '../../../docs/experiment.schema.json'), 'utf8');
    // Compared as JSON: Prettier may lay the committed file out differently.
    expect(JSON.parse(committed), 'regenerate: npx --no -- noisy schema > docs/experiment.schema.json').toEqual(
      JSON.parse(experimentSchemaText()),
    );
  });

  it('schema - describes what users write: defaults optional, unknown keys rejected, sources by kind', () => {
    const s = experimentJsonSchema() as any;
    expect(s.required).toEqual(['data', 'students']);
    expect(s.additionalProperties).toBe(false);
    expect(s.properties.train.properties.batchSize).toMatchObject({ type: 'integer', default: 64 });
    const kinds = s.properties.data.properties.source.anyOf ?? s.properties.data.properties.source.oneOf;
    expect(kinds.map((k: any) => k.properties.kind.const)).toEqual(
      expect.arrayContaining(['fashion-mnist', 'synthetic', 'table', 'tfrecord']),
    );
  });
});

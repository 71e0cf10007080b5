// The experiment file's JSON Schema, generated from the zod schema that validates it, for editors
// (`# yaml-language-server: $schema=...`) and for typing `--set` values. `noisy schema` prints it;
// docs/experiment.schema.json is the committed copy (a test keeps it current).
import { ExperimentSchema } from '@noisy/core';
import { z } from 'zod';

export interface JsonSchema {
  type?: string | string[];
  properties?: Record<string, JsonSchema>;
  items?: JsonSchema | JsonSchema[];
  anyOf?: JsonSchema[];
  oneOf?: JsonSchema[];
  enum?: unknown[];
  const?: unknown;
  [key: string]: unknown;
}

let cached: JsonSchema | undefined;

/** The schema of what a user writes (defaults make fields optional): zod's input side. */
export function experimentJsonSchema(): JsonSchema {
  cached ??= {
    ...(z.toJSONSchema(ExperimentSchema, { io: 'input', unrepresentable: 'any' }) as JsonSchema),
    title: 'Noisy Student experiment',
    description: 'An experiment file for `noisy run` (docs/experiments.md).',
  };
  return cached;
}

/** The text of the committed schema file. */
export const experimentSchemaText = (): string => `${JSON.stringify(experimentJsonSchema(), null, 2)}\n`;

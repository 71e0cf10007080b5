// `--set path.to.field=value`: dotted overrides of the experiment file, applied to the raw
// experiment before it is compiled, so validation names the field's path. Values are typed by
// the experiment's schema (numbers, booleans, null, strings); objects and lists are YAML.
import { ConfigError } from '@noisy/core';
import { parse } from 'yaml';
import { experimentJsonSchema, type JsonSchema } from './schema.js';

export interface Override {
  path: string[];
  value: unknown;
}

/** The JSON Schema types a path can hold; empty when the schema does not know the path. */
function typesAt(schema: JsonSchema, path: string[]): Set<string> {
  let nodes: JsonSchema[] = [schema];
  for (const part of path) {
    const next: JsonSchema[] = [];
    const visit = (n: JsonSchema) => {
      for (const alt of [...(n.anyOf ?? []), ...(n.oneOf ?? [])]) visit(alt);
      if (n.properties?.[part]) next.push(n.properties[part]);
      if (/^\d+$/.test(part) && n.items && !Array.isArray(n.items)) next.push(n.items);
    };
    nodes.forEach(visit);
    nodes = next;
  }
  const types = new Set<string>();
  const collectTypes = (n: JsonSchema) => {
    for (const alt of [...(n.anyOf ?? []), ...(n.oneOf ?? [])]) collectTypes(alt);
    if (n.const !== undefined) types.add(typeof n.const);
    if (n.enum) for (const v of n.enum) types.add(typeof v);
    for (const t of [n.type ?? []].flat()) types.add(t === 'integer' ? 'number' : t);
  };
  nodes.forEach(collectTypes);
  return types;
}

/** Parse `a.b.c=value`; the flag's value is typed by what the schema expects at that path. */
export function parseOverride(text: string, schema: JsonSchema = experimentJsonSchema()): Override {
  const eq = text.indexOf('=');
  const path = eq > 0 ? text.slice(0, eq).split('.') : [];
  if (eq <= 0 || path.some((p) => p === ''))
    throw new ConfigError('--set', `expected path.to.field=value, got '${text}'`);
  const raw = text.slice(eq + 1);
  const name = path.join('.');
  const types = typesAt(schema, path);
  let value: unknown;
  if (types.has('null') && raw === 'null') value = null;
  else if (types.has('string') && !types.has('number') && !types.has('object') && !types.has('array')) value = raw;
  else if (types.has('number') && raw.trim() !== '' && Number.isFinite(Number(raw))) value = Number(raw);
  else if (types.has('boolean') && (raw === 'true' || raw === 'false')) value = raw === 'true';
  else {
    try {
      value = parse(raw);
    } catch (cause) {
      throw new ConfigError(`--set ${name}`, `'${raw}' is not a valid value: ${(cause as Error).message}`, { cause });
    }
  }
  return { path, value };
}

/** Apply overrides to a raw experiment (a fresh copy), creating the mappings a path needs. */
export function applyOverrides(raw: Record<string, unknown>, overrides: Override[]): Record<string, unknown> {
  const out = structuredClone(raw);
  for (const { path, value } of overrides) {
    let node: Record<string, unknown> = out;
    for (const [i, part] of path.slice(0, -1).entries()) {
      const next = node[part];
      if (next === undefined || next === null) node[part] = {};
      else if (typeof next !== 'object')
        throw new ConfigError(
          `--set ${path.join('.')}`,
          `${path.slice(0, i + 1).join('.')} is ${JSON.stringify(next)}, not a mapping`,
        );
      node = node[part] as Record<string, unknown>;
    }
    node[path.at(-1)!] = value;
  }
  return out;
}

/** `train.steps=800, seed=3` for the run's first line. */
export const describeOverrides = (overrides: Override[]): string =>
  overrides.map((o) => `${o.path.join('.')}=${JSON.stringify(o.value)}`).join(', ');

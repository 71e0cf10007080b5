// A table's feature encoding, fitted on the training file and stored with the dataset and every
// checkpoint so that prediction encodes new rows identically: numeric columns as numbers (missing
// -> the training mean, plus a 0/1 `<col>=missing` column where training had gaps), categorical
// columns one-hot over the training categories (unseen or missing -> all zeros). Standardisation
// happens later, in the model's input statistics.
import { ConfigError, DataError, excerpt } from '@noisy/core';
import type { DeclaredColumn } from './arff.js';
import type { RawTable } from './read-table.js';

export type ColumnType = 'numeric' | 'categorical' | 'ignore';

export type ColumnEncoding =
  | { name: string; type: 'numeric'; fill: number; indicator: boolean }
  | { name: string; type: 'categorical'; categories: string[] };

export interface TableEncoding {
  format: 'noisy-table/v1';
  label: string;
  id: string | null;
  missing: string[];
  columns: ColumnEncoding[];
  featureNames: string[];
  classNames: string[];
}

export interface FitOptions {
  /** Label column; null: ARFF's last attribute, else a column named label or class, else the last. */
  label: string | null;
  id: string | null;
  columns: Record<string, ColumnType>;
  missing: string[];
  classNames: string[] | null;
  maxCategories: number;
  /** Where the options come from, for errors (e.g. `data.source`). */
  field: string;
}

const NUMBER = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;
const NOT_FINITE = /^[+-]?(nan|inf|infinity)$/i;
const numberish = (v: string) => NUMBER.test(v) || NOT_FINITE.test(v);

function labelColumn(t: RawTable, o: FitOptions): string {
  if (o.label !== null) {
    if (!t.header.includes(o.label))
      throw new ConfigError(
        `${o.field}.label`,
        `column '${excerpt(o.label)}' is not in ${t.where} (columns: ${excerpt(t.header.join(', '), 200)})`,
      );
    return o.label;
  }
  if (t.declared) return t.header[t.header.length - 1];
  return t.header.find((h) => /^(label|class)$/i.test(h)) ?? t.header[t.header.length - 1];
}

function sortNatural(values: string[]): string[] {
  return values.every((v) => NUMBER.test(v)) ? values.sort((a, b) => Number(a) - Number(b)) : values.sort();
}

/** Fit the encoding on a training table. */
export function fitTableEncoding(t: RawTable, o: FitOptions): TableEncoding {
  const label = labelColumn(t, o);
  if (o.id !== null && !t.header.includes(o.id))
    throw new ConfigError(`${o.field}.id`, `column '${excerpt(o.id)}' is not in ${t.where}`);
  for (const name of Object.keys(o.columns)) {
    if (!t.header.includes(name)) throw new ConfigError(`${o.field}.columns.${name}`, `no such column in ${t.where}`);
  }
  const missing = new Set(o.missing);
  const declaredOf = new Map<string, DeclaredColumn>((t.declared ?? []).map((d) => [d.name, d]));
  const columns: ColumnEncoding[] = [];
  t.header.forEach((name, j) => {
    if (name === label || name === o.id) return;
    const values = t.rows.map((r) => r.fields[j]).filter((v) => !missing.has(v));
    const declared = declaredOf.get(name);
    const type: ColumnType =
      o.columns[name] ??
      (declared
        ? declared.type === 'text'
          ? 'ignore'
          : declared.type
        : values.every(numberish)
          ? 'numeric'
          : 'categorical');
    if (type === 'ignore') return;
    if (type === 'numeric') {
      let sum = 0,
        n = 0;
      for (const v of values)
        if (NUMBER.test(v)) {
          sum += Number(v);
          n++;
        }
      columns.push({ name, type, fill: n ? sum / n : 0, indicator: values.length < t.rows.length });
      return;
    }
    const categories = declared?.values ?? sortNatural([...new Set(values)]);
    if (categories.length > o.maxCategories) {
      throw new ConfigError(
        `${o.field}.columns.${name}`,
        `column '${excerpt(name)}' of ${t.where} has ${categories.length} distinct values (more than maxCategories ${o.maxCategories}): declare it as the id column, ignore it, or raise maxCategories`,
      );
    }
    columns.push({ name, type, categories });
  });
  if (!columns.length) throw new DataError(t.where, `has no feature columns besides the label '${excerpt(label)}'`);
  const j = t.header.indexOf(label);
  const seen = sortNatural([...new Set(t.rows.map((r) => r.fields[j]).filter((v) => !missing.has(v)))]);
  const classNames = o.classNames ?? declaredOf.get(label)?.values ?? seen;
  if (classNames.length < 2)
    throw new DataError(
      t.where,
      `label column '${excerpt(label)}' has ${classNames.length} class(es); classification needs at least 2`,
    );
  const featureNames = columns.flatMap((c) =>
    c.type === 'numeric'
      ? c.indicator
        ? [c.name, `${c.name}=missing`]
        : [c.name]
      : c.categories.map((v) => `${c.name}=${v}`),
  );
  return { format: 'noisy-table/v1', label, id: o.id, missing: [...missing], columns, featureNames, classNames };
}

export interface EncodedRow {
  id: string;
  line: number;
  features: Float32Array;
  label: number | undefined;
}

/**
 * Encode every row of `t` (any file with the feature columns, in any order). `requireLabel`:
 * a missing label column or value is an error (test files); otherwise the row is unlabeled.
 */
export function encodeTable(enc: TableEncoding, t: RawTable, requireLabel: boolean, idPrefix: string): EncodedRow[] {
  const index = new Map(t.header.map((h, j) => [h, j]));
  const missing = new Set(enc.missing);
  const at = enc.columns.map((c) => {
    const j = index.get(c.name);
    if (j === undefined)
      throw new DataError(
        t.where,
        `has no column '${excerpt(c.name)}' (the model's features come from: ${excerpt(enc.columns.map((x) => x.name).join(', '), 200)})`,
      );
    return j;
  });
  const labelAt = index.get(enc.label);
  if (requireLabel && labelAt === undefined)
    throw new DataError(t.where, `has no label column '${excerpt(enc.label)}'`);
  const idAt = enc.id === null ? undefined : index.get(enc.id);
  const classOf = new Map(enc.classNames.map((c, k) => [c, k]));
  const lookup = enc.columns.map((c) =>
    c.type === 'categorical' ? new Map(c.categories.map((v, k) => [v, k])) : null,
  );
  const D = enc.featureNames.length;
  return t.rows.map((r) => {
    const where = `${t.where}:${r.line}`;
    const x = new Float32Array(D);
    let o = 0;
    enc.columns.forEach((c, ci) => {
      const v = r.fields[at[ci]];
      if (c.type === 'numeric') {
        const gap = missing.has(v);
        if (!gap && !NUMBER.test(v)) {
          throw new DataError(
            where,
            NOT_FINITE.test(v)
              ? `column '${excerpt(c.name)}': '${excerpt(v)}' is not a finite number (leave the field empty or write NA for a missing value)`
              : `column '${excerpt(c.name)}': '${excerpt(v)}' is not a number`,
          );
        }
        x[o++] = gap ? c.fill : Number(v);
        if (c.indicator) x[o++] = gap ? 1 : 0;
      } else {
        const k = lookup[ci]!.get(v);
        if (k !== undefined) x[o + k] = 1;
        o += c.categories.length;
      }
    });
    let label: number | undefined;
    const lv = labelAt === undefined ? undefined : r.fields[labelAt];
    if (lv !== undefined && !missing.has(lv)) {
      label = classOf.get(lv);
      if (label === undefined)
        throw new DataError(
          where,
          `label '${excerpt(lv)}' is not one of the classes (${excerpt(enc.classNames.join(', '), 200)})`,
        );
    } else if (requireLabel) throw new DataError(where, `label column '${excerpt(enc.label)}' is empty`);
    const id = idAt === undefined ? `${idPrefix}:${r.line}` : r.fields[idAt];
    return { id, line: r.line, features: x, label };
  });
}

// Flag values: number parsers that reject bad input naming the flag, and the shared options
// (--store, --controller) whose defaults come from the same environment variables as the services'.
import { InvalidArgumentError, Option } from 'commander';

/** The embedded default's object store: the project's work directory, beside `noisy dev`'s state. */
export const DEFAULT_STORE = '.noisy';

/** An integer flag value >= min; commander reports the flag and the value. */
export function intFlag(min: number): (value: string) => number {
  return (value) => {
    const n = Number(value);
    if (value.trim() === '' || !Number.isInteger(n) || n < min)
      throw new InvalidArgumentError(`expected an integer >= ${min}`);
    return n;
  };
}

/** A number flag value within [min, max]. */
export function numberFlag(min: number, max: number): (value: string) => number {
  return (value) => {
    const n = Number(value);
    if (value.trim() === '' || !Number.isFinite(n) || n < min || n > max)
      throw new InvalidArgumentError(`expected a number from ${min} to ${max}`);
    return n;
  };
}

/** `--seeds 1,2,3`: distinct non-negative integers. */
export function seedList(value: string): number[] {
  const seeds = value.split(',').map((s) => intFlag(0)(s));
  if (new Set(seeds).size !== seeds.length) throw new InvalidArgumentError('seeds must be distinct');
  return seeds;
}

/** Repeatable string flag: every occurrence is kept, in order. */
export const collect = (value: string, previous: string[] = []): string[] => [...previous, value];

export const storeOption = () =>
  new Option('--store <url>', 'object store: a directory, file://DIR, s3://bucket/prefix?endpoint=... or memory://')
    .env('NOISY_STORE_URL')
    .default(DEFAULT_STORE);

export const controllerOption = (what: string) => new Option('--controller <host:port>', what).env('NOISY_CONTROLLER');

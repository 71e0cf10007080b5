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

/** How the CLI authenticates to a controller: flags over the variables the client reads (docs/operations.md). */
export const CONTROLLER_AUTH_OPTIONS = [
  {
    flag: '--tls-ca <file>',
    key: 'tlsCa',
    env: 'NOISY_TLS_CA',
    what: "CA bundle that signed the controller's certificate",
  },
  { flag: '--tls-cert <file>', key: 'tlsCert', env: 'NOISY_TLS_CERT', what: 'client certificate (mTLS)' },
  { flag: '--tls-key <file>', key: 'tlsKey', env: 'NOISY_TLS_KEY', what: 'client key (mTLS)' },
  { flag: '--token-file <file>', key: 'tokenFile', env: 'NOISY_TOKEN_FILE', what: 'file holding the bearer token' },
] as const;

/** The --controller option with its TLS/token options, for every command that talks to a controller. */
export function controllerOptions(what: string, mandatory = false): Option[] {
  const controller = controllerOption(what);
  return [
    mandatory ? controller.makeOptionMandatory() : controller,
    ...CONTROLLER_AUTH_OPTIONS.map((a) => new Option(a.flag, a.what).env(a.env)),
  ];
}

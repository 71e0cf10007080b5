// The `noisy` command line: parse, dispatch, map errors to exit codes.
import { parseArgs } from 'node:util';
import { evalCommand } from './commands/eval.js';
import { devDown, devUp } from './commands/dev.js';
import { exportCommand } from './commands/export.js';
import { remoteRun, remoteRuns, remoteStatus, remoteWatch } from './commands/remote.js';
import { predictCommand } from './commands/predict.js';
import { reportCommand } from './commands/report.js';
import { processIo, type CommandIo } from './commands/io.js';
import { runCommand } from './commands/run.js';
import { runsCommand } from './commands/runs.js';
import { UsageError, reportError } from './errors.js';

export const USAGE = `noisy: Noisy Student Training (teacher -> pseudo-labels -> filtered, balanced data -> noisy student -> repeat)

usage:
  noisy run <experiment.yaml> [--store DIR|file://DIR|memory://] [--summary PATH] [--run-id ID] [--backend auto|tensorflow|wasm|cpu] [--offline]
  noisy run <experiment.yaml> --controller HOST:PORT [--summary PATH]     (on a cluster, e.g. one from noisy dev up)
  noisy status <run-id> --controller HOST:PORT [--json]
  noisy watch <run-id> --controller HOST:PORT
  noisy runs [--store DIR | --controller HOST:PORT] [--json]
  noisy dev up [--inference N] | noisy dev down     (nats-server, s3rver and every service on loopback)
  noisy predict --model <checkpoint key> --input <image folder | IDX file | TFRecord> --out preds.csv|preds.jsonl [--top-k 3] [--batch 256]
  noisy export --run <run-id> --generation <g> --out set.csv|set.jsonl [--label-issues [--min-confidence 0.8]]
  noisy report --run <run-id> [--out report.html]
  noisy eval --model <store key of a checkpoint, e.g. runs/<id>/gen-2/model> --data <experiment.yaml|fashion-mnist> [--store DIR] [--limit N] [--json]

The store defaults to ./runs (a file:// object store). Running the same experiment again resumes it.
`;

const FLAGS = {
  store: { type: 'string', default: 'runs' },
  summary: { type: 'string' },
  'run-id': { type: 'string' },
  backend: { type: 'string' },
  offline: { type: 'boolean', default: false },
  json: { type: 'boolean', default: false },
  model: { type: 'string' },
  data: { type: 'string' },
  limit: { type: 'string' },
  input: { type: 'string' },
  out: { type: 'string' },
  'top-k': { type: 'string', default: '3' },
  batch: { type: 'string', default: '256' },
  run: { type: 'string' },
  generation: { type: 'string' },
  'label-issues': { type: 'boolean', default: false },
  'min-confidence': { type: 'string', default: '0.8' },
  controller: { type: 'string' },
  inference: { type: 'string', default: '2' },
  help: { type: 'boolean', short: 'h', default: false },
} as const;

export async function main(argv: string[], io: CommandIo = processIo): Promise<number> {
  try {
    let parsed;
    try {
      parsed = parseArgs({ args: argv, options: FLAGS, allowPositionals: true, strict: true });
    } catch (err) {
      throw new UsageError('arguments', `${(err as Error).message}\n\n${USAGE}`);
    }
    const { values: v, positionals } = parsed;
    const [command, ...rest] = positionals;
    if (v.help || !command) {
      io.out(USAGE);
      return command || v.help ? 0 : 2;
    }
    switch (command) {
      case 'run':
        if (rest.length !== 1) throw new UsageError('run', `expects one experiment file\n\n${USAGE}`);
        if (v.controller)
          return await remoteRun(rest[0], { controller: v.controller, runId: v['run-id'], summary: v.summary }, io);
        return await runCommand(
          rest[0],
          { store: v.store, summary: v.summary, runId: v['run-id'], backend: v.backend, offline: v.offline },
          io,
        );
      case 'status':
      case 'watch':
        if (rest.length !== 1 || !v.controller)
          throw new UsageError(command, `expects a run id and --controller HOST:PORT\n\n${USAGE}`);
        return command === 'status'
          ? await remoteStatus(rest[0], { controller: v.controller, json: v.json }, io)
          : await remoteWatch(rest[0], { controller: v.controller }, io);
      case 'dev':
        if (rest[0] === 'up') return await devUp({ dir: '.noisy', inference: Number(v.inference) }, io);
        if (rest[0] === 'down') return await devDown({ dir: '.noisy' }, io);
        throw new UsageError('dev', `expects 'up' or 'down'\n\n${USAGE}`);
      case 'runs':
        if (v.controller) return await remoteRuns({ controller: v.controller, json: v.json }, io);
        return await runsCommand({ store: v.store, json: v.json }, io);
      case 'eval':
        if (!v.model || !v.data) throw new UsageError('eval', `needs --model and --data\n\n${USAGE}`);
        return await evalCommand(
          {
            model: v.model,
            data: v.data,
            store: v.store,
            json: v.json,
            backend: v.backend,
            limit: v.limit ? Number(v.limit) : undefined,
            offline: v.offline,
          },
          io,
        );
      case 'predict':
        if (!v.model || !v.input || !v.out)
          throw new UsageError('predict', `needs --model, --input and --out\n\n${USAGE}`);
        return await predictCommand(
          {
            model: v.model,
            input: v.input,
            out: v.out,
            store: v.store,
            topK: Number(v['top-k']),
            batch: Number(v.batch),
            backend: v.backend,
          },
          io,
        );
      case 'report':
        if (!v.run) throw new UsageError('report', `needs --run\n\n${USAGE}`);
        return await reportCommand({ run: v.run, store: v.store, out: v.out }, io);
      case 'export':
        if (!v.run || v.generation === undefined || !v.out)
          throw new UsageError('export', `needs --run, --generation and --out\n\n${USAGE}`);
        return await exportCommand(
          {
            run: v.run,
            generation: Number(v.generation),
            out: v.out,
            store: v.store,
            labelIssues: v['label-issues'],
            minConfidence: Number(v['min-confidence']),
          },
          io,
        );
      default:
        throw new UsageError('command', `unknown command '${command}'\n\n${USAGE}`);
    }
  } catch (err) {
    return reportError(err, io.err);
  }
}

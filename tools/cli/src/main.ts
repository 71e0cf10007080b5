// The `noisy` command line: commander parses (per-command flags, --help, --version, validated
// numbers), the commands do the work, and errors map to exit codes: 0 done, 1 the run or a
// service failed, 2 bad input (usage, flags, experiment, data, missing artifacts).
import { createRequire } from 'node:module';
import { Command, CommanderError, Option } from 'commander';
import { ConfigError } from '@noisy/core';
import { processIo, type CommandIo } from './commands/io.js';
import { reportError } from './errors.js';
import { collect, controllerOptions, intFlag, numberFlag, seedList, storeOption } from './flags.js';
import { parseOverride } from './overrides.js';
import { experimentSchemaText } from './schema.js';
import { printConfig } from './commands/print-config.js';

// Commands are imported when they run, so --help, --version and schema answer without loading
// TensorFlow.js and the kernels (seconds); the kernels' switch is applied before a command loads.
async function command<T>(load: () => Promise<T>): Promise<T> {
  const { useNativeKernels } = await import('@noisy/ml');
  useNativeKernels(process.env.NOISY_ONEDNN !== '0'); // NOISY_ONEDNN=0: tfjs's own wasm kernels only
  return load();
}

const commands = {
  compare: () => command(() => import('./commands/compare.js')),
  dev: () => command(() => import('./commands/dev.js')),
  dryRun: () => command(() => import('./commands/dry-run.js')),
  eval: () => command(() => import('./commands/eval.js')),
  exportModel: () => command(() => import('./commands/export-model.js')),
  export: () => command(() => import('./commands/export.js')),
  localStatus: () => command(() => import('./commands/local-status.js')),
  predict: () => command(() => import('./commands/predict.js')),
  remote: () => command(() => import('./commands/remote.js')),
  report: () => command(() => import('./commands/report.js')),
  runSeeds: () => command(() => import('./commands/run-seeds.js')),
  run: () => command(() => import('./commands/run.js')),
  runs: () => command(() => import('./commands/runs.js')),
};

const VERSION = (createRequire(import.meta.url)('../package.json') as { version: string }).version;
const BACKENDS = ['auto', 'tensorflow', 'wasm', 'cpu'];

/** `<run-id>` is positional everywhere; `--run ID` stays as an alias on report and export. */
function runIdOf(positional: string | undefined, alias: string | undefined, command: string): string {
  if (positional && alias && positional !== alias)
    throw new ConfigError(command, `two run ids given ('${positional}' and --run '${alias}'); give one`);
  const id = positional ?? alias;
  if (!id) throw new ConfigError(command, `needs a run id: noisy ${command} <run-id>`);
  return id;
}

/** --controller and its TLS/token options (each also from its environment variable). */
function addControllerOptions(cmd: Command, what: string, mandatory = false): Command {
  for (const o of controllerOptions(what, mandatory)) cmd.addOption(o);
  return cmd;
}

function program(io: CommandIo, done: (code: number) => void): Command {
  const root = new Command('noisy')
    .description(
      'Noisy Student Training: teacher -> pseudo-labels -> filtered, balanced data -> noisy student -> repeat',
    )
    .version(VERSION, '-V, --version')
    .configureOutput({
      writeOut: (s) => io.out(s),
      writeErr: (s) => io.err(s),
      outputError: (s, write) => write(`noisy: ${s.replace(/^error: /, '')}`),
    })
    .exitOverride()
    .showHelpAfterError('(add --help for usage)');

  addControllerOptions(root.command('run'), 'run on this controller instead of embedded')
    .description('run an experiment: embedded here, or on a cluster with --controller; reruns resume')
    .argument('<experiment>', 'experiment file (YAML or JSON)')
    .addOption(storeOption())
    .option('--summary <path>', 'also write summary.json here')
    .option('--run-id <id>', 'run id (default: <name>-<hash of the compiled experiment>)')
    .addOption(new Option('--backend <name>', "tfjs backend (default: the experiment file's)").choices(BACKENDS))
    .option('--offline', 'never download datasets', false)
    .option('--dry-run', 'validate the experiment against its data and print the plan; train nothing')
    .option('--print-config', 'print the compiled experiment (every default filled in) as YAML; run nothing')
    .option('--set <path=value>', 'override a field of the experiment, e.g. train.steps=800 (repeatable)', collect)
    .option('--seeds <list>', 'run once per seed, e.g. 0,1,2, and print mean ± sd per generation', seedList)
    .option('--control', "with --seeds: also run each seed's no-pseudo-label control and print the paired gains")
    .action(async (file: string, o) => {
      const overrides = ((o.set ?? []) as string[]).map((s) => parseOverride(s));
      if (o.control && !o.seeds) throw new ConfigError('--control', 'needs --seeds (e.g. --seeds 0,1,2 --control)');
      if (o.printConfig) {
        done(await printConfig(file, overrides, io));
        return;
      }
      if (o.dryRun) {
        done(
          await (await commands.dryRun()).dryRunCommand(file, { offline: o.offline, overrides, store: o.store }, io),
        );
        return;
      }
      if (o.seeds) {
        if (o.controller || o.runId) {
          throw new ConfigError(o.controller ? '--controller' : '--run-id', 'not with --seeds (one run id per seed)');
        }
        const flags = { store: o.store, summary: o.summary, backend: o.backend, offline: o.offline, overrides };
        done(
          await (
            await commands.runSeeds()
          ).runSeedsCommand(file, { ...flags, seeds: o.seeds, control: Boolean(o.control) }, io),
        );
        return;
      }
      done(
        o.controller
          ? await (await commands.remote()).remoteRun(file, { ...o, overrides }, io)
          : await (
              await commands.run()
            ).runCommand(
              file,
              { store: o.store, summary: o.summary, runId: o.runId, backend: o.backend, offline: o.offline, overrides },
              io,
            ),
      );
    });

  addControllerOptions(root.command('status'), 'ask this controller (a cluster run) instead of the store')
    .description("a run's state and generations: from its controller, or from the store for a local run")
    .argument('<run-id>', 'the run')
    .addOption(storeOption())
    .option('--json', 'print the run as JSON', false)
    .action(async (runId: string, o) =>
      done(
        o.controller
          ? await (await commands.remote()).remoteStatus(runId, o, io)
          : await (await commands.localStatus()).localStatus(runId, o, io),
      ),
    );

  addControllerOptions(root.command('watch'), 'follow this controller (a cluster run) instead of the store')
    .description('follow a run until it ends: through its controller, or by what a local run commits')
    .argument('<run-id>', 'the run')
    .addOption(storeOption())
    .action(async (runId: string, o) =>
      done(
        o.controller
          ? await (await commands.remote()).remoteWatch(runId, o, io)
          : await (await commands.localStatus()).localWatch(runId, o, io),
      ),
    );

  addControllerOptions(root.command('cancel'), 'controller address', true)
    .description('cancel a cluster run (finished steps stay; resume by running the experiment again)')
    .argument('<run-id>', 'the run')
    .action(async (runId: string, o) => done(await (await commands.remote()).remoteCancel(runId, o, io)));

  addControllerOptions(root.command('runs'), 'list the runs of this controller')
    .description('list runs with state and last top-1, or compare runs generation by generation')
    .addOption(storeOption())
    .option('--compare <run-ids...>', 'print these runs side by side: top-1 / top-5 per generation')
    .option('--json', 'print JSON', false)
    .action(async (o) => {
      if (o.compare) done(await (await commands.compare()).compareCommand(o.compare, o, io));
      else if (o.controller) done(await (await commands.remote()).remoteRuns(o, io));
      else done(await (await commands.runs()).runsCommand({ store: o.store, json: o.json }, io));
    });

  const dev = root.command('dev').description('a local cluster: nats-server, an S3 server and every service');
  dev
    .command('up')
    .description('start it in the background (state and logs in .noisy/)')
    .option('--inference <n>', 'inference workers', intFlag(1), 2)
    .action(async (o) => done(await (await commands.dev()).devUp({ dir: '.noisy', inference: o.inference }, io)));
  dev
    .command('down')
    .description('stop what `noisy dev up` started')
    .action(async () => done(await (await commands.dev()).devDown({ dir: '.noisy' }, io)));

  root
    .command('predict')
    .description("a model's top-k classes for your images or table rows")
    .requiredOption('--model <key|path>', 'checkpoint: store key (runs/<id>/gen-2/model) or its folder on disk')
    .requiredOption('--input <path>', 'image folder, IDX file, TFRecord, or CSV/TSV/ARFF for table models')
    .requiredOption('--out <file>', 'preds.csv or preds.jsonl')
    .option('--top-k <n>', 'classes per row', intFlag(1), 3)
    .option('--batch <n>', 'examples per forward pass', intFlag(1), 256)
    .addOption(new Option('--backend <name>', 'tfjs backend').choices(BACKENDS).default('auto'))
    .addOption(storeOption())
    .action(async (o) => done(await (await commands.predict()).predictCommand(o, io)));

  root
    .command('export')
    .description(
      "a generation's filtered pseudo-labeled set, the labeled examples its model contradicts, or a model as stock tfjs",
    )
    .argument('[run-id]', 'the run (or --run <id>); not with --model')
    .addOption(new Option('--run <id>', 'alias of the <run-id> argument').hideHelp())
    .option('--generation <g>', 'generation (1 or more for the filtered set)', intFlag(0))
    .requiredOption('--out <file>', 'set.csv or set.jsonl; with --model a folder')
    .option('--label-issues', 'export label issues (K-fold, confident learning) instead of the filtered set', false)
    .option('--folds <k>', 'with --label-issues: K of the K-fold out-of-sample probabilities', intFlag(2), 5)
    .option('--pred-probs <file>', "with --label-issues: also write cleanlab's pred_probs and labels (.npy or .csv)")
    .option(
      '--min-confidence <p>',
      'with --label-issues: least probability of the predicted class',
      numberFlag(0, 1),
      0,
    )
    .option('--model <key|path>', 'export this checkpoint as a model (store key or its folder on disk)')
    .addOption(new Option('--format <name>', 'with --model: the model format').choices(['tfjs']).default('tfjs'))
    .addOption(storeOption())
    .action(async (id: string | undefined, o) => {
      if (o.model) {
        if (id || o.run || o.generation !== undefined || o.labelIssues) {
          throw new ConfigError('--model', 'exports a checkpoint: give no run id, --generation or --label-issues');
        }
        done(
          await (
            await commands.exportModel()
          ).exportModelCommand({ model: o.model, format: o.format, out: o.out, store: o.store }, io),
        );
        return;
      }
      if (o.generation === undefined) throw new ConfigError('--generation', 'required to export a set of a run');
      done(
        await (
          await commands.export()
        ).exportCommand({ ...o, run: runIdOf(id, o.run, 'export'), labelIssues: o.labelIssues }, io),
      );
    });

  root
    .command('report')
    .description("(re)build a run's self-contained HTML report")
    .argument('[run-id]', 'the run (or --run <id>)')
    .addOption(new Option('--run <id>', 'alias of the <run-id> argument').hideHelp())
    .option('--out <file>', 'also write it here')
    .addOption(storeOption())
    .action(async (id: string | undefined, o) =>
      done(
        await (
          await commands.report()
        ).reportCommand({ run: runIdOf(id, o.run, 'report'), store: o.store, out: o.out }, io),
      ),
    );

  root
    .command('eval')
    .description("a checkpoint's top-1, top-5, per-class accuracy and calibration on a test split")
    .requiredOption('--model <key|path>', 'checkpoint: store key or its folder on disk')
    .requiredOption('--data <experiment|name>', 'an experiment file, or a dataset name such as fashion-mnist')
    .option('--limit <n>', 'evaluate only the first n test examples', intFlag(1))
    .option('--json', 'print the metrics as JSON', false)
    .addOption(new Option('--backend <name>', 'tfjs backend').choices(BACKENDS).default('auto'))
    .option('--offline', 'never download datasets', false)
    .addOption(storeOption())
    .action(async (o) => done(await (await commands.eval()).evalCommand(o, io)));

  root
    .command('schema')
    .description("print the experiment file's JSON Schema (for editors)")
    .action(() => {
      io.out(experimentSchemaText());
      done(0);
    });

  return root;
}

export async function main(argv: string[], io: CommandIo = processIo): Promise<number> {
  let code = 0;
  const cli = program(io, (c) => {
    code = c;
  });
  if (argv.length === 0) {
    io.out(cli.helpInformation());
    return 2;
  }
  try {
    await cli.parseAsync(argv, { from: 'user' });
    return code;
  } catch (err) {
    // commander has already written its message; --help and --version end with exit code 0.
    if (err instanceof CommanderError) return err.exitCode === 0 ? 0 : 2;
    return reportError(err, io.err);
  }
}

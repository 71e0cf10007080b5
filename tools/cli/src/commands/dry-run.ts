// noisy run <experiment.yaml> --dry-run: validate the experiment against its data without training
// and print the plan: counts, shards, tasks per stage, steps and images per generation.
import { compileExperimentFrom } from '@noisy/core';
import { describeDecoder, imageDecoder, isStorePath, openSourceParts, sourcePaths } from '@noisy/data';
import { countSourceParts, planDryRun } from '@noisy/pipeline';
import { readExperimentFile } from '../experiment-file.js';
import { openStore } from '../store.js';
import { applyOverrides, type Override } from '../overrides.js';
import type { CommandIo } from './io.js';

const n = (x: number) => x.toLocaleString('en-US');

export async function dryRunCommand(
  file: string,
  flags: { offline?: boolean; overrides?: Override[]; store?: string },
  io: CommandIo,
): Promise<number> {
  const e = compileExperimentFrom(applyOverrides(await readExperimentFile(file), flags.overrides ?? []), file);
  // A source in the store (`store:<prefix>`) is listed and counted through the run's store.
  const inStore = sourcePaths(e.data.source).some((p) => isStorePath(p.path));
  const objects = inStore && flags.store ? await openStore(flags.store) : undefined;
  const source = await openSourceParts(e.data.source, { seed: e.seed, allowDownload: !flags.offline, objects });
  const p = planDryRun(e, source, await countSourceParts(e, source));
  const s = p.source;
  const lines = [
    `dry run: ${e.name} (nothing trained, nothing written)`,
    `source:  ${s.name}, ${n(s.classes)} classes, ${s.encoded ? 'encoded pictures (kept as JPEG/PNG in shards)' : `raw ${source.shape.join('x')}`}; ` +
      `train ${n(s.train)}, test ${n(s.test)}, extra unlabeled ${n(s.extra)}; ${n(s.parts)} parts`,
    ...(s.encoded ? [`decoder: ${describeDecoder(await imageDecoder())}`] : []),
    `dataset: labeled ${n(p.counts.labeled)}, unlabeled ${n(p.counts.unlabeled)}, dev ${n(p.counts.dev)}, test ${n(p.counts.test)}`,
    `shards:  labeled ${p.shards.labeled}, unlabeled ${p.shards.unlabeled}, dev ${p.shards.dev}, test ${p.shards.test}` +
      (p.inPlace ? ` (${p.inPlace} source files read in place)` : ''),
    'tasks:',
  ];
  for (let g = 0; g < e.stages.length; g++) {
    const phases = p.tasks.filter((t) => t.generation === g);
    lines.push(`  gen ${g}: ${phases.map((t) => `${t.phase} ${t.tasks}`).join(', ')}`);
  }
  lines.push('gen  model                input        steps    batch (lab+unl)  images');
  for (const g of p.generations)
    lines.push(
      `${String(g.generation).padEnd(5)}${g.model.padEnd(21)}${g.input.join('x').padEnd(13)}${n(g.steps).padEnd(9)}` +
        `${`${g.labeledBatch}+${g.unlabeledBatch}`.padEnd(17)}${n(g.images)}`,
    );
  io.out(`${lines.join('\n')}\n`);
  return 0;
}

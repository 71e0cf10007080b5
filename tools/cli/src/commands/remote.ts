// The cluster form from the command line: run, status, watch and list runs on a controller.
import { writeFile } from 'node:fs/promises';
import { RunFailedError, compileExperimentFrom } from '@noisy/core';
import type { controllerPb } from '@noisy/contracts/grpc';
import { authOf, connectController, rpc, watchRun, type AuthFlags, type Client } from '../controller-client.js';
import { readExperimentFile } from '../experiment-file.js';
import { applyOverrides, describeOverrides, type Override } from '../overrides.js';
import { createProgress } from '../progress.js';
import { formatTable, generationTable, pct } from '../table.js';
import type { CommandIo } from './io.js';

/** Connect to the controller `o` names (with its TLS/token options), run `fn`, always close. */
async function withController<T>(
  o: AuthFlags & { controller: string },
  fn: (client: Client) => Promise<T>,
): Promise<T> {
  const client = connectController(o.controller, authOf(o));
  try {
    return await fn(client);
  } finally {
    client.close();
  }
}

async function follow(client: Client, runId: string, io: CommandIo): Promise<controllerPb.Run> {
  const progress = createProgress(io.stderr);
  try {
    await watchRun(
      client,
      runId,
      (e) => progress.run(e),
      (p) => progress.progress(p),
    );
  } finally {
    progress.done();
  }
  return (await rpc.getRun(client, runId)).run!;
}

export async function remoteRun(
  file: string,
  o: AuthFlags & { controller: string; runId?: string; summary?: string; overrides?: Override[] },
  io: CommandIo,
): Promise<number> {
  const raw = applyOverrides(await readExperimentFile(file), o.overrides ?? []);
  compileExperimentFrom(raw, file); // fail here, with the file's name, before anything is sent
  return withController(o, async (client) => {
    const { run } = await rpc.startRun(client, { experiment: JSON.stringify(raw), runId: o.runId ?? '' });
    io.err(`noisy: run ${run!.runId} on controller ${o.controller}\n`);
    if (o.overrides?.length) io.err(`noisy: overrides ${describeOverrides(o.overrides)}\n`);
    const done = await follow(client, run!.runId, io);
    if (done.state !== 'finished')
      throw new RunFailedError(
        `run ${done.runId} ${done.state}: ${done.message}`,
        /ConfigError|DataError/.test(done.message),
      );
    io.out(`\n${generationTable(done.generations)}\n`);
    if (o.summary)
      await writeFile(
        o.summary,
        `${JSON.stringify({ runId: done.runId, name: done.name, generations: done.generations }, null, 2)}\n`,
      );
    return 0;
  });
}

export async function remoteStatus(
  runId: string,
  o: AuthFlags & { controller: string; json?: boolean },
  io: CommandIo,
): Promise<number> {
  return withController(o, async (client) => {
    const { run } = await rpc.getRun(client, runId);
    if (o.json) io.out(`${JSON.stringify(run, null, 2)}\n`);
    else
      io.out(
        `${run!.runId}: ${run!.state}${run!.message ? ` (${run!.message})` : ''}\n${run!.generations.length ? `\n${generationTable(run!.generations)}\n` : ''}`,
      );
    return 0;
  });
}

export async function remoteWatch(
  runId: string,
  o: AuthFlags & { controller: string },
  io: CommandIo,
): Promise<number> {
  return withController(o, async (client) => {
    const run = await follow(client, runId, io);
    io.out(`${run.runId}: ${run.state}\n${run.generations.length ? `\n${generationTable(run.generations)}\n` : ''}`);
    return run.state === 'finished' ? 0 : 1;
  });
}

export async function remoteCancel(
  runId: string,
  o: AuthFlags & { controller: string },
  io: CommandIo,
): Promise<number> {
  return withController(o, async (client) => {
    const { run } = await rpc.cancelRun(client, runId);
    io.out(`${run!.runId}: ${run!.state}${run!.message ? ` (${run!.message})` : ''}\n`);
    return 0;
  });
}

export async function remoteRuns(
  o: AuthFlags & { controller: string; json?: boolean },
  io: CommandIo,
): Promise<number> {
  return withController(o, async (client) => {
    const { runs } = await rpc.listRuns(client);
    if (o.json) io.out(`${JSON.stringify(runs, null, 2)}\n`);
    else
      io.out(
        `${formatTable(
          ['run', 'created', 'state', 'last top-1'],
          runs.map((r) => [
            r.runId,
            r.createdAt,
            r.state,
            r.generations.length ? pct(r.generations.at(-1)!.top1) : '-',
          ]),
        )}\n`,
      );
    return 0;
  });
}

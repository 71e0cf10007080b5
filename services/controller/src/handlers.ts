// gRPC ControllerService handlers over the run manager: decode, call, encode, map errors. StartRun
// refuses dataset paths outside the data roots; every message leaving here is redacted (no secret
// value, no long excerpt of an input file), whatever a worker put into it.
import type * as grpc from '@grpc/grpc-js';
import { compileExperimentFrom, parseExperimentText, redact } from '@noisy/core';
import { progressCodec, runEventCodec } from '@noisy/contracts';
import type { controllerPb } from '@noisy/contracts/grpc';
import { checkDataRoots } from '@noisy/data';
import type { RunInfo, RunManager } from '@noisy/pipeline';
import { toGrpcError, unary } from '@noisy/platform/grpc';

export interface ControllerOptions {
  /** NOISY_DATA_ROOTS of the controller (the ingestion service checks its own too); none by default: only path-less sources. */
  dataRoots: readonly string[];
  /** Values never to return (the process's secret-looking environment variables). */
  secrets: readonly string[];
}

export const toRun = (r: RunInfo, secrets: readonly string[]): controllerPb.Run => ({
  runId: r.runId,
  name: r.name,
  state: r.state,
  message: redact(r.message, secrets),
  createdAt: r.createdAt,
  generations: r.generations.map((g) => ({
    generation: g.generation,
    role: g.role,
    model: g.model,
    top1: g.top1,
    top5: g.top5,
    labeled: g.labeled,
    pseudoLabeled: g.pseudoLabeled,
    seconds: g.seconds,
    ...(g.inputWaitSeconds !== undefined ? { inputWaitSeconds: g.inputWaitSeconds } : {}),
    ...(g.inputWaitFraction !== undefined ? { inputWaitFraction: g.inputWaitFraction } : {}),
  })),
});

export function controllerHandlers(
  runs: RunManager,
  o: ControllerOptions = { dataRoots: [], secrets: [] },
): controllerPb.ControllerServiceServer {
  const { secrets } = o;
  const run = (r: RunInfo) => toRun(r, secrets);
  // unary() maps errors to gRPC statuses; their details are redacted too.
  const safe =
    <Req, Res>(fn: (req: Req) => Promise<Res>) =>
    (req: Req) =>
      fn(req).catch((err: unknown) => {
        if (err instanceof Error) err.message = redact(err.message, secrets);
        throw err;
      });
  return {
    startRun: unary(
      safe(async (req: controllerPb.StartRunRequest) => {
        const e = compileExperimentFrom(parseExperimentText(req.experiment, 'experiment'), 'experiment');
        await checkDataRoots(e.data.source, o.dataRoots);
        return { run: run(await runs.start(req.experiment, req.runId)) };
      }),
    ),
    getRun: unary(safe(async (req: controllerPb.GetRunRequest) => ({ run: run(await runs.get(req.runId)) }))),
    listRuns: unary(safe(async () => ({ runs: (await runs.list()).map(run) }))),
    cancelRun: unary(safe(async (req: controllerPb.CancelRunRequest) => ({ run: run(await runs.cancel(req.runId)) }))),
    resumeRun: unary(safe(async (req: controllerPb.ResumeRunRequest) => ({ run: run(await runs.resume(req.runId)) }))),
    watchRun: (call: grpc.ServerWritableStream<controllerPb.WatchRunRequest, controllerPb.WatchRunResponse>) => {
      const runId = call.request.runId;
      runs.get(runId).then(
        (info) => {
          // First the run as it stands, then its events.
          call.write({ snapshot: run(info) });
          if (info.state !== 'running' && info.state !== 'pending') {
            call.end();
            return;
          }
          const sub = runs.watch(
            runId,
            (e) => {
              call.write({ run: runEventCodec.toWire({ ...e, message: redact(e.message, secrets) }) });
              if (e.state === 'finished' || e.state === 'failed') {
                // End once the run manager has settled too (report and TensorBoard files written, state
                // final), so a GetRun right after the stream ends sees the run's final state.
                void runs.settled(runId).finally(() => {
                  void sub.stop();
                  call.end();
                });
              }
            },
            (p) => call.write({ progress: progressCodec.toWire(p) }),
          );
          call.on('cancelled', () => void sub.stop());
        },
        (err) => {
          if (err instanceof Error) err.message = redact(err.message, secrets);
          call.destroy(toGrpcError(err));
        },
      );
    },
  };
}

// gRPC ControllerService handlers over the run manager: decode, call, encode, map errors.
import type * as grpc from '@grpc/grpc-js';
import { progressCodec, runEventCodec } from '@noisy/contracts';
import type { controllerPb } from '@noisy/contracts/grpc';
import type { RunInfo, RunManager } from '@noisy/pipeline';
import { toGrpcError, unary } from '@noisy/platform/grpc';

const toRun = (r: RunInfo): controllerPb.Run => ({
  runId: r.runId,
  name: r.name,
  state: r.state,
  message: r.message,
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
  })),
});

export function controllerHandlers(runs: RunManager): controllerPb.ControllerServiceServer {
  return {
    startRun: unary(async (req: controllerPb.StartRunRequest) => ({
      run: toRun(await runs.start(req.experiment, req.runId)),
    })),
    getRun: unary(async (req: controllerPb.GetRunRequest) => ({ run: toRun(await runs.get(req.runId)) })),
    listRuns: unary(async () => ({ runs: (await runs.list()).map(toRun) })),
    cancelRun: unary(async (req: controllerPb.CancelRunRequest) => ({ run: toRun(await runs.cancel(req.runId)) })),
    resumeRun: unary(async (req: controllerPb.ResumeRunRequest) => ({ run: toRun(await runs.resume(req.runId)) })),
    watchRun: (call: grpc.ServerWritableStream<controllerPb.WatchRunRequest, controllerPb.WatchRunResponse>) => {
      const runId = call.request.runId;
      runs.get(runId).then(
        (info) => {
          // First the run as it stands, then its events.
          call.write({ snapshot: toRun(info) });
          if (info.state !== 'running' && info.state !== 'pending') {
            call.end();
            return;
          }
          const sub = runs.watch(
            runId,
            (e) => {
              call.write({ run: runEventCodec.toWire(e) });
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
        (err) => call.destroy(toGrpcError(err)),
      );
    },
  };
}

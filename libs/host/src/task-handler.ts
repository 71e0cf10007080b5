// gRPC handlers that run one stage task: decode the task, run the same stage function the
// workers run, return the committed manifest key; errors map to gRPC status codes.
import type * as grpc from '@grpc/grpc-js';
import type { Step, Task, eventsPb } from '@noisy/contracts';
import { STAGES, type StageContext } from '@noisy/pipeline';
import { unary } from '@noisy/platform';
import { confinedIngest } from './data-roots.js';
import type { HostContext } from './host.js';

export function toTask(t: eventsPb.Task | undefined, step: Step): Task {
  if (!t) throw new TypeError('request.task is required');
  return { taskId: t.taskId, runId: t.runId, step, generation: t.generation, shard: t.shard };
}

export function stageContext(ctx: HostContext, progress: StageContext['progress'] = () => undefined): StageContext {
  return { store: ctx.store, progress, shouldStop: () => false, allowDownload: false };
}

export function taskHandler(
  step: Step,
  ctx: HostContext,
): grpc.handleUnaryCall<{ task?: eventsPb.Task }, { manifestKey: string }> {
  return unary(async (req) => ({
    manifestKey: await (step === 'ingest' ? confinedIngest(ctx.config.dataRoots) : STAGES[step])(
      stageContext(ctx),
      toTask(req.task, step),
      ctx.models,
    ),
  }));
}

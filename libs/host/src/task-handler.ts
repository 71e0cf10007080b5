// gRPC handlers that run one stage task: decode the task, run the same stage function the
// workers run, return the committed manifest key; errors map to gRPC status codes.
import type * as grpc from '@grpc/grpc-js';
import { InvalidMessageError, STEP_ENUM, taskCodec, type Step, type Task, type eventsPb } from '@noisy/contracts';
import { STAGES, ingestWhole, type StageContext } from '@noisy/pipeline';
import { unary } from '@noisy/platform/grpc';
import { confinedIngest } from './data-roots.js';
import type { HostContext } from './host.js';

/** The request's task, validated by the bus codec; a task of another step is refused. */
export function toTask(t: eventsPb.Task | undefined, step: Step): Task {
  if (!t) throw new InvalidMessageError('Task', 'request.task is required');
  // The step is implied by the RPC: a client may leave it unset (STEP_UNSPECIFIED = 0).
  const task = taskCodec.fromWire({ ...t, step: t.step || STEP_ENUM[step] });
  if (task.step !== step) throw new InvalidMessageError('Task', `a ${task.step} task sent to the ${step} service`);
  return task;
}

export function stageContext(ctx: HostContext, progress: StageContext['progress'] = () => undefined): StageContext {
  return { store: ctx.store, progress, shouldStop: () => false, allowDownload: false };
}

export function taskHandler(
  step: Step,
  ctx: HostContext,
): grpc.handleUnaryCall<{ task?: eventsPb.Task }, { manifestKey: string }> {
  return unary(async (req) => ({
    manifestKey: await (step === 'ingest' ? confinedIngest(ctx.config.dataRoots, ingestWhole) : STAGES[step])(
      stageContext(ctx),
      toTask(req.task, step),
      ctx.models,
    ),
  }));
}

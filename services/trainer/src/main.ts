// Trainer service (GPU role): trains the teacher and the noisy students (work queue step `train`;
// gRPC TrainerService.Train streams progress and ends with the committed manifest key).
import type * as grpc from '@grpc/grpc-js';
import { progressCodec } from '@noisy/contracts';
import { stagesPb } from '@noisy/contracts/grpc';
import { serviceMain, stageContext, toTask } from '@noisy/host';
import { gangTrainStage } from '@noisy/pipeline';
import { toGrpcError } from '@noisy/platform/grpc';

await serviceMain({
  name: 'trainer',
  steps: ['train'],
  ml: true,
  gpuRole: true,
  register: (server, ctx) =>
    server.addService(stagesPb.TrainerServiceService, {
      train: (call: grpc.ServerWritableStream<stagesPb.TrainRequest, stagesPb.TrainResponse>) => {
        const task = toTask(call.request.task, 'train');
        const progress = stageContext(ctx, (p) =>
          call.write({
            progress: progressCodec.toWire({
              ...p,
              runId: task.runId,
              taskId: task.taskId,
              step: 'train',
              generation: task.generation,
              shard: task.shard,
            }),
          }),
        );
        gangTrainStage(ctx.gang)(progress, task, ctx.models).then(
          (manifestKey) => {
            call.write({ manifestKey });
            call.end();
          },
          (err) => call.destroy(toGrpcError(err)),
        );
      },
    }),
});

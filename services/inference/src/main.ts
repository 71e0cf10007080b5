// Inference service (GPU role): predicts unlabeled shards with the teacher (work queue step
// `predict`; run any number of these) and users' own images (gRPC InferenceService.Predict).
import { stagesPb } from '@noisy/contracts/grpc';
import { serviceMain, taskHandler } from '@noisy/host';
import { predictImages } from '@noisy/pipeline';
import { unary } from '@noisy/platform/grpc';

await serviceMain({
  name: 'inference',
  steps: ['predict'],
  ml: true,
  gpuRole: true,
  register: (server, ctx) =>
    server.addService(stagesPb.InferenceServiceService, {
      predictShard: taskHandler('predict', ctx),
      predict: unary(async (req: stagesPb.PredictRequest) => ({
        predictions: await predictImages(ctx.store, req.model, req.images, req.topK, ctx.models),
      })),
    }),
});

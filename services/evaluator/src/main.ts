// Evaluator service (GPU role): top-1, top-5, per-class accuracy and calibration of a generation
// (work queue step `evaluate`, gRPC EvaluatorService.Evaluate).
import { stagesPb } from '@noisy/contracts/grpc';
import { serviceMain, taskHandler } from '@noisy/host';

await serviceMain({
  name: 'evaluator',
  steps: ['evaluate'],
  ml: true,
  gpuRole: true,
  register: (server, ctx) =>
    server.addService(stagesPb.EvaluatorServiceService, { evaluate: taskHandler('evaluate', ctx) }),
});

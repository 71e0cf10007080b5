// Filter service: per-shard confidence histograms, the per-class thresholds (the barrier) and the
// balanced per-shard output (work queue steps filter-stats, filter-thresholds, filter-output).
import { stagesPb } from '@noisy/contracts/grpc';
import { serviceMain, taskHandler } from '@noisy/host';

await serviceMain({
  name: 'filter',
  steps: ['filter-stats', 'filter-thresholds', 'filter-output'],
  ml: false,
  gpuRole: false,
  register: (server, ctx) =>
    server.addService(stagesPb.FilterServiceService, {
      stats: taskHandler('filter-stats', ctx),
      thresholds: taskHandler('filter-thresholds', ctx),
      output: taskHandler('filter-output', ctx),
    }),
});

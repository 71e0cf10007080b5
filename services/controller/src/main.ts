// Controller service: StartRun / GetRun / ListRuns / WatchRun / CancelRun / ResumeRun. Drives runs
// by publishing tasks to the work queue and waiting for workers' events; state is recomputed from
// manifests, so restarting it and calling ResumeRun continues a run.
import { secretValues } from '@noisy/core';
import { controllerPb } from '@noisy/contracts/grpc';
import { serviceMain } from '@noisy/host';
import { RunManager } from '@noisy/pipeline';
import { controllerHandlers } from './handlers.js';

await serviceMain({
  name: 'controller',
  steps: [],
  ml: false,
  gpuRole: false,
  register: (server, ctx) =>
    server.addService(
      controllerPb.ControllerServiceService,
      controllerHandlers(new RunManager({ store: ctx.store, bus: ctx.bus }), {
        dataRoots: ctx.config.dataRoots,
        secrets: secretValues(process.env),
      }),
    ),
});

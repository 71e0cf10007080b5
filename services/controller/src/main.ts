// Controller service: StartRun / GetRun / ListRuns / WatchRun / CancelRun / ResumeRun. Drives runs
// by publishing tasks to the work queue and waiting for workers' events; run state is persisted in
// the store and every unfinished run is resumed at start-up under a lease, so a restart orphans
// nothing. NOISY_TASK_DEADLINES (step=seconds,...) and NOISY_LEASE_MS tune the waits.
import { ConfigError, secretValues } from '@noisy/core';
import { controllerPb } from '@noisy/contracts/grpc';
import { log, serviceMain } from '@noisy/host';
import { RunManager, parseTaskDeadlines } from '@noisy/pipeline';
import { controllerHandlers } from './handlers.js';

await serviceMain({
  name: 'controller',
  steps: [],
  ml: false,
  gpuRole: false,
  register: (server, ctx) => {
    // Thrown here, a bad setting is reported by serviceMain like any other start-up failure.
    const deadlines = parseTaskDeadlines(process.env.NOISY_TASK_DEADLINES);
    const leaseMs = Number(process.env.NOISY_LEASE_MS ?? 30_000);
    if (!Number.isFinite(leaseMs) || leaseMs < 1000)
      throw new ConfigError('NOISY_LEASE_MS', `must be at least 1000, got '${process.env.NOISY_LEASE_MS}'`);
    const runs = new RunManager({ store: ctx.store, bus: ctx.bus }, { leaseMs, controller: { deadlines } });
    runs.startResumer((err) => log('warn', 'resuming unfinished runs failed', { error: String(err) }));
    server.addService(
      controllerPb.ControllerServiceService,
      controllerHandlers(runs, { dataRoots: ctx.config.dataRoots, secrets: secretValues(process.env) }),
    );
  },
});

// What every service main does, once: compile config, pick the tfjs backend (refusing a GPU
// role on the CPU unless allowed), connect NATS and the object store, start the work-queue
// consumers of the service's steps and a gRPC server with health, shut down gracefully.
import type * as grpc from '@grpc/grpc-js';
import { metrics } from '@opentelemetry/api';
import { ConfigError } from '@noisy/core';
import { durableFor, type Step } from '@noisy/contracts';
import { selectBackend, useNativeKernels, type BackendReport } from '@noisy/ml';
import { ModelCache, startWorker, type GangLauncher, type Worker } from '@noisy/pipeline';
import { confinedIngestStages } from './data-roots.js';
import { setupTelemetry } from '@noisy/platform/telemetry';
import { serviceConfigFromEnv, type EventBus, type ObjectStore, type ServiceConfig } from '@noisy/platform';
import { onShutdown } from './shutdown.js';
import { startGrpcServer, type GrpcServer } from '@noisy/platform/grpc';
import { NatsEventBus } from '@noisy/platform/nats';
import { openObjectStore } from '@noisy/platform/s3';
import { gangFromEnv } from './gang.js';

export interface HostContext {
  store: ObjectStore;
  bus: EventBus;
  models: ModelCache;
  config: ServiceConfig;
  backend: BackendReport | null;
  /** Starts the ranks of a train step with replicas > 1. */
  gang: GangLauncher;
}

export interface ServiceSpec {
  name: string;
  /** Work-queue steps this service consumes. */
  steps: readonly Step[];
  /** Needs tfjs (and a GPU in production). */
  ml: boolean;
  gpuRole: boolean;
  register(server: grpc.Server, ctx: HostContext): void;
}

export interface RunningService {
  grpc: GrpcServer;
  worker: Worker | null;
  ctx: HostContext;
  stop(): Promise<void>;
}

export const log = (level: string, msg: string, extra: Record<string, unknown> = {}) =>
  process.stderr.write(`${JSON.stringify({ time: new Date().toISOString(), level, msg, ...extra })}\n`);

export async function hostService(
  spec: ServiceSpec,
  env: Record<string, string | undefined> = process.env,
): Promise<RunningService> {
  const config = serviceConfigFromEnv(env);
  const telemetry = setupTelemetry(`noisy-${spec.name}`, env);
  let backend: BackendReport | null = null;
  if (spec.ml) {
    useNativeKernels(env.NOISY_ONEDNN !== '0');
    backend = await selectBackend(config.backend);
    if (spec.gpuRole && !backend.gpu && !config.allowCpu) {
      throw new ConfigError(
        'NOISY_ALLOW_CPU_FOR_GPU_ROLE',
        `${spec.name} is a GPU role but got the ${backend.name} backend (${backend.skipped.join('; ') || 'no GPU'}); set NOISY_ALLOW_CPU_FOR_GPU_ROLE=true to run it on the CPU`,
      );
    }
  }
  const store = await openObjectStore(config.storeUrl, config.s3Credentials);
  const bus = await NatsEventBus.connect({ servers: config.natsUrl, ackWaitMs: config.ackWaitMs, ...config.nats });
  const gang = gangFromEnv({ ...env, NOISY_BACKEND: backend?.name ?? config.backend });
  const ctx: HostContext = { store, bus, models: new ModelCache(), config, backend, gang };
  if (telemetry.metrics && spec.steps.length) observeQueueLag(bus, spec.steps);
  const worker = spec.steps.length
    ? startWorker(
        { store, bus },
        {
          steps: spec.steps,
          stages: confinedIngestStages(config.dataRoots),
          gang,
          // Well inside the ack wait, so a silent stage (loading, saving, scanning) is never redelivered.
          keepAliveMs: Math.max(250, config.ackWaitMs / 3),
          onReportError: (task, what, error) =>
            log('error', `could not record a task failure: ${what}`, {
              service: spec.name,
              taskId: task.taskId,
              error: error instanceof Error ? error.message : String(error),
            }),
          onTaskStart: (task, delivery) =>
            log('info', 'task started', { service: spec.name, taskId: task.taskId, step: task.step, delivery }),
          onTask: (task, outcome, seconds, error, traceId) =>
            log(outcome === 'done' ? 'info' : 'warn', `task ${outcome}`, {
              service: spec.name,
              taskId: task.taskId,
              runId: task.runId,
              step: task.step,
              generation: task.generation,
              shard: task.shard,
              seconds,
              error,
              traceId,
            }),
        },
      )
    : null;
  const server = await startGrpcServer(
    config.grpcPort,
    (s) => spec.register(s, ctx),
    config.grpcHost,
    config.grpcTls,
    config.grpcToken,
  );
  // Health follows the bus: NOT_SERVING while NATS is unreachable (the client reconnects forever),
  // so probes and load balancers see an outage instead of a pod that silently does nothing.
  const busHealth = bus.onConnection((up) => {
    server.setServing(up);
    log(up ? 'info' : 'warn', up ? 'bus connected' : 'bus disconnected', { service: spec.name, nats: bus.url });
  });
  log('info', `${spec.name} ready`, {
    service: spec.name,
    grpcHost: config.grpcHost,
    grpcPort: server.port,
    backend: backend?.name ?? 'none',
    provider: backend?.provider,
    kernels: backend?.kernels ?? null,
    gpu: backend?.gpu ?? false,
    store: store.url,
    nats: bus.url,
    tls: Boolean(config.grpcTls),
    token: Boolean(config.grpcToken),
    dataRoots: config.dataRoots,
    tracing: telemetry.enabled,
    steps: spec.steps,
  });
  const stop = async () => {
    await busHealth.stop();
    server.setServing(false);
    await worker?.stop(); // finishes or releases the task in hand
    await server.shutdown();
    ctx.models.clear();
    await bus.close();
    await telemetry.shutdown(); // flush spans
  };
  return { grpc: server, worker, ctx, stop };
}

/** JetStream lag of the service's own consumers as gauges (what KEDA scales inference on). */
function observeQueueLag(bus: NatsEventBus, steps: readonly Step[]): void {
  const meter = metrics.getMeter('noisy.host');
  const pending = meter.createObservableGauge('noisy.jetstream.pending', {
    description: 'Tasks waiting in the work queue, per consumer',
  });
  const ackPending = meter.createObservableGauge('noisy.jetstream.ack_pending', {
    description: 'Tasks delivered and not yet acknowledged, per consumer',
  });
  meter.addBatchObservableCallback(
    async (result) => {
      for (const step of steps) {
        const lag = await bus.consumerLag(durableFor(step)).catch(() => null); // telemetry never throws into the work
        if (!lag) continue;
        result.observe(pending, lag.pending, { 'noisy.consumer': durableFor(step) });
        result.observe(ackPending, lag.ackPending, { 'noisy.consumer': durableFor(step) });
      }
    },
    [pending, ackPending],
  );
}

/** The whole main of a service: host it, print failures clearly, stop on SIGTERM/SIGINT. */
export async function serviceMain(spec: ServiceSpec): Promise<void> {
  try {
    const running = await hostService(spec);
    onShutdown(running.stop);
  } catch (err) {
    log('error', `${spec.name} failed to start: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(2);
  }
}

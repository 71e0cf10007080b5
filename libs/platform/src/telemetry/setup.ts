// OpenTelemetry bootstrap for service mains and the CLI (never for libraries, which use the API
// only). OTLP/HTTP export configured by the standard OTEL_* variables; off unless an endpoint is
// set. Telemetry never throws into the work: export errors are logged, not raised.
import { context, diag, metrics, propagation, trace, DiagLogLevel } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { W3CTraceContextPropagator, setGlobalErrorHandler } from '@opentelemetry/core';
import { OTLPMetricExporter } from '@opentelemetry/exporter-metrics-otlp-http';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { MeterProvider, PeriodicExportingMetricReader } from '@opentelemetry/sdk-metrics';
import { BatchSpanProcessor, TracerProvider } from '@opentelemetry/sdk-trace';

export interface Telemetry {
  enabled: boolean;
  metrics: boolean;
  shutdown(): Promise<void>;
}

/** Whether the environment asks for traces (an OTLP endpoint, or OTEL_TRACES_EXPORTER=otlp). */
export function tracingRequested(env: Record<string, string | undefined>): boolean {
  if (env.OTEL_SDK_DISABLED === 'true' || env.OTEL_TRACES_EXPORTER === 'none') return false;
  return Boolean(
    env.OTEL_EXPORTER_OTLP_ENDPOINT || env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT || env.OTEL_TRACES_EXPORTER === 'otlp',
  );
}

export function setupTelemetry(
  serviceName: string,
  env: Record<string, string | undefined> = process.env,
  log: (s: string) => void = (s) => process.stderr.write(`${s}\n`),
): Telemetry {
  // W3C trace context is propagated even when nothing is exported, so a downstream process can trace.
  propagation.setGlobalPropagator(new W3CTraceContextPropagator());
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  if (!tracingRequested(env)) return { enabled: false, metrics: false, shutdown: async () => undefined };
  const report = (err: unknown) =>
    log(JSON.stringify({ level: 'warn', msg: `telemetry: ${err instanceof Error ? err.message : String(err)}` }));
  setGlobalErrorHandler(report);
  diag.setLogger(
    { error: report, warn: () => undefined, info: () => undefined, debug: () => undefined, verbose: () => undefined },
    DiagLogLevel.ERROR,
  );
  const resource = resourceFromAttributes({
    'service.name': env.OTEL_SERVICE_NAME ?? serviceName,
    'service.instance.id': `${serviceName}-${process.pid}`,
    'process.pid': process.pid,
  });
  const provider = new TracerProvider({
    resource,
    spanProcessors: [new BatchSpanProcessor({ exporter: new OTLPTraceExporter() })],
  });
  trace.setGlobalTracerProvider(provider);
  // Metrics go to the same collector (OTEL_METRICS_EXPORTER=none turns them off).
  const meters =
    env.OTEL_METRICS_EXPORTER === 'none'
      ? null
      : new MeterProvider({
          resource,
          readers: [
            new PeriodicExportingMetricReader({
              exporter: new OTLPMetricExporter(),
              exportIntervalMillis: Number(env.OTEL_METRIC_EXPORT_INTERVAL ?? 15_000),
            }),
          ],
        });
  if (meters) metrics.setGlobalMeterProvider(meters);
  return {
    enabled: true,
    metrics: meters !== null,
    shutdown: async () => {
      await provider.shutdown().catch(report);
      await meters?.shutdown().catch(report);
    },
  };
}

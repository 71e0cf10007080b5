// Propagator getter/setter for string-map carriers: NATS message headers (through the event-bus
// port) and gRPC metadata.
import type * as grpc from '@grpc/grpc-js';
import { context, propagation, type Context } from '@opentelemetry/api';

/** The active trace context as headers (`traceparent`, `tracestate`). */
export function injectHeaders(ctx: Context = context.active()): Record<string, string> {
  const carrier: Record<string, string> = {};
  propagation.inject(ctx, carrier);
  return carrier;
}

/** A context whose parent is the one carried by `headers` (or the active one when none). */
export function extractHeaders(headers: Record<string, string> | undefined): Context {
  return headers ? propagation.extract(context.active(), headers) : context.active();
}

/** Trace context into gRPC metadata (client side). */
export function injectMetadata(md: grpc.Metadata, ctx: Context = context.active()): grpc.Metadata {
  propagation.inject(ctx, md, { set: (m, k, v) => m.set(k, v) });
  return md;
}

/** Trace context from gRPC metadata (server side). */
export function extractMetadata(md: grpc.Metadata): Context {
  return propagation.extract(context.active(), md, {
    get: (m, k) => {
      const v = m.get(k);
      return v.length ? String(v[0]) : undefined;
    },
    keys: (m) => Object.keys(m.getMap()),
  });
}

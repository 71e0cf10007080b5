// @noisy/platform: ports (object store, event bus) and their in-process adapters.
export * from './object-store/port.js';
export * from './object-store/memory.js';
export * from './object-store/file.js';
export * from './object-store/open.js';
export * from './event-bus/port.js';
export * from './event-bus/memory.js';
export * from './event-bus/nats.js';
export * from './object-store/s3.js';
export * from './grpc/server.js';
export * from './grpc/status.js';
export * from './grpc/shutdown.js';
export * from './service-config.js';
export * from './net.js';

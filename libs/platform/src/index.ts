// @noisy/platform: the ports (object store, event bus), their in-process adapters (memory, file),
// JSON helpers and service configuration. Loads no network code. The network adapters are
// subpath entries, imported only by libs/host, the CLI, services and tests:
//   @noisy/platform/nats  NATS JetStream event bus
//   @noisy/platform/s3    S3 object store, openObjectStore for every URL scheme
//   @noisy/platform/grpc  gRPC server with health, error mapping
//   @noisy/platform/net   loopback port helpers (test harness, `noisy dev up`)
export { checkKey, getJson, putJson, putJsonIfAbsent, type ObjectInfo, type ObjectStore } from './object-store/port.js';
export { MemoryObjectStore } from './object-store/memory.js';
export { FileObjectStore } from './object-store/file.js';
export { openLocalStore } from './object-store/open.js';
export {
  logInvalidMessage,
  type Codec,
  type ConsumeOptions,
  type Delivery,
  type EventBus,
  type InvalidMessageHandler,
  type Subscription,
} from './event-bus/port.js';
export { MemoryEventBus } from './event-bus/memory.js';
export { isLoopbackHost, serviceConfigFromEnv, type ServiceConfig } from './service-config.js';

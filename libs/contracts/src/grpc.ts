// @noisy/contracts/grpc: the generated gRPC services and their messages (ts-proto, grpc-js).
// Apart from the main entry because they load @grpc/grpc-js: only hosts, services, the CLI and
// tests import them.
export * as controllerPb from './gen/noisy/v1/controller.js';
export * as stagesPb from './gen/noisy/v1/stages.js';
export * as healthPb from './gen/grpc/health/v1/health.js';
export * as eventsPb from './gen/noisy/v1/events.js';

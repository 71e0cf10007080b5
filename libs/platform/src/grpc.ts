// @noisy/platform/grpc: the gRPC server every service runs (with grpc.health.v1) and the mapping
// of named errors to gRPC status codes (loads @grpc/grpc-js).
export { serverCredentials, startGrpcServer, type GrpcServer } from './grpc/server.js';
export { toGrpcError, unary } from './grpc/status.js';

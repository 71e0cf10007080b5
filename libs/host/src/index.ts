// @noisy/host: the shell every service main uses (config, backend, adapters, workers, gRPC, shutdown).
export * from './host.js';
export * from './task-handler.js';

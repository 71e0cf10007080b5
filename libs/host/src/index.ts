// @noisy/host: the shell every service main uses (config, backend, adapters, workers, gRPC, shutdown).
export { hostService, log, serviceMain, type HostContext, type RunningService, type ServiceSpec } from './host.js';
export { stageContext, taskHandler, toTask } from './task-handler.js';
export { RANK_ENTRY, REPO_ROOT, gangFromEnv, localRanks } from './gang.js';
export * from './kube-gang.js';

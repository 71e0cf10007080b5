// @noisy/testing: shared contract suites, real-server harnesses (nats-server, S3, service
// processes, Kubernetes tools) and fixtures, for tests only.
export { eventBusContract, objectStoreContract } from './contract-suites.js';
export { tinyExperiment } from './fixtures.js';
export { freePort, startNatsServer, waitForPort, type NatsServerOptions, type RunningServer } from './nats-server.js';
export { startS3Server } from './s3-server.js';
export { ServiceProcess } from './service-process.js';
export { k8sTools, type K8sTools } from './k8s-tools.js';

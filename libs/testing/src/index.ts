// @noisy/testing: shared contract suites and (later) real-server harnesses for tests.
export * from './contract-suites.js';
export * from './fixtures.js';
export * from './nats-server.js';
export * from './s3-server.js';
export * from './service-process.js';
export * from './k8s-tools.js';

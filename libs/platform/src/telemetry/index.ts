// @noisy/platform/telemetry: the OpenTelemetry SDK bootstrap and carriers, for service mains and the CLI only.
export * from './setup.js';
export * from './carrier.js';

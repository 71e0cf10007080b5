// @noisy/pipeline: the stages of Noisy Student over ports, the run controller and workers.
export * from './manifest.js';
export * from './balance.js';
export * from './context.js';
export * from './predictions.js';
export * from './model-cache.js';
export * from './stages/ingest.js';
export * from './stages/train.js';
export * from './stages/predict.js';
export * from './stages/filter.js';
export * from './stages/evaluate.js';
export * from './stages/registry.js';
export * from './plan.js';
export * from './summary.js';
export * from './worker.js';
export * from './controller.js';
export * from './embedded.js';
export * from './export.js';

// @noisy/pipeline: the stages of Noisy Student over ports, the run controller and workers.
// Layers, each importing only those above it in this list (the lint's dependency rule):
//   analysis/       pure algorithms: balancing, confident learning
//   records/        what lives in the store: manifests, parts, run views, caches, record tables
//   stages/         ingest, predict, filter, train, evaluate; each owns its manifest payload
//                   (*-data.ts), composed by stages/manifests.ts
//   report/         what users read of a run: summary, HTML report, TensorBoard, exports
//   orchestration/  the controller, workers, gangs, leases, the embedded run and seeds
export * from './analysis/balance.js';
export * from './analysis/confident-learning.js';

export * from './records/manifest.js';
export * from './records/manifest-schema.js';
export * from './records/dataset-info.js';
export * from './records/read-validated.js';
export * from './records/run-view.js';
export * from './records/pack-stream.js';
export * from './records/context.js';
export * from './records/predictions.js';
export * from './records/model-cache.js';
export * from './records/plan.js';
export * from './records/failures.js';
export { predictEncoded } from './records/encoded-input.js';
export * from './records/train-curve.js';

export * from './stages/manifests.js';
export * from './stages/ingest-data.js';
export * from './stages/filter-data.js';
export * from './stages/train-data.js';
export * from './stages/evaluate-data.js';
export * from './stages/ingest.js';
export * from './stages/ingest-tasks.js';
export * from './stages/ingest-select.js';
export * from './stages/train.js';
export * from './stages/predict.js';
export * from './stages/filter.js';
export * from './stages/evaluate.js';
export * from './stages/registry.js';
export * from './stages/predict-images.js';
export * from './stages/metrics.js';

export * from './report/summary.js';
export * from './report/export.js';
export * from './report/label-issues.js';
export * from './report/html.js';
export * from './report/after-run.js';
export * from './report/tensorboard.js';

export * from './orchestration/worker.js';
export * from './orchestration/gang.js';
export * from './orchestration/controller.js';
export * from './orchestration/embedded.js';
export * from './orchestration/run-manager.js';
export * from './orchestration/lease.js';
export * from './orchestration/deadlines.js';
export * from './orchestration/await-tasks.js';
export * from './orchestration/seeds.js';
export * from './orchestration/dry-run.js';

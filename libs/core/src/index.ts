// @noisy/core: experiment schema, named errors, seeded randomness.
export * from './errors.js';
export * from './rng.js';
export * from './experiment.js';
export * from './hash.js';
export * from './grid.js';
export * from './experiment-text.js';
export * from './redact.js';

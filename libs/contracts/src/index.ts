// @noisy/contracts: object keys, subjects, task ids and event payloads shared by every process.
export * from './keys.js';
export * from './subjects.js';

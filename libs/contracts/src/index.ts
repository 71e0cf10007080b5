// @noisy/contracts: object keys, subjects, task ids, the bus payloads and their codec. Loads no
// network code: the gRPC service definitions (which load @grpc/grpc-js) are @noisy/contracts/grpc.
export { cacheKeys, datasetKeys, indexKeys, runKeys, shardName, partName, checkRunId, type Split } from './keys.js';
export {
  STEPS,
  STEP_ENUM,
  PER_SHARD_STEPS,
  INGEST_STEPS,
  RUN_STATE_ENUM,
  PROGRESS_UNIT_ENUM,
  subjects,
  durableFor,
  taskIdFor,
  makeTask,
  type Step,
  type RunEventState,
  type ProgressUnitName,
  type Task,
  type TaskDone,
  type TaskFailed,
  type ProgressEvent,
  type RunEvent,
} from './subjects.js';
export {
  InvalidMessageError,
  MAX_GENERATION,
  MAX_SHARDS,
  taskCodec,
  taskDoneCodec,
  taskFailedCodec,
  progressCodec,
  runEventCodec,
  type MessageCodec,
} from './codec.js';
/** The generated event messages (proto/noisy/v1/events.proto). */
export * as eventsPb from './gen/noisy/v1/events.js';

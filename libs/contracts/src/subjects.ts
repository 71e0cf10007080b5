// Event-bus subjects and the deterministic task ids used as message ids (dedup on retry).

/** The steps of a run, each a task kind consumed by one stage's workers. */
export const STEPS = [
  'ingest',
  'train',
  'predict',
  'filter-stats',
  'filter-thresholds',
  'filter-output',
  'evaluate',
] as const;
export type Step = (typeof STEPS)[number];

export const subjects = {
  /** Work queue subject of a step's tasks. */
  task: (step: Step) => `noisy.tasks.${step}`,
  taskDone: 'noisy.events.task.done',
  taskFailed: 'noisy.events.task.failed',
  progress: 'noisy.events.progress',
  run: 'noisy.events.run',
  /** Prefix matching every event. */
  events: 'noisy.events.',
};

/** Durable consumer name of a step's workers (no dots: JetStream names forbid them). */
export const durableFor = (step: Step) => `noisy-${step}`;

/** A task: one unit of work, identified deterministically so that republishing dedups. */
export interface Task {
  taskId: string;
  runId: string;
  step: Step;
  generation: number;
  /** Shard index for per-shard steps; -1 otherwise. */
  shard: number;
}

export function makeTask(runId: string, step: Step, generation: number, shard = -1): Task {
  const taskId = `${runId}:${generation}:${step}:${shard < 0 ? 'all' : shard}`;
  return { taskId, runId, step, generation, shard };
}

export interface TaskDone {
  taskId: string;
  runId: string;
  manifestKey: string;
}
export interface TaskFailed {
  taskId: string;
  runId: string;
  error: string;
  permanent: boolean;
  /** The error was about the task's input (config, data), not a fault. */ badInput: boolean;
}

/** Progress of a running task: epochs and steps of training, batches of prediction. */
export interface ProgressEvent {
  runId: string;
  taskId: string;
  step: Step;
  generation: number;
  shard: number;
  /** What `done`/`total` count: 'steps' (training), 'examples' (prediction, ingest, filtering). */
  unit: 'steps' | 'examples';
  done: number;
  total: number;
  epoch?: number;
  epochs?: number;
  loss?: number;
  /** Set on the last event of an epoch. */
  epochLoss?: number;
  rate?: number;
}

export interface RunEvent {
  runId: string;
  state: 'started' | 'step-started' | 'step-finished' | 'finished' | 'failed';
  message: string;
  step?: Step;
  generation?: number;
}

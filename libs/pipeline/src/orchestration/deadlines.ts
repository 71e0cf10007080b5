// How long the controller waits for one attempt of a task before it publishes the task again,
// per step. Training gets hours; the other steps scan or predict one shard and get minutes. An
// attempt's clock starts when it is published, so a deadline must cover time queued behind other
// tasks as well as the work. Operators override them with NOISY_TASK_DEADLINES=train=28800,predict=900.
import { ConfigError } from '@noisy/core';
import { STEPS, type Step } from '@noisy/contracts';

const MINUTE = 60_000;

/** Per-step deadline of one attempt, in milliseconds. */
export const DEFAULT_TASK_DEADLINES_MS: Readonly<Record<Step, number>> = Object.freeze({
  ingest: 60 * MINUTE,
  train: 12 * 60 * MINUTE,
  predict: 30 * MINUTE,
  'filter-stats': 15 * MINUTE,
  'filter-thresholds': 15 * MINUTE,
  'filter-output': 15 * MINUTE,
  evaluate: 30 * MINUTE,
  'ingest-count': 30 * MINUTE,
  'ingest-select': 15 * MINUTE,
  'ingest-write': 60 * MINUTE,
  'ingest-commit': 60 * MINUTE,
});

/** Parse `step=seconds,...` (the NOISY_TASK_DEADLINES setting) over the defaults. */
export function parseTaskDeadlines(text: string | undefined, setting = 'NOISY_TASK_DEADLINES'): Record<Step, number> {
  const out: Record<Step, number> = { ...DEFAULT_TASK_DEADLINES_MS };
  for (const item of (text ?? '').split(',').map((s) => s.trim())) {
    if (!item) continue;
    const [step, seconds] = item.split('=');
    if (!(STEPS as readonly string[]).includes(step))
      throw new ConfigError(setting, `unknown step '${step}'; use one of ${STEPS.join(', ')}`);
    const s = Number(seconds);
    if (!Number.isFinite(s) || s <= 0)
      throw new ConfigError(setting, `'${item}': the deadline must be a positive number of seconds`);
    out[step as Step] = s * 1000;
  }
  return out;
}

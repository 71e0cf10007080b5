import { describe, expect, it } from 'vitest';
import type { ProgressEvent } from '@noisy/contracts';
import { createProgress, etaTracker, formatDuration } from './progress.js';

describe('progress', () => {
  it('formatDuration - seconds, minutes and hours', () => {
    expect([formatDuration(42.4), formatDuration(185), formatDuration(3720)]).toEqual(['42s', '3m05s', '1h02m']);
  });

  it("etaTracker - extrapolates the task's own rate since its first event; a restart resets the clock", () => {
    let t = 0;
    const eta = etaTracker(() => t);
    expect(eta('a', 10, 110)).toBeUndefined(); // the first event starts the clock
    t = 5_000;
    expect(eta('a', 20, 110)).toBeCloseTo(45); // 10 units in 5 s, 90 left
    expect(eta('b', 0, 10)).toBeUndefined(); // another task has its own clock
    t = 6_000;
    expect(eta('a', 5, 110)).toBeUndefined(); // went backwards: a retried task starts over
  });

  it('createProgress - plain lines carry the ETA while the task runs, not once it is done', () => {
    let t = 0;
    const lines: string[] = [];
    const out = { isTTY: false, write: (s: string) => lines.push(s) } as unknown as NodeJS.WriteStream;
    const sink = createProgress(out, () => t);
    const ev = (done: number): ProgressEvent => ({
      runId: 'r',
      taskId: 't',
      step: 'predict',
      generation: 0,
      shard: 1,
      unit: 'examples',
      done,
      total: 100,
    });
    sink.progress(ev(0));
    t = 20_000;
    sink.progress(ev(40));
    t = 50_000;
    sink.progress(ev(100));
    expect(lines).toEqual([
      // plain lines come at most every 10 s, and at the end
      '  gen 0 predict shard 1 40% 40/100 examples ETA 30s\n',
      '  gen 0 predict shard 1 100% 100/100 examples\n',
    ]);
  });

  it('createProgress - ingest counting a file shows megabytes read out of its size', () => {
    const lines: string[] = [];
    const out = { isTTY: false, write: (s: string) => lines.push(s) } as unknown as NodeJS.WriteStream;
    const sink = createProgress(out, () => 20_000); // plain lines: at most one per 10 s
    const where = { runId: 'r', taskId: 't', step: 'ingest-count', generation: 0, shard: 3 } as const;
    sink.progress({ ...where, unit: 'bytes', done: 52_428_800, total: 209_715_200 });
    expect(lines).toEqual(['  gen 0 ingest-count shard 3 25% 52.4/209.7 MB\n']);
  });

  it('createProgress - on a terminal the live bar shows the ETA of training steps', () => {
    let t = 0;
    let screen = '';
    const out = { isTTY: true, columns: 200, write: (s: string) => (screen += s) } as unknown as NodeJS.WriteStream;
    const sink = createProgress(out, () => t);
    const step = (done: number): ProgressEvent => ({
      ...{ runId: 'r', taskId: 't', step: 'train', generation: 1, shard: -1, unit: 'steps' },
      ...{ done, total: 1000, epoch: 1, epochs: 10, loss: 0.5, rate: 100 },
    });
    sink.progress(step(100));
    t = 90_000;
    sink.progress(step(400));
    expect(screen.split('\r\x1b[2K').at(-1)).toBe(
      `  gen 1 train ${'█'.repeat(10)}${'░'.repeat(14)} 40% step 400/1000 epoch 1/10 loss 0.500 100 img/s ETA 3m00s`,
    );
  });

  it('createProgress - training on encoded pictures shows its input wait on step and epoch lines', () => {
    const lines: string[] = [];
    const out = { isTTY: false, write: (s: string) => lines.push(s) } as unknown as NodeJS.WriteStream;
    const sink = createProgress(out, () => 0);
    const where = { runId: 'r', taskId: 't', step: 'train', generation: 0, shard: -1, unit: 'steps' } as const;
    sink.progress({ ...where, done: 10, total: 10, epoch: 1, epochs: 1, loss: 0.5, rate: 80 });
    sink.progress({
      ...where,
      ...{ done: 10, total: 10, epoch: 1, epochs: 1, loss: 0.5, rate: 80 },
      ...{ inputWaitSeconds: 3.25, inputWaitFraction: 0.123 },
    });
    sink.progress({
      ...where,
      done: -1,
      total: -1,
      epoch: 1,
      epochLoss: 0.25,
      inputWaitSeconds: 1,
      inputWaitFraction: 0.5,
    });
    expect(lines).toEqual([
      '  gen 0 train 100% step 10/10 epoch 1/1 loss 0.500 80 img/s\n',
      '  gen 0 train 100% step 10/10 epoch 1/1 loss 0.500 80 img/s, input wait 3.3s (12%)\n',
      '  gen 0 train: epoch 1 loss 0.2500, input wait 1.0s (50%)\n',
    ]);
  });

  it('createProgress - work outside a run with no known total shows its count, not "gen -1" or "0%"', () => {
    const lines: string[] = [];
    const out = { isTTY: false, write: (s: string) => lines.push(s) } as unknown as NodeJS.WriteStream;
    const sink = createProgress(out, () => 60_000);
    sink.progress({
      runId: '',
      taskId: '',
      step: 'predict',
      generation: -1,
      shard: -1,
      unit: 'examples',
      done: 5,
      total: 0,
    });
    expect(lines).toEqual(['  predict 5 examples\n']);
  });
});

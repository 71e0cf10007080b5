// Run metrics through the OpenTelemetry API (a no-op unless a service main or the CLI installed a
// meter provider): throughput of training and prediction, training loss, evaluation accuracy,
// and task outcomes. Attributes carry the run and generation so dashboards can split by run.
import { metrics, type Attributes, type Gauge, type Counter } from '@opentelemetry/api';

interface Instruments {
  throughput: Gauge;
  loss: Gauge;
  top1: Gauge;
  top5: Gauge;
  tasks: Counter;
}
let instruments: Instruments | null = null;

// Created on first use: the API hands out no-op meters until a provider is registered.
function get(): Instruments {
  if (instruments) return instruments;
  const meter = metrics.getMeter('noisy');
  instruments = {
    throughput: meter.createGauge('noisy.throughput', {
      unit: '{image}/s',
      description: 'Images per second of the running training or prediction task',
    }),
    loss: meter.createGauge('noisy.train.loss', { description: 'Training loss (running mean of the current epoch)' }),
    top1: meter.createGauge('noisy.eval.top1', {
      unit: '1',
      description: 'Top-1 accuracy of a generation on the test split',
    }),
    top5: meter.createGauge('noisy.eval.top5', {
      unit: '1',
      description: 'Top-5 accuracy of a generation on the test split',
    }),
    tasks: meter.createCounter('noisy.tasks', { description: 'Stage tasks finished, by step and outcome' }),
  };
  return instruments;
}

export interface TaskAttributes {
  runId: string;
  generation: number;
  step: string;
}
const attrs = (t: TaskAttributes, extra: Attributes = {}): Attributes => ({
  'noisy.run_id': t.runId,
  'noisy.generation': t.generation,
  'noisy.step': t.step,
  ...extra,
});

export const runMetrics = {
  throughput: (t: TaskAttributes, imagesPerSecond: number) => {
    if (Number.isFinite(imagesPerSecond)) get().throughput.record(imagesPerSecond, attrs(t));
  },
  loss: (t: TaskAttributes, loss: number) => {
    if (Number.isFinite(loss)) get().loss.record(loss, attrs(t));
  },
  accuracy: (t: TaskAttributes, top1: number, top5: number) => {
    get().top1.record(top1, attrs(t));
    get().top5.record(top5, attrs(t));
  },
  task: (t: TaskAttributes, outcome: string) => get().tasks.add(1, attrs(t, { 'noisy.outcome': outcome })),
};

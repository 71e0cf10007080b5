// Child process of large-shard.test.ts, started with a small --max-old-space-size: runs the
// teacher, predict, filter (stats, thresholds, output) and the student over a prepared file store,
// samples its memory every 20 ms and prints one JSON line with the peaks (overall and per step).
// Usage: node --max-old-space-size=64 --import tsx stages.ts <storeDir> <runId>
import { makeTask, type Step } from '@noisy/contracts';
import { FileObjectStore } from '@noisy/platform';
import { selectBackend } from '@noisy/ml';
import { ModelCache, STAGES, type StageContext } from '@noisy/pipeline';

const [storeDir, runId] = process.argv.slice(2);
await selectBackend('auto'); // what `noisy run` and the services pick (tfjs's plain 'cpu' is far slower)
const store = await new FileObjectStore(storeDir).open();
const ctx: StageContext = { store, progress: () => undefined, shouldStop: () => false, allowDownload: false };
const models = new ModelCache();

const peak = { rss: 0, heapUsed: 0, external: 0, arrayBuffers: 0 };
let stepPeak = { rss: 0, arrayBuffers: 0 }; // of the running step: which stage holds what
const sample = () => {
  const m = process.memoryUsage();
  peak.rss = Math.max(peak.rss, m.rss);
  peak.heapUsed = Math.max(peak.heapUsed, m.heapUsed);
  peak.external = Math.max(peak.external, m.external);
  peak.arrayBuffers = Math.max(peak.arrayBuffers, m.arrayBuffers);
  stepPeak = { rss: Math.max(stepPeak.rss, m.rss), arrayBuffers: Math.max(stepPeak.arrayBuffers, m.arrayBuffers) };
};
// After every module (tfjs included) has loaded: what the process costs before it reads data.
const baseline = process.memoryUsage().rss;
const timer = setInterval(sample, 20);

const steps: Array<[Step, number, number?]> = [
  ['train', 0],
  ['predict', 1, 0],
  ['filter-stats', 1, 0],
  ['filter-thresholds', 1],
  ['filter-output', 1, 0],
  ['train', 1],
];
const seconds: Record<string, number> = {};
const MB = (b: number) => Math.round(b / 2 ** 20);
const perStep: Record<string, { rssMb: number; arrayBuffersMb: number }> = {};
for (const [step, g, shard] of steps) {
  const t = performance.now();
  stepPeak = { rss: 0, arrayBuffers: 0 };
  await STAGES[step](ctx, makeTask(runId, step, g, shard), models);
  sample();
  seconds[`${step}:${g}`] = (performance.now() - t) / 1000;
  perStep[`${step}:${g}`] = { rssMb: MB(stepPeak.rss), arrayBuffersMb: MB(stepPeak.arrayBuffers) };
}
clearInterval(timer);
models.clear();
// maxRSS (KiB) is the kernel's high-water mark: it catches peaks between two samples.
const maxRss = process.resourceUsage().maxRSS * 1024;
console.log(JSON.stringify({ baseline, peak, maxRss, seconds, perStep }));

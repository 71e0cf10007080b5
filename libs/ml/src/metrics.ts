// Classification metrics from probabilities: top-1, top-5, per-class accuracy, expected
// calibration error (15 equal-width confidence bins), and the confusion matrix.
export interface Metrics {
  count: number;
  top1: number;
  top5: number;
  perClass: number[];
  ece: number;
  confusion: number[][];
}

export function computeMetrics(probs: Float32Array, labels: Int32Array, classes: number, bins = 15): Metrics {
  const n = labels.length;
  let top1 = 0,
    top5 = 0;
  const correct = new Array<number>(classes).fill(0),
    total = new Array<number>(classes).fill(0);
  const binConf = new Float64Array(bins),
    binAcc = new Float64Array(bins),
    binCount = new Float64Array(bins);
  const confusion = Array.from({ length: classes }, () => new Array<number>(classes).fill(0));
  const k = Math.min(5, classes);
  for (let i = 0; i < n; i++) {
    const row = probs.subarray(i * classes, (i + 1) * classes);
    const y = labels[i];
    let best = 0;
    for (let c = 1; c < classes; c++) if (row[c] > row[best]) best = c;
    // Rank of the true class: how many classes score strictly higher.
    let higher = 0;
    for (let c = 0; c < classes; c++) if (row[c] > row[y]) higher++;
    const hit = best === y;
    top1 += hit ? 1 : 0;
    top5 += higher < k ? 1 : 0;
    total[y]++;
    correct[y] += hit ? 1 : 0;
    confusion[y][best]++;
    const b = Math.min(bins - 1, Math.floor(row[best] * bins));
    binConf[b] += row[best];
    binAcc[b] += hit ? 1 : 0;
    binCount[b]++;
  }
  let ece = 0;
  for (let b = 0; b < bins; b++)
    if (binCount[b] > 0) ece += (binCount[b] / n) * Math.abs(binAcc[b] / binCount[b] - binConf[b] / binCount[b]);
  return {
    count: n,
    top1: n ? top1 / n : 0,
    top5: n ? top5 / n : 0,
    perClass: correct.map((c, i) => (total[i] ? c / total[i] : 0)),
    ece,
    confusion,
  };
}

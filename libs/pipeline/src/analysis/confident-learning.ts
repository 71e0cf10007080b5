// Confident learning (Northcutt, Jiang, Chuang, "Confident Learning: Estimating Uncertainty in
// Dataset Labels", JAIR 2021), as cleanlab 2.x `filter.find_label_issues` computes it with its
// default `filter_by='prune_by_noise_rate'`: per-class thresholds t_j = mean p_j over examples
// labeled j (`count.compute_confident_joint`), the calibrated confident joint, at least one
// example kept per class (`_keep_at_least_n_per_class`, n = 1), then for each given class k and
// other class j the C[k][j] examples labeled k with the largest margin p_j - p_k are issues; an
// example whose given label is the model's argmax is never one. Pure: probabilities in, mask out.

/** Round a row so that it keeps its (rounded) sum, as cleanlab's `round_preserving_sum`. */
export function roundPreservingSum(floats: number[]): number[] {
  const ints = floats.map((f) => roundHalfEven(f));
  const orig = roundHalfEven(floats.reduce((a, b) => a + b, 0));
  let sum = ints.reduce((a, b) => a + b, 0);
  while (Math.abs(sum - orig) > 1e-6) {
    const diff = orig - sum;
    const increment = diff < 0 ? -1 : 1;
    const changes = Math.min(Math.abs(diff), floats.length);
    // Up: the entries rounded down the most first; down: those rounded up the most
    // (numpy: argsort(floats - ints)[::-increment]).
    const gap = (i: number) => floats[i] - ints[i];
    const order = floats.map((_, i) => i).sort((a, b) => (gap(a) - gap(b) || a - b) * -increment);
    for (const i of order.slice(0, changes)) ints[i] += increment;
    sum = ints.reduce((a, b) => a + b, 0);
  }
  return ints;
}

/** numpy's round: halves to even. */
function roundHalfEven(x: number): number {
  const r = Math.round(x);
  return Math.abs(x % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/** Per-class thresholds: t_j = mean predicted probability of class j over the examples labeled j. */
export function perClassThresholds(probs: Float32Array, labels: Int32Array, classes: number): number[] {
  const sum = new Array<number>(classes).fill(0);
  const count = new Array<number>(classes).fill(0);
  labels.forEach((y, i) => {
    sum[y] += probs[i * classes + y];
    count[y]++;
  });
  return sum.map((s, j) => (count[j] ? s / count[j] : 0));
}

/** The calibrated confident joint C[given][true], rows summing to each class's label count. */
export function confidentJoint(probs: Float32Array, labels: Int32Array, classes: number): number[][] {
  const t = perClassThresholds(probs, labels, classes);
  const C = Array.from({ length: classes }, () => new Array<number>(classes).fill(0));
  for (let i = 0; i < labels.length; i++) {
    const row = probs.subarray(i * classes, (i + 1) * classes);
    let confident = 0,
      firstConfident = -1,
      argmax = 0;
    for (let j = 0; j < classes; j++) {
      if (row[j] >= t[j] - 1e-6) {
        confident++;
        if (firstConfident < 0) firstConfident = j;
      }
      if (row[j] > row[argmax]) argmax = j;
    }
    if (confident === 0) continue; // no class is confident: the example is not counted
    C[labels[i]][confident > 1 ? argmax : firstConfident]++;
  }
  for (let j = 0; j < classes; j++) C[j][j] = Math.max(C[j][j], 1);
  // calibrate_confident_joint: rows to the label counts, then the total to n.
  const labelCounts = new Array<number>(classes).fill(0);
  for (const y of labels) labelCounts[y]++;
  const rows = C.map((r, k) => {
    const s = r.reduce((a, b) => a + b, 0);
    return r.map((v) => (v / s) * labelCounts[k]);
  });
  const total = rows.flat().reduce((a, b) => a + b, 0);
  return rows.map((r) => roundPreservingSum(r.map((v) => (v / total) * labels.length)));
}

/** `_keep_at_least_n_per_class`: on P[true][given], keep n on the diagonal, take it from the noise rates. */
function keepAtLeastOnePerClass(P: number[][]): number[][] {
  const K = P.length;
  const out = P.map((r) => [...r]);
  for (let col = 0; col < K; col++) {
    const diag = P[col][col];
    const raised = Math.max(diag, 1);
    const nonZero = P.reduce((a, r) => a + (r[col] !== 0 ? 1 : 0), 0);
    const perRate = (raised - diag) / Math.max(nonZero - 1, 1);
    for (let row = 0; row < K; row++) out[row][col] = Math.max(P[row][col] - perRate, 0);
    out[col][col] = raised;
  }
  // `_reduce_prune_counts` (frac_noise 1) casts to int, truncating; the rounding after it is then a no-op.
  return out.map((r) => r.map((v) => Math.trunc(v)));
}

/** Which examples are label issues (cleanlab find_label_issues, filter_by='prune_by_noise_rate'). */
export function findIssuesByConfidentLearning(probs: Float32Array, labels: Int32Array, classes: number): boolean[] {
  const n = labels.length;
  const C = confidentJoint(probs, labels, classes); // [given][true]
  const P = keepAtLeastOnePerClass(C.map((_, j) => C.map((r) => r[j]))); // [true][given]
  const issue = new Array<boolean>(n).fill(false);
  for (let k = 0; k < classes; k++) {
    const labeledK: number[] = [];
    for (let i = 0; i < n; i++) if (labels[i] === k) labeledK.push(i);
    if (labeledK.length <= 1) continue; // min_examples_per_class = 1: a class of one keeps it
    for (let j = 0; j < classes; j++) {
      const count = j === k ? 0 : P[j][k];
      if (count <= 0) continue;
      const margin = (i: number) => probs[i * classes + j] - probs[i * classes + k];
      const ranked = [...labeledK].sort((a, b) => margin(b) - margin(a) || a - b);
      for (const i of ranked.slice(0, count)) issue[i] = true;
    }
  }
  for (let i = 0; i < n; i++) {
    let argmax = 0;
    for (let j = 1; j < classes; j++) if (probs[i * classes + j] > probs[i * classes + argmax]) argmax = j;
    if (argmax === labels[i]) issue[i] = false;
  }
  return issue;
}

// The confidence grid of filtering (spec §1.5): thresholds are multiples of 0.01. Inside the code
// and in manifests a point of the grid is an integer `bin` 0..100 (bin b <-> threshold b / 100,
// bin 100 holds p >= 1), so histograms and comparisons stay exact; users see thresholds. This is
// the one place that converts between the two.

/** Grid points per unit of probability. */
export const GRID_STEPS = 100;
/** Histogram bins: 0..GRID_STEPS inclusive. */
export const BINS = GRID_STEPS + 1;

/** The bin of a probability: floor(p * 100), with p >= 1 in the last bin. */
export function binOf(p: number): number {
  return Math.min(BINS - 1, Math.max(0, Math.floor(p * GRID_STEPS + 1e-9)));
}

/** The threshold a bin stands for. */
export function thresholdOf(bin: number): number {
  return bin / GRID_STEPS;
}

/** The bin of a threshold that lies on the grid, or null when it does not. */
export function gridBin(threshold: number): number | null {
  const b = threshold * GRID_STEPS;
  return Math.abs(b - Math.round(b)) > 1e-9 ? null : Math.round(b);
}

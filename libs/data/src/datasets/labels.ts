// Label statistics over dataset-sized arrays. Loops, never `Math.max(...labels)`: an argument
// spread puts every element on the call stack and overflows past ~150,000 labels (ImageNet has 1.28M).

/** Number of classes the labels reach: the largest label + 1 over every list (0 when all are empty). */
export function classCountOf(...lists: ArrayLike<number>[]): number {
  let max = -1;
  for (const list of lists) {
    for (let i = 0; i < list.length; i++) if (list[i] > max) max = list[i];
  }
  return max + 1;
}

// The one-process adapter: size 1, every collective is the identity. Training with it is exactly
// single-process training, so callers need no special case for replicas: 1.
import type { Collective } from './port.js';

export class SingleRank implements Collective {
  readonly rank = 0;
  readonly size = 1;
  readonly backend = 'single';
  async allReduceSum(_data: Float32Array): Promise<void> {}
  async broadcast(_data: Float32Array, root: number): Promise<void> {
    if (root !== 0) throw new RangeError(`broadcast root ${root} does not exist: size is 1`);
  }
  async barrier(): Promise<void> {}
  async allGather(value: Float64Array): Promise<Float64Array> {
    return Float64Array.from(value);
  }
  async close(): Promise<void> {}
}

// The order in which training visits examples: a seeded permutation of [0, n) per pass. Each
// pass's permutation comes from its own generator, rng.fork(pass), so the position (pass, pos)
// is the whole state: an in-training checkpoint records it and a resumed run continues the same
// order without replaying the passes before it.
import type { Rng } from '@noisy/core';
import type { StreamState } from './train-state.js';

export class IndexStream {
  private order: Int32Array;
  private pass: number;
  private pos: number;

  constructor(
    private readonly n: number,
    private readonly rng: Rng,
    from: StreamState = { pass: 0, pos: 0 },
  ) {
    this.pass = from.pass;
    this.pos = from.pos;
    this.order = this.shuffled();
  }

  private shuffled(): Int32Array {
    const rng = this.rng.fork(this.pass);
    const o = Int32Array.from({ length: this.n }, (_, i) => i);
    for (let i = o.length - 1; i > 0; i--) {
      const j = rng.int(i + 1);
      const t = o[i];
      o[i] = o[j];
      o[j] = t;
    }
    return o;
  }

  take(k: number): Int32Array {
    const out = new Int32Array(k);
    for (let i = 0; i < k; i++) {
      if (this.pos === this.n) {
        this.pass++;
        this.pos = 0;
        this.order = this.shuffled();
      }
      out[i] = this.order[this.pos++];
    }
    return out;
  }

  state(): StreamState {
    return { pass: this.pass, pos: this.pos };
  }
}

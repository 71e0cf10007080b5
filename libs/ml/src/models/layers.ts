// Small functional helpers over tfjs layers shared by the model families.
import * as tf from '@tensorflow/tfjs';
import { FastActivation } from './activation.js';
import { FastBatchNorm } from './batch-norm.js';
import { Initializers } from './init.js';
import { SeededDropout } from './seeded-dropout.js';
import { StochasticDepth } from './stochastic-depth.js';

type T = tf.SymbolicTensor;

export class Builder {
  readonly init: Initializers;
  constructor(readonly seed: number) {
    this.init = new Initializers(seed);
  }
  conv(x: T, filters: number, kernelSize: number, strides: number, name: string): T {
    return tf.layers
      .conv2d({
        filters,
        kernelSize,
        strides,
        padding: 'same',
        useBias: false,
        kernelInitializer: this.init.conv(),
        name,
      })
      .apply(x) as T;
  }
  depthwise(x: T, kernelSize: number, strides: number, name: string): T {
    return tf.layers
      .depthwiseConv2d({
        kernelSize,
        strides,
        padding: 'same',
        useBias: false,
        depthwiseInitializer: this.init.conv(),
        name,
      })
      .apply(x) as T;
  }
  /** Batch norm with the original's momentum 0.99 and epsilon 1e-3. */
  bn(x: T, name: string): T {
    return new FastBatchNorm({ momentum: 0.99, epsilon: 1e-3, name }).apply(x) as T;
  }
  act(x: T, kind: 'relu' | 'swish', name: string): T {
    return new FastActivation({ activation: kind, name }).apply(x) as T;
  }
  /** shortcut + residual, with stochastic depth at `dropRate`. */
  skip(shortcut: T, residual: T, dropRate: number, index: number, name: string): T {
    return new StochasticDepth({ dropRate, seed: this.seed * 1009 + index, name }).apply([shortcut, residual]) as T;
  }
  /** Global pooling, dropout, classifier: the head every image model shares. */
  head(x: T, classes: number, dropout: number): T {
    const pooled = tf.layers.globalAveragePooling2d({ name: 'pool' }).apply(x) as T;
    const dropped = new SeededDropout({ rate: dropout, seed: this.seed, name: 'dropout' }).apply(pooled) as T;
    return tf.layers
      .dense({ units: classes, kernelInitializer: this.init.classifier(classes), name: 'logits' })
      .apply(dropped) as T;
  }
}

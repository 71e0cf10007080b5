// Model names -> builders. Unknown names fail with the list of known ones.
import type * as tf from '@tensorflow/tfjs';
import { ModelError, type ModelSpec } from '@noisy/core';
import { buildSmallCnn } from './cnn.js';
import { buildEfficientNet } from './efficientnet.js';
import { buildMlp } from './mlp.js';
import { buildWrn } from './wrn.js';
import type { BuildOptions } from './types.js';

export interface ModelShape {
  inputShape: number[];
  classes: number;
}

/** Build the model a spec names, for inputs of `shape`; weights are seeded by `seed`. */
export function buildModel(spec: ModelSpec, shape: ModelShape, seed: number): tf.LayersModel {
  const o: BuildOptions = {
    ...shape,
    width: spec.width,
    depth: spec.depth,
    dropout: spec.dropout,
    stochasticDepth: spec.stochasticDepth,
    hidden: spec.hidden,
    seed,
  };
  const isImage = shape.inputShape.length === 3;
  const wrn = /^wrn-28-(\d+)$/.exec(spec.name);
  const eff = /^efficientnet-b([0-7])$/.exec(spec.name);
  if (spec.name !== 'mlp' && !isImage)
    throw new ModelError(
      `model '${spec.name}' needs image inputs [H, W, C]; got [${shape.inputShape}]: use 'mlp' for tabular data`,
    );
  if (spec.name === 'mlp' && isImage)
    throw new ModelError(`model 'mlp' takes feature vectors; got image inputs [${shape.inputShape}]`);
  if (spec.name === 'cnn-small') return buildSmallCnn(o);
  if (spec.name === 'mlp') return buildMlp(o);
  if (wrn) return buildWrn(o, Number(wrn[1]));
  if (eff) return buildEfficientNet(o, Number(eff[1]));
  throw new ModelError(`unknown model '${spec.name}'; expected cnn-small, mlp, wrn-28-<k> or efficientnet-b0..b7`);
}

/** Weights that weight decay applies to: everything but batch-norm parameters (as the original). */
export function isDecayed(variableName: string): boolean {
  return !/_bn|batch_normalization|moving_/.test(variableName);
}

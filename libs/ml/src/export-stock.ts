// A trained model as stock TensorFlow.js layers, for use outside this project: `loadLayersModel`
// of plain @tensorflow/tfjs loads it, and tensorflowjs_converter turns it into Keras or SavedModel.
//   - our layers become their stock equivalents (NoisyBatchNorm -> BatchNormalization,
//     NoisyActivation -> Activation, NoisyStochasticDepth -> Add: its inference form);
//   - training-only noise is dropped (NoisySeededDropout is the identity at inference);
//   - input normalisation is built in: a 1x1 depthwise convolution with kernel 1/(255 std) and
//     bias -mean/std per channel, so the model takes raw 0..255 pixels;
//   - a softmax layer makes the outputs class probabilities.
// Image models only: table models need the row encoding, which is not a layer.
import * as tf from '@tensorflow/tfjs';
import { ModelError } from '@noisy/core';
import { modelArtifacts } from './checkpoint.js';
import type { InputStats } from './input.js';

type InboundRef = [string, number, number, Record<string, unknown>];
interface LayerJson {
  name: string;
  class_name: string;
  config: Record<string, unknown>;
  inbound_nodes: InboundRef[][];
}

/** What a stock export consists of: `model.json` (topology + weights manifest) and `weights.bin`. */
export interface StockModelFiles {
  modelJson: Uint8Array;
  weights: Uint8Array;
}

function stockLayer(layer: tf.layers.Layer, json: LayerJson): tf.layers.Layer | null {
  const c = json.config;
  switch (json.class_name) {
    case 'NoisyBatchNorm':
      return tf.layers.batchNormalization({
        name: json.name,
        momentum: c.momentum as number,
        epsilon: c.epsilon as number,
      });
    case 'NoisyActivation':
      return tf.layers.activation({ name: json.name, activation: c.activation as 'relu' | 'swish' });
    case 'NoisyStochasticDepth':
      return tf.layers.add({ name: json.name });
    case 'NoisySeededDropout':
      return null;
    default: {
      if (json.class_name.startsWith('Noisy'))
        throw new ModelError(`layer ${json.name}: no stock form of ${json.class_name}`);
      const cls = layer.constructor as unknown as { fromConfig(c: unknown, cfg: unknown): tf.layers.Layer };
      return cls.fromConfig(layer.constructor, layer.getConfig());
    }
  }
}

/** Rebuild `model` from stock layers with its weights, normalisation first and softmax last. */
export function toStockModel(model: tf.LayersModel, stats: InputStats): tf.LayersModel {
  const topology = model.toJSON(null, false) as unknown as {
    config: { layers: LayerJson[]; input_layers: InboundRef[]; output_layers: InboundRef[] };
  };
  const { layers, input_layers: inputs, output_layers: outputs } = topology.config;
  if (inputs.length !== 1 || outputs.length !== 1) throw new ModelError('export: expected one input and one output');
  const inputShape = model.inputs[0].shape.slice(1) as number[];
  if (inputShape.length !== 3) {
    throw new ModelError('export: only image models have a stock form; a table model needs its row encoding');
  }
  const channels = inputShape[2];
  if (stats.mean.length !== channels) {
    throw new ModelError(`export: ${stats.mean.length} channel statistics for ${channels} input channels`);
  }
  {
    const tensors = new Map<string, tf.SymbolicTensor>();
    const input = tf.input({ shape: inputShape, name: inputs[0][0], dtype: 'float32' });
    const normalize = tf.layers.depthwiseConv2d({ kernelSize: 1, useBias: true, name: 'normalize' });
    tensors.set(inputs[0][0], normalize.apply(input) as tf.SymbolicTensor);
    const copies: Array<[tf.layers.Layer, tf.layers.Layer]> = [];
    for (const json of layers) {
      if (json.class_name === 'InputLayer') continue;
      const refs = json.inbound_nodes[0] ?? [];
      const args = refs.map(([name]) => {
        const t = tensors.get(name);
        if (!t) throw new ModelError(`export: layer ${json.name} reads ${name}, which is not built yet`);
        return t;
      });
      const original = model.getLayer(json.name);
      const stock = stockLayer(original, json);
      if (!stock) {
        tensors.set(json.name, args[0]);
        continue;
      }
      tensors.set(json.name, stock.apply(args.length === 1 ? args[0] : args) as tf.SymbolicTensor);
      copies.push([original, stock]);
    }
    const logits = tensors.get(outputs[0][0])!;
    const probabilities = tf.layers.activation({ activation: 'softmax', name: 'probabilities' }).apply(logits);
    const stock = tf.model({ inputs: input, outputs: probabilities as tf.SymbolicTensor, name: model.name });
    for (const [original, copy] of copies) copy.setWeights(original.getWeights());
    // [1, 1, C, 1] kernel and [C] bias: (v / 255 - mean) / std = v * 1/(255 std) + (-mean / std).
    const kernel = tf.tensor4d(
      stats.std.map((s) => 1 / (255 * s)),
      [1, 1, channels, 1],
    );
    const bias = tf.tensor1d(stats.mean.map((m, c) => -m / stats.std[c]));
    normalize.setWeights([kernel, bias]);
    tf.dispose([kernel, bias]);
    return stock;
  }
}

/** Serialise a stock model as the two files `loadLayersModel` reads (`weights.bin` next to `model.json`). */
export async function stockModelFiles(
  model: tf.LayersModel,
  metadata: Record<string, unknown>,
): Promise<StockModelFiles> {
  const a = await modelArtifacts(model);
  const modelJson = {
    format: 'layers-model',
    generatedBy: `TensorFlow.js tfjs-layers v${tf.version_layers}`,
    convertedBy: null,
    modelTopology: a.modelTopology,
    weightsManifest: [{ paths: ['weights.bin'], weights: a.weightSpecs }],
    userDefinedMetadata: metadata,
  };
  return {
    modelJson: new TextEncoder().encode(`${JSON.stringify(modelJson)}\n`),
    weights: new Uint8Array(a.weightData as ArrayBuffer),
  };
}

// Identity without a copy on the wasm backend. tfjs clones every tensor a gradient function saves
// (customGrad, fused conv2d, our batch norm), and wasm's Identity copies the data, where the cpu
// backend only adds a reference: with the convolutions on oneDNN those copies were 10-14% of a
// training step. Tensor data is never written in place, so sharing it (as Reshape already does on
// wasm) is safe; the reference count frees it when the last tensor goes.
import * as tf from '@tensorflow/tfjs';
import type { TensorInfo } from '@tensorflow/tfjs';

export function registerWasmIdentity(): void {
  if (tf.getKernel('Identity', 'wasm')) tf.unregisterKernel('Identity', 'wasm');
  tf.registerKernel({
    kernelName: 'Identity',
    backendName: 'wasm',
    kernelFunc: ({ inputs, backend }) => {
      const x = inputs.x as TensorInfo;
      (backend as unknown as { incRef(dataId: unknown): void }).incRef(x.dataId);
      return { dataId: x.dataId, shape: x.shape, dtype: x.dtype };
    },
  });
}

// Shared state of the oneDNN kernels: whether they are switched on, and what ran where; and the
// slice of tfjs's wasm backend they use (tensor data lives at byte offsets in its heap).
import * as tf from '@tensorflow/tfjs';
import type { KernelFunc, TensorInfo } from '@tensorflow/tfjs';

export interface WasmBackend {
  dataIdMap: { get(dataId: unknown): { memoryOffset: number } };
  makeOutput(shape: number[], dtype: 'float32'): TensorInfo;
  disposeData(dataId: unknown): void;
  wasm: { HEAPU8: Uint8Array };
}
export const onednnState = { enabled: true, registered: false };

/** Calls that ran on oneDNN, calls handed to the previous kernel, and the last error, per kernel. */
export const onednnCalls = {
  native: new Map<string, number>(),
  fallback: new Map<string, number>(),
  errors: new Map<string, string>(),
};

export function countCall(kind: 'native' | 'fallback', name: string): void {
  const m = onednnCalls[kind];
  m.set(name, (m.get(name) ?? 0) + 1);
}

/** Whether the custom addon kernels (batch norm, activations, optimizer steps) should run now: wasm backend, addon on. */
export function onednnActive(): boolean {
  return onednnState.registered && onednnState.enabled && tf.getBackend() === 'wasm';
}

type Args = Parameters<KernelFunc>[0];

/**
 * A kernel whose float32 inputs and outputs are passed to native code as byte offsets into the
 * wasm heap: offsets = [...inputs in `inputNames` order, ...outputs], zero-filled to 8 slots.
 * Shapes and sizes come from the first input.
 */
export function heapKernel(
  name: string,
  inputNames: string[],
  outputShapes: (first: TensorInfo) => number[][],
  call: (heap: ArrayBufferLike, offsets: Float64Array, first: TensorInfo, attrs: Record<string, unknown>) => void,
): KernelFunc {
  const offsets = new Float64Array(8);
  return (args: Args) => {
    const backend = args.backend as unknown as WasmBackend;
    const first = args.inputs[inputNames[0]]!;
    const outs = outputShapes(first).map((shape) => backend.makeOutput(shape, 'float32'));
    const at = (t: TensorInfo) => backend.dataIdMap.get(t.dataId).memoryOffset;
    offsets.fill(0);
    offsets.set([...inputNames.map((k) => at(args.inputs[k]!)), ...outs.map(at)]);
    // Read the heap after makeOutput: an allocation may have grown (and replaced) it.
    call(backend.wasm.HEAPU8.buffer, offsets, first, args.attrs as Record<string, unknown>);
    countCall('native', name);
    return outs.length === 1 ? outs[0] : outs;
  };
}

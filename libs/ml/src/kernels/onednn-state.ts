// Shared state of the oneDNN kernels: whether they are switched on, and what ran where; and the
// slice of tfjs's wasm backend they use (tensor data lives at byte offsets in its heap).
import type { TensorInfo } from '@tensorflow/tfjs';

export interface WasmBackend {
  dataIdMap: { get(dataId: unknown): { memoryOffset: number } };
  makeOutput(shape: number[], dtype: 'float32'): TensorInfo;
  disposeData(dataId: unknown): void;
  wasm: { HEAPU8: Uint8Array };
}
export const onednnState = { enabled: true, registered: false };

/** Calls that ran on oneDNN, calls handed to the previous kernel, and the last error, per kernel. */
export const onednnCalls = { native: new Map<string, number>(), fallback: new Map<string, number>(), errors: new Map<string, string>() };

export function countCall(kind: 'native' | 'fallback', name: string): void {
  const m = onednnCalls[kind];
  m.set(name, (m.get(name) ?? 0) + 1);
}

// Backend selection: the best tfjs backend that loads here, in the order
// tensorflow (tfjs-node-gpu, then tfjs-node) -> wasm -> cpu, or the one asked for.
// Native packages are optional dependencies: on machines where their install could not fetch
// libtensorflow they are absent or broken, and we fall through to wasm.
import * as tf from '@tensorflow/tfjs';
import { ModelError } from '@noisy/core';
import { registerWasmGradientKernels } from './kernels/wasm-gradients.js';
import { registerOnednnKernels } from './kernels/onednn-kernels.js';
import { registerWasmIdentity } from './kernels/wasm-identity.js';

export type BackendPreference = 'auto' | 'tensorflow' | 'wasm' | 'cpu';

export interface BackendReport {
  /** The tfjs backend name that runs: 'tensorflow', 'wasm' or 'cpu'. */
  readonly name: string;
  /** Which package provided it, e.g. '@tensorflow/tfjs-node-gpu'. */
  readonly provider: string;
  /** Whether a GPU is in use. */
  readonly gpu: boolean;
  /** Why better backends were skipped. */
  readonly skipped: readonly string[];
  /** Native kernels the backend's convolutions run on, e.g. 'oneDNN 2.6.3, 2 threads'; null if none. */
  readonly kernels: string | null;
  /** Why the native kernels are not in use (wasm only). */
  readonly kernelsSkipped: string | null;
}

let current: BackendReport | null = null;

async function tryNative(pkg: string): Promise<boolean> {
  try {
    // A computed specifier keeps bundlers and lint from treating the native package as required.
    await import(/* @vite-ignore */ pkg);
    return tf.findBackend('tensorflow') !== null && (await tf.setBackend('tensorflow'));
  } catch {
    return false;
  }
}

async function tryWasm(): Promise<boolean> {
  try {
    await import('@tensorflow/tfjs-backend-wasm');
    registerWasmGradientKernels();
    registerWasmIdentity();
    return await tf.setBackend('wasm');
  } catch {
    return false;
  }
}

let nativeKernelsWanted = true;

/** Whether selectBackend may put wasm's hot kernels on the oneDNN addon (default yes; CLI/services: NOISY_ONEDNN=0 says no). */
export function useNativeKernels(enabled: boolean): void {
  nativeKernelsWanted = enabled;
}

/** On wasm, convolutions go to oneDNN when its addon was built; otherwise say why not. */
function nativeKernels(backend: string): { kernels: string | null; kernelsSkipped: string | null } {
  if (backend !== 'wasm') return { kernels: null, kernelsSkipped: null };
  if (!nativeKernelsWanted) return { kernels: null, kernelsSkipped: 'switched off (NOISY_ONEDNN=0)' };
  const r = registerOnednnKernels();
  return 'error' in r
    ? { kernels: null, kernelsSkipped: r.error }
    : { kernels: `oneDNN ${r.version}, ${r.threads} thread${r.threads === 1 ? '' : 's'}`, kernelsSkipped: null };
}

/** Select and initialise a backend; repeated calls with the same preference are no-ops. */
export async function selectBackend(preference: BackendPreference = 'auto'): Promise<BackendReport> {
  if (current && (preference === 'auto' || preference === current.name)) return current;
  const skipped: string[] = [];
  tf.enableProdMode();
  const attempts: Array<[string, string, boolean, () => Promise<boolean>]> = [];
  if (preference === 'auto' || preference === 'tensorflow') {
    attempts.push(['tensorflow', '@tensorflow/tfjs-node-gpu', true, () => tryNative('@tensorflow/tfjs-node-gpu')]);
    attempts.push(['tensorflow', '@tensorflow/tfjs-node', false, () => tryNative('@tensorflow/tfjs-node')]);
  }
  if (preference === 'auto' || preference === 'wasm')
    attempts.push(['wasm', '@tensorflow/tfjs-backend-wasm', false, tryWasm]);
  if (preference === 'auto' || preference === 'cpu')
    attempts.push(['cpu', '@tensorflow/tfjs-backend-cpu', false, async () => tf.setBackend('cpu')]);
  for (const [name, provider, gpu, attempt] of attempts) {
    if (await attempt()) {
      await tf.ready();
      current = { name, provider, gpu, skipped, ...nativeKernels(name) };
      return current;
    }
    skipped.push(`${provider}: not loadable`);
  }
  throw new ModelError(`no tfjs backend could be loaded for preference '${preference}' (${skipped.join('; ')})`);
}

/** The backend selected so far, if any. */
export function currentBackend(): BackendReport | null {
  return current;
}

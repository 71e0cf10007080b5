#!/usr/bin/env node
// The `noisy` command. TypeScript sources run through tsx, so there is no build step to forget.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../src/main.ts');
const { useNativeKernels } = await import('@noisy/ml');
useNativeKernels(process.env.NOISY_ONEDNN !== '0'); // NOISY_ONEDNN=0: tfjs's own wasm kernels only
process.exitCode = await main(process.argv.slice(2));

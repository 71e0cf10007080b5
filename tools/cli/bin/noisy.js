#!/usr/bin/env node
// The `noisy` command. TypeScript sources run through tsx, so there is no build step to forget.
// TensorFlow.js and the kernels load only when a command that computes runs (main.ts).
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../src/main.ts');
process.exitCode = await main(process.argv.slice(2));

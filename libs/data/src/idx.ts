// IDX files (MNIST family): big-endian magic (0x00 0x00 dtype ndim), dims, then data.
// Gzipped files (.gz) are inflated transparently.
import { readFile } from 'node:fs/promises';
import { DataError } from '@noisy/core';
import { gunzipCapped } from './gzip.js';

export interface IdxArray {
  readonly shape: number[];
  readonly data: Uint8Array;
}

/** `maxInflatedBytes`: cap on a gzipped file's inflated size. @default MAX_INFLATED_BYTES (1 GiB) */
export async function readIdx(path: string, maxInflatedBytes?: number): Promise<IdxArray> {
  let raw: Uint8Array = await readFile(path).catch((cause) => {
    throw new DataError(
      path,
      `cannot read IDX file: ${(cause as NodeJS.ErrnoException).code ?? (cause as Error).message}`,
      undefined,
      { cause },
    );
  });
  if (raw[0] === 0x1f && raw[1] === 0x8b) raw = gunzipCapped(raw, path, maxInflatedBytes);
  return parseIdx(raw, path);
}

export function parseIdx(raw: Uint8Array, path: string): IdxArray {
  if (raw.length < 4 || raw[0] !== 0 || raw[1] !== 0) throw new DataError(path, 'not an IDX file (bad magic)');
  if (raw[2] !== 0x08)
    throw new DataError(path, `unsupported IDX dtype 0x${raw[2].toString(16)}; expected unsigned byte (0x08)`);
  const ndim = raw[3];
  const dv = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
  const shape: number[] = [];
  for (let i = 0; i < ndim; i++) shape.push(dv.getUint32(4 + 4 * i, false));
  const offset = 4 + 4 * ndim;
  const size = shape.reduce((a, b) => a * b, 1);
  if (raw.length - offset !== size)
    throw new DataError(path, `IDX body has ${raw.length - offset} bytes; header shape [${shape}] needs ${size}`);
  return { shape, data: raw.subarray(offset) };
}

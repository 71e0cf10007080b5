// `noisy export --label-issues --pred-probs FILE`: the out-of-sample probabilities and the given
// labels in the forms cleanlab reads. `.npy`: FILE holds pred_probs (float32 [N, C]), with
// FILE's stem + `.labels.npy` (int64 [N]) and `.ids.txt` (one id a line) beside it, so that
// `cleanlab.filter.find_label_issues(np.load(labels), np.load(pred_probs))` runs as is. `.csv`:
// one row per labeled example, `id,label,p_0..p_{C-1}`.
import { writeFile } from 'node:fs/promises';
import type { OutOfSample } from '@noisy/pipeline';

/** A NumPy .npy (format 1.0) of a little-endian array of `descr` ('<f4', '<i8') and `shape`. */
export function encodeNpy(descr: '<f4' | '<i8', shape: number[], data: Uint8Array): Uint8Array {
  const dict = `{'descr': '${descr}', 'fortran_order': False, 'shape': (${shape.join(', ')}${shape.length === 1 ? ',' : ''}), }`;
  // Magic (6) + version (2) + header length (2) + header, padded with spaces to a multiple of 64, ending in \n.
  const unpadded = 10 + dict.length + 1;
  const header = dict + ' '.repeat((64 - (unpadded % 64)) % 64) + '\n';
  const out = new Uint8Array(10 + header.length + data.length);
  out.set([0x93, ...new TextEncoder().encode('NUMPY'), 1, 0], 0);
  new DataView(out.buffer).setUint16(8, header.length, true);
  out.set(new TextEncoder().encode(header), 10);
  out.set(data, 10 + header.length);
  return out;
}

const csvField = (s: string) => (/[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s);

/** Write the file(s); returns their paths. */
export async function writePredProbs(file: string, o: OutOfSample): Promise<string[]> {
  const N = o.labels.length;
  if (file.toLowerCase().endsWith('.csv')) {
    const head = ['id', 'label', ...Array.from({ length: o.classes }, (_, j) => `p_${j}`)].join(',');
    const lines = [head];
    for (let i = 0; i < N; i++) {
      const p = Array.from(o.probs.subarray(i * o.classes, (i + 1) * o.classes), (v) => Number(v.toFixed(7)));
      lines.push([csvField(o.ids[i]), o.labels[i], ...p].join(','));
    }
    await writeFile(file, `${lines.join('\n')}\n`);
    return [file];
  }
  const stem = file.replace(/\.npy$/i, '');
  const probs = new Float32Array(o.probs); // little-endian on every platform Node runs on
  const labels = BigInt64Array.from(o.labels, (y) => BigInt(y));
  await writeFile(file, encodeNpy('<f4', [N, o.classes], new Uint8Array(probs.buffer)));
  await writeFile(`${stem}.labels.npy`, encodeNpy('<i8', [N], new Uint8Array(labels.buffer)));
  await writeFile(`${stem}.ids.txt`, o.ids.map((id) => `${id}\n`).join(''));
  return [file, `${stem}.labels.npy`, `${stem}.ids.txt`];
}

// Test fixture shared by the read-in-place tests (ingest-in-place, ingest-in-store): TFRecord files
// of small encoded pictures in the original's layout, labels 1-based over 3 classes.
import { bytesFeature, encodeExample, encodeJpeg, encodeTFRecords, int64Feature } from '@noisy/data';

/** An 80x96 JPEG (larger than 64 px: kept encoded) whose grey level depends on i. */
export function picture(i: number): Uint8Array {
  const data = new Uint8Array(80 * 96 * 3).fill((i * 37) % 256);
  return encodeJpeg({ height: 80, width: 96, channels: 3, data }, 80);
}

/** Record i: picture i, labeled `label` (0-based) unless null. */
export const pictureRecord = (i: number, label: number | null): Uint8Array =>
  encodeExample({
    'image/encoded': bytesFeature(picture(i)),
    'image/format': bytesFeature(new TextEncoder().encode('JPEG')),
    ...(label === null ? {} : { 'image/class/label': int64Feature(label + 1) }),
  });

/** A TFRecord file of records from..from+n, labeled (i % 3) or not. */
export const pictureFile = (n: number, from: number, labeled: boolean): Uint8Array =>
  encodeTFRecords(Array.from({ length: n }, (_, k) => pictureRecord(from + k, labeled ? (from + k) % 3 : null)));

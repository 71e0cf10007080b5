// TensorBoard event files: a TFRecord file of `tensorflow.Event` protos, the first one carrying
// the file version, the rest scalar summaries. Only the fields TensorBoard's scalar dashboard reads:
//   Event{wall_time=1 double, step=2 int64, file_version=3 string, summary=5 Summary}
//   Summary{value=1 repeated Value}, Value{tag=1 string, simple_value=2 float}
// Encoded with @bufbuild/protobuf's wire writer; decoded the same way to read files back.
import { BinaryReader, BinaryWriter, WireType } from '@bufbuild/protobuf/wire';
import { DataError } from '@noisy/core';
import { decodeTFRecords, encodeTFRecords } from './tfrecord.js';

/** One scalar point of one curve. */
export interface ScalarEvent {
  tag: string;
  step: number;
  value: number;
  /** Seconds since the epoch. */
  wallTime: number;
}

export const EVENT_FILE_VERSION = 'brain.Event:2';

/** The file name TensorBoard looks for (`events.out.tfevents.<seconds>.<host>`). */
export const eventFileName = (wallTime: number, host = 'noisy') =>
  `events.out.tfevents.${Math.floor(wallTime)}.${host}`;

function encodeEvent(wallTime: number, step: number, body: (w: BinaryWriter) => void): Uint8Array {
  const w = new BinaryWriter();
  w.tag(1, WireType.Bit64).double(wallTime);
  w.tag(2, WireType.Varint).int64(step);
  body(w);
  return w.finish();
}

function encodeScalar(e: ScalarEvent): Uint8Array {
  return encodeEvent(e.wallTime, e.step, (w) => {
    const value = new BinaryWriter().tag(1, WireType.LengthDelimited).string(e.tag);
    value.tag(2, WireType.Bit32).float(e.value);
    const summary = new BinaryWriter().tag(1, WireType.LengthDelimited).bytes(value.finish());
    w.tag(5, WireType.LengthDelimited).bytes(summary.finish());
  });
}

/** Scalar records to append to an event file that already has its version record (live curves). */
export function encodeEventRecords(events: readonly ScalarEvent[]): Uint8Array {
  return encodeTFRecords(events.map(encodeScalar));
}

/** A whole event file: the version record, then one record per scalar point, in the given order. */
export function encodeEventFile(events: readonly ScalarEvent[], wallTime = events[0]?.wallTime ?? 0): Uint8Array {
  const version = encodeEvent(wallTime, 0, (w) => w.tag(3, WireType.LengthDelimited).string(EVENT_FILE_VERSION));
  return encodeTFRecords([version, ...events.map(encodeScalar)]);
}

function readValue(bytes: Uint8Array): { tag: string; value: number } {
  const r = new BinaryReader(bytes);
  let tag = '';
  let value = Number.NaN;
  while (r.pos < r.len) {
    const [field, wire] = r.tag();
    if (field === 1) tag = r.string();
    else if (field === 2) value = r.float();
    else r.skip(wire);
  }
  return { tag, value };
}

/** Read an event file back: its version and its scalar points (CRCs verified; `file` names it in errors). */
export function decodeEventFile(bytes: Uint8Array, file: string): { version: string; scalars: ScalarEvent[] } {
  let version = '';
  const scalars: ScalarEvent[] = [];
  let index = 0;
  for (const record of decodeTFRecords(bytes, file)) {
    try {
      const r = new BinaryReader(record);
      let wallTime = 0;
      let step = 0;
      const values: Array<{ tag: string; value: number }> = [];
      while (r.pos < r.len) {
        const [field, wire] = r.tag();
        if (field === 1) wallTime = r.double();
        else if (field === 2) step = Number(r.int64());
        else if (field === 3) version = r.string();
        else if (field === 5) {
          const s = new BinaryReader(r.bytes());
          while (s.pos < s.len) {
            const [f, w] = s.tag();
            if (f === 1) values.push(readValue(s.bytes()));
            else s.skip(w);
          }
        } else r.skip(wire);
      }
      for (const v of values) scalars.push({ ...v, step, wallTime });
    } catch (cause) {
      throw new DataError(file, `not a TensorBoard event: ${(cause as Error).message}`, index, { cause });
    }
    index++;
  }
  return { version, scalars };
}

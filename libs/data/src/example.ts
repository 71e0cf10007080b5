// tf.train.Example encoded and decoded through @bufbuild/protobuf's wire format reader and
// writer, so that shards are readable by TensorFlow's own tools and the original implementation.
// The messages (tensorflow/core/example/{example,feature}.proto) are four small ones:
//   Example{features=1: Features{feature=1: map<string, Feature>}}
//   Feature{oneof: bytes_list=1, float_list=2, int64_list=3}, each {repeated value=1}
// Every malformed input (a field running past its end, a packed float list whose length is not a
// multiple of 4, a bad tag) is a DataError naming the file and record.
import { BinaryReader, BinaryWriter, WireType } from '@bufbuild/protobuf/wire';
import { DataError } from '@noisy/core';

export type Feature =
  { kind: 'bytes'; value: Uint8Array[] } | { kind: 'float'; value: Float32Array } | { kind: 'int64'; value: number[] };

export type Example = Record<string, Feature>;

export const bytesFeature = (...value: Uint8Array[]): Feature => ({ kind: 'bytes', value });
export const floatFeature = (value: ArrayLike<number>): Feature => ({ kind: 'float', value: Float32Array.from(value) });
export const int64Feature = (...value: number[]): Feature => ({ kind: 'int64', value });

const LD = WireType.LengthDelimited;

function writeFeature(w: BinaryWriter, f: Feature): void {
  switch (f.kind) {
    case 'bytes':
      w.tag(1, LD).fork();
      for (const b of f.value) w.tag(1, LD).bytes(b);
      break;
    // Packed lists; an empty one is not written at all (protobuf's encoding of an empty repeated
    // field, which TensorFlow's serializer follows): the list message is then empty.
    case 'float':
      w.tag(2, LD).fork();
      if (f.value.length) {
        w.tag(1, LD).fork();
        for (const v of f.value) w.float(v);
        w.join();
      }
      break;
    case 'int64':
      w.tag(3, LD).fork();
      if (f.value.length) {
        w.tag(1, LD).fork();
        for (const v of f.value) w.int64(v);
        w.join();
      }
      break;
    default: {
      const never: never = f;
      throw new Error(`unknown feature ${String(never)}`);
    }
  }
  w.join();
}

export function encodeExample(example: Example): Uint8Array {
  const w = new BinaryWriter();
  w.tag(1, LD).fork(); // Features
  for (const key of Object.keys(example).sort()) {
    w.tag(1, LD).fork().tag(1, LD).string(key); // map entry: key = 1, value = 2
    w.tag(2, LD).fork();
    writeFeature(w, example[key]);
    w.join().join();
  }
  return w.join().finish();
}

/** A varint may run past the end unnoticed by the reader: check after reading one. */
const inBounds = (r: BinaryReader) => {
  if (r.pos > r.len) throw new RangeError('premature EOF');
};

/** Read a length-delimited field as its own reader (bounds-checked by the library). */
const sub = (r: BinaryReader) => new BinaryReader(r.bytes());

function readFloats(list: BinaryReader, where: string, out: number[]): void {
  while (list.pos < list.len) {
    const [field, wire] = list.tag();
    if (field === 1 && wire === LD) {
      const p = list.bytes();
      if (p.length % 4 !== 0)
        throw new DataError(where, `packed float list of ${p.length} bytes is not a whole number of floats`);
      const dv = new DataView(p.buffer, p.byteOffset, p.byteLength);
      for (let i = 0; i < p.length; i += 4) out.push(dv.getFloat32(i, true));
    } else if (field === 1 && wire === WireType.Bit32) {
      if (list.pos + 4 > list.len) throw new RangeError('premature EOF');
      out.push(list.float());
    } else list.skip(wire, field);
  }
}

function readInts(list: BinaryReader, out: number[]): void {
  while (list.pos < list.len) {
    const [field, wire] = list.tag();
    if (field === 1 && wire === LD) {
      const p = sub(list);
      while (p.pos < p.len) out.push(Number(p.int64()));
      inBounds(p);
    } else if (field === 1 && wire === WireType.Varint) {
      out.push(Number(list.int64()));
      inBounds(list);
    } else list.skip(wire, field);
  }
}

function readFeature(r: BinaryReader, where: string): Feature {
  let feature: Feature = { kind: 'bytes', value: [] };
  while (r.pos < r.len) {
    const [field, wire] = r.tag();
    if (wire !== LD || field < 1 || field > 3) {
      r.skip(wire, field);
      continue;
    }
    const list = sub(r);
    if (field === 1) {
      const value: Uint8Array[] = [];
      while (list.pos < list.len) {
        const [f, w] = list.tag();
        if (f === 1 && w === LD) value.push(list.bytes());
        else list.skip(w, f);
      }
      feature = { kind: 'bytes', value };
    } else if (field === 2) {
      const floats: number[] = [];
      readFloats(list, where, floats);
      feature = { kind: 'float', value: Float32Array.from(floats) };
    } else {
      const ints: number[] = [];
      readInts(list, ints);
      feature = { kind: 'int64', value: ints };
    }
  }
  return feature;
}

function readExample(buf: Uint8Array, where: string): Example {
  const out: Example = {};
  const r = new BinaryReader(buf);
  while (r.pos < r.len) {
    const [field, wire] = r.tag();
    if (field !== 1 || wire !== LD) {
      r.skip(wire, field);
      continue;
    }
    const features = sub(r);
    while (features.pos < features.len) {
      const [ff, fw] = features.tag();
      if (ff !== 1 || fw !== LD) {
        features.skip(fw, ff);
        continue;
      }
      const entry = sub(features);
      let key = '';
      let value: Feature | undefined;
      while (entry.pos < entry.len) {
        const [ef, ew] = entry.tag();
        if (ef === 1 && ew === LD) key = entry.string();
        else if (ef === 2 && ew === LD) value = readFeature(sub(entry), where);
        else entry.skip(ew, ef);
      }
      if (value) out[key] = value;
    }
  }
  return out;
}

/** Decode a serialized tf.train.Example; `where` names the file and record for errors. */
export function decodeExample(buf: Uint8Array, where = 'example'): Example {
  try {
    return readExample(buf, where);
  } catch (cause) {
    if (cause instanceof DataError) throw cause;
    const why = cause instanceof Error ? cause.message : String(cause);
    throw new DataError(where, `malformed tf.train.Example (${why})`, undefined, { cause });
  }
}

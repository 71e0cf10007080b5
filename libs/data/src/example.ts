// tf.train.Example encoded and decoded by hand (four tiny messages), so that shards are readable
// by TensorFlow's own tools and the original implementation without a protobuf runtime.
//   Example{features=1: Features{feature=1: map<string, Feature>}}
//   Feature{oneof: bytes_list=1, float_list=2, int64_list=3}, each {repeated value=1}
import { DataError } from '@noisy/core';

export type Feature =
  { kind: 'bytes'; value: Uint8Array[] } | { kind: 'float'; value: Float32Array } | { kind: 'int64'; value: number[] };

export type Example = Record<string, Feature>;

export const bytesFeature = (...value: Uint8Array[]): Feature => ({ kind: 'bytes', value });
export const floatFeature = (value: ArrayLike<number>): Feature => ({ kind: 'float', value: Float32Array.from(value) });
export const int64Feature = (...value: number[]): Feature => ({ kind: 'int64', value });

class Writer {
  private chunks: Uint8Array[] = [];
  private size = 0;
  push(b: Uint8Array): void {
    this.chunks.push(b);
    this.size += b.length;
  }
  varint(n: number): void {
    const out: number[] = [];
    if (n < 0) {
      // int64 two's complement: 10-byte varint.
      let v = BigInt.asUintN(64, BigInt(n));
      while (v >= 0x80n) {
        out.push(Number(v & 0x7fn) | 0x80);
        v >>= 7n;
      }
      out.push(Number(v));
    } else {
      while (n >= 0x80) {
        out.push((n % 0x80) | 0x80);
        n = Math.floor(n / 0x80);
      }
      out.push(n);
    }
    this.push(Uint8Array.from(out));
  }
  tag(field: number, wire: number): void {
    this.varint((field << 3) | wire);
  }
  lengthDelimited(field: number, bytes: Uint8Array): void {
    this.tag(field, 2);
    this.varint(bytes.length);
    this.push(bytes);
  }
  finish(): Uint8Array {
    const out = new Uint8Array(this.size);
    let o = 0;
    for (const c of this.chunks) {
      out.set(c, o);
      o += c.length;
    }
    return out;
  }
}

function encodeFeature(f: Feature): Uint8Array {
  const list = new Writer();
  switch (f.kind) {
    case 'bytes':
      for (const b of f.value) list.lengthDelimited(1, b);
      break;
    case 'float': {
      const packed = new Uint8Array(f.value.length * 4);
      const dv = new DataView(packed.buffer);
      f.value.forEach((v, i) => dv.setFloat32(i * 4, v, true));
      list.lengthDelimited(1, packed);
      break;
    }
    case 'int64': {
      const packed = new Writer();
      for (const v of f.value) packed.varint(v);
      list.lengthDelimited(1, packed.finish());
      break;
    }
    default: {
      const never: never = f;
      throw new Error(`unknown feature ${String(never)}`);
    }
  }
  const field = f.kind === 'bytes' ? 1 : f.kind === 'float' ? 2 : 3;
  const feature = new Writer();
  feature.lengthDelimited(field, list.finish());
  return feature.finish();
}

const utf8 = new TextEncoder();
const utf8d = new TextDecoder();

export function encodeExample(example: Example): Uint8Array {
  const features = new Writer();
  for (const key of Object.keys(example).sort()) {
    const entry = new Writer();
    entry.lengthDelimited(1, utf8.encode(key));
    entry.lengthDelimited(2, encodeFeature(example[key]));
    features.lengthDelimited(1, entry.finish());
  }
  const ex = new Writer();
  ex.lengthDelimited(1, features.finish());
  return ex.finish();
}

class Reader {
  pos = 0;
  constructor(
    readonly buf: Uint8Array,
    readonly where: string,
  ) {}
  get done(): boolean {
    return this.pos >= this.buf.length;
  }
  varint(): number {
    let result = 0;
    let mul = 1;
    for (let i = 0; i < 10; i++) {
      if (this.pos >= this.buf.length) throw new DataError(this.where, 'truncated varint in tf.train.Example');
      const b = this.buf[this.pos++];
      if (i === 9 || (i >= 7 && mul * (b & 0x7f) >= 2 ** 53)) {
        return this.bigVarintTail(result, mul, b, i);
      }
      result += (b & 0x7f) * mul;
      if (b < 0x80) return result;
      mul *= 128;
    }
    throw new DataError(this.where, 'varint longer than 10 bytes');
  }
  private bigVarintTail(low: number, mul: number, b: number, i: number): number {
    let v = BigInt(low) + BigInt(b & 0x7f) * BigInt(mul);
    let shift = BigInt(7 * (i + 1));
    while (b >= 0x80) {
      b = this.buf[this.pos++];
      v += BigInt(b & 0x7f) << shift;
      shift += 7n;
    }
    return Number(BigInt.asIntN(64, v));
  }
  bytes(): Uint8Array {
    const n = this.varint();
    if (this.pos + n > this.buf.length) throw new DataError(this.where, 'truncated field in tf.train.Example');
    const out = this.buf.subarray(this.pos, this.pos + n);
    this.pos += n;
    return out;
  }
  skip(wire: number): void {
    if (wire === 0) this.varint();
    else if (wire === 1) this.pos += 8;
    else if (wire === 2) this.bytes();
    else if (wire === 5) this.pos += 4;
    else throw new DataError(this.where, `unsupported protobuf wire type ${wire}`);
  }
}

function decodeFeature(buf: Uint8Array, where: string): Feature {
  const r = new Reader(buf, where);
  let feature: Feature = { kind: 'bytes', value: [] };
  while (!r.done) {
    const tag = r.varint();
    const field = tag >>> 3;
    if ((tag & 7) !== 2) {
      r.skip(tag & 7);
      continue;
    }
    const list = new Reader(r.bytes(), where);
    if (field === 1) {
      const value: Uint8Array[] = [];
      while (!list.done) {
        const t = list.varint();
        if (t >>> 3 === 1 && (t & 7) === 2) value.push(list.bytes());
        else list.skip(t & 7);
      }
      feature = { kind: 'bytes', value };
    } else if (field === 2) {
      const floats: number[] = [];
      while (!list.done) {
        const t = list.varint();
        if ((t & 7) === 2) {
          const p = list.bytes();
          const dv = new DataView(p.buffer, p.byteOffset, p.byteLength);
          for (let i = 0; i + 4 <= p.length; i += 4) floats.push(dv.getFloat32(i, true));
        } else if ((t & 7) === 5) {
          const dv = new DataView(list.buf.buffer, list.buf.byteOffset + list.pos, 4);
          floats.push(dv.getFloat32(0, true));
          list.pos += 4;
        } else list.skip(t & 7);
      }
      feature = { kind: 'float', value: Float32Array.from(floats) };
    } else if (field === 3) {
      const ints: number[] = [];
      while (!list.done) {
        const t = list.varint();
        if ((t & 7) === 2) {
          const p = new Reader(list.bytes(), where);
          while (!p.done) ints.push(p.varint());
        } else if ((t & 7) === 0) ints.push(list.varint());
        else list.skip(t & 7);
      }
      feature = { kind: 'int64', value: ints };
    }
  }
  return feature;
}

/** Decode a serialized tf.train.Example; `where` names the file and record for errors. */
export function decodeExample(buf: Uint8Array, where = 'example'): Example {
  const out: Example = {};
  const r = new Reader(buf, where);
  while (!r.done) {
    const tag = r.varint();
    if (tag >>> 3 !== 1 || (tag & 7) !== 2) {
      r.skip(tag & 7);
      continue;
    }
    const features = new Reader(r.bytes(), where);
    while (!features.done) {
      const ft = features.varint();
      if (ft >>> 3 !== 1 || (ft & 7) !== 2) {
        features.skip(ft & 7);
        continue;
      }
      const entry = new Reader(features.bytes(), where);
      let key = '';
      let value: Feature | undefined;
      while (!entry.done) {
        const et = entry.varint();
        if (et >>> 3 === 1 && (et & 7) === 2) key = utf8d.decode(entry.bytes());
        else if (et >>> 3 === 2 && (et & 7) === 2) value = decodeFeature(entry.bytes(), where);
        else entry.skip(et & 7);
      }
      if (value) out[key] = value;
    }
  }
  return out;
}

import { describe, expect, it } from 'vitest';
import { DataError } from '@noisy/core';
import { decodeEventFile, encodeEventFile, eventFileName, EVENT_FILE_VERSION } from './tensorboard.js';
import { decodeTFRecords } from './tfrecord.js';

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

describe('tensorboard event files', () => {
  it('encodeEventFile - scalars read back with tag, step, value and wall time, after the version record', () => {
    const events = [
      { tag: 'train/loss', step: 1, value: 2.25, wallTime: 1_700_000_000.5 },
      { tag: 'train/lr', step: 1, value: 0.016, wallTime: 1_700_000_000.5 },
      { tag: 'eval/top1', step: 123_456_789_012, value: 0.875, wallTime: 1_700_000_100 },
    ];
    const back = decodeEventFile(encodeEventFile(events), 'f');
    expect(back.version).toBe(EVENT_FILE_VERSION);
    expect(back.scalars.map((s) => [s.tag, s.step, s.wallTime])).toEqual(
      events.map((e) => [e.tag, e.step, e.wallTime]),
    );
    // simple_value is a float32 on the wire.
    expect(back.scalars.map((s) => s.value)).toEqual(events.map((e) => Math.fround(e.value)));
  });

  it('encodeEventFile - the bytes TensorBoard expects for one scalar (field numbers and wire types)', () => {
    const [, record] = [...decodeTFRecords(encodeEventFile([{ tag: 'loss', step: 3, value: 0.5, wallTime: 0 }]), 'f')];
    // Event: wall_time=1 (fixed64 double 0), step=2 (varint 3), summary=5 { value=1 { tag=1 "loss", simple_value=2 0.5f } }
    expect(hex(record)).toBe('09' + '0000000000000000' + '1003' + '2a0d' + '0a0b' + '0a046c6f7373' + '150000003f');
  });

  it('decodeEventFile - a corrupt record is a DataError naming the file', () => {
    const bytes = encodeEventFile([{ tag: 'loss', step: 3, value: 0.5, wallTime: 0 }]);
    bytes[bytes.length - 6] ^= 0xff;
    expect(() => decodeEventFile(bytes, 'runs/x/events')).toThrow(DataError);
    expect(() => decodeEventFile(bytes, 'runs/x/events')).toThrow(/runs\/x\/events/);
  });

  it('eventFileName - the name TensorBoard scans for', () => {
    expect(eventFileName(1_700_000_000.7, 'gen-1')).toBe('events.out.tfevents.1700000000.gen-1');
  });
});

// The contract every object-store and event-bus adapter must pass. In-memory and file adapters
// run it in unit tests; real adapters (S3, NATS JetStream) run it against real servers.
import { describe, expect, it } from 'vitest';
import { ArtifactError } from '@noisy/core';
import type { Codec, EventBus, InvalidMessageHandler, ObjectStore } from '@noisy/platform';

/**
 * `racesDecided: false` for a server that ignores conditional writes (s3rver does; AWS S3 and
 * MinIO honour If-None-Match): only a key committed before the call is then refused.
 */
export function objectStoreContract(
  name: string,
  open: () => Promise<ObjectStore>,
  o: { racesDecided?: boolean } = {},
): void {
  describe(`${name} object store contract`, () => {
    it(`${name} - put, get, head, list by prefix, delete`, async () => {
      const s = await open();
      await s.put('runs/a/x.json', '{"a":1}');
      await s.put('runs/a/sub/y.bin', Uint8Array.from([1, 2, 3]));
      await s.put('runs/b/z.json', 'z');
      expect(new TextDecoder().decode(await s.get('runs/a/x.json'))).toBe('{"a":1}');
      expect(await s.head('runs/a/sub/y.bin')).toEqual({ key: 'runs/a/sub/y.bin', size: 3 });
      expect(await s.head('runs/a/nope')).toBeNull();
      expect(await s.list('runs/a/')).toEqual(['runs/a/sub/y.bin', 'runs/a/x.json']);
      await s.delete('runs/a/x.json');
      expect(await s.list('runs/a/')).toEqual(['runs/a/sub/y.bin']);
    });
    it(`${name} - putIfAbsent creates once: of racing writers exactly one wins and its bytes stay`, async () => {
      const s = await open();
      expect(await s.putIfAbsent('runs/c/manifest.json', 'first')).toBe(true);
      expect(await s.putIfAbsent('runs/c/manifest.json', 'second')).toBe(false);
      expect(new TextDecoder().decode(await s.get('runs/c/manifest.json'))).toBe('first');
      if (o.racesDecided === false) return;
      const wins = await Promise.all(['a', 'b', 'c'].map((v) => s.putIfAbsent('runs/c/race.json', v)));
      expect(wins.filter(Boolean)).toHaveLength(1);
      expect(new TextDecoder().decode(await s.get('runs/c/race.json'))).toBe(['a', 'b', 'c'][wins.indexOf(true)]);
      expect(await s.list('runs/c/')).toEqual(['runs/c/manifest.json', 'runs/c/race.json']);
    });
    it(`${name} - a missing object is an ArtifactError naming the key; bad keys are rejected`, async () => {
      const s = await open();
      await expect(s.get('runs/none')).rejects.toThrow(ArtifactError);
      await expect(s.get('runs/none')).rejects.toThrow(/runs\/none/);
      await expect(s.put('../escape', 'x')).rejects.toThrow(/invalid object key/);
    });
    it(`${name} - putStream and getStream carry a body of many chunks byte for byte`, async () => {
      const s = await open();
      // 6 MiB in uneven 700 KiB chunks: larger than any adapter's read chunk and than S3's 5 MiB part minimum.
      const body = new Uint8Array(6 << 20).map((_, i) => (i * 7919) % 253);
      const source = async function* () {
        for (let o = 0; o < body.length; o += 700 << 10) yield body.subarray(o, o + (700 << 10));
      };
      await s.putStream('runs/s/big.bin', source());
      expect(await s.head('runs/s/big.bin')).toEqual({ key: 'runs/s/big.bin', size: body.length });
      const chunks: Uint8Array[] = [];
      for await (const c of await s.getStream('runs/s/big.bin')) chunks.push(c);
      expect(chunks.length).toBeGreaterThan(1);
      const back = Buffer.concat(chunks);
      expect(back.length).toBe(body.length);
      expect(Buffer.compare(back, Buffer.from(body))).toBe(0);
      expect(Buffer.compare(Buffer.from(await s.get('runs/s/big.bin')), Buffer.from(body))).toBe(0);
    });
    it(`${name} - a source that fails midway leaves no object and its own error`, async () => {
      const s = await open();
      // 12 MiB before the failure: S3 has sent a multipart part by then, which must be aborted.
      const failing = async function* () {
        for (let i = 0; i < 4; i++) yield new Uint8Array(3 << 20).fill(i);
        throw new RangeError('source broke');
      };
      await expect(s.putStream('runs/s/aborted.bin', failing())).rejects.toThrow(/source broke/);
      expect(await s.head('runs/s/aborted.bin')).toBeNull();
      expect(await s.list('runs/s/')).toEqual([]);
    });
    it(`${name} - getRange reads any byte range; a range past the end or of a missing object is an ArtifactError`, async () => {
      const s = await open();
      const body = new Uint8Array(300_000).map((_, i) => (i * 31) % 251);
      await s.put('runs/r/shard.bin', body);
      for (const [o, n] of [
        [0, 16], // not [0, 1]: s3rver reads `bytes=0-0` as the whole object
        [12_345, 70_000],
        [299_990, 10],
        [5, 0],
      ])
        expect(
          Buffer.compare(Buffer.from(await s.getRange('runs/r/shard.bin', o, n)), Buffer.from(body.subarray(o, o + n))),
        ).toBe(0);
      await expect(s.getRange('runs/r/shard.bin', 299_990, 11)).rejects.toThrow(ArtifactError);
      await expect(s.getRange('runs/r/shard.bin', 400_000, 5)).rejects.toThrow(/runs\/r\/shard\.bin/);
      await expect(s.getRange('runs/none', 0, 4)).rejects.toThrow(ArtifactError);
      await expect(s.getRange('runs/r/shard.bin', -1, 4)).rejects.toThrow(/invalid byte range/);
    });
    it(`${name} - getStream of a missing object rejects as get does`, async () => {
      const s = await open();
      const err = await s.getStream('runs/none').catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ArtifactError);
      expect((err as ArtifactError).retryable).toBe(false);
      const fromGet = await s.get('runs/none').then(
        () => null,
        (e: Error) => e.message,
      );
      expect((err as Error).message).toBe(fromGet);
    });
  });
}

/** A JSON codec for the contract's own messages: `{ n }` with n a non-negative integer. */
const counter: Codec<{ n: number }> = {
  type: 'Counter',
  encode: (v) => new TextEncoder().encode(JSON.stringify(v)),
  decode: (bytes) => {
    const v = JSON.parse(new TextDecoder().decode(bytes)) as { n: unknown };
    if (!Number.isInteger(v?.n) || (v.n as number) < 0) throw new TypeError('n must be a count');
    return { n: v.n as number };
  },
};
/** Publishes any bytes: how a test sends what a real codec would refuse. */
const raw: Codec<Uint8Array> = { type: 'raw', encode: (b) => b, decode: (b) => b };

/** `open(onInvalid)` must pass onInvalid to the adapter. */
export function eventBusContract(name: string, open: (onInvalid: InvalidMessageHandler) => Promise<EventBus>): void {
  const ignore: InvalidMessageHandler = () => undefined;
  describe(`${name} event bus contract`, () => {
    it(`${name} - a task published twice with one id is delivered once, with its headers, and acked`, async () => {
      const bus = await open(ignore);
      expect(
        await bus.publishTask('noisy.tasks.contract-a', counter, { n: 1 }, 'id-1', {
          traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01',
        }),
      ).toEqual({ duplicate: false });
      expect(await bus.publishTask('noisy.tasks.contract-a', counter, { n: 1 }, 'id-1')).toEqual({ duplicate: true });
      const seen: number[] = [];
      const headers: Array<Record<string, string>> = [];
      const sub = bus.consumeTasks('noisy.tasks.contract-a', 'contract-a', counter, async (d) => {
        seen.push(d.data.n);
        headers.push(d.headers);
        d.ack();
      });
      await new Promise((r) => setTimeout(r, 300));
      await sub.stop();
      expect(seen).toEqual([1]);
      expect(headers[0].traceparent).toBe('00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01');
      await bus.close();
    });
    it(`${name} - nak redelivers with a growing count until max deliveries; term stops`, async () => {
      const bus = await open(ignore);
      await bus.publishTask('noisy.tasks.contract-b', counter, { n: 2 }, 'id-2');
      const counts: number[] = [];
      const sub = bus.consumeTasks(
        'noisy.tasks.contract-b',
        'contract-b',
        counter,
        async (d) => {
          counts.push(d.deliveryCount);
          d.nak(10);
        },
        { maxDeliver: 3 },
      );
      await new Promise((r) => setTimeout(r, 500));
      await sub.stop();
      expect(counts).toEqual([1, 2, 3]);
      await bus.publishTask('noisy.tasks.contract-c', counter, { n: 3 }, 'id-3');
      const termed: number[] = [];
      const sub2 = bus.consumeTasks('noisy.tasks.contract-c', 'contract-c', counter, async (d) => {
        termed.push(d.deliveryCount);
        d.term('bad input');
      });
      await new Promise((r) => setTimeout(r, 300));
      await sub2.stop();
      expect(termed).toEqual([1]);
      await bus.close();
    });
    it(`${name} - events reach subscribers by prefix`, async () => {
      const bus = await open(ignore);
      const got: string[] = [];
      const sub = bus.subscribeEvents('noisy.events.contract.', counter, (s) => got.push(s));
      await new Promise((r) => setTimeout(r, 50));
      await bus.publishEvent('noisy.events.contract.one', counter, { n: 1 });
      await bus.publishEvent('noisy.events.other', counter, { n: 2 });
      await new Promise((r) => setTimeout(r, 50));
      await sub.stop();
      expect(got).toEqual(['noisy.events.contract.one']);
      await bus.close();
    });
    it(`${name} - a task the codec refuses is terminated and reported; the consumer goes on`, async () => {
      const invalid: string[] = [];
      const bus = await open((subject, err) => invalid.push(`${subject}: ${(err as Error).message}`));
      const bad = new TextEncoder().encode('{"n":-1}');
      await bus.publishTask('noisy.tasks.contract-d', raw, bad, 'id-4');
      await bus.publishTask('noisy.tasks.contract-d', raw, Uint8Array.from([0xff, 0x00]), 'id-5');
      await bus.publishTask('noisy.tasks.contract-d', counter, { n: 6 }, 'id-6');
      const seen: number[] = [];
      const sub = bus.consumeTasks('noisy.tasks.contract-d', 'contract-d', counter, async (d) => {
        seen.push(d.data.n);
        d.ack();
      });
      await new Promise((r) => setTimeout(r, 500));
      await sub.stop();
      expect(seen).toEqual([6]);
      expect(invalid).toHaveLength(2);
      expect(invalid[0]).toMatch(/^noisy\.tasks\.contract-d: n must be a count/);
      await bus.close();
    });
    it(`${name} - an event the codec refuses is dropped and reported; later events arrive`, async () => {
      const invalid: string[] = [];
      const bus = await open((subject) => invalid.push(subject));
      const got: number[] = [];
      const sub = bus.subscribeEvents('noisy.events.contract-e', counter, (_, d) => got.push(d.n));
      await new Promise((r) => setTimeout(r, 50));
      await bus.publishEvent('noisy.events.contract-e', raw, new TextEncoder().encode('not json'));
      await bus.publishEvent('noisy.events.contract-e', counter, { n: 7 });
      await new Promise((r) => setTimeout(r, 100));
      await sub.stop();
      expect(got).toEqual([7]);
      expect(invalid).toEqual(['noisy.events.contract-e']);
      await bus.close();
    });
  });
}

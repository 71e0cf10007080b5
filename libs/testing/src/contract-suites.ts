// The contract every object-store and event-bus adapter must pass. In-memory and file adapters
// run it in unit tests; real adapters (S3, NATS JetStream) run it against real servers.
import { describe, expect, it } from 'vitest';
import { ArtifactError } from '@noisy/core';
import type { EventBus, ObjectStore } from '@noisy/platform';

export function objectStoreContract(name: string, open: () => Promise<ObjectStore>): void {
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
    it(`${name} - a missing object is an ArtifactError naming the key; bad keys are rejected`, async () => {
      const s = await open();
      await expect(s.get('runs/none')).rejects.toThrow(ArtifactError);
      await expect(s.get('runs/none')).rejects.toThrow(/runs\/none/);
      await expect(s.put('../escape', 'x')).rejects.toThrow(/invalid object key/);
    });
  });
}

export function eventBusContract(name: string, open: () => Promise<EventBus>): void {
  describe(`${name} event bus contract`, () => {
    it(`${name} - a task published twice with one id is delivered once, with its headers, and acked`, async () => {
      const bus = await open();
      expect(
        await bus.publishTask('noisy.tasks.contract-a', { n: 1 }, 'id-1', {
          traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01',
        }),
      ).toEqual({ duplicate: false });
      expect(await bus.publishTask('noisy.tasks.contract-a', { n: 1 }, 'id-1')).toEqual({ duplicate: true });
      const seen: number[] = [];
      const headers: Array<Record<string, string>> = [];
      const sub = bus.consumeTasks<{ n: number }>('noisy.tasks.contract-a', 'contract-a', async (d) => {
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
      const bus = await open();
      await bus.publishTask('noisy.tasks.contract-b', 'x', 'id-2');
      const counts: number[] = [];
      const sub = bus.consumeTasks(
        'noisy.tasks.contract-b',
        'contract-b',
        async (d) => {
          counts.push(d.deliveryCount);
          d.nak(10);
        },
        { maxDeliver: 3 },
      );
      await new Promise((r) => setTimeout(r, 500));
      await sub.stop();
      expect(counts).toEqual([1, 2, 3]);
      await bus.publishTask('noisy.tasks.contract-c', 'y', 'id-3');
      const termed: number[] = [];
      const sub2 = bus.consumeTasks('noisy.tasks.contract-c', 'contract-c', async (d) => {
        termed.push(d.deliveryCount);
        d.term('bad input');
      });
      await new Promise((r) => setTimeout(r, 300));
      await sub2.stop();
      expect(termed).toEqual([1]);
      await bus.close();
    });
    it(`${name} - events reach subscribers by prefix`, async () => {
      const bus = await open();
      const got: string[] = [];
      const sub = bus.subscribeEvents('noisy.events.contract.', (s) => got.push(s));
      await new Promise((r) => setTimeout(r, 50));
      await bus.publishEvent('noisy.events.contract.one', {});
      await bus.publishEvent('noisy.events.other', {});
      await new Promise((r) => setTimeout(r, 50));
      await sub.stop();
      expect(got).toEqual(['noisy.events.contract.one']);
      await bus.close();
    });
  });
}

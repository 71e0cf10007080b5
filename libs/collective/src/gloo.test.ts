// The Gloo adapter with two ranks in one process (each rank's collectives run on their own
// thread-pool thread), over both rendezvous stores, and its failures: a rank that never joins, a
// rank that stops answering, a rank that goes away.
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CollectiveError } from './errors.js';
import { connectGloo, loadGloo, type Rendezvous } from './gloo.js';
import type { Collective } from './port.js';
import { SingleRank } from './single.js';

const built = loadGloo().addon !== null;
const dirs: string[] = [];
const fresh = (): Rendezvous => {
  const dir = mkdtempSync(join(tmpdir(), 'gloo-test-'));
  dirs.push(dir);
  return { kind: 'file', dir };
};
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));
const freePort = (): Promise<number> =>
  new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });

const pair = (rendezvous: Rendezvous, id: string, timeoutMs = 5000): Promise<Collective[]> =>
  Promise.all([0, 1].map((rank) => connectGloo({ rank, size: 2, rendezvous, id, timeoutMs, joinTimeoutMs: 5000 })));

// CI sets NOISY_REQUIRE_GLOO=1 so that a missing addon fails these tests instead of skipping them.
describe.skipIf(!built && process.env.NOISY_REQUIRE_GLOO !== '1')('gloo collective', () => {
  it('gloo - allReduceSum sums a float32 buffer in place on both ranks', async () => {
    const ranks = await pair(fresh(), 'sum');
    const data = ranks.map((c) => Float32Array.from({ length: 300_001 }, (_, i) => (c.rank + 1) * i * 1e-3));
    await Promise.all(ranks.map((c, r) => c.allReduceSum(data[r])));
    for (const d of data) {
      expect(d[0]).toBe(0);
      expect(d[1000]).toBeCloseTo(3, 5);
      expect(d[300_000]).toBeCloseTo(900, 2);
    }
    await Promise.all(ranks.map((c) => c.close()));
  });

  it('gloo - broadcast, allGather and barrier over the TCP rendezvous store hosted by rank 0', async () => {
    const rendezvous: Rendezvous = { kind: 'tcp', host: 'localhost', port: await freePort() };
    const ranks = await Promise.all([0, 1].map((rank) => connectGloo({ rank, size: 2, rendezvous, id: 'tcp' })));
    const buf = ranks.map((c) => new Float32Array(4).fill(c.rank === 0 ? 2.5 : -1));
    await Promise.all(ranks.map((c, r) => c.broadcast(buf[r], 0)));
    expect(Array.from(buf[1])).toEqual([2.5, 2.5, 2.5, 2.5]);
    const gathered = await Promise.all(ranks.map((c) => c.allGather(Float64Array.of(c.rank * 10 + 1, 7))));
    expect(Array.from(gathered[0])).toEqual([1, 7, 11, 7]);
    expect(Array.from(gathered[1])).toEqual([1, 7, 11, 7]);
    await Promise.all(ranks.map((c) => c.barrier()));
    expect(ranks[0].backend).toMatch(/^Gloo /);
    await Promise.all(ranks.map((c) => c.close()));
  });

  it('gloo - a rank that never joins is named in a retryable JOIN error', async () => {
    const started = Date.now();
    const err = await connectGloo({ rank: 0, size: 3, rendezvous: fresh(), id: 'join', joinTimeoutMs: 800 }).catch(
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(CollectiveError);
    expect((err as CollectiveError).failure).toBe('JOIN');
    expect((err as CollectiveError).missingRanks).toEqual([1, 2]);
    expect((err as CollectiveError).retryable).toBe(true);
    expect(Date.now() - started).toBeLessThan(5000);
  });

  it('gloo - without rank 0 (the TCP store host) the others name rank 0 as missing', async () => {
    const rendezvous: Rendezvous = { kind: 'tcp', host: '127.0.0.1', port: await freePort() };
    const err = await connectGloo({ rank: 1, size: 2, rendezvous, id: 'no-host', joinTimeoutMs: 500 }).catch(
      (e: unknown) => e,
    );
    expect((err as CollectiveError).failure).toBe('JOIN');
    expect((err as CollectiveError).missingRanks).toEqual([0]);
  });

  it('gloo - a rank that stops answering fails the other within the collective timeout', async () => {
    const ranks = await pair(fresh(), 'hang', 1000);
    const started = Date.now();
    const err = await ranks[0].allReduceSum(new Float32Array(16)).catch((e: unknown) => e); // rank 1 never calls
    expect((err as CollectiveError).failure).toBe('TIMEOUT');
    expect(Date.now() - started).toBeLessThan(4000);
    const again = await ranks[0].barrier().catch((e: unknown) => e);
    expect((again as CollectiveError).failure).toBe('BROKEN');
    await Promise.all(ranks.map((c) => c.close()));
  });

  it('gloo - a rank that goes away fails the pending collective at once', async () => {
    const ranks = await pair(fresh(), 'gone', 20_000);
    await ranks[1].close();
    const started = Date.now();
    const err = await ranks[0].allReduceSum(new Float32Array(16)).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CollectiveError);
    expect(['IO', 'TIMEOUT']).toContain((err as CollectiveError).failure);
    expect(Date.now() - started).toBeLessThan(20_000);
    await ranks[0].close();
  });
});

describe('single-rank collective', () => {
  it('single - every collective is the identity at size 1', async () => {
    const c = new SingleRank();
    const d = Float32Array.of(1, 2);
    await c.allReduceSum(d);
    await c.broadcast(d, 0);
    await c.barrier();
    expect(Array.from(d)).toEqual([1, 2]);
    expect(Array.from(await c.allGather(Float64Array.of(3)))).toEqual([3]);
    await expect(c.broadcast(d, 1)).rejects.toThrow(RangeError);
  });
});

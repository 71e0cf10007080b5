// Stream limits against a real nats-server: both streams get the configured replicas, age and size
// (updated in place when the configuration changes), and progress events beyond the size limit
// drop the oldest instead of piling up.
import { jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { afterAll, describe, expect, it } from 'vitest';
import type { Codec } from '@noisy/platform';
import { NatsEventBus } from '@noisy/platform/nats';
import { startNatsServer } from '@noisy/testing';

const json: Codec<unknown> = {
  type: 'json',
  encode: (v) => new TextEncoder().encode(JSON.stringify(v)),
  decode: (b) => JSON.parse(new TextDecoder().decode(b)) as unknown,
};
const cleanups: Array<() => Promise<void>> = [];
afterAll(async () => {
  for (const c of cleanups.reverse()) await c().catch(() => undefined);
});

describe('nats streams', () => {
  it('nats streams - limits are applied to both streams and bound the progress events kept', async () => {
    const nats = await startNatsServer();
    cleanups.push(() => nats.stop());
    const first = await NatsEventBus.connect({
      servers: nats.url,
      streams: { maxAgeMs: 3_600_000, maxBytes: 8 << 20 },
    });
    await first.close();
    const bus = await NatsEventBus.connect({ servers: nats.url, streams: { maxAgeMs: 7_200_000, maxBytes: 1 << 20 } });
    cleanups.push(() => bus.close());
    const nc = await connect({ servers: nats.url.replace('nats://', '') });
    cleanups.push(() => nc.close());
    const jsm = await jetstreamManager(nc);
    for (const name of ['NOISY_TASKS', 'NOISY_EVENTS']) {
      const { config } = await jsm.streams.info(name);
      expect(config.max_age, name).toBe(7_200_000 * 1e6); // nanoseconds
      expect(config.max_bytes, name).toBe(1 << 20);
      expect(config.num_replicas, name).toBe(1);
      expect(config.discard, name).toBe('old');
    }
    const payload = { runId: 'r', taskId: 't', note: 'x'.repeat(10_000) };
    for (let i = 0; i < 300; i++) await bus.publishEvent('noisy.events.progress', json, { ...payload, i }); // ~3 MB
    const { state } = await jsm.streams.info('NOISY_EVENTS');
    expect(state.bytes).toBeLessThanOrEqual(1 << 20);
    expect(state.messages).toBeLessThan(300);
    expect(state.last_seq).toBe(300);
  }, 60_000);
});

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NoisyError } from '@noisy/core';
import { eventBusContract, startNatsServer, type RunningServer } from '@noisy/testing';
import { NatsEventBus } from '../../libs/platform/src/event-bus/nats.js';

let server: RunningServer;
beforeAll(async () => {
  server = await startNatsServer();
});
afterAll(async () => {
  await server?.stop();
});

eventBusContract('nats', () => NatsEventBus.connect({ servers: server.url, ackWaitMs: 5_000 }));

describe('nats security', () => {
  it('nats - a server with user/password refuses anonymous clients and accepts the right credentials', async () => {
    const secured = await startNatsServer({ user: 'noisy', password: 's3cret' });
    try {
      await expect(NatsEventBus.connect({ servers: secured.url })).rejects.toThrow(NoisyError);
      const err = await NatsEventBus.connect({ servers: secured.url, user: 'noisy', password: 'wrong' }).catch(
        (e: Error) => e,
      );
      expect(String(err)).not.toContain('wrong'); // credentials never appear in messages
      const bus = await NatsEventBus.connect({ servers: secured.url, user: 'noisy', password: 's3cret' });
      expect(await bus.publishTask('noisy.tasks.secure', { ok: true }, 'secure-1')).toEqual({ duplicate: false });
      await bus.close();
    } finally {
      await secured.stop();
    }
  });
});

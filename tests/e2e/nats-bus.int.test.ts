import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeTask, taskCodec } from '@noisy/contracts';
import { NoisyError } from '@noisy/core';
import { eventBusContract, startNatsServer, type RunningServer } from '@noisy/testing';
import { NatsEventBus } from '@noisy/platform/nats';

let server: RunningServer;
beforeAll(async () => {
  server = await startNatsServer();
});
afterAll(async () => {
  await server?.stop();
});

eventBusContract('nats', (onInvalid) => NatsEventBus.connect({ servers: server.url, ackWaitMs: 5_000, onInvalid }));

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
      const task = makeTask('secure', 'train', 0);
      expect(await bus.publishTask('noisy.tasks.secure', taskCodec, task, task.taskId)).toEqual({ duplicate: false });
      await bus.close();
    } finally {
      await secured.stop();
    }
  });
});

import { afterAll, beforeAll } from 'vitest';
import { eventBusContract, startNatsServer, type RunningServer } from '@noisy/testing';
import { NatsEventBus } from './nats.js';

let server: RunningServer;
beforeAll(async () => { server = await startNatsServer(); });
afterAll(async () => { await server?.stop(); });

eventBusContract('nats', () => NatsEventBus.connect({ servers: server.url, ackWaitMs: 5_000 }));

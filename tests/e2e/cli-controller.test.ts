// `noisy cancel` and `noisy status` (with NOISY_CONTROLLER) against the controller's
// real gRPC handlers and run manager, in this process, on in-memory ports. No workers are
// attached, so a started run stays running until it is cancelled.
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { controllerPb } from '@noisy/contracts/grpc';
import { MemoryEventBus, MemoryObjectStore } from '@noisy/platform';
import { RunManager } from '@noisy/pipeline';
import { controllerHandlers } from '../../services/controller/src/handlers.js';
import { main } from '../../tools/cli/src/main.js';
import { connectController, rpc } from '../../tools/cli/src/controller-client.js';
import { quietIo } from '../../tools/cli/src/test-io.js';

const yaml = `
name: cancel-me
data: { source: { kind: synthetic, classes: 3, size: 10, train: 60, test: 30 }, labeledPerClass: 5 }
students: [ {} ]
`;

function captured() {
  const io = { ...quietIo(), text: '', errText: '' };
  io.out = (s: string) => {
    io.text += s;
  };
  io.err = (s: string) => {
    io.errText += s;
  };
  return io;
}

describe('noisy cancel', () => {
  const server = new grpc.Server();
  let address = '';
  beforeAll(async () => {
    const runs = new RunManager({ store: new MemoryObjectStore(), bus: new MemoryEventBus() });
    server.addService(controllerPb.ControllerServiceService, controllerHandlers(runs));
    const port = await new Promise<number>((resolve, reject) =>
      server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (err, p) =>
        err ? reject(err) : resolve(p),
      ),
    );
    address = `127.0.0.1:${port}`;
  });
  afterAll(() => server.forceShutdown());

  it('noisy cancel - a running run on the controller ends cancelled; status shows it', async () => {
    const client = connectController(address);
    const { run } = await rpc.startRun(client, { experiment: yaml, runId: 'cancel-me-1' });
    client.close();
    expect(run!.state).toBe('running');
    const io = captured();
    expect(await main(['cancel', 'cancel-me-1', '--controller', address], io)).toBe(0);
    expect(io.text).toMatch(/^cancel-me-1: cancelled/);
    const status = captured();
    // Without a controller, status reads the local store, which does not have this cluster run.
    const local = captured();
    expect(
      await main(['status', 'cancel-me-1', '--json', '--store', await mkdtemp(join(tmpdir(), 'st-'))], local),
    ).toBe(2);
    expect(local.errText).toMatch(/no such run 'cancel-me-1'/);
    process.env.NOISY_CONTROLLER = address; // ...or comes from the environment, as for the services
    try {
      expect(await main(['status', 'cancel-me-1', '--json'], status)).toBe(0);
    } finally {
      delete process.env.NOISY_CONTROLLER;
    }
    expect(JSON.parse(status.text)).toMatchObject({ runId: 'cancel-me-1', state: 'cancelled' });
  });

  it('noisy cancel - an unknown run fails with a non-zero exit naming it', async () => {
    const io = captured();
    expect(await main(['cancel', 'no-such-run', '--controller', address], io)).not.toBe(0);
    expect(io.errText).toMatch(/no run 'no-such-run'/);
  });
});

// The rendezvous key-value server that rank 0 hosts for ranks without a shared filesystem (a
// Kubernetes gang reaches it through the headless Service's DNS name of rank 0). It implements
// only what gloo::rendezvous::Store needs (set, get, check; the client polls `check` to wait),
// carries a few hundred bytes of addresses per rank, and none of the collective traffic.
// Wire format (tcp_store.cc): op 'S'|'G'|'C', u32 key length, key, ['S': u32 value length, value];
// reply: status byte (1 ok/found, 0 absent) [+ u32 length + value for a found 'G'].
import { createServer, type Server, type Socket } from 'node:net';

export interface RendezvousServer {
  readonly port: number;
  close(): Promise<void>;
}

function serve(socket: Socket, kv: Map<string, Buffer>): void {
  let buf = Buffer.alloc(0);
  socket.setNoDelay(true);
  socket.on('error', () => socket.destroy()); // a rank that dies mid-rendezvous is not our failure
  socket.on('data', (chunk) => {
    buf = Buffer.concat([buf, chunk]);
    for (;;) {
      if (buf.length < 5) return;
      const op = String.fromCharCode(buf[0]);
      const keyLen = buf.readUInt32BE(1);
      let end = 5 + keyLen;
      if (buf.length < end) return;
      const key = buf.subarray(5, end).toString('utf8');
      if (op === 'S') {
        if (buf.length < end + 4) return;
        const valLen = buf.readUInt32BE(end);
        if (buf.length < end + 4 + valLen) return;
        kv.set(key, Buffer.from(buf.subarray(end + 4, end + 4 + valLen)));
        end += 4 + valLen;
        socket.write(Buffer.from([1]));
      } else if (op === 'G' || op === 'C') {
        const value = kv.get(key);
        if (!value) socket.write(Buffer.from([0]));
        else if (op === 'C') socket.write(Buffer.from([1]));
        else {
          const head = Buffer.alloc(5);
          head[0] = 1;
          head.writeUInt32BE(value.length, 1);
          socket.write(Buffer.concat([head, value]));
        }
      } else {
        socket.destroy();
        return;
      }
      buf = buf.subarray(end);
    }
  });
}

/** Listens on `port` (0: any free port) on every interface; resolves once listening. */
export async function startRendezvousServer(port: number, host = '0.0.0.0'): Promise<RendezvousServer> {
  const kv = new Map<string, Buffer>();
  const sockets = new Set<Socket>();
  const server: Server = createServer((s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
    serve(s, kv);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  const address = server.address();
  return {
    port: typeof address === 'object' && address ? address.port : port,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

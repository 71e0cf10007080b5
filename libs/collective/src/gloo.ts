// The Gloo adapter of the Collective port, over the optional addon (build.mjs, addon.cc).
// Rendezvous goes through what already exists: a directory all local ranks share (Gloo's
// FileStore), or for ranks on different hosts a TCP key-value store hosted by rank 0
// (tcp-store-server.ts) at an address all ranks know (rank 0's Service DNS name on Kubernetes).
// Collectives run one at a time per communicator on libuv's thread pool; each has Gloo's timeout.
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { CollectiveError, CollectiveUnavailableError, type CollectiveFailure } from './errors.js';
import type { Collective } from './port.js';
import { startRendezvousServer, type RendezvousServer } from './tcp-store-server.js';

type Handle = object;
interface GlooAddon {
  connect(o: {
    rank: number;
    size: number;
    store: 'file' | 'tcp';
    path?: string;
    host?: string;
    port?: number;
    hostname: string;
    prefix: string;
    timeoutMs: number;
    joinTimeoutMs: number;
  }): Promise<Handle>;
  allreduce(h: Handle, data: Float32Array): Promise<void>;
  broadcast(h: Handle, data: Float32Array, root: number): Promise<void>;
  barrier(h: Handle): Promise<void>;
  allgather(h: Handle, input: ArrayBufferView, output: ArrayBufferView): Promise<void>;
  close(h: Handle): void;
  version(): string;
}

export type LoadGlooResult = { addon: GlooAddon; error: null } | { addon: null; error: string };
let loaded: LoadGlooResult | null = null;

/** The addon, or why it is unavailable (not built: no libgloo-dev or compiler at install time). */
export function loadGloo(): LoadGlooResult {
  if (loaded) return loaded;
  const path = fileURLToPath(new URL('../build/gloo.node', import.meta.url));
  try {
    loaded = { addon: createRequire(import.meta.url)(path) as GlooAddon, error: null };
  } catch (err) {
    const why =
      (err as NodeJS.ErrnoException).code === 'MODULE_NOT_FOUND'
        ? 'not built (see libs/collective/build.mjs)'
        : (err as Error).message;
    loaded = { addon: null, error: why };
  }
  return loaded;
}

export type Rendezvous =
  /** Local ranks: an empty directory every rank can write, fresh per attempt. */
  | { kind: 'file'; dir: string }
  /** Ranks on several hosts: rank 0 listens on `port`; the others reach it at host:port. */
  | { kind: 'tcp'; host: string; port: number };

export interface GlooOptions {
  rank: number;
  size: number;
  rendezvous: Rendezvous;
  /** Unique per attempt of the step (e.g. `<run>/gen-1/train/attempt-3`): keys of a failed attempt are never read. */
  id: string;
  /** The address peers reach this rank at (its pod IP on Kubernetes). @default '127.0.0.1' */
  hostname?: string;
  /** Bound on every collective: a peer silent for this long fails it. @default 60000 */
  timeoutMs?: number;
  /** How long to wait for every rank to join before naming the missing ones. @default 120000 */
  joinTimeoutMs?: number;
}

const FAILURES = new Set<CollectiveFailure>(['JOIN', 'TIMEOUT', 'IO', 'BROKEN', 'GLOO']);

class GlooCollective implements Collective {
  private chain: Promise<unknown> = Promise.resolve();
  private closed = false;

  constructor(
    private readonly addon: GlooAddon,
    private readonly handle: Handle,
    readonly rank: number,
    readonly size: number,
    private readonly server: RendezvousServer | null,
  ) {}

  get backend(): string {
    return this.addon.version();
  }

  /** Runs collectives strictly one after another: Gloo matches them across ranks by order. */
  private run<T>(operation: string, f: () => Promise<T>): Promise<T> {
    const next = this.chain.then(async () => {
      if (this.closed) throw new CollectiveError('BROKEN', this.rank, operation, 'the communicator is closed');
      try {
        return await f();
      } catch (err) {
        throw toCollectiveError(err, this.rank, operation);
      }
    });
    this.chain = next.catch(() => undefined);
    return next;
  }

  allReduceSum(data: Float32Array): Promise<void> {
    return this.run('allreduce', () => this.addon.allreduce(this.handle, data));
  }
  broadcast(data: Float32Array, root: number): Promise<void> {
    return this.run('broadcast', () => this.addon.broadcast(this.handle, data, root));
  }
  barrier(): Promise<void> {
    return this.run('barrier', () => this.addon.barrier(this.handle));
  }
  allGather(value: Float64Array): Promise<Float64Array> {
    const out = new Float64Array(value.length * this.size);
    return this.run('allgather', () => this.addon.allgather(this.handle, value, out)).then(() => out);
  }
  async close(): Promise<void> {
    if (this.closed) return;
    await this.chain;
    this.closed = true;
    this.addon.close(this.handle);
    await this.server?.close();
  }
}

function toCollectiveError(err: unknown, rank: number, operation: string): CollectiveError {
  if (err instanceof CollectiveError) return err;
  const e = err as Error & { code?: string };
  const failure = FAILURES.has(e.code as CollectiveFailure) ? (e.code as CollectiveFailure) : 'GLOO';
  const missing =
    failure === 'JOIN'
      ? Array.from(/ranks? ([\d, ]+) of/.exec(e.message)?.[1].split(',') ?? [], (s) => Number(s.trim()))
      : [];
  return new CollectiveError(failure, rank, operation, e.message, missing, { cause: err });
}

/** Joins the rendezvous and connects every pair of ranks; fails with CollectiveError('JOIN') naming absent ranks. */
export async function connectGloo(o: GlooOptions): Promise<Collective> {
  if (!Number.isInteger(o.size) || o.size < 1 || !Number.isInteger(o.rank) || o.rank < 0 || o.rank >= o.size)
    throw new RangeError(`rank ${o.rank} of size ${o.size} is not a valid rank`);
  const { addon, error } = loadGloo();
  if (!addon) throw new CollectiveUnavailableError(error);
  const r = o.rendezvous;
  // Rank 0 hosts the TCP store in this process; its own connect() runs on a worker thread, so the
  // server keeps answering the other ranks meanwhile.
  const server = r.kind === 'tcp' && o.rank === 0 ? await startRendezvousServer(r.port) : null;
  try {
    const handle = await addon.connect({
      rank: o.rank,
      size: o.size,
      ...(r.kind === 'file'
        ? { store: 'file', path: r.dir }
        : { store: 'tcp', host: o.rank === 0 ? '127.0.0.1' : r.host, port: server?.port ?? r.port }),
      hostname: o.hostname ?? '127.0.0.1',
      prefix: o.id,
      timeoutMs: o.timeoutMs ?? 60_000,
      joinTimeoutMs: o.joinTimeoutMs ?? 120_000,
    });
    return new GlooCollective(addon, handle, o.rank, o.size, server);
  } catch (err) {
    await server?.close();
    throw toCollectiveError(err, o.rank, 'rendezvous');
  }
}

// In-process event bus: the embedded default and unit tests. Same semantics as the JetStream
// adapter: dedup by msgId, explicit ack, nak(delay), term, max deliveries; messages travel as
// the codec's bytes, so a malformed one is refused here exactly as over NATS.
import {
  logInvalidMessage,
  type Codec,
  type ConsumeOptions,
  type Delivery,
  type EventBus,
  type InvalidMessageHandler,
  type Subscription,
} from './port.js';

interface Pending {
  subject: string;
  data: Uint8Array;
  deliveries: number;
  headers: Record<string, string>;
}

export class MemoryEventBus implements EventBus {
  readonly url = 'memory://';
  private readonly queues = new Map<string, Pending[]>();
  private readonly seen = new Set<string>();
  private readonly wakers = new Map<string, Set<() => void>>();
  private readonly listeners = new Set<{ prefix: string; handler: (s: string, d: Uint8Array) => void }>();
  private readonly exhausted = new Set<(d: Uint8Array) => void>();
  private closed = false;

  constructor(private readonly o: { onInvalid?: InvalidMessageHandler } = {}) {}

  async publishTask<T>(
    subject: string,
    codec: Codec<T>,
    data: T,
    msgId: string,
    headers: Record<string, string> = {},
  ): Promise<{ duplicate: boolean }> {
    const bytes = codec.encode(data);
    if (this.seen.has(msgId)) return { duplicate: true };
    this.seen.add(msgId);
    this.enqueue({ subject, data: bytes, deliveries: 0, headers: { ...headers } });
    return { duplicate: false };
  }

  private enqueue(p: Pending): void {
    const q = this.queues.get(p.subject) ?? [];
    q.push(p);
    this.queues.set(p.subject, q);
    for (const wake of this.wakers.get(p.subject) ?? []) wake();
  }

  consumeTasks<T>(
    subject: string,
    _durable: string,
    codec: Codec<T>,
    handler: (d: Delivery<T>) => Promise<void>,
    options: ConsumeOptions = {},
  ): Subscription {
    const maxDeliver = options.maxDeliver ?? 5;
    const concurrency = options.concurrency ?? 1;
    let stopped = false;
    let wake: (() => void) | null = null;
    const wakers = this.wakers.get(subject) ?? new Set();
    this.wakers.set(subject, wakers);
    const signal = () => wake?.();
    wakers.add(signal);
    const loops: Promise<void>[] = [];
    const loop = async (): Promise<void> => {
      while (!stopped && !this.closed) {
        const p = this.queues.get(subject)?.shift();
        if (!p) {
          await new Promise<void>((r) => {
            wake = r;
            setTimeout(r, 200);
          });
          continue;
        }
        p.deliveries++;
        let data: T;
        try {
          data = codec.decode(p.data);
        } catch (err) {
          (this.o.onInvalid ?? logInvalidMessage)(subject, err);
          continue; // terminated: a malformed message is never redelivered
        }
        let settled = false;
        const settle = (fn: () => void) => {
          if (!settled) {
            settled = true;
            fn();
          }
        };
        const delivery: Delivery<T> = {
          subject,
          data,
          deliveryCount: p.deliveries,
          headers: p.headers,
          ack: () => settle(() => undefined),
          nak: (delayMs = 0) =>
            settle(() => {
              if (p.deliveries >= maxDeliver) {
                for (const h of this.exhausted) h(p.data);
                return;
              }
              setTimeout(() => this.enqueue(p), delayMs);
            }),
          term: () => settle(() => undefined),
          working: () => undefined,
        };
        try {
          await handler(delivery);
        } catch {
          delivery.nak(1000);
        }
        // A handler that returns without settling leaves the message to be redelivered.
        delivery.nak(0);
      }
    };
    for (let i = 0; i < concurrency; i++) loops.push(loop());
    return {
      stop: async () => {
        stopped = true;
        wakers.delete(signal);
        signal();
        await Promise.all(loops);
      },
    };
  }

  watchExhausted<T>(codec: Codec<T>, handler: (data: T) => void): Subscription {
    const h = (bytes: Uint8Array) => {
      try {
        handler(codec.decode(bytes));
      } catch (err) {
        (this.o.onInvalid ?? logInvalidMessage)('exhausted', err);
      }
    };
    this.exhausted.add(h);
    return {
      stop: async () => {
        this.exhausted.delete(h);
      },
    };
  }

  /** In-process: always connected. */
  onConnection(handler: (connected: boolean) => void): Subscription {
    handler(true);
    return { stop: async () => undefined };
  }

  async publishEvent<T>(subject: string, codec: Codec<T>, data: T): Promise<void> {
    const bytes = codec.encode(data);
    for (const l of this.listeners) if (subject.startsWith(l.prefix)) l.handler(subject, bytes);
  }

  subscribeEvents<T>(prefix: string, codec: Codec<T>, handler: (subject: string, data: T) => void): Subscription {
    const l = {
      prefix,
      handler: (s: string, bytes: Uint8Array) => {
        let data: T;
        try {
          data = codec.decode(bytes);
        } catch (err) {
          (this.o.onInvalid ?? logInvalidMessage)(s, err);
          return;
        }
        handler(s, data);
      },
    };
    this.listeners.add(l);
    return {
      stop: async () => {
        this.listeners.delete(l);
      },
    };
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const set of this.wakers.values()) for (const w of set) w();
  }
}

// NATS JetStream adapter of the event-bus port (@nats-io/transport-node + @nats-io/jetstream v3).
// Tasks: a work-queue stream with one durable pull consumer per step, explicit ack, nak(delay),
// term, max_deliver, working() heartbeats, and Nats-Msg-Id dedup from deterministic task ids.
// Events: a limits stream; subscribers receive new events through core subscriptions.
import { connect } from '@nats-io/transport-node';
import {
  AckPolicy,
  DiscardPolicy,
  RetentionPolicy,
  jetstream,
  jetstreamManager,
  type JetStreamClient,
  type JetStreamManager,
} from '@nats-io/jetstream';
import { headers as natsHeaders, nanos, type NatsConnection } from '@nats-io/nats-core';
import { NoisyError } from '@noisy/core';
import {
  logInvalidMessage,
  type Codec,
  type ConsumeOptions,
  type Delivery,
  type EventBus,
  type InvalidMessageHandler,
  type Subscription,
} from './port.js';

export interface NatsBusOptions {
  /** e.g. nats://127.0.0.1:4222 */
  servers: string;
  /** Stream names (no dots). @default NOISY_TASKS / NOISY_EVENTS */
  taskStream?: string;
  eventStream?: string;
  /** Subjects the streams capture. @default noisy.tasks.> / noisy.events.> */
  taskSubjects?: string;
  eventSubjects?: string;
  /** How long a publish with the same message id is a duplicate. @default 2 minutes */
  duplicateWindowMs?: number;
  /** How long a delivered task may go without ack or working() before redelivery. @default 60 s */
  ackWaitMs?: number;
  /** User/password authentication. */
  user?: string;
  password?: string;
  /** PEM file of the CA that signed the server's certificate: connect with TLS. */
  tlsCaFile?: string;
  /** Subject prefix of this client's reply inboxes (e.g. `_INBOX_noisy-trainer`), so that a server can let each user read only its own replies. @default _INBOX */
  inboxPrefix?: string;
  /** Stream limits (both streams): replicas (1 or 3 on a cluster), age and size; the oldest messages go first. */
  streams?: StreamLimits;
  /** Told of each message that fails to decode (it is terminated or dropped). @default a JSON line on stderr */
  onInvalid?: InvalidMessageHandler;
}

export interface StreamLimits {
  /** @default 1 */
  replicas?: number;
  /** @default 7 days */
  maxAgeMs?: number;
  /** Per stream. @default 1 GiB */
  maxBytes?: number;
}

export class NatsEventBus implements EventBus {
  private constructor(
    readonly url: string,
    private readonly nc: NatsConnection,
    private readonly js: JetStreamClient,
    private readonly jsm: JetStreamManager,
    private readonly o: Required<NatsBusOptions>,
  ) {}

  static async connect(options: NatsBusOptions): Promise<NatsEventBus> {
    const o = {
      taskStream: 'NOISY_TASKS',
      eventStream: 'NOISY_EVENTS',
      taskSubjects: 'noisy.tasks.>',
      eventSubjects: 'noisy.events.>',
      duplicateWindowMs: 120_000,
      ackWaitMs: 60_000,
      ...options,
      onInvalid: options.onInvalid ?? logInvalidMessage,
    } as Required<NatsBusOptions>;
    let nc: NatsConnection;
    try {
      nc = await connect({
        servers: o.servers.replace(/^nats:\/\//, ''),
        user: o.user,
        pass: o.password,
        tls: o.tlsCaFile ? { caFile: o.tlsCaFile } : undefined,
        inboxPrefix: o.inboxPrefix,
        // Ride out any outage: reconnect forever (health reports NOT_SERVING meanwhile, see onConnection).
        maxReconnectAttempts: -1,
        reconnectTimeWait: 2000,
      });
    } catch (cause) {
      // The URL is logged without credentials.
      throw new NoisyError(
        `cannot connect to NATS at ${o.servers.replace(/\/\/[^@/]*@/, '//')}: ${(cause as Error).message}`,
        { cause, retryable: true },
      );
    }
    const jsm = await jetstreamManager(nc);
    const ensure = async (name: string, subjects: string, retention: RetentionPolicy) => {
      const limits = { replicas: 1, maxAgeMs: 7 * 24 * 3600_000, maxBytes: 1 << 30, ...o.streams };
      // Bounded: progress events, and tasks nobody consumes, age out instead of piling up.
      const config = {
        name,
        subjects: [subjects],
        retention,
        duplicate_window: nanos(o.duplicateWindowMs),
        num_replicas: limits.replicas,
        max_age: nanos(limits.maxAgeMs),
        max_bytes: limits.maxBytes,
        discard: DiscardPolicy.Old,
      };
      try {
        await jsm.streams.info(name);
        await jsm.streams.update(name, config);
      } catch {
        await jsm.streams.add(config);
      }
    };
    await ensure(o.taskStream, o.taskSubjects, RetentionPolicy.Workqueue);
    await ensure(o.eventStream, o.eventSubjects, RetentionPolicy.Limits);
    return new NatsEventBus(o.servers.replace(/\/\/[^@/]*@/, '//'), nc, jetstream(nc), jsm, o);
  }

  /** Retry a JetStream call while the server is unreachable (e.g. restarting), up to ~60 s. */
  private async retrying<R>(what: string, fn: () => Promise<R>): Promise<R> {
    for (let attempt = 0; ; attempt++) {
      try {
        return await fn();
      } catch (err) {
        if (this.closed || attempt >= 12)
          throw new NoisyError(`${what}: ${(err as Error).message}`, { cause: err, retryable: true });
        await new Promise((r) => setTimeout(r, Math.min(8000, 250 * 2 ** attempt)));
      }
    }
  }

  async publishTask<T>(
    subject: string,
    codec: Codec<T>,
    data: T,
    msgId: string,
    headers: Record<string, string> = {},
  ): Promise<{ duplicate: boolean }> {
    const bytes = codec.encode(data);
    const h = natsHeaders();
    for (const [k, v] of Object.entries(headers)) h.set(k, v);
    // Retrying with the same msgID is safe: JetStream drops the duplicate.
    const ack = await this.retrying(`publish ${subject}`, () =>
      this.js.publish(subject, bytes, { msgID: msgId, headers: h }),
    );
    return { duplicate: ack.duplicate };
  }

  /** Tasks waiting for a consumer (`pending`, what KEDA scales on) and delivered but not yet acked. */
  async consumerLag(durable: string): Promise<{ pending: number; ackPending: number } | null> {
    const info = await this.jsm.consumers.info(this.o.taskStream, durable).catch(() => null);
    return info ? { pending: info.num_pending, ackPending: info.num_ack_pending } : null;
  }

  consumeTasks<T>(
    subject: string,
    durable: string,
    codec: Codec<T>,
    handler: (d: Delivery<T>) => Promise<void>,
    options: ConsumeOptions = {},
  ): Subscription {
    let stopped = false;
    let messages: { stop(): void } | null = null;
    const once = async () => {
      await this.jsm.consumers
        .add(this.o.taskStream, {
          durable_name: durable,
          ack_policy: AckPolicy.Explicit,
          filter_subject: subject,
          max_deliver: options.maxDeliver ?? 5,
          ack_wait: nanos(this.o.ackWaitMs),
        })
        .catch(async () =>
          this.jsm.consumers.update(this.o.taskStream, durable, {
            max_deliver: options.maxDeliver ?? 5,
            ack_wait: nanos(this.o.ackWaitMs),
          }),
        );
      const consumer = await this.js.consumers.get(this.o.taskStream, durable);
      const iter = await consumer.consume({ max_messages: options.concurrency ?? 1 });
      messages = iter;
      for await (const m of iter) {
        if (stopped) {
          m.nak();
          break;
        }
        let data: T;
        try {
          data = codec.decode(m.data);
        } catch (err) {
          // Decoding sits inside the loop's error handling: a malformed or forged message is
          // terminated (never redelivered) and the consumer goes on with the next one.
          m.term(`invalid ${codec.type}`);
          this.o.onInvalid(m.subject, err);
          continue;
        }
        let settled = false;
        const once = (fn: () => void) => {
          if (!settled) {
            settled = true;
            fn();
          }
        };
        const delivery: Delivery<T> = {
          subject: m.subject,
          data,
          deliveryCount: m.info.deliveryCount,
          headers: Object.fromEntries(
            (m.headers?.keys() ?? []).filter((k) => !k.startsWith('Nats-')).map((k) => [k, m.headers!.get(k)]),
          ),
          ack: () => once(() => m.ack()),
          nak: (delayMs) => once(() => m.nak(delayMs)),
          term: (reason) => once(() => m.term(reason)),
          working: () => {
            if (!settled) m.working();
          },
        };
        try {
          await handler(delivery);
        } catch {
          delivery.nak(1000);
        }
        delivery.nak(0);
      }
    };
    // The pull loop survives server restarts and lost consumers: it starts again until stopped.
    const loop = (async () => {
      for (let failures = 0; !stopped && !this.closed;) {
        try {
          await once();
          failures = 0;
        } catch {
          failures++;
        }
        if (!stopped && !this.closed)
          await new Promise((r) => setTimeout(r, Math.min(5000, 200 * 2 ** Math.min(failures, 5))));
      }
    })();
    return {
      stop: async () => {
        stopped = true;
        messages?.stop();
        await loop.catch(() => undefined);
      },
    };
  }

  watchExhausted<T>(codec: Codec<T>, handler: (data: T) => void): Subscription {
    // JetStream tells of a message that reached max_deliver in an advisory naming its stream
    // sequence; the message itself stays in the work-queue stream, so it can be read back.
    const sub = this.nc.subscribe(`$JS.EVENT.ADVISORY.CONSUMER.MAX_DELIVERIES.${this.o.taskStream}.*`, {
      callback: (err, msg) => {
        if (err) return;
        void (async () => {
          const advisory = msg.json<{ stream_seq?: number }>();
          if (typeof advisory.stream_seq !== 'number') return;
          const stored = await this.jsm.streams.getMessage(this.o.taskStream, { seq: advisory.stream_seq });
          if (!stored) return;
          let data: T;
          try {
            data = codec.decode(stored.data);
          } catch (invalid) {
            this.o.onInvalid(stored.subject, invalid);
            return;
          }
          handler(data);
        })().catch(() => undefined); // a lost advisory leaves the task to the controller's deadline
      },
    });
    return {
      stop: async () => {
        sub.unsubscribe();
      },
    };
  }

  onConnection(handler: (connected: boolean) => void): Subscription {
    let stopped = false;
    handler(!this.nc.isClosed());
    void (async () => {
      for await (const s of this.nc.status()) {
        if (stopped) break;
        if (s.type === 'disconnect' || s.type === 'close') handler(false);
        else if (s.type === 'reconnect') handler(true);
      }
    })();
    return {
      stop: async () => {
        stopped = true;
      },
    };
  }

  async publishEvent<T>(subject: string, codec: Codec<T>, data: T): Promise<void> {
    const bytes = codec.encode(data);
    // Events under the events stream's subjects are kept (for late watchers); others are fire-and-forget.
    if (subject.startsWith(this.o.eventSubjects.replace(/>$/, '')))
      await this.retrying(`publish ${subject}`, () => this.js.publish(subject, bytes));
    else this.nc.publish(subject, bytes);
  }

  subscribeEvents<T>(prefix: string, codec: Codec<T>, handler: (subject: string, data: T) => void): Subscription {
    const sub = this.nc.subscribe(prefix.endsWith('.') ? `${prefix}>` : prefix, {
      callback: (err, msg) => {
        if (err) return;
        let data: T;
        try {
          data = codec.decode(msg.data);
        } catch (invalid) {
          this.o.onInvalid(msg.subject, invalid);
          return;
        }
        handler(msg.subject, data);
      },
    });
    return {
      stop: async () => {
        sub.unsubscribe();
      },
    };
  }

  private closed = false;

  async close(): Promise<void> {
    this.closed = true;
    await this.nc.drain();
  }
}

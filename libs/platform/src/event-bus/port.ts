// The event-bus port: a work queue of tasks (one durable consumer per stage, explicit ack,
// nak with delay, term, bounded redeliveries, dedup by message id) and a stream of events
// (lifecycle and progress). Messages are claim checks (ids, keys, counts), never tensors.
// Every message goes through a codec: the bus carries bytes, and a message that does not decode
// (malformed or forged) never reaches a handler: a task is terminated, an event dropped, and the
// adapter's `onInvalid` is told.

/** Encodes a message type to bytes and decodes (and validates) it back; @noisy/contracts has one per payload. */
export interface Codec<T> {
  /** Message type name, for logs. */
  readonly type: string;
  encode(value: T): Uint8Array;
  /** Throws on bytes that are not a valid message. */
  decode(bytes: Uint8Array): T;
}

/** Told of each message that failed to decode; adapters default to a JSON line on stderr. */
export type InvalidMessageHandler = (subject: string, error: unknown) => void;

export const logInvalidMessage: InvalidMessageHandler = (subject, error) =>
  process.stderr.write(
    `${JSON.stringify({
      time: new Date().toISOString(),
      level: 'warn',
      msg: 'invalid message dropped',
      subject,
      error: error instanceof Error ? error.message : String(error),
    })}\n`,
  );

export interface Delivery<T = unknown> {
  readonly subject: string;
  readonly data: T;
  /** 1 on the first delivery. */
  readonly deliveryCount: number;
  /** Message headers (trace context rides here). */
  readonly headers: Record<string, string>;
  ack(): void;
  /** Give the message back for redelivery after `delayMs`. */
  nak(delayMs?: number): void;
  /** Give up on the message for good. */
  term(reason: string): void;
  /** Tell the bus the task is still being worked on (extends the ack deadline). */
  working(): void;
}

export interface ConsumeOptions {
  /** Deliveries after which a message is terminated. @default 5 */
  maxDeliver?: number;
  /** Messages handled at once by this consumer. @default 1 */
  concurrency?: number;
}

export interface Subscription {
  stop(): Promise<void>;
}

export interface EventBus {
  readonly url: string;
  /** Queue a task; a second publish with the same `msgId` is a no-op (`duplicate: true`). */
  publishTask<T>(
    subject: string,
    codec: Codec<T>,
    data: T,
    msgId: string,
    headers?: Record<string, string>,
  ): Promise<{ duplicate: boolean }>;
  /** Pull tasks of `subject` through the durable consumer `durable`; ones `codec` refuses are terminated. */
  consumeTasks<T>(
    subject: string,
    durable: string,
    codec: Codec<T>,
    handler: (d: Delivery<T>) => Promise<void>,
    options?: ConsumeOptions,
  ): Subscription;
  /**
   * Tasks the bus gave up on: delivered `maxDeliver` times without ack or term (a worker killed on
   * every delivery never reports). JetStream's max-deliveries advisories; the memory bus tells
   * directly. `handler` gets the task as `codec` decodes it.
   */
  watchExhausted<T>(codec: Codec<T>, handler: (data: T) => void): Subscription;
  /** Called with false when the connection to the bus is lost and true when it is back. */
  onConnection(handler: (connected: boolean) => void): Subscription;
  /** Publish an event (lifecycle, progress). */
  publishEvent<T>(subject: string, codec: Codec<T>, data: T): Promise<void>;
  /** Receive events whose subject starts with `prefix` from now on; ones `codec` refuses are dropped. */
  subscribeEvents<T>(prefix: string, codec: Codec<T>, handler: (subject: string, data: T) => void): Subscription;
  close(): Promise<void>;
}

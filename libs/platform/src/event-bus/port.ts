// The event-bus port: a work queue of tasks (one durable consumer per stage, explicit ack,
// nak with delay, term, bounded redeliveries, dedup by message id) and a stream of events
// (lifecycle and progress). Messages are claim checks (ids, keys, counts), never tensors.

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
  publishTask(
    subject: string,
    data: unknown,
    msgId: string,
    headers?: Record<string, string>,
  ): Promise<{ duplicate: boolean }>;
  /** Pull tasks of `subject` through the durable consumer `durable`. */
  consumeTasks<T>(
    subject: string,
    durable: string,
    handler: (d: Delivery<T>) => Promise<void>,
    options?: ConsumeOptions,
  ): Subscription;
  /** Publish an event (lifecycle, progress). */
  publishEvent(subject: string, data: unknown): Promise<void>;
  /** Receive events whose subject starts with `prefix` from now on. */
  subscribeEvents<T>(prefix: string, handler: (subject: string, data: T) => void): Subscription;
  close(): Promise<void>;
}

// @noisy/platform/nats: the NATS JetStream adapter of the event-bus port (loads @nats-io).
export { NatsEventBus, type NatsBusOptions } from './event-bus/nats.js';

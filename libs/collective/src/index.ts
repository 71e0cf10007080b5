// @noisy/collective: the Collective port (port.ts, pure), its single-rank adapter, and the Gloo
// adapter with its rendezvous server.
export * from './port.js';
export * from './single.js';
export * from './errors.js';
export * from './gloo.js';
export * from './tcp-store-server.js';
export * from './local-gang.js';

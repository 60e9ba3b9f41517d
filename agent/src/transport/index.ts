export { classifyBatchAnswer, type Verdict } from './answer.js';
export { Backoff, parseRetryAfter } from './backoff.js';
export { DELIVERY_LIMITS, Delivery, type DeliveryLimits, type Envelope, type SendOutcome, type Sender } from './delivery.js';
export { CollectorClient, TransportError, type HttpResponse, type TlsFiles } from './http.js';
export { OUTBOX_FILE, Outbox, type OutboxState, type PendingBatch } from './outbox.js';
export { QUARANTINE_KEEP, quarantine } from './quarantine.js';

export { startOtlpReceiver, assertLoopback, type OtlpReceiver, type OtlpReceiverOptions } from './server.js';
export { OTLP_LIMITS, KEPT_ATTRIBUTES, type OtlpLimits, type MetricPoint, type LogEntry } from './model.js';
export { decodeMetricsProto, decodeLogsProto } from './protobuf.js';
export { decodeMetricsJson, decodeLogsJson } from './json.js';
export { usageFromLog, usageFromMetrics } from './to-usage.js';
export { CumulativeToDelta } from './temporality.js';
export { peerUserResolver, loopbackPeerUid } from './peer.js';

export { STATUS_FILE, formatStatus, readStatus, statusReport, writeStatus, type AgentStatus, type DeliveryStatus, type StatusReport } from './status.js';

/**
 * The network sensor: server names (DNS, TLS SNI, QUIC SNI, Windows DNS cache) and flow bytes with
 * estimated tokens, attributed to local processes. Implementation in ../network/network-sensor.ts.
 */
export { networkObservations as network, type NetworkSensorOptions } from '../network/network-sensor.js';
export type { NetworkObservation } from '../network/flows.js';

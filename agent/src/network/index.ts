/** The network sensor's capture-file readers, decoders and parsers (see docs/network-sensor.md). */
export type { NetworkFinding, RawFrame, TransportPacket } from './packet.js';
export { ByteInput, CaptureFormatError, MAX_RECORD_BYTES, captureFromBytes, frames, openCapture, type CaptureReader } from './capture-file.js';
export { PcapReader } from './pcap-file.js';
export { PcapngReader } from './pcapng-file.js';
export { LINKTYPE, ipOffset, isSupportedLinkType } from './link.js';
export { DECODE_RESULTS, PacketView, decodeFrame, decodeInto, type DecodeResult } from './ip.js';
export { DEFAULT_REASSEMBLY_LIMITS, TcpReassembler, type ReassemblyLimits, type ReassemblyStats } from './tcp-reassembly.js';
export { DNS_TYPE, parseDns, readName, resolveAnswers, type DnsAnswer, type DnsMessage, type DnsQuestion, type ResolvedName } from './dns.js';
export { clientHelloFromStream, isClientHello, looksLikeClientHello, parseClientHello, type ClientHello, type HelloStatus } from './tls.js';
export { DNS_PORT, NetworkDecoder, type DecoderOptions, type DecoderStats } from './decode.js';
export { classifyFinding, findingJsonLine, toolOf, type ClassifiedFinding } from './findings.js';
export { runPcap, type PcapIo, type PcapOptions } from './pcap-command.js';
export { decoderHealth } from './health.js';

#!/usr/bin/env bash
# Re-records the QUIC Initial captures used by agent/test/network-quic.test.ts and regenerates their
# golden output with tshark (an independent decoder). Needs root (tcpdump on lo), chromium, tcpdump, tshark.
#   sudo agent/scripts/record-quic-captures.sh
# Chromium sends its client Initial packets whether or not a server answers, so no HTTP/3 server is needed:
# --origin-to-force-quic-on makes it speak QUIC first, --host-resolver-rules points the name at 127.0.0.1.
set -euo pipefail
out="$(cd "$(dirname "$0")/.." && pwd)/test/fixtures/network"
mkdir -p "$out"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

# A silent UDP listener on 443: without it the kernel answers ICMP port-unreachable and Chromium gives
# up after the first Initial, before sending the rest of its ClientHello.
node -e "require('node:dgram').createSocket('udp4').bind(443, '127.0.0.1')" &
sink=$!
trap 'kill $sink 2>/dev/null; rm -rf "$work"' EXIT

record() { # record <file> <host>
  local file="$1" host="$2"
  tcpdump -i lo -U -s 0 -w "$work/$file" "udp dst port 443" >/dev/null 2>&1 &
  local dump=$!
  sleep 1
  timeout 12 chromium --headless --no-sandbox --disable-gpu --no-first-run --disable-background-networking \
    --disable-component-update --disable-sync --user-data-dir="$work/profile-$file" \
    --enable-quic --origin-to-force-quic-on="$host:443" --host-resolver-rules="MAP $host 127.0.0.1" \
    "https://$host/" >/dev/null 2>&1 || true
  sleep 1
  kill "$dump"; wait "$dump" || true
  # Keep the first Initial datagrams only (retransmissions repeat them): small committed files.
  tcpdump -r "$work/$file" -w "$out/$file" -c 6 >/dev/null 2>&1
}

record quic-chromium-anthropic.pcap api.anthropic.com
record quic-chromium-openai.pcap chatgpt.com

# Golden output: one line per datagram, "frame<TAB>sni" from tshark's own QUIC decryption.
for f in quic-chromium-anthropic.pcap quic-chromium-openai.pcap; do
  tshark -r "$out/$f" -o tls.desegment_ssl_records:TRUE -T fields -e frame.number -e tls.handshake.extensions_server_name \
    > "$out/${f%.pcap}.tshark.tsv"
done
echo "wrote $out"

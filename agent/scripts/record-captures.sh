#!/usr/bin/env bash
# Re-records the network sensor's test captures (agent/test/captures/) from REAL clients talking
# to local servers in two network namespaces joined by a veth pair (10.99.0.0/24, fd99::/64,
# MTU 1280 so a post-quantum ClientHello spans TCP segments). Nothing leaves the machine.
# Needs root, iproute2, ethtool, tcpdump, tshark (editcap, mergecap), dig, curl, openssl, node, python3, chromium.
# Then regenerate the golden files:  node --import tsx agent/scripts/regen-network-golden.ts
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
OUT="$(cd "$HERE/../test/captures" && pwd)"
WORK="$(mktemp -d)"
C=aiscout-cap-cli
S=aiscout-cap-srv
PIDS=()

cleanup() {
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
  sleep 0.3
  ip netns del "$C" 2>/dev/null || true
  ip netns del "$S" 2>/dev/null || true
  rm -rf "$WORK"
}
trap cleanup EXIT
if [ -n "${DEBUG_CAPTURES:-}" ]; then set -x; fi

ip netns add "$C"
ip netns add "$S"
ip link add veth-cli netns "$C" type veth peer name veth-srv netns "$S"
for ns in "$C" "$S"; do ip -n "$ns" link set lo up; done
ip -n "$C" link set veth-cli mtu 1280 up
ip -n "$S" link set veth-srv mtu 1280 up
ip -n "$C" addr add 10.99.0.1/24 dev veth-cli
ip -n "$S" addr add 10.99.0.2/24 dev veth-srv
ip -n "$C" addr add fd99::1/64 dev veth-cli nodad
ip -n "$S" addr add fd99::2/64 dev veth-srv nodad
# No segmentation/receive offloads: the capture must show the segments as they are on the wire
# (with GSO/GRO a veth capture shows one 2 KB "segment" despite the 1280 MTU).
ip netns exec "$C" ethtool -K veth-cli tso off gso off gro off > /dev/null
ip netns exec "$S" ethtool -K veth-srv tso off gso off gro off > /dev/null
# Fixed MAC addresses keep the captures stable between recordings.
ip -n "$C" link set veth-cli address 02:99:00:00:00:01
ip -n "$S" link set veth-srv address 02:99:00:00:00:02
sleep 1

# Servers: DNS (UDP+TCP), a dual-stack HTTPS server (Node) with a self-signed certificate.
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 -subj /CN=aiscout-test \
  -keyout "$WORK/key.pem" -out "$WORK/cert.pem" 2>/dev/null
ip netns exec "$S" node "$HERE/record-captures-dns.mjs" 10.99.0.2 fd99::2 > "$WORK/dns.log" 2>&1 & PIDS+=($!)
ip netns exec "$S" node -e "
const fs = require('fs');
require('https').createServer({ key: fs.readFileSync('$WORK/key.pem'), cert: fs.readFileSync('$WORK/cert.pem') },
  (req, res) => res.end('ok')).listen(443, '::');" > /dev/null 2>&1 & PIDS+=($!)
wait_for() { # file text: wait until a background process has logged that it is ready
  for _ in $(seq 100); do grep -q "$2" "$1" 2>/dev/null && return 0; sleep 0.1; done
  echo "record-captures: timed out waiting for '$2' in $1" >&2; return 1
}
wait_for "$WORK/dns.log" 'dns ready'
for _ in $(seq 100); do ip netns exec "$S" ss -ltn | grep -q ':443 ' && break; sleep 0.1; done

capture() { # name interface-options...
  local name=$1; shift
  ip netns exec "$S" tcpdump -Z root --immediate-mode -U -s 0 -w "$WORK/$name" "$@" > "$WORK/$name.log" 2>&1 & PIDS+=($!)
  CAP_PID=$!
  wait_for "$WORK/$name.log" 'listening on'
  sleep 0.3
}
stop_capture() {
  sleep 0.5
  kill "$CAP_PID"; wait "$CAP_PID" 2>/dev/null || true
  if [ -n "${DEBUG_CAPTURES:-}" ]; then cat "$WORK"/*.log >&2; fi
}

# 1. DNS over UDP and TCP, IPv4 and IPv6: A, AAAA, a CNAME chain, an HTTPS record, NXDOMAIN.
capture dns.pcap -i veth-srv 'port 53'
cli() { ip netns exec "$C" "$@"; }
cli dig +tries=1 +time=2 @10.99.0.2 api.anthropic.com A > /dev/null
cli dig +tries=1 +time=2 @10.99.0.2 api.openai.com A > /dev/null
cli dig +tries=1 +time=2 @10.99.0.2 chatgpt.com HTTPS > /dev/null
cli dig +tries=1 +time=2 @10.99.0.2 github.com A > /dev/null
cli dig +tries=1 +time=2 @10.99.0.2 nothing.example.org A > /dev/null
cli dig +tries=1 +time=2 +tcp @10.99.0.2 api.anthropic.com AAAA > /dev/null
cli dig +tries=1 +time=2 +tcp +keepopen @10.99.0.2 claude.ai A api.openai.com A > /dev/null
cli dig +tries=1 +time=2 -6 @fd99::2 claude.ai A > /dev/null
cli dig +tries=1 +time=2 -6 +tcp @fd99::2 api.openai.com A > /dev/null
stop_capture

# 2. TLS clients: curl TLS 1.2 and 1.3 (IPv4, IPv6), openssl s_client (TLS 1.3, 1.0, 1.1), Node, Python.
capture tls.pcap -i veth-srv 'tcp port 443'
cli curl -sk --max-time 3 --tlsv1.2 --tls-max 1.2 --resolve api.anthropic.com:443:10.99.0.2 https://api.anthropic.com/ > /dev/null || true
cli curl -sk --max-time 3 --tlsv1.3 --resolve api.openai.com:443:10.99.0.2 https://api.openai.com/ > /dev/null || true
cli curl -sk --max-time 3 -6 --resolve 'claude.ai:443:[fd99::2]' https://claude.ai/ > /dev/null || true
echo Q | cli openssl s_client -connect 10.99.0.2:443 -servername chatgpt.com > /dev/null 2>&1 || true
# TLS 1.0 and 1.1 ClientHellos (record versions 0x0301/0x0302); the server refuses them, the hello is what counts.
echo Q | cli openssl s_client -tls1 -cipher 'DEFAULT:@SECLEVEL=0' -connect 10.99.0.2:443 -servername api.groq.com > /dev/null 2>&1 || true
echo Q | cli openssl s_client -tls1_1 -cipher 'DEFAULT:@SECLEVEL=0' -connect 10.99.0.2:443 -servername api.cohere.com > /dev/null 2>&1 || true
cli node -e "const s=require('tls').connect({host:'10.99.0.2',port:443,servername:'api.mistral.ai',rejectUnauthorized:false},()=>s.end());s.on('error',()=>{})"
cli python3 -c "
import socket, ssl
c = ssl.create_default_context(); c.check_hostname = False; c.verify_mode = ssl.CERT_NONE
with socket.create_connection(('10.99.0.2', 443), timeout=3) as s:
    with c.wrap_socket(s, server_hostname='github.com') as t: pass
"
stop_capture

# 3. Headless Chromium: a post-quantum (X25519MLKEM768) ClientHello that spans two segments at MTU 1280.
capture chromium.pcap -i veth-srv 'tcp port 443'
cli timeout 15 chromium --headless --no-sandbox --disable-gpu --no-first-run --disable-background-networking \
  --disable-component-update --disable-sync --user-data-dir="$WORK/chromium" \
  --host-resolver-rules="MAP * 10.99.0.2:443" --ignore-certificate-errors --dump-dom https://api.anthropic.com/ > /dev/null 2>&1 || true
stop_capture

# 4. Linux cooked captures: SLL2 (tcpdump -i any) and SLL (-y LINUX_SLL) of DNS and TLS.
capture sll2.pcap -i any 'port 53 or tcp port 443'
cli dig +tries=1 +time=2 @10.99.0.2 api.anthropic.com A > /dev/null
cli curl -sk --max-time 3 --resolve api.openai.com:443:10.99.0.2 https://api.openai.com/ > /dev/null || true
stop_capture
capture sll.pcap -i any -y LINUX_SLL 'port 53 or tcp port 443'
cli dig +tries=1 +time=2 @10.99.0.2 chatgpt.com A > /dev/null
cli curl -sk --max-time 3 --resolve claude.ai:443:10.99.0.2 https://claude.ai/ > /dev/null || true
stop_capture

# Files for the test suite: the recordings, and conversions for formats no tool records here.
cp "$WORK/dns.pcap" "$OUT/dns-udp-tcp.pcap"
cp "$WORK/tls.pcap" "$OUT/tls-clients.pcap"
cp "$WORK/chromium.pcap" "$OUT/tls-chromium-pq.pcap"
cp "$WORK/sll2.pcap" "$OUT/sll2-dns-tls.pcap"
cp "$WORK/sll.pcap" "$OUT/sll-dns-tls.pcap"
editcap -F nsecpcap "$WORK/dns.pcap" "$OUT/dns-udp-tcp.nanosecond.pcap"
# Big-endian pcap: byte-swapped by our converter (this machine's tcpdump writes little-endian).
node "$HERE/record-captures-convert.mjs" big-endian "$WORK/tls.pcap" "$OUT/tls-clients.big-endian.pcap"
# Raw IP (101) and BSD null (0) link types: Ethernet headers replaced by our converter.
node "$HERE/record-captures-convert.mjs" relink raw "$WORK/tls.pcap" "$OUT/tls-clients.raw-ip.pcap"
node "$HERE/record-captures-convert.mjs" relink null "$WORK/dns.pcap" "$OUT/dns-udp-tcp.null.pcap"
# pcapng with two interfaces of different link types (Ethernet and SLL2), nanosecond timestamps.
mergecap -F pcapng -w "$OUT/mixed-two-interfaces.pcapng" "$WORK/dns.pcap" "$WORK/sll2.pcap"
editcap -F pcapng "$WORK/chromium.pcap" "$OUT/tls-chromium-pq.pcapng"
ls -l "$OUT"

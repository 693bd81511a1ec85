#!/usr/bin/env bats
# The netflow plugin, proven by real collectors: generated capture files
# go through vnb-dataplane to nfcapd on loopback, and nfdump's records
# are compared flow by flow with vnb-gentraffic's summary, and in total
# with softflowd's on the same file.  tshark decodes the templates and
# the data, and the egress port's frames.

load helpers

bats_require_minimum_version 1.5.0

PY=/usr/bin/python3

setup_file() {
	# 20% of the flows on 802.1Q VLANs, a quarter IPv6.
	vnb-gentraffic -o "$BATS_FILE_TMPDIR/traffic.pcap" \
	    -S "$BATS_FILE_TMPDIR/traffic.flows" -n 3000 -f 60 -s 11 \
	    -q 20 -6 25
	# Bursts of datagrams on loopback need room at the collector.
	if [ "$(sysctl -n net.core.rmem_max)" -lt 8388608 ]; then
		sysctl -qw net.core.rmem_max=8388608
	fi
}

setup() {
	vnb_setup
	secmonctl init >/dev/null
	PLUGIN="$VNB_BUILDDIR/dataplane/plugins/netflow.so"
	TRAFFIC="$BATS_FILE_TMPDIR/traffic.pcap"
	FLOWS="$BATS_FILE_TMPDIR/traffic.flows"
	PIDS=()
}

teardown() {
	local p

	for p in "${PIDS[@]}"; do
		kill "$p" 2>/dev/null || true
		wait "$p" 2>/dev/null || true
	done
	if [ -n "${NS:-}" ]; then
		ip netns delete "$NS" 2>/dev/null || true
	fi
}

# A UDP port nothing listens on.
free_port() {
	"$PY" -c 'import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])'
}

# nfcapd writing to DIR, listening on PORT (at ADDRESS, by default
# 127.0.0.1), up before it returns.
collector_start() {
	local dir=$1 port=$2 addr=${3:-127.0.0.1} i

	mkdir -p "$dir"
	nfcapd -w "$dir" -b "$addr" -p "$port" -B 4194304 -t 60 \
	    >"$dir.log" 2>&1 &
	PIDS+=($!)
	for i in $(seq 50); do
		ss -Hulnp "sport = :$port" | grep -q nfcapd && return 0
		sleep 0.1
	done
	echo "nfcapd on port $port did not start" >&2
	return 1
}

# Stop every collector: SIGTERM makes nfcapd write what it holds.
collectors_stop() {
	local p

	for p in "${PIDS[@]}"; do
		kill "$p" 2>/dev/null || true
		wait "$p" 2>/dev/null || true
	done
	PIDS=()
}

# The scope: one source per sending MAC of the traffic, each with a
# netflow association (ingress, so that every packet belongs to one
# flow) to the collector or collector set named in $TARGET, everything
# matched.  $1 has the netflow-config's fields, and further objects (the
# collectors) are on stdin.
scope() {
	{
		cat <<-EOF
		kind: scope
		name: s
		netflow: enable
		---
		kind: classification
		scope: s
		name: all
		---
		kind: rule
		scope: s
		name: r
		classification: all
		priority: 10
		---
		kind: policy
		scope: s
		name: p
		rules: [r]
		---
		kind: netflow-config
		scope: s
		name: s
		$1
		EOF
		cat
		awk -F'\t' -v target="${TARGET:-collector: c}" '
		    !/^#/ && !seen[$8]++ {
			printf "---\nkind: source\nscope: s\nname: h%d\n", n
			printf "mac: \"%s\"\n", $8
			printf "---\nkind: netflow-association\nscope: s\n"
			printf "name: a%d\nsource: h%d\npolicy: p\n", n, n
			printf "%s\ndirection: ingress\n", target
			n++
		    }' "$FLOWS"
	} >scope.yaml
	secmonctl apply -f scope.yaml >/dev/null
	vnb-flush -o doc.yaml --run-dir run s >/dev/null
}

collector() {
	cat <<-EOF
	---
	kind: netflow-collector
	scope: s
	name: $1
	address: ${3:-127.0.0.1}
	port: $2
	EOF
}

dataplane() {
	vnb-dataplane -d -c doc.yaml --pcap "${1:-$TRAFFIC}" --idle-exit 500ms \
	    --stats-json --plugin "netflow=$PLUGIN" "${@:2}" >stats.json
}

# A counter of the plugin from the last JSON line.
counter() {
	tail -n 1 stats.json | "$PY" -c '
import json, sys
print(json.load(sys.stdin)["plugins"]["netflow"]["counters"][sys.argv[1]])' "$1"
}

# A line of `nfdump -I` for DIR: "Flows", "Packets", "Sequence failures".
stat() {
	nfdump -R "$1" -I | awk -F': ' -v k="$2" '$1 == k { print $2 }'
}

# The records the collectors wrote to the directories given hold every
# flow of $FLOWS as sent (-4: its IPv4 flows), and none of them saw a
# sequence number skip.
as_sent() {
	local v4= d

	if [ "$1" = -4 ]; then
		v4=-4
		shift
	fi
	for d in "$@"; do
		[ "$(stat "$d" 'Sequence failures')" = 0 ]
		nfdump -R "$d" -q -o csv
	done >flows.csv
	run nf-check $v4 "$FLOWS" flows.csv
	echo "$output"
	assert_success
}

# The capture $2 (the test traffic by default) through a scope with the
# netflow-config fields $1, to one collector, nfcapd in nf.
one_collector() {
	local port

	port=$(free_port)
	collector_start nf "$port"
	collector c "$port" | scope "$1"
	dataplane "${2:-$TRAFFIC}"
	collectors_stop
}

@test "NetFlow v9: nfdump decodes every flow, packets and bytes as sent" {
	one_collector "version: v9"
	as_sent nf
	[ "$(counter send-errors)" = 0 ]
	[ "$(stat nf Flows)" = 60 ]
	[ "$(stat nf Packets)" = 3000 ]
	[ "$(stat nf Bytes)" = "$(awk '/^# total/ { print $4 }' "$FLOWS")" ]
}

@test "IPFIX: nfdump decodes every flow, packets and bytes as sent" {
	one_collector "version: ipfix"
	as_sent nf
	[ "$(stat nf Flows)" = 60 ]
	[ "$(stat nf Packets)" = 3000 ]
}

@test "NetFlow v5: every IPv4 flow as sent, IPv6 left out" {
	one_collector "version: v5"
	as_sent -4 nf
	v4=$(awk -F'\t' '!/^#/ && $2 == 4' "$FLOWS" | wc -l)
	[ "$(stat nf Flows)" = "$v4" ]
}

@test "an IPv6 collector over the kernel socket" {
	local port

	port=$(free_port)
	collector_start nf "$port" ::1
	collector c "$port" ::1 | scope "version: ipfix"
	dataplane
	collectors_stop
	as_sent nf
	[ "$(stat nf Flows)" = 60 ]
}

@test "the totals equal softflowd's on the same file" {
	local port sport

	port=$(free_port)
	sport=$(free_port)
	collector_start nf "$port"
	collector_start sf "$sport"
	collector c "$port" | scope "version: v9"
	dataplane
	timeout 60 softflowd -r "$TRAFFIC" -c none -m 1000000 -v 9 -6 -d \
	    -n "127.0.0.1:$sport" >softflowd.out 2>&1
	collectors_stop
	[ "$(stat nf Flows)" = "$(stat sf Flows)" ]
	[ "$(stat nf Packets)" = "$(stat sf Packets)" ]
	# softflowd counts the Ethernet padding of short frames as bytes of
	# the flow; NetFlow's bytes are the IP datagrams'.
	pad=$(pcap-padding "$TRAFFIC")
	[ "$pad" -gt 0 ]
	[ "$(stat nf Bytes)" = "$(($(stat sf Bytes) - pad))" ]
	[ "$(stat sf 'Sequence failures')" = 0 ]
}

# Three collectors in set "cs" balanced by algorithm $1, weights 1, 2, 3;
# $2 more netflow-config fields.  Every member decodes what it gets with
# no sequence error, and together they hold every flow as sent.
collector_set() {
	local i port

	for i in 1 2 3; do
		port=$(free_port)
		collector_start "nf$i" "$port"
		collector "c$i" "$port"
	done >collectors.yaml
	cat collectors.yaml - <<-EOF | TARGET="collector-set: cs" scope "$2"
	---
	kind: netflow-collector-set
	scope: s
	name: cs
	algorithm: $1
	members:
	  - {name: c1, weight: 1}
	  - {name: c2, weight: 2}
	  - {name: c3, weight: 3}
	EOF
	dataplane
	collectors_stop
	for i in 1 2 3; do
		nfdump -R "nf$i" -q -o csv >"flows$i.csv"
	done
	as_sent nf1 nf2 nf3
}

@test "a collector set, round-robin: every member gets a third, decodable" {
	collector_set round-robin "version: v9"
	[ "$(stat nf1 Flows)" = 20 ]
	[ "$(stat nf2 Flows)" = 20 ]
	[ "$(stat nf3 Flows)" = 20 ]
}

@test "a collector set, weighted round-robin: members get flows by weight" {
	collector_set weighted-round-robin "version: ipfix"
	[ "$(stat nf1 Flows)" = 10 ]
	[ "$(stat nf2 Flows)" = 20 ]
	[ "$(stat nf3 Flows)" = 30 ]
}

@test "a collector set, session: the records of a flow go to one member" {
	# A small cache cuts flows into many records.
	collector_set session $'version: v9\nmax-flows: 8'
	[ "$(counter exported-pressure)" -gt 100 ]
	for i in 1 2 3; do
		[ "$(stat "nf$i" Flows)" -gt 0 ]
		cut -d, -f4-8 "flows$i.csv" | sort -u
	done | sort | uniq -d >shared
	[ ! -s shared ]
}

@test "a full cache exports its oldest flows early, and no count is lost" {
	one_collector $'version: ipfix\nmax-flows: 10'
	as_sent nf
	# The ten left at the end are exported when the dataplane stops.
	pressure=$(counter exported-pressure)
	[ "$pressure" -gt 0 ]
	[ "$(stat nf Flows)" = "$((pressure + 10))" ]
	[ "$(counter flows-created)" = "$((pressure + 10))" ]
}

@test "the active timeout cuts long flows at the configured age" {
	# 100 packets a second: a flow's packets are 0.6 s apart, 29.4 s in
	# all, so a 5 s timeout cuts each into 9, 9, 9, 9, 9 and 5 packets.
	vnb-gentraffic -o slow.pcap -S slow.flows -n 3000 -f 60 -s 11 -r 100
	FLOWS=$PWD/slow.flows
	one_collector $'version: v9\nactive-timeout: 5s\ninactive-timeout: 4s' slow.pcap
	as_sent nf
	[ "$(stat nf Flows)" = 360 ]
	nfdump -R nf -q -o 'fmt:%pkt' | sort -n | uniq -c |
	    awk '{ printf "%s:%s ", $1, $2 }' >sizes
	[ "$(cat sizes)" = "60:5 300:9 " ]
	# Durations from the records' own timestamps: 4.8 s and 2.4 s.
	nfdump -R nf -q -o 'fmt:%td' | sort -u | tr -d ' ' >durations
	[ "$(cat durations | tr '\n' ' ')" = "00:00:02.400 00:00:04.800 " ]
}

@test "the inactive timeout ends flows that go quiet" {
	# Ten packets a second: a flow's packets are 6 s apart.
	vnb-gentraffic -o sparse.pcap -S sparse.flows -n 600 -f 60 -s 11 -r 10
	FLOWS=$PWD/sparse.flows
	one_collector $'version: ipfix\ninactive-timeout: 5s' sparse.pcap
	as_sent nf
	[ "$(stat nf Flows)" = 600 ]
	[ "$(counter exported-inactive)" -ge 540 ]
}

@test "a TCP FIN ends its flow at once" {
	vnb-gentraffic -o fin.pcap -S fin.flows -n 3000 -f 60 -s 11 -F
	FLOWS=$PWD/fin.flows
	one_collector "version: v9" fin.pcap
	as_sent nf
	tcp=$(awk -F'\t' '!/^#/ && $3 == 6' "$FLOWS" | wc -l)
	[ "$tcp" -gt 0 ]
	[ "$(counter exported-fin-rst)" = "$tcp" ]
	[ "$(stat nf Flows)" = 60 ]
}

# Export in $1 through the egress port into a capture file, as frames
# with valid checksums, and decode it with tshark; to collector $2 from
# source address $3.
egress_tshark() {
	local port=39995 dst=${2:-198.51.100.7} src=${3:-192.0.2.1}

	collector c "$port" | sed -e "s/127\.0\.0\.1/$dst/" |
	    scope "$(printf 'version: %s\ntransport: egress\nsource-address: %s\nsource-port: 40000' "$1" "$src")"
	dataplane "$TRAFFIC" --egress \
	    "net_pcap9,tx_pcap=$PWD/egress.pcap,tx_pcap=$PWD/egress-control.pcap" \
	    --plugin "netflow=$PLUGIN,gateway-mac=02:00:00:00:00:fe,source-mac=02:00:00:00:00:01"
	tshark -r egress.pcap -o ip.check_checksum:TRUE \
	    -o udp.check_checksum:TRUE -d "udp.port==$port,cflow" -V \
	    >decoded 2>tshark.err
	! grep -Ei 'malformed|incorrect|unknown template|expert info' decoded
	grep -q 'Template Id: 256' decoded
	grep -q 'Template Id: 257' decoded
	[ "$(grep -c 'Checksum: 0x[0-9a-f]* \[correct\]' decoded)" -gt 0 ]
	# Every data record, decoded: the flows, packets and bytes.
	tshark -r egress.pcap -d "udp.port==$port,cflow" -T fields \
	    -e cflow.packets -e cflow.octets 2>/dev/null | "$PY" -c '
import sys
n = p = b = 0
for line in sys.stdin:
    pk, oc = line.rstrip("\n").split("\t")
    if pk:
        n += len(pk.split(","))
        p += sum(map(int, pk.split(",")))
        b += sum(map(int, oc.split(",")))
print(n, p, b)' >totals
	[ "$(cat totals)" = "60 3000 $(awk '/^# total/ { print $4 }' "$FLOWS")" ]
	tshark -r egress.pcap -T fields -e ip.src -e ipv6.src -e ip.dst \
	    -e ipv6.dst -e udp.srcport 2>/dev/null | sort -u |
	    awk '{ $1 = $1; print }' >addresses
	[ "$(cat addresses)" = "$src $dst 40000" ]
}

@test "tshark decodes the templates and the data of NetFlow v9 from the egress port" {
	egress_tshark v9
}

@test "tshark decodes the templates and the data of IPFIX from the egress port" {
	egress_tshark ipfix
}

@test "the egress port sends IPv6 datagrams with valid UDP checksums" {
	egress_tshark ipfix 2001:db8::7 2001:db8::1
}

@test "the kernel socket sends from the source address and port, decodably" {
	local port sport i

	port=$(free_port)
	sport=$(free_port)
	collector_start nf "$port"
	tshark -i lo -B 64 -f "udp dst port $port" -w lo.pcapng >tshark.out \
	    2>&1 &
	PIDS+=($!)
	for i in $(seq 100); do
		grep -q 'Capture started' tshark.out && break
		sleep 0.1
	done
	collector c "$port" | scope "$(printf 'version: v9\nsource-address: 127.0.0.1\nsource-port: %s' "$sport")"
	dataplane
	sleep 0.5
	collectors_stop
	as_sent nf
	tshark -r lo.pcapng -T fields -e ip.src -e udp.srcport 2>/dev/null |
	    sort -u >sources
	[ "$(cat sources)" = "$(printf '127.0.0.1\t%s' "$sport")" ]
	tshark -r lo.pcapng -d "udp.port==$port,cflow" -V >decoded 2>/dev/null
	! grep -Ei 'malformed|unknown template|expert info' decoded
	grep -q 'Template Id: 256' decoded
	[ "$(grep -c 'Flow [0-9]*$' decoded)" -ge 60 ]
}

@test "the egress port delivers to nfcapd in a namespace, through af_packet" {
	local mac

	# The dataplane sends through one end of a veth pair; the other end
	# is in a namespace of the test's own, where nfcapd listens.
	NS=vnbnf$$
	ip netns add "$NS"
	ip link add "nf$$a" type veth peer name "nf$$b" netns "$NS"
	ip -n "$NS" addr add 198.51.100.7/24 dev "nf$$b"
	ip -n "$NS" link set "nf$$b" up
	ip link set "nf$$a" up
	mac=$(ip -n "$NS" -br link show "nf$$b" | awk '{ print $3 }')
	mkdir nf
	ip netns exec "$NS" nfcapd -w "$PWD/nf" -b 198.51.100.7 -p 2055 \
	    -B 4194304 -t 60 >nf.log 2>&1 &
	PIDS+=($!)
	for i in $(seq 50); do
		ip netns exec "$NS" ss -Huln "sport = :2055" | grep -q . && break
		sleep 0.1
	done
	collector c 2055 | sed -e 's/127\.0\.0\.1/198.51.100.7/' |
	    scope "$(printf 'version: v9\ntransport: egress\nsource-address: %s\nsource-port: 40000' 198.51.100.1)"
	dataplane "$TRAFFIC" --egress "net_af_packet9,iface=nf$$a,qpairs=2" \
	    --plugin "netflow=$PLUGIN,gateway-mac=$mac,source-mac=02:00:00:00:00:01"
	sleep 0.3
	collectors_stop
	as_sent nf
}

@test "datagrams through the kernel keep under the MTU of the route" {
	local i

	# nfcapd in a namespace of the test's own, behind a veth pair whose
	# MTU is below the configured one.
	NS=vnbnf$$
	ip netns add "$NS"
	ip link add "nf$$a" mtu 1280 type veth peer name "nf$$b" mtu 1280 \
	    netns "$NS"
	ip addr add 198.51.100.1/24 dev "nf$$a"
	ip -n "$NS" addr add 198.51.100.7/24 dev "nf$$b"
	ip -n "$NS" link set "nf$$b" up
	ip link set "nf$$a" up
	mkdir nf
	ip netns exec "$NS" nfcapd -w "$PWD/nf" -b 198.51.100.7 -p 2055 \
	    -B 4194304 -t 60 >nf.log 2>&1 &
	PIDS+=($!)
	ip netns exec "$NS" tcpdump -i "nf$$b" --immediate-mode -U \
	    -w wire.pcap udp >tcpdump.out 2>&1 &
	PIDS+=($!)
	for i in $(seq 50); do
		ip netns exec "$NS" ss -Huln "sport = :2055" | grep -q . &&
		    grep -q 'listening on' tcpdump.out && break
		sleep 0.1
	done
	# Enough flows for dozens of datagrams.
	vnb-gentraffic -o many.pcap -S many.flows -n 4000 -f 1000 -s 12
	FLOWS=$PWD/many.flows
	collector c 2055 | sed -e 's/127\.0\.0\.1/198.51.100.7/' |
	    scope 'version: v9'
	dataplane many.pcap -v 2>err.log
	sleep 0.3
	collectors_stop
	grep -q 'collector 198.51.100.7:2055: datagrams of at most 1280 bytes, the MTU of the route to it' err.log
	as_sent nf
	# Every datagram whole, none over the MTU, and most of them full.
	tshark -r wire.pcap -T fields -e ip.len -e ip.flags.mf \
	    -e ip.frag_offset >sizes 2>/dev/null
	[ "$(wc -l <sizes)" -ge 20 ]
	awk '$1 > 1280 || $2 != 0 || $3 != 0 { print; bad = 1 }
	    $1 > 1100 { full++ } END { exit bad || full < NR / 2 }' sizes
}

# The dataplane on the traffic, left running; then the scope is flushed
# again with the netflow-config fields $1 and further objects on stdin,
# the dataplane reloads and is stopped.
reload() {
	local port i

	port=$(free_port)
	collector_start nf "$port"
	collector c "$port" >collectors.yaml
	scope "version: v9" <collectors.yaml
	vnb-dataplane -d -v -c doc.yaml --pcap "$TRAFFIC" --pidfile dp.pid \
	    --stats-json --plugin "netflow=$PLUGIN" >stats.json 2>err.log &
	DP=$!
	for i in $(seq 100); do
		[ -s dp.pid ] && grep -q '"packets":3000' <(kill -USR1 "$DP";
		    sleep 0.1; cat stats.json) && break
		sleep 0.1
	done
	cat collectors.yaml - | scope "$1"
	kill -HUP "$DP"
	for i in $(seq 100); do
		grep -q 'generation 2 active' err.log && break
		sleep 0.1
	done
	grep -q 'generation 2 active' err.log
	kill -TERM "$DP"
	wait "$DP"
	collectors_stop
	as_sent nf
}

@test "a reload hands the flow caches on: no flow is cut, no count lost" {
	reload $'version: v9\nrefresh-rate: 5' </dev/null
	[ "$(stat nf Flows)" = 60 ]
	# The worker exported them all, under its own source ID, after the
	# reload as before it.
	[ "$(nfdump -R nf -q -o 'fmt:%exp' | sort -u | tr -d ' ')" = 1 ]
}

@test "a reload to another export format goes on with the same flows" {
	reload "version: ipfix" </dev/null
	[ "$(stat nf Flows)" = 60 ]
	grep -q 'generation 2 active' err.log
}

@test "a reload that changes the flow key exports the old flows first" {
	reload "version: v9" <<-'EOF'
	---
	kind: netflow-monitor
	scope: s
	name: s
	match: [source-address, destination-address, source-port, destination-port, protocol]
	EOF
	[ "$(stat nf Flows)" = 60 ]
	# The control thread exported them, under its own source ID: nfdump's
	# second exporter after the worker's, which sent the first templates.
	[ "$(nfdump -R nf -q -o 'fmt:%exp' | sort -u | tr -d ' ')" = 2 ]
}

@test "stopped under traffic, it exports every packet it took" {
	local port

	port=$(free_port)
	collector_start nf "$port"
	collector c "$port" | scope "version: v9"
	vnb-dataplane -d -c doc.yaml --pcap "$TRAFFIC,loop" --stats-json \
	    --plugin "netflow=$PLUGIN" >stats.json &
	DP=$!
	sleep 1
	kill -TERM "$DP"
	wait "$DP"
	collectors_stop
	[ "$(stat nf 'Sequence failures')" = 0 ]
	[ "$(counter packets)" -gt 3000 ]
	[ "$(stat nf Packets)" = $(($(counter packets) - $(counter not-ip))) ]
}

@test "settings the plugin cannot use are refused with a clear message" {
	collector c 2055 | scope "$(printf 'version: v9\ntransport: egress\nsource-address: %s\nsource-port: 40000' 192.0.2.1)"
	run vnb-dataplane -d -c doc.yaml --pcap "$TRAFFIC" --idle-exit 500ms \
	    --egress "net_pcap9,tx_pcap=$PWD/e.pcap,tx_pcap=$PWD/f.pcap" \
	    --plugin "netflow=$PLUGIN,gateway-mac=02:00:00:00:00:fe"
	assert_failure 1
	assert_output --partial "transport egress needs the plugin arguments gateway-mac=MAC and source-mac=MAC (plugin netflow)"
}

# Frames of egress.pcap, decoded by tshark: "FRAME TEMPLATE-IDS".
egress_frames() {
	tshark -r egress.pcap -d "udp.port==39995,cflow" -T fields \
	    -e frame.number -e cflow.template_id 2>/dev/null
}

egress_scope() {
	collector c 39995 | sed -e 's/127\.0\.0\.1/198.51.100.7/' |
	    scope "$(printf '%s\ntransport: egress\nsource-address: 192.0.2.1\nsource-port: 40000' "$1")"
}

egress_dataplane() {
	dataplane "${1:-$TRAFFIC}" --egress \
	    "net_pcap9,tx_pcap=$PWD/egress.pcap,tx_pcap=$PWD/egress-control.pcap" \
	    --plugin "netflow=$PLUGIN,gateway-mac=02:00:00:00:00:fe,source-mac=02:00:00:00:00:01" \
	    "${@:2}"
}

@test "templates are sent again every refresh-rate datagrams" {
	vnb-gentraffic -o many.pcap -S many.flows -n 3000 -f 600 -s 11
	FLOWS=$PWD/many.flows
	egress_scope $'version: v9\nrefresh-rate: 3\nmtu: 576'
	egress_dataplane many.pcap
	egress_frames >frames
	[ "$(wc -l <frames)" -gt 30 ]
	# The first datagram holds the templates alone, sent before any
	# flow ends; then every third has them in front of its data.
	awk -F'\t' '$2 != "" { print $1 }' frames >with
	awk -F'\t' '($1 - 1) % 3 == 0 { print $1 }' frames >want
	diff -u want with
}

@test "templates are sent again every timeout-rate, to an idle collector too" {
	egress_scope $'version: ipfix\ntimeout-rate: 1s\nrefresh-rate: 1000'
	egress_dataplane "$TRAFFIC" --idle-exit 2500ms
	egress_frames >frames
	awk -F'\t' '$2 != "" { print $1 }' frames >with
	[ "$(wc -l <with)" -ge 3 ]
	# Datagrams are at most the MTU: 1500 bytes of IP, 1514 of frame.
	tshark -r egress.pcap -T fields -e frame.len 2>/dev/null |
	    awk '$1 > 1514 { bad++ } END { exit bad > 0 }'
}

@test "two workers export under their own source IDs, each in sequence" {
	local port

	vnb-gentraffic -o w1.pcap -S w1.flows -n 3000 -f 60 -s 11 -q 20 -6 25
	vnb-gentraffic -o w2.pcap -S w2.flows -n 2000 -f 40 -s 12 -q 20 -6 25
	cat w1.flows w2.flows >both.flows
	FLOWS=$PWD/both.flows
	port=$(free_port)
	collector_start nf "$port"
	collector c "$port" | scope "version: ipfix"
	# Each capture is a port of its own, polled by a worker of its own.
	vnb-dataplane -d -c doc.yaml --pcap w1.pcap --pcap w2.pcap \
	    --workers 2 --idle-exit 500ms --stats-json \
	    --plugin "netflow=$PLUGIN" >stats.json
	collectors_stop
	as_sent nf
	[ "$(stat nf Flows)" = 100 ]
	[ "$(nfdump -R nf -q -o 'fmt:%exp' | sort -u | wc -l)" = 2 ]
}

@test "MACs and VLAN as key and collected fields, subnet masks from the rule" {
	local port

	port=$(free_port)
	collector_start nf "$port"
	{
		collector c "$port"
		cat <<-'EOF'
		---
		kind: netflow-monitor
		scope: s
		name: s
		match: [source-address, destination-address, source-port, destination-port, protocol, tos, input-interface, mac-address, vlan]
		collect: [counters, timestamps, tcp-flags, subnet-masks, mac-address, vlan]
		---
		kind: classification
		scope: s
		name: to-b
		destination-ip: 198.51.100.0/24
		---
		kind: rule
		scope: s
		name: r1
		classification: to-b
		priority: 5
		EOF
	} | scope "version: ipfix"
	# The policy: r1 first, for its subnet mask, then r for the rest.
	sed -i 's/^rules: \[r\]$/rules: [r1, r]/' scope.yaml
	secmonctl apply -f scope.yaml >/dev/null
	vnb-flush -o doc.yaml --run-dir run s >/dev/null
	grep -q 'name: r1' doc.yaml
	dataplane
	collectors_stop
	as_sent nf
	nfdump -R nf -o csv >fields.csv
	"$PY" - "$FLOWS" fields.csv <<-'EOF'
	import csv, sys
	want = {}
	for line in open(sys.argv[1]):
	    if line.startswith("#"):
	        continue
	    f = line.rstrip("\n").split("\t")
	    mask = "24" if f[4].startswith("198.51.100.") else "0"
	    want[(f[3], f[4])] = [mask, f[9], f[7], f[8]]
	bad = 0
	# nfdump ends its CSV with a summary, which has no ismc column.
	rows = [r for r in csv.DictReader(open(sys.argv[2])) if r.get("ismc")]
	for r in rows:
	    got = [r["dmk"], r["svln"], r["ismc"], r["idmc"]]
	    if want.get((r["sa"], r["da"])) != got:
	        print("flow %s %s: want %s, got %s" % (r["sa"], r["da"],
	              want.get((r["sa"], r["da"])), got))
	        bad += 1
	print("%d records, %d differ" % (len(rows), bad))
	if len(rows) != len(want):
	    bad += 1
	sys.exit(bad > 0)
	EOF
}

# The seconds from the second datagram of egress.pcap to its last: the
# first holds the templates sent at start.
egress_span() {
	tshark -r egress.pcap -T fields -e frame.time_epoch 2>/dev/null |
	    awk 'NR == 2 { a = $1 } { b = $1 } END { printf "%.3f\n", b - a }'
}

@test "datagrams are paced to pacing-rate, and not without one" {
	vnb-gentraffic -o many.pcap -S many.flows -n 3000 -f 600 -s 11
	FLOWS=$PWD/many.flows
	# About 70 datagrams at the end: 32 at once, then 100 a second.
	egress_scope $'version: v9\nmtu: 576\npacing-rate: 100'
	egress_dataplane many.pcap
	n=$(egress_frames | wc -l)
	[ "$n" -gt 60 ]
	span=$(egress_span)
	echo "$n datagrams in $span s"
	awk -v s="$span" -v n="$n" 'BEGIN { exit !(s >= (n - 34) / 100 * 0.9) }'
	egress_scope $'version: v9\nmtu: 576\npacing-rate: 0'
	egress_dataplane many.pcap
	span=$(egress_span)
	echo "unpaced: $span s"
	awk -v s="$span" 'BEGIN { exit !(s < 0.1) }'
}

@test "broken frames do not upset the plugin" {
	local port

	# Frames cut short, bad headers, lengths that lie: the dataplane
	# counts them as malformed and hands on what parses.
	vnb-gentraffic -o bad.pcap -n 3000 -f 60 -s 5 -M
	port=$(free_port)
	collector_start nf "$port"
	collector c "$port" | scope "$(printf 'version: v9\nmax-flows: 16')"
	dataplane bad.pcap
	collectors_stop
	[ "$(counter packets)" -gt 0 ]
	[ "$(stat nf 'Sequence failures')" = 0 ]
	[ "$(counter send-errors)" = 0 ]
	handed=$(($(counter packets) - $(counter not-ip)))
	[ "$(stat nf Packets)" = "$handed" ]
}

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
}

# A UDP port nothing listens on.
free_port() {
	"$PY" -c 'import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])'
}

# nfcapd writing to DIR, listening on PORT, up before it returns.
collector_start() {
	local dir=$1 port=$2 i

	mkdir -p "$dir"
	nfcapd -w "$dir" -b 127.0.0.1 -p "$port" -B 4194304 -t 60 \
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
		"$PY" - "$FLOWS" "${TARGET:-collector: c}" <<-'EOF'
		import sys
		macs = []
		for line in open(sys.argv[1]):
		    if line.startswith("#"):
		        continue
		    smac = line.split("\t")[7]
		    if smac not in macs:
		        macs.append(smac)
		for i, mac in enumerate(macs):
		    print("---\nkind: source\nscope: s\nname: h%d\nmac: \"%s\"" % (i, mac))
		    print("---\nkind: netflow-association\nscope: s\nname: a%d" % i)
		    print("source: h%d\npolicy: p\n%s\ndirection: ingress" %
		          (i, sys.argv[2]))
		EOF
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
	address: 127.0.0.1
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

# One collector, the whole traffic in VERSION: every flow as the
# summary says, nothing lost.
one_collector() {
	local port

	port=$(free_port)
	collector_start nf "$port"
	collector c "$port" | scope "version: $1"
	dataplane
	collectors_stop
	nfdump -R nf -q -o csv >flows.csv
	run nf-check ${2:-} "$FLOWS" flows.csv
	echo "$output"
	assert_success
	[ "$(stat nf 'Sequence failures')" = 0 ]
	[ "$(counter send-errors)" = 0 ]
}

@test "NetFlow v9: nfdump decodes every flow, packets and bytes as sent" {
	one_collector v9
	[ "$(stat nf Flows)" = 60 ]
	[ "$(stat nf Packets)" = 3000 ]
	[ "$(stat nf Bytes)" = "$(awk '/^# total/ { print $4 }' "$FLOWS")" ]
}

@test "IPFIX: nfdump decodes every flow, packets and bytes as sent" {
	one_collector ipfix
	[ "$(stat nf Flows)" = 60 ]
	[ "$(stat nf Packets)" = 3000 ]
}

@test "NetFlow v5: every IPv4 flow as sent, IPv6 left out" {
	one_collector v5 -4
	v4=$(awk -F'\t' '!/^#/ && $2 == 4' "$FLOWS" | wc -l)
	[ "$(stat nf Flows)" = "$v4" ]
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

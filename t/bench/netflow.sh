#!/bin/sh
# Benchmark: vnb-dataplane with the netflow plugin on one worker, turning
# a looped capture of 200,000 packets in 100,000 flows into NetFlow v9,
# beside softflowd making NetFlow v9 of the same file and dpdk-testpmd
# forwarding it in io mode, all measured in the same run.  Prints Mpps
# and the ratios; the targets are 7x softflowd and 0.7x testpmd.
#
# Usage: netflow.sh [SECONDS [RUNS]]	(default 5 per measurement, and
# the best of 5 measurements, taken in turn)
set -eu

secs=${1:-5}
runs=${2:-5}
builddir=${VNB_BUILDDIR:-$(cd "$(dirname "$0")/../.." && pwd)}
srcdir=${VNB_SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}
. "$srcdir/t/bench/dp-lib.sh"
bench_setup netflow
if ! command -v softflowd >/dev/null; then
	echo "netflow bench: softflowd not found (Debian package softflowd)"
	exit 1
fi

packets=200000
flows=100000
vnb-gentraffic -o gen.pcap -n "$packets" -f "$flows" -s 1 -l 64-128 -6 0
one_source gen.pcap slice.pcap

# Nothing listens on the collector's port: sending costs the same.
port=$(/usr/bin/python3 -c 'import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])')
cat >scope.yaml <<YAML
kind: scope
name: b
netflow: enable
---
kind: netflow-config
scope: b
name: b
version: v9
max-flows: 131072
---
kind: netflow-collector
scope: b
name: c
address: 127.0.0.1
port: $port
---
kind: source
scope: b
name: s
mac: "02:00:00:00:00:01"
---
kind: classification
scope: b
name: all
---
kind: rule
scope: b
name: r
classification: all
priority: 10
---
kind: policy
scope: b
name: p
rules: [r]
---
kind: netflow-association
scope: b
name: a
source: s
policy: p
collector: c
direction: ingress
YAML
secmonctl init >/dev/null
secmonctl apply -f scope.yaml >/dev/null
vnb-flush -o doc.yaml --run-dir run b >/dev/null

# softflowd's rate over the file, read from memory.
softflowd_mpps() {
	t0=$(date +%s.%N)
	softflowd -r slice.pcap -c none -m 1048576 -v 9 -d \
	    -n "127.0.0.1:$port" >softflowd.out 2>&1
	t1=$(date +%s.%N)
	awk -v t0="$t0" -v t1="$t1" -v n="$packets" \
	    'BEGIN { printf "%.3f\n", n / (t1 - t0) / 1e6 }'
}

# The three in turn, each the best of its runs: a slow spell of a shared
# machine then falls on all of them alike, not on one.
peer=0 soft=0 mpps=0
for i in $(seq 1 "$runs"); do
	peer=$(larger "$peer" "$(testpmd_mpps slice.pcap)")
	soft=$(larger "$soft" "$(softflowd_mpps)")
	mpps=$(larger "$mpps" "$(dataplane_mpps slice.pcap --plugin \
	    "netflow=$builddir/dataplane/plugins/netflow.so")")
done
flows_seen=$(tail -n 1 dp.out | /usr/bin/python3 -c 'import json, sys
c = json.load(sys.stdin)["plugins"]["netflow"]["counters"]
print(c["flows-active"] + c["records"])')
printf 'memory, for both DPDK programs:                    %s\n' "$bench_pages"
printf 'dpdk-testpmd io, net_pcap -> net_null, 1 core:    %s Mpps\n' "$peer"
printf 'softflowd -v 9, the same file:                     %s Mpps\n' "$soft"
awk -v m="$mpps" -v p="$peer" -v s="$soft" -v f="$flows_seen" 'BEGIN {
    printf "vnb-dataplane + netflow v9, 1 worker, %d flows: %s Mpps\n", f, m
    printf "  %.2f x softflowd (target >= 7.00)\n", (s > 0 ? m / s : 0)
    printf "  %.2f x testpmd io (target >= 0.70)\n", (p > 0 ? m / p : 0) }'

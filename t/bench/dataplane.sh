#!/bin/sh
# Benchmark: vnb-dataplane on one worker classifying a looped capture of
# 200,000 packets (net_pcap, infinite_rx) with policies of 1, 100, 1,000
# and 10,000 rules, beside dpdk-testpmd forwarding the same capture to
# net_null in io mode, measured in the same run.  Prints Mpps and the
# ratio to testpmd; the target is 0.8 with 1,000 rules.
#
# Usage: dataplane.sh [SECONDS]	(default 5 per measurement)
set -eu

secs=${1:-5}
builddir=${VNB_BUILDDIR:-$(cd "$(dirname "$0")/../.." && pwd)}
srcdir=${VNB_SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}
PATH="$builddir/bin:$builddir/dataplane:$builddir/t:$PATH"
export PATH
work=$(mktemp -d /tmp/vnb-bench-dp.XXXXXX)
trap 'rm -rf "$work"' EXIT INT TERM
export VNB_STORE="$work/store.db"
cd "$work"

if ! command -v dpdk-testpmd >/dev/null; then
	echo "dataplane bench: dpdk-testpmd not found (Debian package dpdk-dev)"
	exit 1
fi
if nm "$builddir/dataplane/vnb-dataplane" 2>/dev/null | grep -q __asan_init; then
	echo "dataplane bench: note: this build has AddressSanitizer;" \
	    "configure without --enable-debug for real figures"
fi

# Small frames, all sent by one source, so that every packet is
# classified once against the one association's policy.
vnb-gentraffic -o gen.pcap -n 200000 -f 20000 -s 1 -l 64-128 -6 0
/usr/bin/python3 - gen.pcap slice.pcap <<'PY'
import sys
data = bytearray(open(sys.argv[1], "rb").read())
off = 24
while off < len(data):
    caplen = int.from_bytes(data[off + 8:off + 12], "little")
    data[off + 16 + 6:off + 16 + 12] = bytes.fromhex("020000000001")
    off += 16 + caplen
open(sys.argv[2], "wb").write(data)
PY
cat slice.pcap >/dev/null
cc -shared -fPIC -O2 -I"$srcdir/dataplane" -o null.so \
    "$srcdir/t/bench/null-plugin.c"

# Mpps from testpmd's own rate over the measured seconds: "show port
# stats" gives the rate since it was last asked.
testpmd_mpps() {
	(sleep 2; echo start; sleep 2; echo "show port stats 0"
	    sleep "$secs"; echo "show port stats 0"; echo stop; echo quit) |
	    dpdk-testpmd -l 0-1 --no-huge -m 1600 --no-pci --no-shconf \
	    --file-prefix "vnbbench$$" --log-level=3 \
	    --vdev "net_pcap0,rx_pcap=slice.pcap,infinite_rx=1" \
	    --vdev net_null0 -- -i --forward-mode=io --nb-cores=1 \
	    --total-num-mbufs=262144 --no-flush-rx >testpmd.out 2>&1 || true
	rm -rf "/var/run/dpdk/vnbbench$$"
	awk '/Rx-pps:/ { v = $2 } END { printf "%.3f\n", v / 1e6 }' \
	    testpmd.out
}

# A policy of n rules: n - 1 that match nothing of this traffic, then
# one that matches everything, so that every rule is in the way.
scope() {
	awk -v n="$1" 'BEGIN {
		print "kind: scope\nname: b\nrawforward: enable"
		print "---\nkind: source\nscope: b\nname: s\nmac: \"02:00:00:00:00:01\""
		print "---\nkind: rawforward-collector\nscope: b\nname: c"
		print "address: 203.0.113.9\nport: 4000"
		printf "---\nkind: policy\nscope: b\nname: p\nrules: ["
		for (i = 0; i < n; i++) printf "%sr%d", i ? ", " : "", i
		print "]"
		print "---\nkind: rawforward-association\nscope: b\nname: a"
		print "source: s\npolicy: p\ncollector: c\ndirection: ingress"
		for (i = 0; i < n - 1; i++) {
			printf "---\nkind: classification\nscope: b\nname: c%d\n", i
			printf "source-ip: 203.0.113.%d/32\n", i % 250 + 1
			printf "destination-ip: 10.%d.%d.0/24\n", i / 250 % 250, i % 250
			printf "protocol: %s\n", i % 2 ? "tcp" : "udp"
			printf "destination-port: %d-%d\n", i % 60000 + 1, i % 60000 + 10
			printf "---\nkind: rule\nscope: b\nname: r%d\n", i
			printf "classification: c%d\npriority: %d\n", i, i
		}
		printf "---\nkind: classification\nscope: b\nname: c%d\n", n - 1
		printf "---\nkind: rule\nscope: b\nname: r%d\n", n - 1
		printf "classification: c%d\npriority: 65535\n", n - 1
	}' >scope.yaml
	rm -f "$VNB_STORE"
	secmonctl init >/dev/null
	secmonctl apply -f scope.yaml >/dev/null
	vnb-flush -o doc.yaml --run-dir run b >/dev/null
}

dataplane_mpps() {
	vnb-dataplane -d -c doc.yaml --pcap slice.pcap,loop --stats-json \
	    --stats-interval 1 --plugin "rawforward=$work/null.so" \
	    >dp.out 2>dp.err &
	pid=$!
	sleep $((secs + 3))
	kill -INT "$pid"
	wait "$pid" || true
	/usr/bin/python3 - dp.out <<'PY'
import json, sys
s = [json.loads(l) for l in open(sys.argv[1]) if l.startswith("{")]
s = [x for x in s if x["event"] == "interval"]
a, b = s[1], s[-1]
print("%.3f" % ((b["packets"] - a["packets"]) / (b["uptime"] - a["uptime"]) / 1e6))
PY
}

peer=$(testpmd_mpps)
printf 'dpdk-testpmd io, net_pcap -> net_null, 1 core:  %s Mpps\n' "$peer"
for n in 1 100 1000 10000; do
	scope "$n"
	mpps=$(dataplane_mpps)
	# Parenthesised: a bare ">" in a print list redirects the output.
	awk -v n="$n" -v m="$mpps" -v p="$peer" 'BEGIN {
	    printf "vnb-dataplane, %5d rules, 1 worker:      %s Mpps  " \
	        "%.2f x testpmd%s\n", n, m, (p > 0 ? m / p : 0),
	        (n == 1000 ? "  (target >= 0.80)" : "") }'
done

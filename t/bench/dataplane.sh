#!/bin/sh
# Benchmark: vnb-dataplane on one worker classifying a looped capture of
# 200,000 packets (net_pcap, infinite_rx) with policies of 1, 100, 1,000
# and 10,000 rules, beside dpdk-testpmd forwarding the same capture to
# net_null in io mode, measured in the same run.  Prints Mpps and the
# ratio to testpmd; the target is 0.8 with 1,000 rules.
#
# Usage: dataplane.sh [SECONDS [RUNS]]	(default 5 per measurement, and
# the best of 3 measurements)
set -eu

secs=${1:-5}
runs=${2:-3}
builddir=${VNB_BUILDDIR:-$(cd "$(dirname "$0")/../.." && pwd)}
srcdir=${VNB_SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}
. "$srcdir/t/bench/dp-lib.sh"
bench_setup dataplane

# Small frames, all sent by one source, so that every packet is
# classified once against the one association's policy.
vnb-gentraffic -o gen.pcap -n 200000 -f 20000 -s 1 -l 64-128 -6 0
one_source gen.pcap slice.pcap
cc -shared -fPIC -O2 -I"$srcdir/dataplane" -o null.so \
    "$srcdir/t/bench/null-plugin.c"

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

peer=$(best_of testpmd_mpps slice.pcap)
printf 'memory, for both DPDK programs:                  %s\n' "$bench_pages"
printf 'dpdk-testpmd io, net_pcap -> net_null, 1 core:  %s Mpps\n' "$peer"
for n in 1 100 1000 10000; do
	scope "$n"
	mpps=$(best_of dataplane_mpps slice.pcap \
	    --plugin "rawforward=$work/null.so")
	# Parenthesised: a bare ">" in a print list redirects the output.
	awk -v n="$n" -v m="$mpps" -v p="$peer" 'BEGIN {
	    printf "vnb-dataplane, %5d rules, 1 worker:      %s Mpps  " \
	        "%.2f x testpmd%s\n", n, m, (p > 0 ? m / p : 0),
	        (n == 1000 ? "  (target >= 0.80)" : "") }'
done

#!/bin/sh
# Benchmark: the time pkt_parse() takes a frame, over captures of 10,000
# frames parsed many times over: the usual mix (60% TCP, 30% UDP, 10%
# ICMP; 30% IPv6; 20% 802.1Q, 10% QinQ) in short frames that stay in the
# cache, the same mix up to 1514 bytes (8 MB: every header is a cache
# miss), and IPv4 TCP alone.  A build configured with --enable-debug has
# AddressSanitizer in it, which makes the figures several times larger.
#
# Usage: pkt-parse.sh [PASSES]	(default 2000)
set -eu

passes=${1:-2000}
builddir=${VNB_BUILDDIR:-$(cd "$(dirname "$0")/../.." && pwd)}
work=$(mktemp -d /tmp/vnb-bench.XXXXXX)
trap 'rm -rf "$work"' EXIT INT TERM

gen() {
	"$builddir/t/vnb-gentraffic" -n 10000 -f 1000 "$@"
}

gen -6 30 -q 20 -Q 10 -l 64-128 -o "$work/short.pcap"
gen -6 30 -q 20 -Q 10 -l 64-1514 -o "$work/long.pcap"
gen -6 0 -q 0 -Q 0 -m 1,0,0 -l 64-64 -o "$work/tcp4.pcap"
for f in short long tcp4; do
	printf 'pkt_parse %-6s ' "$f:"
	"$builddir/t/pkt-dump" -b "$passes" "$work/$f.pcap"
done

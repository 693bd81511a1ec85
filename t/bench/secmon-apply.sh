#!/bin/sh
# Benchmark: apply 10,000 classifications and 10,000 rules from one YAML
# file to a new store, then export them, and print both times.
#
# Usage: secmon-apply.sh [COUNT]	(default 10000 of each)
set -eu

n=${1:-10000}
builddir=${VNB_BUILDDIR:-$(cd "$(dirname "$0")/../.." && pwd)}
secmonctl="$builddir/bin/secmonctl"
work=$(mktemp -d /tmp/vnb-bench.XXXXXX)
trap 'rm -rf "$work"' EXIT INT TERM
export VNB_STORE="$work/store.db"

now() {
	date +%s.%N
}

# Addresses cycle through the three documentation /24s, ports through
# 1-65535, so that every classification is distinct.
awk -v n="$n" 'BEGIN {
	split("192.0.2 198.51.100 203.0.113", net, " ")
	print "---\nkind: scope\nname: bench"
	for (i = 0; i < n; i++) {
		printf "---\nkind: classification\nscope: bench\nname: c%d\n", i
		printf "source-ip: %s.%d/32\n", net[i % 3 + 1], i % 256
		printf "destination-ip: %s.0/24\n", net[(i + 1) % 3 + 1]
		printf "protocol: %s\n", i % 2 ? "tcp" : "udp"
		printf "destination-port: %d\n", i % 65535 + 1
	}
	for (i = 0; i < n; i++) {
		printf "---\nkind: rule\nscope: bench\nname: r%d\n", i
		printf "classification: c%d\npriority: %d\n", i, i % 65536
		printf "truncate: %d\naction: %s\n", i % 1500,
		    i % 7 ? "forward" : "drop"
	}
}' > "$work/bench.yaml"

"$secmonctl" init > /dev/null
cat "$work/bench.yaml" > /dev/null

t0=$(now)
"$secmonctl" apply -f "$work/bench.yaml" > "$work/apply.out"
t1=$(now)
"$secmonctl" export > "$work/export.yaml"
t2=$(now)

tail -n 1 "$work/apply.out"
docs=$(grep -c '^kind:' "$work/export.yaml")
awk -v n="$n" -v a="$(echo "$t1 - $t0" | bc)" -v e="$(echo "$t2 - $t1" | bc)" \
    -v d="$docs" 'BEGIN {
	printf "secmonctl apply  %d classifications + %d rules: %.3f s " \
	    "(target < 2 s)\n", n, n, a
	printf "secmonctl export %d documents:                  %.3f s " \
	    "(target < 2 s)\n", d, e
}'

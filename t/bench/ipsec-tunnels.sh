#!/bin/sh
# Benchmark: a mesh of two endpoint groups of 500 enforcers each, joined
# by one group-to-group bind, applied from one YAML file to a new store;
# then count its 250,000 tunnels, and list one enforcer's 500, and print
# the times.
#
# Usage: ipsec-tunnels.sh [PER_GROUP]	(default 500)
set -eu

n=${1:-500}
builddir=${VNB_BUILDDIR:-$(cd "$(dirname "$0")/../.." && pwd)}
ipsecctl="$builddir/bin/ipsecctl"
work=$(mktemp -d /tmp/vnb-bench.XXXXXX)
trap 'rm -rf "$work"' EXIT INT TERM
export VNB_STORE="$work/store.db"

now() {
	date +%s.%N
}

awk -v n="$n" -f "$(dirname "$0")/ipsec-mesh.awk" > "$work/mesh.yaml"

"$ipsecctl" init > /dev/null
cat "$work/mesh.yaml" > /dev/null

t0=$(now)
"$ipsecctl" apply -f "$work/mesh.yaml" > "$work/apply.out"
t1=$(now)
count=$("$ipsecctl" tunnels --count)
t2=$(now)
"$ipsecctl" tunnels --enforcer g1-e0 > "$work/one.out"
t3=$(now)

tail -n 1 "$work/apply.out"
expected=$((n * n))
if [ "$count" -ne "$expected" ]; then
	echo "ipsec-tunnels.sh: counted $count tunnels, not $expected" >&2
	exit 1
fi
awk -v e=$((2 * n)) -v c="$count" -v l=$(($(wc -l < "$work/one.out") - 1)) \
    -v a="$(echo "$t1 - $t0" | bc)" -v t="$(echo "$t2 - $t1" | bc)" \
    -v o="$(echo "$t3 - $t2" | bc)" 'BEGIN {
	printf "ipsecctl apply   %d enforcers, 1 bind:         %.3f s\n", e, a
	printf "ipsecctl tunnels --count (%d tunnels):    %.3f s " \
	    "(target < 2 s)\n", c, t
	printf "ipsecctl tunnels --enforcer (%d tunnels):     %.3f s\n", l, o
}'

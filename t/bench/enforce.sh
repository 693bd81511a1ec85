#!/bin/sh
# Benchmark: a mesh of two endpoint groups of 500 enforcers each, joined
# by one group-to-group bind, applied to a new store; then time
# vnb-enforce rendering one host's configuration (its 500 tunnels) into
# a temporary root, in both formats, and the run after, which finds
# nothing changed.  Each figure is the best of three runs.
#
# Usage: enforce.sh [PER_GROUP]	(default 500)
set -eu

n=${1:-500}
builddir=${VNB_BUILDDIR:-$(cd "$(dirname "$0")/../.." && pwd)}
ipsecctl="$builddir/bin/ipsecctl"
enforce="$builddir/bin/vnb-enforce"
work=$(mktemp -d /tmp/vnb-bench.XXXXXX)
trap 'rm -rf "$work"' EXIT INT TERM
export VNB_STORE="$work/store.db"

now() {
	date +%s.%N
}

awk -v n="$n" -f "$(dirname "$0")/ipsec-mesh.awk" > "$work/mesh.yaml"

"$ipsecctl" init > /dev/null
"$ipsecctl" apply -f "$work/mesh.yaml" > /dev/null

# best FORMAT FRESH: the shortest of three runs, each into a new root
# (FRESH=1: every file written) or into the same one (nothing changed).
best() {
	b=""
	for r in 1 2 3; do
		[ "$2" = 1 ] && rm -rf "$work/root"
		t0=$(now)
		rc=0
		"$enforce" --name g1-e0 --group g1 --address 10.1.0.0 \
		    --root "$work/root" --format "$1" > /dev/null || rc=$?
		t1=$(now)
		if [ $rc -ne 0 ] && [ $rc -ne 3 ]; then
			echo "enforce.sh: vnb-enforce failed ($rc)" >&2
			exit 1
		fi
		t=$(echo "$t1 - $t0" | bc)
		if [ -z "$b" ] || [ "$(echo "$t < $b" | bc)" = 1 ]; then
			b=$t
		fi
	done
	echo "$b"
}

conns=$("$enforce" --name g1-e0 --group g1 --address 10.1.0.0 \
    --root "$work/dry" --dry-run | grep -c '^conn ' || true)
if [ "$conns" -ne "$n" ]; then
	echo "enforce.sh: rendered $conns tunnels, not $n" >&2
	exit 1
fi
ipsec=$(best ipsec 1)
same=$(best ipsec 0)
swanctl=$(best swanctl 1)
awk -v e=$((2 * n)) -v c="$conns" -v i="$ipsec" -v s="$swanctl" \
    -v u="$same" 'BEGIN {
	printf "vnb-enforce, 1 of %d enforcers, %d tunnels, ipsec:   " \
	    "%.3f s (target < 0.2 s)\n", e, c, i
	printf "vnb-enforce, 1 of %d enforcers, %d tunnels, swanctl: " \
	    "%.3f s (target < 0.2 s)\n", e, c, s
	printf "vnb-enforce, the same again, nothing changed:         " \
	    "%.3f s\n", u
}'

# Sourced by the dataplane benchmarks (with $secs, $runs, $builddir and
# $srcdir set): a work directory, the traffic,
# dpdk-testpmd forwarding a looped capture (net_pcap, infinite_rx) to
# net_null in io mode on one core, the peer their figures are a ratio to,
# and vnb-dataplane's rate on the same capture.

# The tools of the build on PATH, a store in a work directory of its own
# (removed at exit) and a note when the figures would not be real ones.
bench_setup() {
	PATH="$builddir/bin:$builddir/dataplane:$builddir/t:$PATH"
	export PATH
	work=$(mktemp -d "/tmp/vnb-bench-$1.XXXXXX")
	trap 'rm -rf "$work"' EXIT INT TERM
	export VNB_STORE="$work/store.db"
	cd "$work"
	if nm "$builddir/dataplane/vnb-dataplane" 2>/dev/null |
	    grep -q __asan_init; then
		echo "$1 bench: note: this build has AddressSanitizer;" \
		    "configure without --enable-debug for real figures"
	fi
}

if ! command -v dpdk-testpmd >/dev/null; then
	echo "bench: dpdk-testpmd not found (Debian package dpdk-dev)"
	exit 1
fi

# Capture $1 as $2 with every frame sent by 02:00:00:00:00:01, so that
# every packet is classified once, against one association's policy;
# read once, so that the page cache is warm.
one_source() {
	/usr/bin/python3 - "$1" "$2" <<'PY'
import sys
data = bytearray(open(sys.argv[1], "rb").read())
off = 24
while off < len(data):
    caplen = int.from_bytes(data[off + 8:off + 12], "little")
    data[off + 16 + 6:off + 16 + 12] = bytes.fromhex("020000000001")
    off += 16 + caplen
open(sys.argv[2], "wb").write(data)
PY
	cat "$2" >/dev/null
}

# The best of $runs rates that the command prints: a shared machine's
# neighbours only ever slow a run down, so the fastest is the nearest to
# what the code can do, for the peers and for VNB alike.
best_of() {
	local i best=0

	for i in $(seq 1 "$runs"); do
		best=$(larger "$best" "$("$@")")
	done
	echo "$best"
}

larger() {
	awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f\n", (b > a ? b : a) }'
}

# EAL's memory for testpmd as vnb-dataplane chooses its own: hugepages
# where some are free and a hugetlbfs is mounted, else none, so that both
# pay the same for address translation.
if awk '/^HugePages_Free:/ { exit !($2 > 0) }' /proc/meminfo &&
    grep -q ' hugetlbfs ' /proc/mounts; then
	bench_memory="--huge-unlink"
	bench_pages="hugepages"
else
	bench_memory="--no-huge -m 1600"
	bench_pages="4 KiB pages"
fi

# Mpps of testpmd on capture $1 over $secs seconds, from its own rate:
# "show port stats" gives the rate since it was last asked.
testpmd_mpps() {
	(sleep 2; echo start; sleep 2; echo "show port stats 0"
	    sleep "$secs"; echo "show port stats 0"; echo stop; echo quit) |
	    dpdk-testpmd -l 0-1 $bench_memory --no-pci --no-shconf \
	    --file-prefix "vnbbench$$" --log-level=3 \
	    --vdev "net_pcap0,rx_pcap=$1,infinite_rx=1" \
	    --vdev net_null0 -- -i --forward-mode=io --nb-cores=1 \
	    --total-num-mbufs=262144 --no-flush-rx >testpmd.out 2>&1 || true
	rm -rf "/var/run/dpdk/vnbbench$$"
	awk '/Rx-pps:/ { v = $2 } END { printf "%.3f\n", v / 1e6 }' \
	    testpmd.out
}

# Mpps of vnb-dataplane on doc.yaml and looped capture $1, from its
# counters once a second, the first second left out; more arguments go
# to vnb-dataplane.
dataplane_mpps() {
	local pid pcap=$1

	shift
	vnb-dataplane -d -c doc.yaml --pcap "$pcap,loop" --stats-json \
	    --stats-interval 1 "$@" >dp.out 2>dp.err &
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

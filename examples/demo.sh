#!/bin/sh
# The VNB demo: the main job on embedded defaults, end to end, in a work
# directory of its own (./vnb-demo unless VNB_DEMO_DIR says otherwise).
#
# Each step shows what a user would type.  Steps for tools that this
# build does not have yet are skipped with a note.
set -eu

top=$(cd "$(dirname "$0")/.." && pwd)
builddir=${VNB_BUILDDIR:-$top}
srcdir=${VNB_SRCDIR:-$top}
work=${VNB_DEMO_DIR:-$PWD/vnb-demo}
PATH="$builddir/bin:$builddir/t:$PATH"
export PATH

say() {
	printf '\n\033[1m== %s\033[0m\n' "$*" 2>/dev/null || printf '\n== %s\n' "$*"
}
run() {
	printf '$ %s\n' "$*"
	"$@"
}
have() {
	command -v "$1" >/dev/null 2>&1
}

mkdir -p "$work"
cd "$work"

say "Test traffic: 2000 packets in 50 flows, documentation addresses only"
run vnb-gentraffic -o traffic.pcap -S traffic.flows -n 2000 -f 50 -s 7
tcpdump -nn -r traffic.pcap 2>/dev/null | head -n 5
tail -n 1 traffic.flows

say "Monitoring configuration"
if have secmonctl; then
	:
else
	echo "(secmonctl is not built yet)"
fi

say "Done: files are in $work"

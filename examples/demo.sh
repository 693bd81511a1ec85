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
PATH="$builddir/bin:$builddir/dataplane:$builddir/t:$PATH"
export PATH

say() {
	if [ -t 1 ]; then
		printf '\n\033[1m== %s\033[0m\n' "$*"
	else
		printf '\n== %s\n' "$*"
	fi
}
run() {
	printf '$ %s\n' "$*"
	"$@"
}
have() {
	command -v "$1" >/dev/null 2>&1
}

# The lab scope's TCP flows, exported as NetFlow v9 to nfcapd on a free
# loopback port, and read back with nfdump.
netflow_demo() {
	say "NetFlow: the same traffic's TCP flows to nfcapd, read with nfdump"
	port=$(python3 -c 'import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])' 2>/dev/null || echo 39555)
	cat >lab-netflow.yaml <<-END
	kind: scope
	name: lab
	rawforward: enable
	netflow: enable
	---
	kind: netflow-config
	scope: lab
	version: v9
	---
	kind: netflow-collector
	scope: lab
	name: nfcapd
	address: 127.0.0.1
	port: $port
	---
	kind: netflow-association
	scope: lab
	name: busy-flows
	source: busy
	policy: p
	collector: nfcapd
	END
	run secmonctl apply -f lab-netflow.yaml
	vnb-flush -o "$work/lab-dataplane.yaml" --run-dir "$work/run" lab
	rm -rf flows
	mkdir flows
	echo "\$ nfcapd -w flows -b 127.0.0.1 -p $port -B 4194304 -t 60 &"
	nfcapd -w flows -b 127.0.0.1 -p "$port" -B 4194304 -t 60 \
	    >nfcapd.log 2>&1 &
	nfcapd=$!
	i=0
	while [ $i -lt 50 ] && ! ss -Huln "sport = :$port" | grep -q .; do
		sleep 0.1
		i=$((i + 1))
	done
	run vnb-dataplane -d -c lab-dataplane.yaml --pcap traffic.pcap \
	    --idle-exit 500ms \
	    --plugin "netflow=$builddir/dataplane/plugins/netflow.so" \
	    --plugin "rawforward=$work/pcapwrite.so,file=matched.pcap" |
	    grep 'plugin netflow'
	kill "$nfcapd"
	wait "$nfcapd" || true
	echo '$ nfdump -R flows -o line'
	nfdump -R flows -o line | head -n 6
	nfdump -R flows -I | grep -E '^(Flows|Packets|Bytes|Sequence failures):'
}

mkdir -p "$work"
cd "$work"

say "Test traffic: 2000 packets in 50 flows, documentation addresses only"
run vnb-gentraffic -o traffic.pcap -S traffic.flows -n 2000 -f 50 -s 7
tcpdump -nn -r traffic.pcap 2>/dev/null | head -n 5
tail -n 1 traffic.flows

say "Monitoring configuration: a store, the guide's example applied"
VNB_STORE="$work/vnb.db"
export VNB_STORE
rm -f "$VNB_STORE" "$VNB_STORE-wal" "$VNB_STORE-shm"
run secmonctl init
echo '$ secmonctl apply -f examples/secmon.yaml'
secmonctl apply -f "$srcdir/examples/secmon.yaml" | tail -n 1
run secmonctl list rule
run secmonctl list netflow-collector-set
run secmonctl get netflow-config scope1

say "Export: the same configuration back as YAML, ready for git"
echo '$ secmonctl export --scope scope1 > secmon-export.yaml'
secmonctl export --scope scope1 > secmon-export.yaml
echo "$(grep -c '^kind:' secmon-export.yaml) documents in secmon-export.yaml"
run secmonctl apply -f secmon-export.yaml

say "A change, and what the history says about it"
run secmonctl set rule Dataplane_TCP_Rule --priority 5
run secmonctl history --limit 1

say "Flush: the scope becomes generation 1 of the dataplane's document"
flush() {
	printf '$ vnb-flush %s\n' "$*"
	vnb-flush -o "$work/scope1.yaml" --run-dir "$work/run" "$@"
}
flush scope1
sed -n '/^generation:/p; /^hash:/p' scope1.yaml
echo "$(grep -c '^- name:' scope1.yaml) associations in scope1.yaml"

say "A staged change: invisible until flushed, shown by --diff"
run secmonctl set rule Dataplane_UDP_Rule --truncate 256
flush --diff scope1 | head -n 12
flush scope1
flush --list scope1

say "Rollback: generation 1 again, as generation 3"
flush --rollback scope1 1
flush --list scope1

if have vnb-dataplane && have cc; then
	say "The dataplane: the demo traffic through a scope of its own"
	# The busiest sender of the traffic becomes the source.
	mac=$(awk -F'\t' '!/^#/ { n[$8] += $11 } END {
	    for (m in n) if (n[m] > best) { best = n[m]; top = m }
	    print top }' traffic.flows)
	cat >lab.yaml <<-END
	kind: scope
	name: lab
	rawforward: enable
	---
	kind: source
	scope: lab
	name: busy
	mac: "$mac"
	---
	kind: classification
	scope: lab
	name: tcp
	protocol: tcp
	---
	kind: rule
	scope: lab
	name: tcp-head
	classification: tcp
	priority: 10
	truncate: 96
	---
	kind: policy
	scope: lab
	name: p
	rules: [tcp-head]
	---
	kind: rawforward-collector
	scope: lab
	name: analyzer
	address: 203.0.113.50
	encapsulation: vxlan
	vni: 100
	---
	kind: rawforward-association
	scope: lab
	name: busy-tcp
	source: busy
	policy: p
	collector: analyzer
	END
	run secmonctl apply -f lab.yaml
	printf '$ vnb-flush lab\n'
	vnb-flush -o "$work/lab-dataplane.yaml" --run-dir "$work/run" lab
	echo '$ cc -shared -fPIC -o pcapwrite.so examples/plugins/pcapwrite.c'
	cc -shared -fPIC -O2 -I"$srcdir/dataplane" -o pcapwrite.so \
	    "$srcdir/examples/plugins/pcapwrite.c"
	run vnb-dataplane -d -c lab-dataplane.yaml --pcap traffic.pcap \
	    --idle-exit 500ms \
	    --plugin "rawforward=$work/pcapwrite.so,file=matched.pcap"
	tcpdump -nn -e -r matched.pcap 2>/dev/null | head -n 3
	if have nfcapd && have nfdump &&
	    [ -f "$builddir/dataplane/plugins/netflow.so" ]; then
		netflow_demo
	fi
else
	say "The dataplane: skipped (built without DPDK, or no C compiler)"
fi

say "Done: files are in $work"

#!/usr/bin/env bats
# vnb-dataplane on generated capture files (net_pcap), with the example
# plugin built out of tree against the installed <vnb/plugin.h>: which
# packets reach the plugin is checked packet by packet against t/dp-oracle,
# an independent model of parsing, source matching and classification.

load helpers

bats_require_minimum_version 1.5.0

PY=/usr/bin/python3

setup_file() {
	local root="$BATS_FILE_TMPDIR/root"

	# The header as installed, and the example plugin built against it
	# alone, as a third party would.
	make -s -C "$VNB_BUILDDIR" install-vnbincludeHEADERS \
	    DESTDIR="$root" includedir=/include >/dev/null
	cc -shared -fPIC -O2 -Wall -Wextra -Werror -I"$root/include" \
	    -o "$BATS_FILE_TMPDIR/pcapwrite.so" \
	    "$VNB_SRCDIR/examples/plugins/pcapwrite.c"
	# 20% of the flows on 802.1Q VLANs, a quarter IPv6.
	vnb-gentraffic -o "$BATS_FILE_TMPDIR/traffic.pcap" \
	    -S "$BATS_FILE_TMPDIR/traffic.flows" -n 3000 -f 60 -s 11 \
	    -q 20 -6 25
}

teardown() {
	if [ -n "${NS:-}" ]; then
		ip netns delete "$NS" 2>/dev/null || true
	fi
	# EAL leaves its runtime directory behind, even with --no-shconf.
	if [ -n "${EAL_PREFIX:-}" ]; then
		rm -rf "/var/run/dpdk/$EAL_PREFIX"
	fi
	if [ -n "${HUGEPAGES_WERE:-}" ]; then
		echo "$HUGEPAGES_WERE" >/proc/sys/vm/nr_hugepages
	fi
}

setup() {
	vnb_setup
	secmonctl init >/dev/null
	PLUGIN="$BATS_FILE_TMPDIR/pcapwrite.so"
	TRAFFIC="$BATS_FILE_TMPDIR/traffic.pcap"
}

# A scope "s" with rawforward and one collector, "ids".
scope_head() {
	cat <<-'EOF'
	kind: scope
	name: s
	rawforward: enable
	---
	kind: rawforward-collector
	scope: s
	name: ids
	address: 203.0.113.9
	port: 4000
	EOF
}

# The scope: one source per sending MAC of the traffic, each with a
# rawforward association (ingress only, so that every packet belongs to
# exactly one, unless DIRECTION says otherwise: "alternate" makes every
# other one egress), all with policy "p", whose rules are on stdin.
scope() {
	{
		scope_head
		"$PY" - "$BATS_FILE_TMPDIR/traffic.flows" "${DIRECTION:-ingress}" <<-'EOF'
		import sys
		macs = []
		for line in open(sys.argv[1]):
		    if line.startswith("#"):
		        continue
		    smac = line.split("\t")[7]
		    if smac not in macs:
		        macs.append(smac)
		for i, mac in enumerate(macs):
		    d = sys.argv[2]
		    if d == "alternate":
		        d = ("ingress", "egress")[i % 2]
		    print("---\nkind: source\nscope: s\nname: h%d\nmac: \"%s\"" % (i, mac))
		    print("---\nkind: rawforward-association\nscope: s\nname: a%d" % i)
		    print("source: h%d\npolicy: p\ncollector: ids\ndirection: %s" %
		          (i, d))
		EOF
		cat
	} >scope.yaml
	secmonctl apply -f scope.yaml >/dev/null
	vnb-flush -o doc.yaml --run-dir run s >/dev/null
}

# Run the dataplane over a capture with the example plugin as rawforward.
dataplane() {
	vnb-dataplane -d -c doc.yaml --pcap "${1:-$TRAFFIC}" --idle-exit 500ms \
	    --stats-json --plugin \
	    "rawforward=$PLUGIN,file=matched.pcap,log=matched.log" \
	    "${@:2}" >stats.json
}

# The plugin's log against the oracle's, as sorted lines: the dataplane
# hands packets over grouped by association within a burst.
assert_oracle() {
	dp-oracle doc.yaml "${1:-$TRAFFIC}" rawforward | sort >expected
	sed -e 's/^gen [0-9]* worker [0-9]* //' matched.log | sort >got
	[ -s expected ] || [ "${ALLOW_EMPTY:-}" ]
	diff -u expected got
}

# A counter from the last JSON line: a dotted path like
# "generations.0.dropped" or "malformed.total".
counter() {
	tail -n 1 stats.json | "$PY" -c '
import json, sys
v = json.load(sys.stdin)
for k in sys.argv[1].split("."):
    v = v[int(k)] if isinstance(v, list) else v[k]
print(v)' "$1"
}

policy() {
	local cls=$1 rules=${2:-}

	cat <<-EOF
	---
	kind: classification
	scope: s
	name: c
	$cls
	---
	kind: rule
	scope: s
	name: r
	classification: c
	priority: 10
	$rules
	---
	kind: policy
	scope: s
	name: p
	rules: [r]
	EOF
}

# One classification field on its own: the plugin gets exactly what the
# oracle says, which must be some but not all of the traffic.
field_alone() {
	policy "$1" | scope
	dataplane
	assert_oracle
	total=$(grep -vc '^#' "$BATS_FILE_TMPDIR/traffic.flows" || true)
	[ "$(wc -l <expected)" -gt 0 ]
	[ "$(wc -l <expected)" -lt 3000 ]
	[ "$(counter packets)" = 3000 ]
}

@test "the example plugin builds out of tree against the installed header" {
	[ -f "$BATS_FILE_TMPDIR/root/include/vnb/plugin.h" ]
	[ -s "$PLUGIN" ]
	nm -D "$PLUGIN" | grep -q ' vnb_plugin$'
}

@test "a classification on the source prefix" {
	field_alone "source-ip: 198.51.100.0/24"
}

@test "a classification on the destination prefix, IPv6" {
	field_alone "destination-ip: 2001:db8:0:2::/64"
}

@test "a classification on the source MAC" {
	mac=$(awk -F'\t' '!/^#/ { print $8; exit }' "$BATS_FILE_TMPDIR/traffic.flows")
	field_alone "source-mac: \"$mac\""
}

@test "a classification on the destination MAC" {
	mac=$(awk -F'\t' '!/^#/ { print $9; exit }' "$BATS_FILE_TMPDIR/traffic.flows")
	field_alone "destination-mac: \"$mac\""
}

@test "a classification on a source port range" {
	field_alone $'protocol: tcp\nsource-port: 30000-50000'
}

@test "a classification on the destination port" {
	field_alone $'protocol: udp\ndestination-port: 53'
}

@test "a classification on the protocol" {
	field_alone "protocol: icmp"
}

@test "a classification on the VLAN" {
	vlan=$(awk -F'\t' '!/^#/ && $10 != 0 { print $10; exit }' "$BATS_FILE_TMPDIR/traffic.flows")
	[ -n "$vlan" ]
	field_alone "vlan: $vlan"
}

@test "a classification on the IP version" {
	field_alone "family: ipv6"
}

@test "the first rule by priority wins, and a drop rule stops" {
	scope <<-'EOF'
	---
	kind: classification
	scope: s
	name: tcp
	protocol: tcp
	---
	kind: classification
	scope: s
	name: web
	protocol: tcp
	destination-port: 1-1000
	---
	kind: classification
	scope: s
	name: all
	---
	kind: rule
	scope: s
	name: all
	classification: all
	priority: 30
	---
	kind: rule
	scope: s
	name: web
	classification: web
	priority: 5
	truncate: 100
	---
	kind: rule
	scope: s
	name: tcp-drop
	classification: tcp
	priority: 20
	action: drop
	---
	kind: policy
	scope: s
	name: p
	rules: [all, tcp-drop, web]
	EOF
	dataplane
	assert_oracle
	# Match order: web (5), tcp-drop (20), all (30).
	grep -q '^association [0-9]* rule 0 .* len 100 ' got
	grep -q '^association [0-9]* rule 2 ' got
	! grep -q '^association [0-9]* rule 1 ' got
	dropped=$(counter generations.0.dropped)
	[ "$dropped" -gt 0 ]
	[ "$(counter generations.0.forwarded)" -eq "$(wc -l <got)" ]
	[ $((dropped + $(wc -l <got))) -eq "$(counter generations.0.matched)" ]
}

@test "rules are truncated to their length" {
	policy "" "truncate: 64" | scope
	dataplane
	assert_oracle
	awk '{ want = $NF < 64 ? $NF : 64
	    if ($(NF - 2) != want) { print "bad: " $0; exit 1 } }' got
	grep -q ' len 64 wire 1[0-9][0-9]' got
	[ "$(wc -l <got)" -eq 3000 ]
	"$PY" - matched.pcap <<-'EOF'
	import struct, sys
	f = open(sys.argv[1], "rb"); f.read(24); n = 0
	while True:
	    r = f.read(16)
	    if len(r) < 16: break
	    _, _, cap, wire = struct.unpack("<IIII", r); f.read(cap); n += 1
	    assert cap == min(64, wire), (cap, wire)
	assert n == 3000, n
	EOF
}

@test "both directions: sent by the source and sent to it" {
	DIRECTION=both policy "" | DIRECTION=both scope
	dataplane
	assert_oracle
	grep -q ' ingress ' got
	grep -q ' egress ' got
}

@test "egress only: what is sent to the sources, and nothing they send" {
	DIRECTION=egress policy "" | DIRECTION=egress scope
	dataplane
	assert_oracle
	grep -q ' egress ' got
	! grep -q ' ingress ' got
}

@test "sources in different directions: each only in its own" {
	DIRECTION=alternate policy "" | DIRECTION=alternate scope
	dataplane
	assert_oracle
	grep -q ' ingress ' got
	grep -q ' egress ' got
}

@test "a source on a VLAN owns only that VLAN's packets" {
	# The source (h0, h1, ... in the order of first appearance) of the
	# first tagged flow, and its VLAN.
	read -r idx vlan < <(awk -F'\t' '!/^#/ {
	    if (!($8 in seen)) seen[$8] = n++
	    if ($10 != 0) { print seen[$8], $10; exit } }' \
	    "$BATS_FILE_TMPDIR/traffic.flows")
	[ -n "$vlan" ]
	policy "" | scope
	secmonctl set source "h$idx" --scope s --vlan "$vlan" >/dev/null
	vnb-flush -o doc.yaml --run-dir run s >/dev/null
	grep -q "^    vlan: $vlan$" doc.yaml
	dataplane
	assert_oracle
	# On a VLAN it never uses, the source owns nothing.
	secmonctl set source "h$idx" --scope s --vlan 4094 >/dev/null
	vnb-flush -o doc.yaml --run-dir run s >/dev/null
	mv got got-right-vlan
	dataplane
	assert_oracle
	[ "$(wc -l <got)" -lt "$(wc -l <got-right-vlan)" ]
}

@test "sources sharing a MAC on VLANs, and frames a source sends itself" {
	# Untagged, VLAN 10 and VLAN 20 frames from 02:00:00:00:00:aa to
	# itself, and one on VLAN 30 to it from another MAC.
	"$PY" - mine.pcap <<-'EOF'
	import struct, sys
	def frame(src, dst, vlan):
	    eth = bytes.fromhex(dst + src)
	    if vlan:
	        eth += struct.pack("!HH", 0x8100, vlan)
	    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 28, 1, 0, 64, 17, 0,
	        bytes([192, 0, 2, 1]), bytes([198, 51, 100, 1]))
	    return eth + struct.pack("!H", 0x0800) + ip + \
	        struct.pack("!HHHH", 1000, 2000, 8, 0)
	out = struct.pack("<IHHiIII", 0xa1b2c3d4, 2, 4, 0, 0, 65535, 1)
	me, other = "0200000000aa", "0200000000bb"
	for i, (src, vlan) in enumerate([(me, 0), (me, 10), (me, 20),
	        (other, 30)]):
	    f = frame(src, me, vlan)
	    out += struct.pack("<IIII", 1, i, len(f), len(f)) + f
	open(sys.argv[1], "wb").write(out)
	EOF
	{
		scope_head
		for v in 0 10 30; do
			printf -- '---\nkind: source\nscope: s\nname: v%s\n' "$v"
			printf 'mac: "02:00:00:00:00:aa"\n'
			[ "$v" = 0 ] || printf 'vlan: %s\n' "$v"
			printf -- '---\nkind: rawforward-association\nscope: s\n'
			printf 'name: a%s\nsource: v%s\npolicy: p\n' "$v" "$v"
			printf 'collector: ids\ndirection: both\n'
		done
		policy ""
	} >scope.yaml
	secmonctl apply -f scope.yaml >/dev/null
	vnb-flush -o doc.yaml --run-dir run s >/dev/null
	dataplane mine.pcap
	assert_oracle mine.pcap
	# The source without a VLAN owns all four frames, v10 and v30 one
	# each; a frame a source sends itself comes once, as ingress.
	[ "$(wc -l <got)" = 6 ]
	[ "$(grep -c ' ingress ' got)" = 4 ]
	[ "$(grep -c ' egress ' got)" = 2 ]
}

@test "malformed frames are counted and passed over" {
	vnb-gentraffic -o bad.pcap -n 500 -s 3 -M
	policy "" | scope
	ALLOW_EMPTY=1
	dataplane bad.pcap
	assert_oracle bad.pcap
	[ "$(counter packets)" = 500 ]
	malformed=$(counter malformed.total)
	[ "$malformed" -gt 0 ]
	[ $((malformed + $(counter generations.0.packets))) -eq 500 ]
}

@test "counters: per rule hits add up to what was matched" {
	policy "protocol: udp" | scope
	dataplane
	hits=$(counter rules.0.hits)
	[ "$hits" -gt 0 ]
	[ "$hits" = "$(counter generations.0.matched)" ]
	[ "$hits" = "$(counter plugins.rawforward.packets)" ]
	[ "$hits" = "$(counter plugins.rawforward.counters.written)" ]
	[ "$(counter plugins.rawforward.counters.without-mbuf)" = 0 ]
	[ "$(counter ports.0.rx-packets)" = 3000 ]
}

@test "a reload under traffic loses nothing and each packet has a generation" {
	vnb-gentraffic -o big.pcap -n 400000 -f 2000 -s 5 -q 10 -6 20
	policy "" "truncate: 100" | scope
	cp doc.yaml doc-a.yaml
	secmonctl set rule r --scope s --truncate 200 >/dev/null
	vnb-flush -o doc.yaml --run-dir run s >/dev/null
	cp doc.yaml doc-b.yaml
	cp doc-a.yaml doc.yaml
	dataplane big.pcap --pidfile dp.pid --idle-exit 1 &
	pid=$!
	while [ ! -s dp.pid ]; do sleep 0.05; done
	# Alternate the two documents while the capture plays.
	for i in $(seq 40); do
		if [ $((i % 2)) = 1 ]; then cp doc-b.yaml doc.yaml.new
		else cp doc-a.yaml doc.yaml.new; fi
		mv doc.yaml.new doc.yaml
		kill -HUP "$(cat dp.pid)" 2>/dev/null || break
		sleep 0.02
	done
	wait "$pid"
	# Every packet was classified by one generation or the other ...
	[ "$(counter packets)" = 400000 ]
	"$PY" - stats.json <<-'EOF'
	import json, sys
	s = json.loads(open(sys.argv[1]).read().splitlines()[-1])
	gens = s["generations"]
	assert len(gens) > 2, gens
	total = sum(g["packets"] for g in gens)
	assert total + s["malformed"]["total"] == s["packets"] == 400000, s
	assert sum(g["forwarded"] for g in gens) == s["plugins"]["rawforward"]["counters"]["written"]
	assert s["ports"][0]["rx-missed"] == 0
	print(len(gens), "generations")
	EOF
	# ... and handed on exactly as the oracle says, with that
	# generation's truncation.
	dp-oracle doc-a.yaml big.pcap rawforward | sed 's/ len [0-9]*//' | sort >expected
	sed -e 's/^gen [0-9]* worker [0-9]* //; s/ len [0-9]*//' matched.log | sort >got
	diff -q expected got
	awk '{ g = $2; len = $(NF - 2); wire = $NF
	    want = wire < (g % 2 ? 100 : 200) ? wire : (g % 2 ? 100 : 200)
	    if (len != want) { print "bad: " $0; exit 1 } }' matched.log
}

@test "a broken document on reload leaves the running generation" {
	policy "" | scope
	vnb-gentraffic -o big.pcap -n 100000 -f 100 -s 2
	dataplane big.pcap --pidfile dp.pid -v 2>err.log &
	pid=$!
	while [ ! -s dp.pid ]; do sleep 0.05; done
	sed -i 's/^      truncate: 0$/      truncate: 9/' doc.yaml
	grep -q 'truncate: 9' doc.yaml
	kill -HUP "$(cat dp.pid)"
	wait "$pid"
	grep -q "does not match its hash (was it edited?); generation 1 stays active" err.log
	[ "$(counter generation)" = 1 ]
	[ "$(counter packets)" = 100000 ]
}

@test "a plugin built for another ABI is refused" {
	cat >old.c <<-'EOF'
	#include <vnb/plugin.h>
	const struct vnb_plugin vnb_plugin = { .abi_version = 99, .name = "old" };
	EOF
	cc -shared -fPIC -I"$BATS_FILE_TMPDIR/root/include" -o old.so old.c
	policy "" | scope
	PLUGIN=$PWD/old.so
	run -0 --separate-stderr dataplane
	[[ "$stderr" == *"plugin rawforward: $PWD/old.so is built for ABI version 99, not 1"* ]]
	[[ "$stderr" == *"association 'a0' is left out: the rawforward plugin is not available"* ]]
}

@test "usage errors and a missing configuration" {
	run -2 vnb-dataplane -d
	assert_line --index 0 "vnb-dataplane: no configuration file: give -c FILE"
	run -1 vnb-dataplane -d -c nosuch.yaml --pcap "$TRAFFIC"
	assert_output --partial "nosuch.yaml"
	run -2 vnb-dataplane -d -c x --plugin bogus=/x.so
	assert_line --index 0 --partial "unknown plugin 'bogus'"
}

hugepages_free() {
	awk '/^HugePages_Free:/ { print $2 }' /proc/meminfo
}

# The dataplane in a mount namespace of its own, with a hugetlbfs on
# /dev/hugepages ($1 = mount) or none at all, its EAL arguments logged.
dataplane_mounts() {
	unshare -m --propagation private sh -c '
	    umount -a -t hugetlbfs 2>/dev/null
	    if [ "$1" = mount ]; then
		mkdir -p /dev/hugepages &&
		    mount -t hugetlbfs nodev /dev/hugepages || exit 99
	    fi
	    shift
	    exec "$@"' sh "$1" vnb-dataplane -d -v -v -c doc.yaml \
	    --pcap "$TRAFFIC" --idle-exit 500ms --stats-json \
	    --plugin "rawforward=$PLUGIN,file=matched.pcap" >stats.json \
	    2>eal.log
}

@test "hugepages where a hugetlbfs is mounted, given back at exit" {
	HUGEPAGES_WERE=$(cat /proc/sys/vm/nr_hugepages)
	echo $((HUGEPAGES_WERE + 128)) >/proc/sys/vm/nr_hugepages
	[ "$(hugepages_free)" -ge 128 ] ||
	    skip "the kernel has no hugepages to give"
	free=$(hugepages_free)
	policy "" | scope

	# Free hugepages but nowhere to map them from: EAL goes without.
	dataplane_mounts none
	grep -q 'EAL argument: --no-huge$' eal.log
	[ "$(counter packets)" = 3000 ]

	# With a hugetlbfs, EAL takes hugepages; their files are unlinked,
	# so that the pages are free again once the dataplane has exited.
	dataplane_mounts mount
	! grep -q 'EAL argument: --no-huge' eal.log
	grep -q 'EAL argument: --huge-unlink$' eal.log
	[ "$(counter packets)" = 3000 ]
	[ "$(hugepages_free)" = "$free" ]
}

@test "two workers share the ports, and every packet is handled once" {
	policy "protocol: udp" | scope
	cp "$TRAFFIC" second.pcap
	vnb-dataplane -d -c doc.yaml --workers 2 --pcap "$TRAFFIC" \
	    --pcap second.pcap --idle-exit 500ms --stats-json \
	    --plugin "rawforward=$PLUGIN,file=matched.pcap,log=matched.log" \
	    >stats.json
	[ -s matched.log ] && [ -s matched.log.1 ]
	{ dp-oracle doc.yaml "$TRAFFIC" rawforward 0
	  dp-oracle doc.yaml second.pcap rawforward 1; } | sort >expected
	cat matched.log matched.log.1 |
	    sed -e 's/^gen [0-9]* worker [0-9]* //' | sort >got
	diff -u expected got
	[ "$(counter packets)" = 6000 ]
	[ "$(counter ports.1.rx-packets)" = 3000 ]
}

@test "counters at every interval, on SIGUSR1, and as text" {
	policy "" | scope
	vnb-gentraffic -o big.pcap -n 200000 -f 100 -s 2
	vnb-dataplane -d -c doc.yaml --pcap big.pcap,loop \
	    --stats-interval 1 --pidfile dp.pid \
	    --plugin "rawforward=$PLUGIN,file=/dev/null" >text.out &
	pid=$!
	while [ ! -s dp.pid ]; do sleep 0.05; done
	sleep 1.5
	kill -USR1 "$pid"
	sleep 0.3
	kill -TERM "$pid"
	wait "$pid"
	[ ! -e dp.pid ]
	grep -q '^interval: scope s generation 1: [0-9]* packets' text.out
	grep -q '^counters: scope s generation 1: ' text.out
	grep -q '^exit: scope s generation 1: ' text.out
	grep -q '^  rule r (policy p): [1-9][0-9]* hits, ' text.out
	grep -q '^  plugin rawforward: [1-9][0-9]* packets, written ' text.out
}

@test "without -d it goes to the background and stops on SIGTERM" {
	policy "" | scope
	vnb-dataplane -c doc.yaml --pcap "$TRAFFIC" --pidfile dp.pid \
	    --plugin "rawforward=$PLUGIN,file=matched.pcap"
	for _ in $(seq 50); do [ -s dp.pid ] && break; sleep 0.1; done
	pid=$(cat dp.pid)
	kill -0 "$pid"
	kill -TERM "$pid"
	for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
	! kill -0 "$pid" 2>/dev/null
	[ ! -e dp.pid ]
	[ "$(stat -c %s matched.pcap)" -gt 24 ]
}

@test "a kernel interface through af_packet (-i), in a namespace of its own" {
	NS="vnbdp-$$-$BATS_TEST_NUMBER"
	ns=$NS
	ip netns add "$ns"
	ip -n "$ns" link add dpa type veth peer name dpb
	ip -n "$ns" link set dpa up
	ip -n "$ns" link set dpb up
	policy "protocol: tcp" | scope
	ip netns exec "$ns" vnb-dataplane -d -c doc.yaml -i dpa \
	    --idle-exit 2s --stats-json --pidfile dp.pid \
	    --plugin "rawforward=$PLUGIN,file=matched.pcap,log=matched.log" \
	    >stats.json &
	pid=$!
	while [ ! -s dp.pid ] && kill -0 "$pid" 2>/dev/null; do sleep 0.1; done
	t0=$(date +%s.%N)
	ip netns exec "$ns" tcpreplay -q -i dpb --pps 20000 "$TRAFFIC" \
	    >/dev/null 2>&1
	t1=$(date +%s.%N)
	wait "$pid"
	# The kernel's own frames (router solicitations and the like)
	# belong to no source; every frame of the capture arrived.
	[ "$(counter packets)" -ge 3000 ]
	assert_oracle
	# Live packets carry the wall time they came in at, in order: the
	# workers' clock runs at the clock's pace between two ticks.
	"$PY" - matched.pcap "$t0" "$t1" <<-'EOF'
	import struct, sys
	d = open(sys.argv[1], "rb").read()
	div = 1e9 if struct.unpack("<I", d[:4])[0] == 0xa1b23c4d else 1e6
	off, ts = 24, []
	while off < len(d):
	    s, f, incl = struct.unpack("<III", d[off:off + 12])
	    ts.append(s + f / div)
	    off += 16 + incl
	t0, t1 = float(sys.argv[2]), float(sys.argv[3])
	assert ts, "no packets"
	assert all(b >= a for a, b in zip(ts, ts[1:])), "time went back"
	assert t0 - 1 <= ts[0] and ts[-1] <= t1 + 1, (t0, ts[0], ts[-1], t1)
	EOF
}

@test "a net_tap device given to EAL after --" {
	NS="vnbdp-$$-$BATS_TEST_NUMBER"
	ip netns add "$NS"
	policy "protocol: udp" | scope
	ip netns exec "$NS" vnb-dataplane -d -c doc.yaml --idle-exit 2s \
	    --stats-json --pidfile dp.pid \
	    --plugin "rawforward=$PLUGIN,file=matched.pcap,log=matched.log" \
	    -- --vdev net_tap0,iface=dptap >stats.json &
	pid=$!
	while [ ! -s dp.pid ] && kill -0 "$pid" 2>/dev/null; do sleep 0.1; done
	ip -n "$NS" link show dptap | grep -q 'state UP\|UP,'
	ip netns exec "$NS" tcpreplay -q -i dptap --pps 20000 "$TRAFFIC" \
	    >/dev/null 2>&1
	wait "$pid"
	[ "$(counter ports.0.name)" = net_tap0 ]
	[ "$(counter packets)" -ge 3000 ]
	assert_oracle
}

@test "a net_memif device, fed by dpdk-testpmd from the capture" {
	command -v dpdk-testpmd >/dev/null || skip "no dpdk-testpmd"
	policy "" | scope
	sock="$BATS_TEST_TMPDIR/memif.sock"
	# testpmd starts forwarding only once the dataplane runs, however
	# slow the machine: its commands come through a FIFO.
	mkfifo testpmd.in
	EAL_PREFIX="vnbmemif$$"
	dpdk-testpmd -l 0-1 --no-huge -m 1024 --no-pci --no-shconf \
	    --file-prefix "$EAL_PREFIX" --log-level=3 \
	    --vdev "net_memif0,role=server,socket=$sock" \
	    --vdev "net_pcap0,rx_pcap=$TRAFFIC" -- -i --forward-mode=io \
	    --no-flush-rx --total-num-mbufs=16384 <testpmd.in \
	    >testpmd.out 2>&1 &
	tp=$!
	exec 5>testpmd.in
	wait_for 20 grep -q 'testpmd>' testpmd.out
	vnb-dataplane -d -c doc.yaml --idle-exit 3s --stats-json \
	    --pidfile dp.pid \
	    --plugin "rawforward=$PLUGIN,file=matched.pcap,log=matched.log" \
	    -- --vdev "net_memif0,role=client,socket=$sock" >stats.json &
	dp=$!
	wait_for 20 test -s dp.pid
	echo start >&5
	sleep 2
	printf 'stop\nquit\n' >&5
	exec 5>&-
	wait "$tp"
	wait "$dp"
	[ "$(counter ports.0.name)" = net_memif0 ]
	[ "$(counter packets)" -gt 0 ]
	# testpmd forwards without flow control, so not every frame need
	# arrive; each that does is handled as the oracle says.
	dp-oracle doc.yaml "$TRAFFIC" rawforward | sort -u >expected
	sed -e 's/^gen [0-9]* worker [0-9]* //' matched.log | sort -u >got
	[ -s got ]
	[ -z "$(comm -13 expected got)" ]
}

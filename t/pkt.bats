#!/usr/bin/env bats
#
# Tests of the dataplane's packet parser on whole captures: pkt-dump
# parses every frame vnb-gentraffic writes, and what it finds must be the
# flows of the generator's summary, frame for frame and byte for byte.
# The broken frames of -M must each give the error of their kind.  The
# binaries are found through VNB_BUILDDIR, and each test works in its own
# BATS_TEST_TMPDIR.

# bats's run sets $stderr, which shellcheck cannot know.
# shellcheck disable=SC2154

bats_require_minimum_version 1.5.0

load '/usr/lib/bats/bats-support/load'
load '/usr/lib/bats/bats-assert/load'

setup() {
	GEN="${VNB_BUILDDIR:?VNB_BUILDDIR is not set}/t/vnb-gentraffic"
	DUMP="$VNB_BUILDDIR/t/pkt-dump"
	[ -x "$GEN" ] || fail "'$GEN': not an executable"
	[ -x "$DUMP" ] || fail "'$DUMP': not an executable"
	cd "$BATS_TEST_TMPDIR" || fail "cannot enter '$BATS_TEST_TMPDIR'"
}

# Parse a capture into dump.txt, which pkt-dump must write without a
# word on stderr.
dump() {
	run --separate-stderr "$DUMP" "$1"
	assert_success
	assert_equal "$stderr" ''
	printf '%s\n' "$output" > dump.txt
}

# The frames of dump.txt summed up per flow, in the summary's columns
# from family on: ICMP has its type and code as the destination port,
# and the summary's VLAN is the inner one of QinQ.  The columns of
# pkt-dump are named on its first line.
dump_flows() {
	awk -F '\t' -v OFS='\t' '!/^#/ {
		sp = $7; dp = $8; vlan = $10
		if ($9 != "-") {
			split($9, t, "/")
			sp = 0; dp = t[1] * 256 + t[2]
		}
		if ($21 ~ /qinq/)
			vlan = $11
		k = $3 OFS $4 OFS $5 OFS $6 OFS sp OFS dp OFS $12 OFS $13 \
		    OFS vlan
		n[k]++
		b[k] += $15
	} END { for (k in n) print k, n[k], b[k] }' dump.txt | sort
}

summary_flows() {
	awk -F '\t' -v OFS='\t' '!/^#/ {
		print $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12
	}' "$1" | sort
}

# How many frames of dump.txt an awk condition holds for.
count() {
	awk -F '\t' "!/^#/ && ($1) { n++ } END { print n + 0 }" dump.txt
}

@test "every frame of a mixed capture parses, into the summary's flows" {
	"$GEN" -n 3000 -f 300 -6 40 -q 20 -Q 10 -F -o a.pcap -S sum.txt
	dump a.pcap
	assert_equal "$(count 1)" 3000
	assert_equal "$(count '$2 != "ok"')" 0
	dump_flows > got.txt
	summary_flows sum.txt > want.txt
	run diff want.txt got.txt
	assert_success
	assert_equal "$(wc -l < got.txt)" 300
}

@test "the flows match for other seeds and lengths too" {
	local seed
	for seed in 2 3 4; do
		"$GEN" -n 1000 -f 77 -s "$seed" -6 50 -q 30 -Q 30 \
		    -l 60-1514 -o a.pcap -S sum.txt
		dump a.pcap
		dump_flows > got.txt
		summary_flows sum.txt > want.txt
		run diff want.txt got.txt
		assert_success
	done
}

@test "a changed address is seen: the comparison can fail" {
	"$GEN" -n 100 -f 10 -6 0 -q 0 -o a.pcap -S sum.txt
	# The source address of the first frame ends at byte 24+16+14+16-1.
	printf '\377' | dd of=a.pcap bs=1 seek=69 conv=notrunc status=none
	dump a.pcap
	dump_flows > got.txt
	summary_flows sum.txt > want.txt
	run diff want.txt got.txt
	assert_failure
}

@test "802.1Q frames have vlan 100-199 and no inner tag" {
	"$GEN" -n 500 -f 50 -q 100 -Q 0 -6 50 -o a.pcap
	dump a.pcap
	assert_equal "$(count '$10 >= 100 && $10 <= 199 && $11 == 0 &&
	    $16 == 18 && $21 ~ /^vlan,/ && $21 !~ /qinq/')" 500
}

@test "QinQ frames have the outer tag in vlan, the inner in inner_vlan" {
	"$GEN" -n 500 -f 50 -Q 100 -6 50 -o a.pcap
	dump a.pcap
	assert_equal "$(count '$10 >= 200 && $10 <= 299 && $11 >= 100 &&
	    $11 <= 199 && $16 == 22 && $21 ~ /^vlan,qinq,/')" 500
}

@test "TCP flows open with SYN and close with FIN, ACK" {
	"$GEN" -n 200 -f 20 -m 1,0,0 -6 50 -F -o a.pcap
	dump a.pcap
	assert_equal "$(count '$20 == "0x02"')" 20
	assert_equal "$(count '$20 == "0x11"')" 20
	assert_equal "$(count '$4 == 6 && $21 ~ /ports,tcp$/')" 200
}

@test "ICMP frames have a type and code, and no ports" {
	"$GEN" -n 400 -f 40 -m 0,0,1 -6 50 -q 0 -o a.pcap
	dump a.pcap
	assert_equal "$(count '$21 == "icmp" && $7 == 0 && $8 == 0')" 400
	assert_equal "$(count '$3 == 4 && $4 == 1 &&
	    ($9 == "8/0" || $9 == "0/0")')" \
	    "$(count '$3 == 4')"
	assert_equal "$(count '$3 == 6 && $4 == 58 &&
	    ($9 == "128/0" || $9 == "129/0")')" \
	    "$(count '$3 == 6')"
}

@test "each broken frame of -M gives the error of its kind" {
	local kinds='short short ipv4 ipv4 ipv4 l4 l4 l4 ipv6 exthdr ok ok ok l4'
	"$GEN" -M -n 28 -o a.pcap
	dump a.pcap
	run awk -F '\t' '!/^#/ { printf "%s ", $2 }' dump.txt
	assert_output "$kinds $kinds "
	# A later fragment has no L4; a first one has its ports.
	run awk -F '\t' '$1 == 11 { print $8, $17, $21 }' dump.txt
	assert_output '0 0 fragment,later'
	run awk -F '\t' '$1 == 12 { print $17, $21 }' dump.txt
	assert_output '34 ports,fragment'
	run awk -F '\t' '$1 == 13 { print $3, $14 }' dump.txt
	assert_output '0 0x88b5'
}

@test "thousands of broken frames: no crash, each kind counted" {
	"$GEN" -M -n 14000 -f 997 -o a.pcap
	dump a.pcap
	run awk -F '\t' '!/^#/ { n[$2]++ }
	    END { for (e in n) print e, n[e] }' dump.txt
	assert_success
	assert_equal "$(printf '%s\n' "${lines[@]}" | sort | tr '\n' ' ')" \
	    'exthdr 1000 ipv4 3000 ipv6 1000 l4 4000 ok 3000 short 2000 '
}

@test "pkt-dump: usage, and what is not a capture" {
	run --separate-stderr "$DUMP" -h
	assert_success
	assert_output 'usage: pkt-dump [-h] [-b PASSES] FILE'
	run --separate-stderr "$DUMP"
	assert_failure 2
	run --separate-stderr "$DUMP" -b 0 x.pcap
	assert_failure 2
	[[ $stderr == *"'0'"* ]] || fail "stderr: '$stderr'"

	printf 'not a capture at all' > x.pcap
	run --separate-stderr "$DUMP" x.pcap
	assert_failure 1
	[[ $stderr == *"'x.pcap': not a"* ]] || fail "stderr: '$stderr'"

	"$GEN" -n 3 -o a.pcap
	head -c -5 a.pcap > cut.pcap
	run --separate-stderr "$DUMP" cut.pcap
	assert_failure 1
	[[ $stderr == *"'cut.pcap': frame cut short"* ]] ||
	    fail "stderr: '$stderr'"
}

@test "pkt-dump -b parses the capture over and prints the time" {
	"$GEN" -n 100 -o a.pcap
	run --separate-stderr "$DUMP" -b 3 a.pcap
	assert_success
	assert_output --regexp '^100 frames x 3 passes: [0-9.]+ ns/frame '
}

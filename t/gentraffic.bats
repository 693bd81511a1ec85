#!/usr/bin/env bats
#
# Tests of vnb-gentraffic, the generator of the test captures: the other
# tests trust its files and its summary, so this checks them against what
# tcpdump and tshark make of the same bytes.  The binary is found through
# VNB_BUILDDIR, and each test works in its own BATS_TEST_TMPDIR.

# bats's run sets $stderr, which shellcheck cannot know.
# shellcheck disable=SC2154

bats_require_minimum_version 1.5.0

load '/usr/lib/bats/bats-support/load'
load '/usr/lib/bats/bats-assert/load'

# Valid traffic is dissected only up to L4: the filler payload would
# otherwise look malformed to whatever dissector owns the port.
L4ONLY=(-d 'tcp.port==1-65535,data' -d 'udp.port==1-65535,data')
BROKEN='_ws.malformed || _ws.short || _ws.expert.severity >= "warning"'
CKSUM=(-o ip.check_checksum:TRUE -o tcp.check_checksum:TRUE
    -o udp.check_checksum:TRUE)

setup() {
	GEN="${VNB_BUILDDIR:?VNB_BUILDDIR is not set}/t/vnb-gentraffic"
	[ -x "$GEN" ] || fail "'$GEN': not an executable"
	cd "$BATS_TEST_TMPDIR" || fail "cannot enter '$BATS_TEST_TMPDIR'"
}

# tshark warns on stderr when run as root; only its stdout is wanted.
ts() {
	tshark -n "$@" 2>/dev/null
}

# Count the frames of a capture that match a tshark display filter.
ts_count() {
	local file="$1" filter="$2"
	shift 2
	ts -r "$file" "$@" -Y "$filter" | wc -l
}

# Count the packets tcpdump reads that match a filter: its lines that
# start with a time, since a few packets take more than one line.
td_count() {
	tcpdump -nn -r "$@" 2>/dev/null |
	    grep -c -E '^[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{6} '
}

# Flip one byte of a file, in place.
flip_byte() {
	local file="$1" off="$2" byte
	byte=$(od -An -tu1 -j "$off" -N1 "$file" | tr -d ' ')
	printf '%b' "\\$(printf '%03o' $((byte ^ 0xff)))" |
	    dd of="$file" bs=1 seek="$off" conv=notrunc status=none
}

@test "the same seed gives the same bytes, another seed other bytes" {
	"$GEN" -n 500 -f 50 -s 7 -o a.pcap
	"$GEN" -n 500 -f 50 -s 7 -o b.pcap
	"$GEN" -n 500 -f 50 -s 8 -o c.pcap
	cmp a.pcap b.pcap
	run cmp -s a.pcap c.pcap
	assert_failure
}

@test "standard output and -o - give the file -o writes" {
	"$GEN" -n 100 -o a.pcap
	"$GEN" -n 100 -o - > b.pcap
	"$GEN" -n 100 > c.pcap
	cmp a.pcap b.pcap
	cmp a.pcap c.pcap
}

@test "tcpdump reads exactly the packets asked for" {
	"$GEN" -n 1234 -f 100 -6 30 -q 20 -Q 10 -o a.pcap
	assert_equal "$(td_count a.pcap)" 1234
	run tcpdump -nn -c 1 -r a.pcap
	assert_success
	assert_line --index 0 --partial 'link-type EN10MB'
}

@test "every checksum is verified and good" {
	"$GEN" -n 2000 -f 200 -6 40 -q 20 -Q 10 -o a.pcap
	bad='ip.checksum.status==0 || tcp.checksum.status==0 ||
	    udp.checksum.status==0 || icmp.checksum.status==0 ||
	    icmpv6.checksum.status==0'
	good='tcp.checksum.status==1 || udp.checksum.status==1 ||
	    icmp.checksum.status==1 || icmpv6.checksum.status==1'
	assert_equal "$(ts_count a.pcap "$bad" "${CKSUM[@]}")" 0
	assert_equal "$(ts_count a.pcap "$good" "${CKSUM[@]}")" 2000
	assert_equal "$(ts_count a.pcap 'ip' "${CKSUM[@]}")" \
	    "$(ts_count a.pcap 'ip.checksum.status==1' "${CKSUM[@]}")"
}

@test "the checksum check sees a corrupted byte" {
	"$GEN" -n 10 -f 10 -6 0 -q 0 -m 0,1,0 -l 200-200 -o a.pcap
	# The last byte of the first frame: 24 + 16 + 200 - 1.
	flip_byte a.pcap 239
	run ts_count a.pcap 'udp.checksum.status==0' "${CKSUM[@]}"
	assert_output 1
}

@test "the summary counts every packet and every flow" {
	"$GEN" -n 1000 -f 90 -6 30 -q 20 -Q 10 -o a.pcap -S sum.txt
	run head -n 1 sum.txt
	assert_output "# $(echo flow family proto src dst sport dport smac \
	    dmac vlan packets bytes | tr ' ' '\t')"
	assert_equal "$(grep -c -v '^#' sum.txt)" 90
	run awk -F '\t' '/^# total/ { print $2 }' sum.txt
	assert_output 1000
	run awk -F '\t' '!/^#/ { n += $11 } END { print n }' sum.txt
	assert_output 1000
}

@test "the summary's bytes are the IP lengths tshark sees" {
	"$GEN" -n 1000 -f 90 -6 30 -q 20 -Q 10 -o a.pcap -S sum.txt
	want=$(awk -F '\t' '/^# total/ { print $3 }' sum.txt)
	run bash -c "tshark -n -r a.pcap -T fields -e ip.len -e ipv6.plen \
	    2>/dev/null |
	    awk -F '\t' '{ n += \$1 != \"\" ? \$1 : \$2 + 40 } END { print n }'"
	assert_output "$want"
	run awk -F '\t' '!/^#/ { n += $12 } END { print n }' sum.txt
	assert_output "$want"
}

@test "the summary's flows are the flows in the capture" {
	"$GEN" -n 600 -f 60 -6 50 -q 30 -Q 10 -o a.pcap -S sum.txt
	# One line a flow key, as the summary writes it, with its packets.
	ts -r a.pcap -T fields -E separator=, -e ip.src -e ipv6.src \
	    -e ip.dst -e ipv6.dst -e tcp.srcport -e udp.srcport \
	    -e tcp.dstport -e udp.dstport -e icmp.type -e icmpv6.type \
	    -e vlan.id | awk -F , '{
		sp = $5 $6; dp = $7 $8
		if ($9 $10 != "") { sp = 0; dp = ($9 $10) * 256 }
		k = $1 $2 "\t" $3 $4 "\t" sp "\t" dp "\t" ($11 == "" ? 0 : $11)
		n[k]++
	    } END { for (k in n) print k "\t" n[k] }' | sort > got.txt
	awk -F '\t' -v OFS='\t' '!/^#/ { print $4, $5, $6, $7, $10, $11 }' \
	    sum.txt | sort > want.txt
	run diff want.txt got.txt
	assert_success
	assert_equal "$(wc -l < got.txt)" 60
}

@test "-6 100 gives only IPv6" {
	"$GEN" -n 300 -f 30 -6 100 -q 0 -o a.pcap
	assert_equal "$(td_count a.pcap ip6)" 300
	assert_equal "$(td_count a.pcap ip)" 0
}

@test "-6 0 gives only IPv4" {
	"$GEN" -n 2000 -f 2000 -6 0 -q 0 -o a.pcap
	assert_equal "$(td_count a.pcap ip)" 2000
}

@test "-q 100 tags every frame with a VLAN from 100 to 199" {
	"$GEN" -n 300 -f 30 -q 100 -o a.pcap
	assert_equal "$(td_count a.pcap vlan)" 300
	run ts_count a.pcap 'vlan.id < 100 || vlan.id > 199 || ieee8021ad'
	assert_output 0
}

@test "-Q 100 gives QinQ on every frame, the inner tag from 100 to 199" {
	"$GEN" -n 300 -f 30 -Q 100 -o a.pcap -S sum.txt
	run ts_count a.pcap 'eth.type == 0x88a8 && vlan.id >= 100 &&
	    vlan.id <= 199'
	assert_output 300
	run awk -F '\t' '!/^#/ && ($10 < 100 || $10 > 199)' sum.txt
	assert_output ''
}

@test "-q 0 -Q 0 gives no tags" {
	"$GEN" -n 2000 -f 2000 -q 0 -o a.pcap
	assert_equal "$(td_count a.pcap vlan)" 0
}

@test "addresses are documentation addresses, one MAC an address" {
	"$GEN" -n 2000 -f 500 -6 50 -o a.pcap
	ts -r a.pcap -T fields -E separator=, -e ip.src -e ipv6.src \
	    -e eth.src -e ip.dst -e ipv6.dst -e eth.dst |
	    awk -F , '{ print $1 $2, $3; print $4 $5, $6 }' |
	    sort -u > hosts.txt
	grep -q '^2001:' hosts.txt || fail "no IPv6 address in the capture"
	grep -q '^[0-9.]* ' hosts.txt || fail "no IPv4 address in the capture"
	while read -r addr mac; do
		[[ $addr =~ ^(192\.0\.2|198\.51\.100|203\.0\.113)\.[0-9]+$ ||
		    $addr =~ ^2001:db8:[0-9a-f:]+$ ]] ||
		    fail "'$addr': not a documentation address"
		[[ $mac =~ ^02:00:00(:[0-9a-f]{2}){3}$ ]] ||
		    fail "'$mac': not a local MAC of the form 02:00:00:xx:xx:xx"
	done < hosts.txt
	run bash -c "awk '{ print \$1 }' hosts.txt | uniq -d"
	assert_output ''
}

@test "TCP flows open with SYN, close with FIN under -F, in sequence" {
	"$GEN" -n 50 -f 10 -m 1,0,0 -6 30 -F -o a.pcap
	run ts_count a.pcap 'tcp.flags == 0x002'
	assert_output 10
	run ts_count a.pcap 'tcp.flags == 0x011'
	assert_output 10
	run ts_count a.pcap 'tcp.flags.ack == 1 && tcp.flags.syn == 0'
	assert_output 40
	# The SYN takes a sequence number, so data starts at relative 1.
	run ts_count a.pcap 'tcp.seq == 1 && tcp.flags.syn == 0 && tcp.len > 0'
	assert_output 10
	run ts_count a.pcap 'tcp.analysis.flags'
	assert_output 0
	"$GEN" -n 50 -f 10 -m 1,0,0 -o b.pcap
	run ts_count b.pcap 'tcp.flags.fin == 1'
	assert_output 0
}

@test "ICMP flows are echo requests and replies, in both families" {
	"$GEN" -n 400 -f 40 -m 0,0,1 -6 50 -o a.pcap -S sum.txt
	run ts_count a.pcap 'icmp.type == 8 || icmp.type == 0 ||
	    icmpv6.type == 128 || icmpv6.type == 129'
	assert_output 400
	run ts_count a.pcap 'icmp.type == 8 || icmpv6.type == 128'
	assert_output 200
	run awk -F '\t' '!/^#/ && !($6 == 0 && ($7 == 2048 || $7 == 0 ||
	    $7 == 32768 || $7 == 33024))' sum.txt
	assert_output ''
}

@test "-l bounds the frame lengths of packets that carry data" {
	"$GEN" -n 500 -f 20 -m 0,1,0 -l 100-200 -o a.pcap
	run ts_count a.pcap 'frame.len < 100 || frame.len > 200'
	assert_output 0
	run ts_count a.pcap 'frame.len == 100 || frame.len == 200'
	refute_output 0
}

@test "timestamps start at -t and step by 1/-r second" {
	"$GEN" -n 5 -t 1600000000 -r 4 -o a.pcap
	run ts -r a.pcap -T fields -e frame.time_epoch
	assert_output "$(printf '%s\n' 1600000000.000000000 \
	    1600000000.250000000 1600000000.500000000 1600000000.750000000 \
	    1600000001.000000000)"
}

@test "valid traffic has nothing malformed up to L4" {
	"$GEN" -n 3000 -f 300 -6 30 -q 20 -Q 10 -F -o a.pcap
	run ts_count a.pcap "$BROKEN" "${L4ONLY[@]}"
	assert_output 0
}

@test "-M writes each broken kind in turn, and the valid kinds pass" {
	"$GEN" -M -n 28 -o a.pcap
	assert_equal "$(ts -r a.pcap | wc -l)" 28
	run ts -r a.pcap "${L4ONLY[@]}" -Y "$BROKEN" -T fields \
	    -e frame.number
	# The first ten kinds are broken, the last four valid.
	assert_output "$(seq 1 10; seq 15 24)"
	run ts -r a.pcap -Y 'frame.number <= 14' -T fields -e frame.len
	assert_output "$(printf '%s\n' 10 15 58 74 38 44 54 58 78 62 106 106 \
	    60 34)"
}

@test "bad usage exits 2 and names the bad value" {
	local args
	for args in '-n 0' '-n abc' '-n 100000001' '-f 0' '-m 1,2' \
	    '-m 0,0,0' '-l 10-5' '-l 300-200' '-6 101' '-s -1' '-r 0'; do
		# shellcheck disable=SC2086
		run --separate-stderr "$GEN" $args -o x.pcap
		assert_equal "$status" 2
		assert_equal "$output" ''
		[[ $stderr == "vnb-gentraffic: "*"'${args#-? }'"* ]] ||
		    fail "$args: stderr '$stderr' does not name the value"
	done
	run --separate-stderr "$GEN" -q 60 -Q 50 -o x.pcap
	assert_equal "$status" 2
	run --separate-stderr "$GEN" -Z
	assert_equal "$status" 2
	[[ $stderr == *usage:* ]] || fail "no usage on stderr: '$stderr'"
	run --separate-stderr "$GEN" -o x.pcap extra
	assert_equal "$status" 2
}

@test "-h prints the usage on standard output and exits 0" {
	run --separate-stderr "$GEN" -h
	assert_success
	assert_output --partial 'usage: vnb-gentraffic [-h] [-o FILE]'
	assert_output --partial '[-S FILE]'
	assert_equal "$stderr" ''
}

@test "a terminal or an unwritable file is refused with exit 1" {
	command -v script >/dev/null || skip "script(1) is not installed"
	run script -qec "'$GEN' -n 1" /dev/null
	assert_failure 1
	assert_output --partial 'terminal'
	run --separate-stderr "$GEN" -o "$BATS_TEST_TMPDIR/no/such/dir/a.pcap"
	assert_failure 1
	[[ $stderr == *"no/such/dir/a.pcap"* ]] || fail "stderr: '$stderr'"
}

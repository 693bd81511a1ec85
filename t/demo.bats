#!/usr/bin/env bats
# The README's demo runs from start to end and shows its results.

load helpers

@test "demo: runs to the end and shows the traffic it made" {
	export VNB_DEMO_DIR="$BATS_TEST_TMPDIR/demo"
	run sh "$VNB_SRCDIR/examples/demo.sh"
	assert_success
	assert_output --partial "Done: files are in $VNB_DEMO_DIR"
	assert_output --partial "# total	2000	"
	[ -s "$VNB_DEMO_DIR/traffic.pcap" ]
	assert_output --partial "26 created, 0 updated, 0 deleted, 0 unchanged"
	assert_output --partial "0 created, 0 updated, 0 deleted, 26 unchanged"
	assert_output --partial "priority: 1 -> 5"
	assert_output --partial "scope 'scope1': generation 2 is active"
	assert_output --partial "+      truncate: 256"
	assert_output --partial "scope 'scope1': generation 3 is active"
	grep -q '^origin: rollback to 1$' "$VNB_DEMO_DIR/scope1.yaml"
	if [ -x "$VNB_BUILDDIR/dataplane/vnb-dataplane" ]; then
		assert_output --regexp "rule tcp-head \(policy p\): [1-9][0-9]* hits"
		assert_output --regexp "plugin rawforward: [1-9][0-9]* packets, written [1-9]"
		[ "$(stat -c %s "$VNB_DEMO_DIR/matched.pcap")" -gt 24 ]
	fi
	if [ -f "$VNB_BUILDDIR/dataplane/plugins/netflow.so" ] &&
	    command -v nfcapd >/dev/null; then
		assert_output --regexp "TCP +203\.0\.113\.[0-9]+:[0-9]+ +-> +198\.51\.100\.[0-9]+:[0-9]+ +40 +"
		assert_output --partial "Sequence failures: 0"
	fi
}

#!/usr/bin/env bats
# vnb-flush against a real store and stand-in dataplanes that record the
# signals they receive: compiling, generations, unchanged flushes,
# refused scopes, diff, rollback, commit-confirm and fetch.

load helpers

bats_require_minimum_version 1.5.0

EXAMPLE="$VNB_SRCDIR/examples/secmon.yaml"

# Debian's Python, with python3-yaml to read the documents.
PY=/usr/bin/python3

setup() {
	vnb_setup
	secmonctl init >/dev/null
	secmonctl apply -f "$EXAMPLE" >/dev/null
	OUT="$BATS_TEST_TMPDIR/scope1.yaml"
	RUN="$BATS_TEST_TMPDIR/run"
	mkdir -p "$RUN/scope1"
	STANDINS=()
}

teardown() {
	local pid

	for pid in "${STANDINS[@]}"; do
		kill "$pid" 2>/dev/null || true
	done
	# A confirmation timer left by a test must not outlive it.
	pkill -f -- "-o $OUT" 2>/dev/null || true
}

flush() {
	vnb-flush -o "$OUT" --run-dir "$RUN" "$@"
}

# Start a stand-in dataplane with pidfile $RUN/scope1/NAME.pid that logs
# its SIGHUPs to $BATS_TEST_TMPDIR/NAME.log.
standin() {
	local name=${1:-dp}

	dataplane-standin "$RUN/scope1/$name.pid" "$OUT" \
	    "$BATS_TEST_TMPDIR/$name.log" </dev/null >/dev/null 2>&1 3>&- &
	STANDINS+=("$!")
	for _ in $(seq 50); do
		[ -s "$RUN/scope1/$name.pid" ] && return 0
		sleep 0.1
	done
	return 1
}

# The SIGHUPs a stand-in has received, one "HUP GEN" line each, after
# giving a signal sent just before time to arrive.
hups() {
	sleep 0.3
	cat "$BATS_TEST_TMPDIR/${1:-dp}.log"
}

# Wait until a stand-in has handled N SIGHUPs: a busy machine may run its
# trap late, after the test has already changed the file it reads.
wait_hups() {
	local n=$1 log="$BATS_TEST_TMPDIR/${2:-dp}.log"

	for _ in $(seq 100); do
		[ "$(wc -l <"$log")" -ge "$n" ] && return 0
		sleep 0.1
	done
	return 1
}

# One line of the file's header: "generation", "hash", "origin"; YAML's
# quotes, which "a: b" needs, are taken off.
header() {
	sed -n "s/^$1: //p" "${2:-$OUT}" | head -1 | sed "s/^'\\(.*\\)'$/\\1/"
}

# The document of the file without its header, as it was hashed.
body() {
	sed -e '1,/^origin: /d' "${1:-$OUT}"
}

generations() {
	sqlite3 "$VNB_STORE" "select count(*) from generations
	    where scope = '${1:-scope1}'"
}

state_of() {
	sqlite3 "$VNB_STORE" "select state from generations
	    where scope = 'scope1' and generation = $1"
}

@test "a flush compiles the scope into the dataplane file" {
	run flush scope1
	assert_success
	assert_output --regexp "^scope 'scope1': generation 1 is active \(sha256:[0-9a-f]{64}\)$"
	[ "$(stat -c %a "$OUT")" = 644 ]
	[ "$(header generation)" = 1 ]
	[ "$(header format)" = 1 ]
	[ "$(header scope)" = scope1 ]
	[ "$(header user)" = tester ]
	[ "$(header origin)" = flush ]
	# The hash covers the document, and the store has the same one.
	hash=$(header hash)
	[ "$hash" = "sha256:$( (echo ---; body) | sha256sum | cut -d' ' -f1)" ]
	[ "$(sqlite3 "$VNB_STORE" 'select hash from generations')" = "$hash" ]
}

@test "the document has no references left" {
	flush scope1
	run "$PY" - "$OUT" <<-'EOF'
	import sys, yaml
	d = yaml.safe_load(open(sys.argv[1]))
	assert set(d["plugins"]) == {"netflow", "sflow", "rawforward"}
	nf = d["plugins"]["netflow"]
	assert nf["active-timeout"] == 10 and nf["timeout-rate"] == 600, nf
	assert "tos" in nf["match"] and "vlan" in nf["collect"], nf
	a = {x["name"]: x for x in d["associations"]}
	assert sorted(a) == ["Control_Plane_ICMP", "PDN_TCP_balanced",
	    "PDN_UDP_raw", "PDN_sampled"], sorted(a)
	pdn = a["PDN_TCP_balanced"]
	assert pdn["plugin"] == "netflow" and pdn["direction"] == "ingress"
	assert pdn["source"] == {"name": "PDN", "mac": "02:00:00:00:00:02",
	    "vlan": 100}, pdn["source"]
	assert pdn["collectors"]["set"] == "NF_Collectorset"
	assert pdn["collectors"]["algorithm"] == "weighted-round-robin"
	assert [(m["address"], m["port"], m["weight"])
	    for m in pdn["collectors"]["members"]] == [("203.0.113.41", 2055,
	    20), ("203.0.113.42", 2055, 30), ("203.0.113.43", 2055, 50)]
	r = pdn["policy"]["rules"][0]
	assert r["name"] == "Dataplane_TCP_Rule" and r["truncate"] == 1300
	c = r["classification"]
	assert c["protocol"] == "tcp" and c["source-ip"] == "192.0.2.0/24", c
	raw = a["PDN_UDP_raw"]["collectors"]["members"][0]
	assert raw["encapsulation"] == "udp" and raw["port"] == 30000, raw
	assert "description" not in open(sys.argv[1]).read()
	EOF
	assert_success
}

@test "rules are in match order: priority, then the policy's order" {
	secmonctl set rule Dataplane_ICMP_Rule --scope scope1 --priority 7
	secmonctl set rule Dataplane_TCP_Rule --scope scope1 --priority 0
	flush scope1
	run "$PY" - "$OUT" <<-'EOF'
	import sys, yaml
	d = yaml.safe_load(open(sys.argv[1]))
	a = {x["name"]: x for x in d["associations"]}
	print(" ".join(r["name"] for r in
	    a["Control_Plane_ICMP"]["policy"]["rules"]))
	EOF
	assert_output "Dataplane_TCP_Rule Dataplane_UDP_Rule Dataplane_ICMP_Rule"
}

@test "a staged change stays invisible to the dataplane until flushed" {
	standin
	flush scope1
	wait_hups 1
	cp "$OUT" before.yaml
	secmonctl set rule Dataplane_UDP_Rule --scope scope1 --truncate 64
	secmonctl delete netflow-association Control_Plane_ICMP --scope scope1
	cmp "$OUT" before.yaml
	run hups
	assert_output "HUP 1"

	run flush scope1
	assert_success
	assert_output --partial "generation 2 is active"
	wait_hups 2
	! cmp -s "$OUT" before.yaml
	grep -q 'truncate: 64' "$OUT"
	! grep -q Control_Plane_ICMP "$OUT"
	run hups
	assert_output "HUP 1
HUP 2"
}

@test "flushing an unchanged scope makes no generation and signals nothing" {
	standin
	flush scope1
	ino=$(stat -c %i "$OUT")
	secmonctl set source PDN --scope scope1 --description "only words"
	run flush scope1
	assert_success
	assert_output "scope 'scope1': unchanged, generation 1 is active"
	[ "$(generations)" = 1 ]
	[ "$(stat -c %i "$OUT")" = "$ino" ]
	run hups
	assert_output "HUP 1"
}

@test "an unchanged flush rewrites a missing or stale file and signals" {
	standin
	flush scope1
	wait_hups 1
	rm "$OUT"
	run flush scope1
	assert_success
	assert_output "scope 'scope1': unchanged, generation 1 is active (file rewritten)"
	[ "$(header generation)" = 1 ]
	[ "$(generations)" = 1 ]
	wait_hups 2
	run hups
	assert_output "HUP 1
HUP 1"
}

@test "every dataplane of the scope is signalled; stale pidfiles are named" {
	standin dp1
	standin dp2
	echo 999999 >"$RUN/scope1/gone.pid"
	run -0 --separate-stderr flush scope1
	[[ "$stderr" == *"$RUN/scope1/gone.pid: cannot signal pid 999999"* ]]
	run hups dp1
	assert_output "HUP 1"
	run hups dp2
	assert_output "HUP 1"
}

@test "explicit pidfiles replace the run directory" {
	standin
	mkdir other
	dataplane-standin other/x.pid "$OUT" other.log </dev/null \
	    >/dev/null 2>&1 3>&- &
	STANDINS+=("$!")
	while [ ! -s other/x.pid ]; do sleep 0.1; done
	flush --pidfile other/x.pid scope1
	sleep 0.3
	[ "$(cat other.log)" = "HUP 1" ]
	run hups
	assert_output ""
}

@test "a scope that fails validation is not flushed, and every problem shows" {
	standin
	flush scope1
	cp "$OUT" before.yaml
	secmonctl delete netflow-config scope1 --scope scope1
	secmonctl delete sflow-config scope1 --scope scope1
	secmonctl set rule Dataplane_UDP_Rule --scope scope1 --truncate 64
	run -1 --separate-stderr flush scope1
	assert_output ""
	[[ "$stderr" == *"scope 'scope1': netflow is enabled but the scope has no netflow-config"* ]]
	[[ "$stderr" == *"scope 'scope1': sflow is enabled but the scope has no sflow-config"* ]]
	[[ "$stderr" == *"scope 'scope1' not flushed: 2 errors"* ]]
	cmp "$OUT" before.yaml
	[ "$(generations)" = 1 ]
	run hups
	assert_output "HUP 1"
}

@test "a missing scope is an error" {
	run -1 flush nosuch
	assert_output --partial "no scope 'nosuch'"
	[ ! -e "$OUT" ]
}

@test "overlapping rules of equal priority are warned about" {
	cat >more.yaml <<-'EOF'
	kind: classification
	scope: scope1
	name: web
	destination-ip: 198.51.100.0/25
	protocol: tcp
	destination-port: 80
	---
	kind: rule
	scope: scope1
	name: web
	classification: web
	priority: 1
	action: drop
	---
	kind: policy
	scope: scope1
	name: Policy_TCP
	rules: [Dataplane_TCP_Rule, web]
	EOF
	secmonctl apply -f more.yaml
	run -0 --separate-stderr flush scope1
	[[ "$stderr" == *"warning: scope 'scope1': policy 'Policy_TCP': rules 'Dataplane_TCP_Rule' and 'web' have priority 1 and overlap; 'Dataplane_TCP_Rule' is listed first and wins"* ]]
	# Different priorities, or no common packet: no warning.
	secmonctl set rule web --scope scope1 --priority 2
	run -0 --separate-stderr flush scope1
	[[ "$stderr" != *overlap* ]]
	secmonctl set rule web --scope scope1 --priority 1
	secmonctl set classification web --scope scope1 --protocol udp
	run -0 --separate-stderr flush scope1
	[[ "$stderr" != *overlap* ]]
}

@test "associations of a disabled plugin are left out with a warning" {
	secmonctl set scope scope1 --sflow disable
	run -0 --separate-stderr flush scope1
	[[ "$stderr" == *"warning: scope 'scope1': sflow-association 'PDN_sampled' is left out: sflow is disabled in the scope"* ]]
	! grep -q PDN_sampled "$OUT"
	! grep -q '^  sflow:' "$OUT"
}

@test "an enabled plugin that nothing uses is warned about" {
	secmonctl delete rawforward-association PDN_UDP_raw --scope scope1
	run -0 --separate-stderr flush scope1
	[[ "$stderr" == *"warning: scope 'scope1': rawforward is enabled but no rawforward-association uses it"* ]]
}

@test "netflow-monitor defaults apply when the scope has none" {
	secmonctl delete netflow-monitor scope1 --scope scope1
	flush scope1
	run "$PY" -c 'import sys, yaml
print(yaml.safe_load(open(sys.argv[1]))["plugins"]["netflow"]["match"])' "$OUT"
	assert_output "['source-address', 'destination-address', 'source-port', 'destination-port', 'protocol', 'tos', 'input-interface']"
}

@test "--diff shows what a flush would change" {
	run flush --diff scope1
	assert_success
	assert_line --index 0 "--- scope1 (never flushed)"
	assert_line --index 1 "+++ scope1 (staged)"
	[ ! -e "$OUT" ]

	flush scope1
	run flush --diff scope1
	assert_success
	assert_output "scope 'scope1': no changes to flush (generation 1 is active)"

	secmonctl set rule Dataplane_UDP_Rule --scope scope1 --truncate 64
	run flush --diff scope1
	assert_success
	assert_line --index 0 "--- scope1 generation 1 (active)"
	assert_line --index 1 "+++ scope1 (staged)"
	assert_line -- "-      truncate: 1300"
	assert_line -- "+      truncate: 64"
	[ "$(generations)" = 1 ]
	[ "$(header generation)" = 1 ]
}

@test "--diff reports a scope that would fail" {
	secmonctl delete sflow-config scope1 --scope scope1
	run -1 flush --diff scope1
	assert_output --partial "no sflow-config"
}

@test "--list shows the generations, newest first" {
	flush scope1
	secmonctl set rule Dataplane_UDP_Rule --scope scope1 --truncate 64
	flush scope1
	run flush --list scope1
	assert_success
	assert_line --index 0 --regexp '^SCOPE +GENERATION +TIME +USER +STATE +ORIGIN +HASH$'
	assert_line --index 1 --regexp '^scope1 +2 +20[0-9-]+T[0-9:.]+Z +tester +active +flush +sha256:[0-9a-f]{12}$'
	assert_line --index 2 --regexp '^scope1 +1 .* tester +- +flush '
	run flush --list --format json scope1
	assert_success
	run "$PY" -c 'import json, sys
g = json.load(sys.stdin)
print([(x["generation"], x["active"], x["state"]) for x in g])' <<<"$output"
	assert_output "[(2, True, 'confirmed'), (1, False, 'confirmed')]"
}

@test "--list without a scope shows each scope's active generation" {
	secmonctl create scope other >/dev/null
	flush scope1
	vnb-flush -o other.yaml --run-dir "$RUN" other
	vnb-flush -o other.yaml --run-dir "$RUN" other
	secmonctl set rule Dataplane_UDP_Rule --scope scope1 --truncate 64
	flush scope1
	run flush --list
	assert_success
	assert_equal "${#lines[@]}" 3
	assert_line --index 1 --regexp '^other +1 '
	assert_line --index 2 --regexp '^scope1 +2 '
}

@test "a rollback makes an older generation active as a new one" {
	standin
	flush scope1
	wait_hups 1
	body >gen1.yaml
	secmonctl set rule Dataplane_UDP_Rule --scope scope1 --truncate 64
	flush scope1
	wait_hups 2
	run flush --rollback scope1 1
	assert_success
	assert_output --partial "generation 3 is active"
	[ "$(header generation)" = 3 ]
	[ "$(header origin)" = "rollback to 1" ]
	body | diff - gen1.yaml
	[ "$(sqlite3 "$VNB_STORE" "select count(distinct hash) from generations
	    where generation in (1, 3)")" = 1 ]
	wait_hups 3
	run hups
	assert_output "HUP 1
HUP 2
HUP 3"
	# The store keeps the staged change: the next flush brings it back.
	run flush --diff scope1
	assert_line -- "+      truncate: 64"
}

@test "rolling back to what is active changes nothing" {
	flush scope1
	run flush --rollback scope1 1
	assert_success
	assert_output "scope 'scope1': unchanged, generation 1 is active"
	[ "$(generations)" = 1 ]
}

@test "a rollback to a generation that does not exist is refused" {
	flush scope1
	run -1 flush --rollback scope1 7
	assert_output "vnb-flush: scope 'scope1' has no generation 7"
	run -2 flush --rollback scope1 x
	assert_line --index 0 --partial "generation: "
	[ "$(generations)" = 1 ]
}

@test "an unconfirmed flush rolls back by itself within a second of its deadline" {
	standin
	flush scope1
	wait_hups 1
	body >gen1.yaml
	secmonctl set rule Dataplane_UDP_Rule --scope scope1 --truncate 64
	run flush --confirm 2 scope1
	assert_success
	assert_output --regexp "generation 2 is active .*; confirm it with 'vnb-flush --confirmed scope1' by .*, or generation 1 comes back"
	deadline=$(sqlite3 "$VNB_STORE" "select deadline from generations
	    where generation = 2")
	[ "$(state_of 2)" = pending ]
	[ "$(header generation)" = 2 ]
	wait_hups 2

	# Wait for the timer: generation 3 puts generation 1's document back.
	for _ in $(seq 60); do
		[ "$(header generation)" = 3 ] && break
		sleep 0.1
	done
	now=$(date +%s.%N)
	[ "$(header generation)" = 3 ]
	[ "$(header origin)" = "revert to 1: 2 was not confirmed" ]
	body | diff - gen1.yaml
	[ "$(state_of 2)" = expired ]
	"$PY" - "$deadline" "$now" <<-'EOF'
	import sys, datetime
	d = datetime.datetime.strptime(sys.argv[1], "%Y-%m-%dT%H:%M:%S.%fZ")
	d = d.replace(tzinfo=datetime.timezone.utc).timestamp()
	late = float(sys.argv[2]) - d
	print("reverted %.3f s after the deadline" % late)
	assert -0.05 <= late <= 1.0, late
	EOF
	wait_hups 3
	run hups
	assert_output "HUP 1
HUP 2
HUP 3"
	run flush --list scope1
	assert_line --index 1 --regexp '^scope1 +3 .* active +revert to 1: 2 was not confirmed '
	assert_line --index 2 --regexp '^scope1 +2 .* expired +flush '
}

@test "a confirmed flush stays" {
	standin
	flush scope1
	wait_hups 1
	secmonctl set rule Dataplane_UDP_Rule --scope scope1 --truncate 64
	flush --confirm 2 scope1
	wait_hups 2
	run flush --confirmed scope1
	assert_success
	assert_output "scope 'scope1': generation 2 is confirmed"
	[ "$(state_of 2)" = confirmed ]
	sleep 2.5
	[ "$(generations)" = 2 ]
	[ "$(header generation)" = 2 ]
	run hups
	assert_output "HUP 1
HUP 2"
	run -1 flush --confirmed scope1
	assert_output "vnb-flush: scope 'scope1' has no flush waiting for confirmation"
}

@test "a second conditional flush replaces the first, and both are undone" {
	flush scope1
	body >gen1.yaml
	secmonctl set rule Dataplane_UDP_Rule --scope scope1 --truncate 64
	flush --confirm 1 scope1
	secmonctl set rule Dataplane_UDP_Rule --scope scope1 --truncate 65
	run flush --confirm 2 scope1
	assert_output --partial "or generation 1 comes back"
	[ "$(state_of 2)" = superseded ]
	sleep 1.5
	[ "$(header generation)" = 3 ]
	for _ in $(seq 30); do
		[ "$(header generation)" = 4 ] && break
		sleep 0.1
	done
	[ "$(header origin)" = "revert to 1: 3 was not confirmed" ]
	body | diff - gen1.yaml
}

@test "a plain flush during the wait ends it" {
	flush scope1
	secmonctl set rule Dataplane_UDP_Rule --scope scope1 --truncate 64
	flush --confirm 1 scope1
	secmonctl set rule Dataplane_UDP_Rule --scope scope1 --truncate 65
	flush scope1
	sleep 1.5
	[ "$(generations)" = 3 ]
	[ "$(state_of 2)" = superseded ]
	[ "$(header generation)" = 3 ]
}

@test "an overdue flush is undone by the next command if its timer died" {
	standin
	flush scope1
	wait_hups 1
	body >gen1.yaml
	secmonctl set rule Dataplane_UDP_Rule --scope scope1 --truncate 64
	flush --confirm 1 scope1
	wait_hups 2
	pkill -f -- "-o $OUT"
	sleep 1.3
	[ "$(header generation)" = 2 ]
	run -1 flush --confirmed scope1
	assert_output --partial "generation 2 was not confirmed by"
	assert_output --partial "has no flush waiting for confirmation (its deadline passed, and the previous generation is back)"
	[ "$(header generation)" = 3 ]
	body | diff - gen1.yaml
	wait_hups 3
	run hups
	assert_output "HUP 1
HUP 2
HUP 3"
}

@test "--confirm needs a confirmed generation to go back to" {
	run -1 flush --confirm 10 scope1
	assert_output --partial "scope 'scope1' has no confirmed generation to go back to"
	[ "$(generations)" = 0 ]
	[ ! -e "$OUT" ]
}

@test "--fetch brings a dataplane host's file up to date, and only then signals" {
	standin
	flush scope1
	wait_hups 1
	run vnb-flush --fetch -o host.yaml --pidfile "$RUN/scope1/dp.pid" scope1
	assert_success
	assert_output "scope 'scope1': generation 1 fetched"
	cmp host.yaml "$OUT"
	run vnb-flush --fetch -o host.yaml --pidfile "$RUN/scope1/dp.pid" scope1
	assert_success
	assert_output ""
	wait_hups 2
	run hups
	assert_output "HUP 1
HUP 1"
	# Staged changes are not fetched; flushed ones are.
	secmonctl set rule Dataplane_UDP_Rule --scope scope1 --truncate 64
	vnb-flush --fetch -o host.yaml --pidfile "$RUN/scope1/dp.pid" scope1
	[ "$(header generation host.yaml)" = 1 ]
	flush scope1
	run vnb-flush --fetch -o host.yaml --pidfile "$RUN/scope1/dp.pid" scope1
	assert_output "scope 'scope1': generation 2 fetched"
	cmp host.yaml "$OUT"
}

@test "--fetch of a scope never flushed is an error" {
	run -1 vnb-flush --fetch -o host.yaml --pidfile x.pid scope1
	assert_output "vnb-flush: scope 'scope1' has never been flushed"
	[ ! -e host.yaml ]
}

@test "flushes, confirmations and expiries are in the history" {
	flush scope1
	secmonctl set rule Dataplane_UDP_Rule --scope scope1 --truncate 64
	flush --confirm 5 scope1
	flush --confirmed scope1
	run secmonctl history scope scope1
	assert_line --regexp ' flush +scope +- +scope1 +generation: - -> 1$'
	assert_line --regexp ' flush +scope +- +scope1 +generation: 1 -> 2$'
	assert_line --regexp ' confirm +scope +- +scope1 +generation 2: pending -> confirmed$'
}

@test "an older store gains generations when it is opened" {
	sqlite3 "$VNB_STORE" 'DROP TABLE generations; PRAGMA user_version = 1'
	run flush scope1
	assert_success
	[ "$(sqlite3 "$VNB_STORE" 'PRAGMA user_version')" = 2 ]
	assert_store_ok
}

@test "usage errors" {
	run -2 vnb-flush
	assert_line --index 0 --partial "usage: vnb-flush"
	run -2 vnb-flush --diff --list scope1
	assert_line --index 0 "vnb-flush: give only one of --diff, --list, --rollback, --confirmed and --fetch"
	run -2 vnb-flush --confirm 10 --diff scope1
	assert_line --index 0 "vnb-flush: --confirm goes with a flush or a rollback"
	run -2 vnb-flush --confirm 0 scope1
	assert_line --index 0 "vnb-flush: --confirm: must be 1s to 1d"
	run -2 vnb-flush --fetch scope1
	assert_line --index 0 "vnb-flush: --fetch needs -o FILE and --pidfile FILE"
	run -1 vnb-flush ../x
	assert_output "vnb-flush: '../x' cannot be a scope's file name"
	run -0 vnb-flush --version
	assert_output --regexp '^vnb-flush \(vnb\) '
}

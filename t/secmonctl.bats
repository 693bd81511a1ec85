#!/usr/bin/env bats
# secmonctl as a user drives it: apply and export of every kind, the
# object verbs, refused input, pruning, listing, history, usage, and two
# writers at once, each against a real SQLite store.

load helpers

bats_require_minimum_version 1.5.0

EXAMPLE="$VNB_SRCDIR/examples/secmon.yaml"

setup() {
	vnb_setup
	secmonctl init >/dev/null
}

# What a user can see of the store: its export and how many changes its
# history holds.  A refused command must leave both as they were.
store_state() {
	secmonctl export
	sqlite3 "$VNB_STORE" 'select count(*) from history'
}

# Rows of the objects table, of one kind and name or of every object.
objects_in_store() {
	if [ $# -eq 0 ]; then
		sqlite3 "$VNB_STORE" 'select count(*) from objects'
	else
		sqlite3 "$VNB_STORE" "select count(*) from objects
		    where kind = '$1' and name = '$2'"
	fi
}

# One field of an object as 'get -o json' shows it: strings bare, other
# values as compact JSON, "(absent)" for a field the object lacks.
field() {
	secmonctl -o json get "$1" "$2" | python3 -c '
import json, sys
v = json.load(sys.stdin).get(sys.argv[1], "(absent)")
print(v if isinstance(v, str) else json.dumps(v, separators=(",", ":")))
' "$3"
}

assert_field() {
	assert_equal "$(field "$1" "$2" "$3")" "$4"
}

# Delete an object (of scope, if given) and check that the store no
# longer has it.
assert_deletes() {
	local kind=$1 name=$2 where=""

	[ -z "${3:-}" ] || where=" in scope '$3'"

	run secmonctl delete "$kind" "$name"
	assert_success
	assert_output "deleted $kind '$name'$where"
	assert_equal "$(objects_in_store "$kind" "$name")" 0
	run secmonctl get "$kind" "$name"
	assert_failure 1
	assert_output "secmonctl: no $kind '$name'"
}

# Applying file must fail with exactly the messages given, one a line,
# and change nothing.
assert_apply_refused() {
	local file=$1 before

	shift
	before=$(store_state)
	run secmonctl apply -f "$file"
	assert_failure 1
	assert_output "$(printf '%s\n' "$@")"
	assert_equal "$(store_state)" "$before"
}

# The objects every kind's documents below may refer to: one scope with
# a source, classification, two rules, a policy, and a collector and a
# collector set for each plugin.
world() {
	cat <<'EOF'
---
kind: scope
name: s
netflow: enable
sflow: enable
rawforward: enable
---
kind: source
scope: s
name: src
mac: "02:00:00:00:00:01"
---
kind: classification
scope: s
name: cl
source-ip: 192.0.2.0/24
destination-ip: 198.51.100.0/24
protocol: udp
---
kind: rule
scope: s
name: q
classification: cl
priority: 20
---
kind: rule
scope: s
name: r
classification: cl
priority: 10
---
kind: policy
scope: s
name: p
rules: [r]
---
kind: netflow-collector
scope: s
name: nc
address: 203.0.113.1
---
kind: netflow-collector-set
scope: s
name: ncs
members: [nc]
---
kind: rawforward-collector
scope: s
name: rc
address: 203.0.113.2
port: 30000
---
kind: rawforward-collector-set
scope: s
name: rcs
members: [rc]
---
kind: sflow-collector
scope: s
name: sc
address: 203.0.113.3
---
kind: sflow-collector-set
scope: s
name: scs
members: [sc]
EOF
}

apply_world() {
	world > world.yaml
	run secmonctl apply -f world.yaml
	assert_success
	assert_line "12 created, 0 updated, 0 deleted, 0 unchanged"
}

# Objects of one kind with every field set, written exactly as export
# writes them, so that the export must contain them unchanged.  Their
# names sort after or before the world's, never between.
kind_doc() {
	case $1 in
	scope) cat <<'EOF' ;;
---
kind: scope
name: lab
netflow: enable
sflow: disable
rawforward: enable
description: every field set
EOF
	source) cat <<'EOF' ;;
---
kind: source
scope: s
name: vm1
mac: "02:00:00:00:00:10"
vlan: 4094
port: 1023
description: a tagged VM
EOF
	classification) cat <<'EOF' ;;
---
kind: classification
scope: s
name: web6
source-ip: 2001:db8::/64
destination-ip: 2001:db8:1::1/128
source-mac: "02:00:00:00:00:01"
destination-mac: "02:00:00:00:00:02"
source-port: 1024-65535
destination-port: "443"
protocol: tcp
vlan: 12
family: ipv6
description: HTTPS over IPv6
EOF
	rule) cat <<'EOF' ;;
---
kind: rule
scope: s
name: r2
classification: cl
priority: 0
truncate: 1024
action: drop
description: drop the rest
EOF
	policy) cat <<'EOF' ;;
---
kind: policy
scope: s
name: p2
rules:
- r
- q
description: two rules, not in name order
EOF
	netflow-collector) cat <<'EOF' ;;
---
kind: netflow-collector
scope: s
name: nf1
address: 2001:db8::7
port: 9995
description: the NOC's collector
EOF
	netflow-collector-set) cat <<'EOF' ;;
---
kind: netflow-collector-set
scope: s
name: nfset
members:
- name: nc
  weight: 3
algorithm: weighted-round-robin
description: weighted
EOF
	netflow-association) cat <<'EOF' ;;
---
kind: netflow-association
scope: s
name: nfa
source: src
policy: p
collector: nc
direction: egress
description: to one collector
---
kind: netflow-association
scope: s
name: nfb
source: src
policy: p
collector-set: ncs
direction: both
EOF
	rawforward-collector) cat <<'EOF' ;;
---
kind: rawforward-collector
scope: s
name: raw_erspan
address: 2001:db8::22
encapsulation: erspan
session: 1023
description: the analyzer
---
kind: rawforward-collector
scope: s
name: raw_gre
address: 203.0.113.22
encapsulation: gre
---
kind: rawforward-collector
scope: s
name: raw_vxlan
address: 203.0.113.21
encapsulation: vxlan
port: 4789
vni: 16777215
EOF
	rawforward-collector-set) cat <<'EOF' ;;
---
kind: rawforward-collector-set
scope: s
name: rawset
members:
- name: rc
  weight: 1
algorithm: session
description: by session
EOF
	rawforward-association) cat <<'EOF' ;;
---
kind: rawforward-association
scope: s
name: rfa
source: src
policy: p
collector: rc
direction: ingress
---
kind: rawforward-association
scope: s
name: rfb
source: src
policy: p
collector-set: rcs
direction: egress
description: to the set
EOF
	sflow-collector) cat <<'EOF' ;;
---
kind: sflow-collector
scope: s
name: sf1
address: 198.51.100.9
port: 6400
description: sampled flows
EOF
	sflow-collector-set) cat <<'EOF' ;;
---
kind: sflow-collector-set
scope: s
name: sfset
members:
- name: sc
  weight: 1
algorithm: round-robin
description: just one
EOF
	sflow-association) cat <<'EOF' ;;
---
kind: sflow-association
scope: s
name: sfa
source: src
policy: p
collector: sc
direction: both
---
kind: sflow-association
scope: s
name: sfb
source: src
policy: p
collector-set: scs
direction: ingress
description: balanced
EOF
	netflow-config) cat <<'EOF' ;;
---
kind: netflow-config
scope: s
name: s
version: ipfix
active-timeout: 1h
inactive-timeout: 1m30s
refresh-rate: 1000000
timeout-rate: 1d
max-flows: 16777216
observation-domain: 4294967295
EOF
	netflow-monitor) cat <<'EOF' ;;
---
kind: netflow-monitor
scope: s
name: s
match:
- vlan
- mac-address
collect:
- counters
- tcp-flags
EOF
	sflow-config) cat <<'EOF' ;;
---
kind: sflow-config
scope: s
name: s
sampling-rate: 16777215
polling-interval: 0s
header-bytes: 14
agent-address: 2001:db8::fe
EOF
	*)
		return 1 ;;
	esac
}

# Apply file, export, apply the export: the second apply changes
# nothing and the second export is byte for byte the first.
assert_round_trip() {
	local file=$1 n

	n=$(grep -c '^kind:' "$file")
	run secmonctl apply -f "$file"
	assert_success
	assert_line "$n created, 0 updated, 0 deleted, 0 unchanged"

	secmonctl export > one.yaml
	run secmonctl apply -f one.yaml
	assert_success
	assert_output "0 created, 0 updated, 0 deleted, $n unchanged"
	secmonctl export > two.yaml
	cmp one.yaml two.yaml
}

# A kind's objects survive apply and export with every field intact.
round_trip() {
	{ world; kind_doc "$1"; } > in.yaml
	assert_round_trip in.yaml
	run cat one.yaml
	assert_output --partial "$(kind_doc "$1")"
}

@test "secmonctl: the guide's example survives apply, export, apply" {
	assert_round_trip "$EXAMPLE"
	assert_equal "$(objects_in_store)" 26
	assert_equal "$(grep -c '^kind: ' one.yaml)" 26
}

@test "secmonctl: export -o json applies back unchanged" {
	secmonctl apply -f "$EXAMPLE" >/dev/null
	secmonctl -o json export > one.json
	before=$(store_state)

	run secmonctl apply -f one.json
	assert_success
	assert_output "0 created, 0 updated, 0 deleted, 26 unchanged"
	assert_equal "$(store_state)" "$before"
	secmonctl -o json export | cmp - one.json
}

@test "secmonctl: every kind has a round-trip document here" {
	local kinds

	kinds=$(secmonctl kinds | awk 'NR > 1 { print $1 }')
	assert_equal "$(echo "$kinds" | wc -l)" 17
	for k in $kinds; do
		kind_doc "$k" >/dev/null || fail "no document for kind '$k'"
	done
}

@test "secmonctl: round trip: scope" { round_trip scope; }
@test "secmonctl: round trip: source" { round_trip source; }
@test "secmonctl: round trip: classification" { round_trip classification; }
@test "secmonctl: round trip: rule" { round_trip rule; }
@test "secmonctl: round trip: policy" { round_trip policy; }
@test "secmonctl: round trip: netflow-collector" {
	round_trip netflow-collector
}
@test "secmonctl: round trip: netflow-collector-set" {
	round_trip netflow-collector-set
}
@test "secmonctl: round trip: netflow-association" {
	round_trip netflow-association
}
@test "secmonctl: round trip: rawforward-collector (udp, vxlan, gre, erspan)" {
	round_trip rawforward-collector
}
@test "secmonctl: round trip: rawforward-collector-set" {
	round_trip rawforward-collector-set
}
@test "secmonctl: round trip: rawforward-association" {
	round_trip rawforward-association
}
@test "secmonctl: round trip: sflow-collector" { round_trip sflow-collector; }
@test "secmonctl: round trip: sflow-collector-set" {
	round_trip sflow-collector-set
}
@test "secmonctl: round trip: sflow-association" {
	round_trip sflow-association
}
@test "secmonctl: round trip: netflow-config" { round_trip netflow-config; }
@test "secmonctl: round trip: netflow-monitor" { round_trip netflow-monitor; }
@test "secmonctl: round trip: sflow-config" { round_trip sflow-config; }

@test "secmonctl: apply stores values in canonical form" {
	cat > odd.yaml <<'EOF'
---
kind: scope
name: s
netflow: enabled
---
kind: classification
scope: s
name: c
source-ip: 2001:DB8:0:0::/64
destination-ip: 2001:db8::1
protocol: 6
family: inet6
destination-port: 443-443
---
kind: netflow-config
scope: s
version: 10
active-timeout: 90s
EOF
	run secmonctl apply -f odd.yaml
	assert_success
	assert_field scope s netflow enable
	assert_field classification c source-ip 2001:db8::/64
	assert_field classification c destination-ip 2001:db8::1/128
	assert_field classification c protocol tcp
	assert_field classification c family ipv6
	assert_field classification c destination-port 443
	assert_field netflow-config s name s
	assert_field netflow-config s version ipfix
	assert_field netflow-config s active-timeout 1m30s
}

# create, set, --unset and delete, kind by kind.

@test "secmonctl: create, set and delete a scope" {
	run secmonctl create scope lab --netflow enable --description "the lab"
	assert_success
	assert_output "created scope 'lab'"
	assert_equal "$(objects_in_store scope lab)" 1
	assert_field scope lab netflow enable
	assert_field scope lab sflow disable
	assert_field scope lab description "the lab"

	run secmonctl set scope lab --sflow enabled
	assert_success
	assert_output "updated scope 'lab'"
	assert_field scope lab sflow enable

	run secmonctl set scope lab --unset description --unset netflow
	assert_success
	assert_field scope lab description "(absent)"
	assert_field scope lab netflow disable

	assert_deletes scope lab
}

@test "secmonctl: create, set and delete a source" {
	apply_world
	run secmonctl create source vm --scope s --mac 02:00:00:00:00:0A \
	    --vlan 10
	assert_success
	assert_output "created source 'vm' in scope 's'"
	assert_field source vm mac 02:00:00:00:00:0a
	assert_field source vm vlan 10

	run secmonctl set source vm --vlan 20 --port 7
	assert_success
	assert_output "updated source 'vm' in scope 's'"
	assert_field source vm vlan 20
	assert_field source vm port 7

	run secmonctl set source vm --unset vlan
	assert_success
	assert_field source vm vlan "(absent)"
	assert_field source vm port 7

	assert_deletes source vm s
}

@test "secmonctl: create, set and delete a classification" {
	apply_world
	run secmonctl create classification web --scope s \
	    --source-ip 192.0.2.0/24 --protocol tcp --destination-port 443
	assert_success
	assert_output "created classification 'web' in scope 's'"
	assert_field classification web source-ip 192.0.2.0/24
	assert_field classification web destination-ip any
	assert_field classification web destination-port 443

	run secmonctl set classification web --destination-port 8000-8080
	assert_success
	assert_field classification web destination-port 8000-8080

	run secmonctl set classification web --unset source-ip
	assert_success
	assert_field classification web source-ip any

	assert_deletes classification web s
}

@test "secmonctl: create, set and delete a rule" {
	apply_world
	run secmonctl create rule r9 --scope s --classification cl \
	    --priority 1 --truncate 2k
	assert_success
	assert_output "created rule 'r9' in scope 's'"
	assert_field rule r9 classification cl
	assert_field rule r9 priority 1
	assert_field rule r9 truncate 2048
	assert_field rule r9 action forward

	run secmonctl set rule r9 --priority 5 --action drop
	assert_success
	assert_field rule r9 priority 5
	assert_field rule r9 action drop

	run secmonctl set rule r9 --unset action
	assert_success
	assert_field rule r9 action forward

	assert_deletes rule r9 s
}

@test "secmonctl: create, set and delete a policy" {
	apply_world
	run secmonctl create policy p9 --scope s --rules r,q
	assert_success
	assert_output "created policy 'p9' in scope 's'"
	assert_field policy p9 rules '["r","q"]'

	run secmonctl set policy p9 --rules q,r --description both
	assert_success
	assert_field policy p9 rules '["q","r"]'
	assert_field policy p9 description both

	run secmonctl set policy p9 --unset description
	assert_success
	assert_field policy p9 description "(absent)"

	assert_deletes policy p9 s
}

@test "secmonctl: create, set and delete a netflow-collector" {
	apply_world
	run secmonctl create netflow-collector nf9 --scope s \
	    --address 203.0.113.50
	assert_success
	assert_output "created netflow-collector 'nf9' in scope 's'"
	assert_field netflow-collector nf9 address 203.0.113.50
	assert_field netflow-collector nf9 port 2055

	run secmonctl set netflow-collector nf9 --port 9995
	assert_success
	assert_field netflow-collector nf9 port 9995

	run secmonctl set netflow-collector nf9 --unset port
	assert_success
	assert_field netflow-collector nf9 port 2055

	assert_deletes netflow-collector nf9 s
}

@test "secmonctl: create, set and delete a netflow-collector-set" {
	apply_world
	secmonctl create netflow-collector nf9 --scope s \
	    --address 203.0.113.50 >/dev/null
	run secmonctl create netflow-collector-set set9 --scope s \
	    --members nc:2,nf9:8 --algorithm wrr
	assert_success
	assert_output "created netflow-collector-set 'set9' in scope 's'"
	assert_field netflow-collector-set set9 members \
	    '[{"name":"nc","weight":2},{"name":"nf9","weight":8}]'
	assert_field netflow-collector-set set9 algorithm weighted-round-robin

	run secmonctl set netflow-collector-set set9 --members nf9
	assert_success
	assert_field netflow-collector-set set9 members \
	    '[{"name":"nf9","weight":1}]'

	run secmonctl set netflow-collector-set set9 --unset algorithm
	assert_success
	assert_field netflow-collector-set set9 algorithm round-robin

	assert_deletes netflow-collector-set set9 s
}

@test "secmonctl: create, set and delete a netflow-association" {
	apply_world
	run secmonctl create netflow-association a9 --scope s --source src \
	    --policy p --collector nc
	assert_success
	assert_output "created netflow-association 'a9' in scope 's'"
	assert_field netflow-association a9 collector nc
	assert_field netflow-association a9 direction both

	run secmonctl set netflow-association a9 --collector-set ncs
	assert_failure 1
	assert_output "secmonctl: netflow-association 'a9': collector-set: give a collector or a collector-set, not both"
	assert_field netflow-association a9 collector-set "(absent)"

	run secmonctl set netflow-association a9 --unset collector \
	    --collector-set ncs --direction ingress
	assert_success
	assert_field netflow-association a9 collector "(absent)"
	assert_field netflow-association a9 collector-set ncs
	assert_field netflow-association a9 direction ingress

	run secmonctl set netflow-association a9 --unset direction
	assert_success
	assert_field netflow-association a9 direction both

	assert_deletes netflow-association a9 s
}

@test "secmonctl: create, set and delete a rawforward-collector" {
	apply_world
	run secmonctl create rawforward-collector rx --scope s \
	    --address 2001:db8::30 --encapsulation vxlan --vni 100
	assert_success
	assert_output "created rawforward-collector 'rx' in scope 's'"
	assert_field rawforward-collector rx port 4789
	assert_field rawforward-collector rx vni 100

	run secmonctl set rawforward-collector rx --vni 200
	assert_success
	assert_field rawforward-collector rx vni 200

	run secmonctl set rawforward-collector rx --encapsulation erspan \
	    --session 3 --unset port --unset vni
	assert_success
	assert_field rawforward-collector rx encapsulation erspan
	assert_field rawforward-collector rx session 3
	assert_field rawforward-collector rx port "(absent)"
	assert_field rawforward-collector rx vni "(absent)"

	assert_deletes rawforward-collector rx s
}

@test "secmonctl: create, set and delete a rawforward-collector-set" {
	apply_world
	run secmonctl create rawforward-collector-set rset --scope s \
	    --members rc
	assert_success
	assert_output "created rawforward-collector-set 'rset' in scope 's'"
	assert_field rawforward-collector-set rset members \
	    '[{"name":"rc","weight":1}]'
	assert_field rawforward-collector-set rset algorithm round-robin

	run secmonctl set rawforward-collector-set rset --members rc:5 \
	    --algorithm weighted-round-robin
	assert_success
	assert_field rawforward-collector-set rset members \
	    '[{"name":"rc","weight":5}]'

	run secmonctl set rawforward-collector-set rset --description x
	assert_success
	run secmonctl set rawforward-collector-set rset --unset description
	assert_success
	assert_field rawforward-collector-set rset description "(absent)"

	assert_deletes rawforward-collector-set rset s
}

@test "secmonctl: create, set and delete a rawforward-association" {
	apply_world
	run secmonctl create rawforward-association ra --scope s --source src \
	    --policy p --collector-set rcs --direction egress
	assert_success
	assert_output "created rawforward-association 'ra' in scope 's'"
	assert_field rawforward-association ra collector-set rcs
	assert_field rawforward-association ra direction egress

	run secmonctl set rawforward-association ra --policy p --description y
	assert_success
	assert_field rawforward-association ra description y

	run secmonctl set rawforward-association ra --unset direction
	assert_success
	assert_field rawforward-association ra direction both

	assert_deletes rawforward-association ra s
}

@test "secmonctl: create, set and delete an sflow-collector" {
	apply_world
	run secmonctl create sflow-collector sf9 --scope s --address 2001:db8::9
	assert_success
	assert_output "created sflow-collector 'sf9' in scope 's'"
	assert_field sflow-collector sf9 port 6343

	run secmonctl set sflow-collector sf9 --port 6400
	assert_success
	assert_field sflow-collector sf9 port 6400

	run secmonctl set sflow-collector sf9 --unset port
	assert_success
	assert_field sflow-collector sf9 port 6343

	assert_deletes sflow-collector sf9 s
}

@test "secmonctl: create, set and delete an sflow-collector-set" {
	apply_world
	run secmonctl create sflow-collector-set sset --scope s --members sc
	assert_success
	assert_output "created sflow-collector-set 'sset' in scope 's'"
	assert_field sflow-collector-set sset algorithm round-robin

	run secmonctl set sflow-collector-set sset --algorithm session
	assert_success
	assert_field sflow-collector-set sset algorithm session

	run secmonctl set sflow-collector-set sset --unset algorithm
	assert_success
	assert_field sflow-collector-set sset algorithm round-robin

	assert_deletes sflow-collector-set sset s
}

@test "secmonctl: create, set and delete an sflow-association" {
	apply_world
	run secmonctl create sflow-association sa --scope s --source src \
	    --policy p --collector sc
	assert_success
	assert_output "created sflow-association 'sa' in scope 's'"
	assert_field sflow-association sa direction both

	run secmonctl set sflow-association sa --direction egress
	assert_success
	assert_field sflow-association sa direction egress

	run secmonctl set sflow-association sa --unset direction
	assert_success
	assert_field sflow-association sa direction both

	assert_deletes sflow-association sa s
}

@test "secmonctl: create, set and delete a netflow-config" {
	apply_world
	# --version is the field here, not the option that prints ours.
	run secmonctl create netflow-config s --scope s --version ipfix
	assert_success
	assert_output "created netflow-config 's' in scope 's'"
	assert_field netflow-config s version ipfix
	assert_field netflow-config s active-timeout 1m

	run secmonctl set netflow-config s --active-timeout 2m --version=v5
	assert_success
	assert_field netflow-config s active-timeout 2m
	assert_field netflow-config s version v5

	run secmonctl set netflow-config s --unset active-timeout
	assert_success
	assert_field netflow-config s active-timeout 1m

	assert_deletes netflow-config s s
}

@test "secmonctl: create, set and delete a netflow-monitor" {
	apply_world
	run secmonctl create netflow-monitor s --scope s \
	    --match vlan,mac-address
	assert_success
	assert_output "created netflow-monitor 's' in scope 's'"
	assert_field netflow-monitor s match '["vlan","mac-address"]'
	assert_field netflow-monitor s collect \
	    '["counters","timestamps","tcp-flags"]'

	run secmonctl set netflow-monitor s --collect counters
	assert_success
	assert_field netflow-monitor s collect '["counters"]'

	run secmonctl set netflow-monitor s --unset match
	assert_success
	assert_field netflow-monitor s match \
	    '["source-address","destination-address","source-port","destination-port","protocol","tos","input-interface"]'

	assert_deletes netflow-monitor s s
}

@test "secmonctl: create, set and delete an sflow-config" {
	apply_world
	run secmonctl create sflow-config s --scope s --sampling-rate 512
	assert_success
	assert_output "created sflow-config 's' in scope 's'"
	assert_field sflow-config s sampling-rate 512

	run secmonctl set sflow-config s --polling-interval 30s
	assert_success
	assert_field sflow-config s polling-interval 30s

	run secmonctl set sflow-config s --unset sampling-rate
	assert_success
	assert_field sflow-config s sampling-rate 1024

	assert_deletes sflow-config s s
}

@test "secmonctl: create and set refuse bad options and leave the store alone" {
	apply_world
	before=$(store_state)

	run secmonctl create rule r --scope s --classification cl --priority 1
	assert_failure 1
	assert_output "secmonctl: rule 'r' already exists in scope 's'"

	run secmonctl create rule r9 --scope s --classification cl \
	    --priority 1 --priorty 2
	assert_failure 1
	assert_output "secmonctl: unknown option '--priorty' for a rule (did you mean '--priority'?)"

	run secmonctl create rule r9 --classification cl --priority 1
	assert_failure 2
	assert_line --index 0 "secmonctl: a rule needs --scope"

	run secmonctl create rule r9 --scope s --classification nope \
	    --priority 1
	assert_failure 1
	assert_output "secmonctl: rule 'r9' in scope 's': classification: no classification 'nope' in scope 's'"

	run secmonctl set source src --unset mac
	assert_failure 1
	assert_output "secmonctl: source 'src': mac: is required"

	run secmonctl set source src --unset colour
	assert_failure 1
	assert_output "secmonctl: --unset: a source has no field 'colour'"

	run secmonctl set source src --vlan 4095
	assert_failure 1
	assert_output "secmonctl: source 'src': vlan: '4095' is out of range 1-4094"

	assert_equal "$(store_state)" "$before"
}

# Deleting what others use.

@test "secmonctl: deleting a classification a rule uses is refused" {
	secmonctl apply -f "$EXAMPLE" >/dev/null
	before=$(store_state)

	run secmonctl delete classification Dataplane_TCP_class
	assert_failure 1
	assert_output "secmonctl: cannot delete classification 'Dataplane_TCP_class' in scope 'scope1': used by rule 'Dataplane_TCP_Rule' (--cascade deletes them too)"

	run secmonctl delete netflow-collector NF_Collector_A
	assert_failure 1
	assert_output "secmonctl: cannot delete netflow-collector 'NF_Collector_A' in scope 'scope1': used by netflow-collector-set 'NF_Collectorset' (--cascade deletes them too)"

	assert_equal "$(store_state)" "$before"
	assert_equal "$(objects_in_store classification Dataplane_TCP_class)" 1
}

@test "secmonctl: delete --cascade deletes the users too and says so" {
	secmonctl apply -f "$EXAMPLE" >/dev/null

	run secmonctl delete classification Dataplane_TCP_class --cascade
	assert_success
	assert_line "deleted rule 'Dataplane_TCP_Rule' in scope 'scope1'"
	assert_line "deleted policy 'Policy_TCP' in scope 'scope1'"
	assert_line "deleted policy 'Policy_ICMP' in scope 'scope1'"
	assert_line "deleted netflow-association 'PDN_TCP_balanced' in scope 'scope1'"
	assert_line "deleted netflow-association 'Control_Plane_ICMP' in scope 'scope1'"
	assert_line "deleted sflow-association 'PDN_sampled' in scope 'scope1'"
	assert_line --index 6 "deleted classification 'Dataplane_TCP_class' in scope 'scope1'"
	assert_equal "${#lines[@]}" 7

	assert_equal "$(objects_in_store)" 19
	assert_equal "$(objects_in_store rule Dataplane_TCP_Rule)" 0
	assert_equal "$(objects_in_store rule Dataplane_UDP_Rule)" 1
	assert_equal "$(sqlite3 "$VNB_STORE" "select count(*) from history
	    where action = 'delete'")" 7
	assert_store_ok
}

# Bad input: the exact message, file:line:col first, and no change.

@test "secmonctl: malformed YAML is refused" {
	secmonctl apply -f "$EXAMPLE" >/dev/null
	printf 'kind: source\nscope: scope1\nname: [oops\n' > bad.yaml
	assert_apply_refused bad.yaml \
	    "bad.yaml:4:1: did not find expected ',' or ']' while parsing a flow sequence"

	printf 'kind: source\nscope: scope1\nname: a\nname: b\n' > bad.yaml
	assert_apply_refused bad.yaml "bad.yaml:4:1: duplicate key 'name'"
}

@test "secmonctl: an unknown kind is refused" {
	secmonctl apply -f "$EXAMPLE" >/dev/null
	printf 'kind: widget\nscope: scope1\nname: w\n' > bad.yaml
	assert_apply_refused bad.yaml "bad.yaml:1:7: unknown kind 'widget'"

	printf 'scope: scope1\nname: w\n' > bad.yaml
	assert_apply_refused bad.yaml "bad.yaml:1:1: 'kind' is missing"
}

@test "secmonctl: an unknown field is refused, with a hint when one is close" {
	secmonctl apply -f "$EXAMPLE" >/dev/null
	cat > bad.yaml <<'EOF'
kind: source
scope: scope1
name: vm
mac: "02:00:00:00:00:09"
vlann: 3
colour: red
EOF
	assert_apply_refused bad.yaml \
	    "bad.yaml:5:8: source 'vm': vlann: unknown field (did you mean 'vlan'?)" \
	    "bad.yaml:6:9: source 'vm': colour: unknown field for a source"
}

@test "secmonctl: an invalid address is refused" {
	secmonctl apply -f "$EXAMPLE" >/dev/null
	cat > bad.yaml <<'EOF'
kind: netflow-collector
scope: scope1
name: nf9
address: 256.1.1.1
EOF
	assert_apply_refused bad.yaml \
	    "bad.yaml:4:10: netflow-collector 'nf9': address: invalid IPv4 address '256.1.1.1': 256 is out of range 0-255"
}

@test "secmonctl: a prefix longer than /32 is refused" {
	secmonctl apply -f "$EXAMPLE" >/dev/null
	cat > bad.yaml <<'EOF'
kind: classification
scope: scope1
name: c9
source-ip: 192.0.2.0/33
EOF
	assert_apply_refused bad.yaml \
	    "bad.yaml:4:12: classification 'c9': source-ip: invalid prefix '192.0.2.0/33': length 33 exceeds 32"
}

@test "secmonctl: a prefix with host bits set is refused" {
	secmonctl apply -f "$EXAMPLE" >/dev/null
	cat > bad.yaml <<'EOF'
kind: classification
scope: scope1
name: c9
destination-ip: 198.51.100.7/24
EOF
	assert_apply_refused bad.yaml \
	    "bad.yaml:4:17: classification 'c9': destination-ip: prefix '198.51.100.7/24' has host bits set (network is 198.51.100.0/24)"
}

@test "secmonctl: a MAC address with 5 groups is refused" {
	secmonctl apply -f "$EXAMPLE" >/dev/null
	cat > bad.yaml <<'EOF'
kind: source
scope: scope1
name: vm
mac: "02:00:00:00:09"
EOF
	assert_apply_refused bad.yaml \
	    "bad.yaml:4:6: source 'vm': mac: invalid MAC address '02:00:00:00:09': expected 6 groups, found 5"
}

@test "secmonctl: ports 0 and 65536 are refused" {
	secmonctl apply -f "$EXAMPLE" >/dev/null
	cat > bad.yaml <<'EOF'
kind: netflow-collector
scope: scope1
name: low
address: 203.0.113.9
port: 0
---
kind: sflow-collector
scope: scope1
name: high
address: 203.0.113.9
port: 65536
EOF
	assert_apply_refused bad.yaml \
	    "bad.yaml:5:7: netflow-collector 'low': port: invalid port '0': must be 1-65535" \
	    "bad.yaml:11:7: sflow-collector 'high': port: invalid port '65536': must be 1-65535"
}

@test "secmonctl: a port range with min above max is refused" {
	secmonctl apply -f "$EXAMPLE" >/dev/null
	cat > bad.yaml <<'EOF'
kind: classification
scope: scope1
name: c9
protocol: tcp
source-port: 2000-1000
EOF
	assert_apply_refused bad.yaml \
	    "bad.yaml:5:14: classification 'c9': source-port: invalid port range '2000-1000': minimum 2000 exceeds maximum 1000"
}

@test "secmonctl: a reference to a missing object is refused" {
	secmonctl apply -f "$EXAMPLE" >/dev/null
	cat > bad.yaml <<'EOF'
kind: rule
scope: scope1
name: r9
classification: x
priority: 1
EOF
	assert_apply_refused bad.yaml \
	    "bad.yaml:4:17: rule 'r9': classification: no classification 'x' in scope 'scope1'"
}

@test "secmonctl: a reference to an invalid document is reported once" {
	secmonctl apply -f "$EXAMPLE" >/dev/null
	cat > bad.yaml <<'EOF'
kind: classification
scope: scope1
name: c9
vlan: 0
---
kind: rule
scope: scope1
name: r9
classification: c9
priority: 1
EOF
	assert_apply_refused bad.yaml \
	    "bad.yaml:4:7: classification 'c9': vlan: '0' is out of range 1-4094"
}

@test "secmonctl: a missing required field is refused" {
	secmonctl apply -f "$EXAMPLE" >/dev/null
	cat > bad.yaml <<'EOF'
kind: rule
scope: scope1
name: r9
classification: Dataplane_ICMP_class
EOF
	assert_apply_refused bad.yaml "bad.yaml:1:1: rule 'r9': priority: is required"
}

@test "secmonctl: the same object twice in one batch is refused" {
	secmonctl apply -f "$EXAMPLE" >/dev/null
	cat > bad.yaml <<'EOF'
kind: source
scope: scope1
name: vm
mac: "02:00:00:00:00:09"
---
kind: source
scope: scope1
name: vm
mac: "02:00:00:00:00:0a"
EOF
	assert_apply_refused bad.yaml \
	    "bad.yaml:8:7: source 'vm' is also defined at bad.yaml:1"

	# Across files too.
	cat > a.yaml <<'EOF'
kind: source
scope: scope1
name: vm
mac: "02:00:00:00:00:09"
EOF
	{ echo ---; cat a.yaml; } > b.yaml
	before=$(store_state)
	run secmonctl apply -f a.yaml -f b.yaml
	assert_failure 1
	assert_output "b.yaml:4:7: source 'vm' is also defined at a.yaml:1"
	assert_equal "$(store_state)" "$before"
}

@test "secmonctl: a scope that does not fit the kind is refused" {
	secmonctl apply -f "$EXAMPLE" >/dev/null
	printf 'kind: scope\nscope: scope1\nname: inner\n' > bad.yaml
	assert_apply_refused bad.yaml \
	    "bad.yaml:2:8: scope 'inner': scope: a scope does not belong to a scope"

	printf 'kind: source\nname: vm\nmac: "02:00:00:00:00:09"\n' > bad.yaml
	assert_apply_refused bad.yaml "bad.yaml:1:1: source 'vm': scope: is required"

	cat > bad.yaml <<'EOF'
kind: source
scope: nowhere
name: vm
mac: "02:00:00:00:00:09"
EOF
	assert_apply_refused bad.yaml "bad.yaml:2:8: source 'vm': scope: no scope 'nowhere'"

	# References resolve inside the object's own scope.
	cat > bad.yaml <<'EOF'
---
kind: scope
name: other
---
kind: rule
scope: other
name: r9
classification: Dataplane_ICMP_class
priority: 1
EOF
	assert_apply_refused bad.yaml \
	    "bad.yaml:8:17: rule 'r9': classification: no classification 'Dataplane_ICMP_class' in scope 'other'"

	printf 'kind: sflow-config\nscope: scope1\nname: second\n' > bad.yaml
	assert_apply_refused bad.yaml \
	    "bad.yaml:1:1: scope 'scope1' already has a sflow-config ('scope1'); a scope has only one"
}

@test "secmonctl: a document that is not a mapping is refused" {
	secmonctl apply -f "$EXAMPLE" >/dev/null
	# A list of objects is fine (export -o json writes one), a list of
	# anything else is not.
	printf -- '- just words\n- 42\n- [kind, name]\n' > bad.yaml
	assert_apply_refused bad.yaml \
	    "bad.yaml:1:3: a document must be a mapping with 'kind' and 'name'" \
	    "bad.yaml:2:3: a document must be a mapping with 'kind' and 'name'" \
	    "bad.yaml:3:3: a document must be a mapping with 'kind' and 'name'"

	printf -- '---\nkind: scope\nname: fine\n---\njust words\n' > bad.yaml
	assert_apply_refused bad.yaml \
	    "bad.yaml:5:1: a document must be a mapping with 'kind' and 'name'"
}

@test "secmonctl: every error in a file is reported at once" {
	secmonctl apply -f "$EXAMPLE" >/dev/null
	cat > bad.yaml <<'EOF'
kind: source
scope: scope1
name: vm
mac: "02:00:00:00:00:09"
vlan: 5000
port: 9999
---
kind: netflow-collector
scope: scope1
name: nf9
address: 2001:db8::zz
EOF
	assert_apply_refused bad.yaml \
	    "bad.yaml:5:7: source 'vm': vlan: '5000' is out of range 1-4094" \
	    "bad.yaml:6:7: source 'vm': port: '9999' is out of range 0-1023" \
	    "bad.yaml:11:10: netflow-collector 'nf9': address: invalid IPv6 address '2001:db8::zz': unexpected character 'z'"
}

@test "secmonctl: one bad document among good ones changes nothing" {
	secmonctl apply -f "$EXAMPLE" >/dev/null
	cat > good.yaml <<'EOF'
---
kind: scope
name: scope2
---
kind: source
scope: scope2
name: vm
mac: "02:00:00:00:00:20"
---
kind: rule
scope: scope1
name: Dataplane_TCP_Rule
classification: Dataplane_TCP_class
priority: 5
EOF
	cat > bad.yaml <<'EOF'
kind: netflow-collector
scope: scope2
name: nf9
address: 203.0.113.9
port: 0
EOF
	before=$(store_state)
	run secmonctl apply -f good.yaml -f bad.yaml
	assert_failure 1
	assert_output "bad.yaml:5:7: netflow-collector 'nf9': port: invalid port '0': must be 1-65535"
	assert_equal "$(store_state)" "$before"
	assert_equal "$(objects_in_store scope scope2)" 0
	assert_field rule Dataplane_TCP_Rule priority 1
}

@test "secmonctl: a file that cannot be read is refused" {
	run secmonctl apply -f nothere.yaml
	assert_failure 1
	assert_output "secmonctl: cannot open 'nothere.yaml': No such file or directory"
	assert_equal "$(store_state)" 0
}

# apply's options and inputs.

@test "secmonctl: apply --dry-run says what it would do and changes nothing" {
	before=$(store_state)
	run secmonctl apply --dry-run -f "$EXAMPLE"
	assert_success
	assert_line --index 0 "would create scope 'scope1'"
	assert_line "would create netflow-collector-set 'NF_Collectorset' in scope 'scope1'"
	assert_line --index 26 "dry run: 26 created, 0 updated, 0 deleted, 0 unchanged"
	assert_equal "$(store_state)" "$before"
	assert_equal "$(objects_in_store)" 0

	secmonctl apply -f "$EXAMPLE" >/dev/null
	sed 's/^priority: 1$/priority: 7/' "$EXAMPLE" > changed.yaml
	before=$(store_state)
	run secmonctl apply --dry-run -f changed.yaml
	assert_success
	assert_line "would update rule 'Dataplane_TCP_Rule' in scope 'scope1'"
	assert_line "dry run: 0 created, 3 updated, 0 deleted, 23 unchanged"
	assert_equal "$(store_state)" "$before"
	assert_field rule Dataplane_TCP_Rule priority 1
}

# Drop the documents naming any of the given objects from a YAML stream.
drop_docs() {
	python3 -c '
import sys
names = set("name: " + n for n in sys.argv[1:])
docs = sys.stdin.read().split("---\n")[1:]
for d in docs:
    if not names & set(d.splitlines()):
        sys.stdout.write("---\n" + d)
' "$@"
}

@test "secmonctl: apply --prune deletes what the files no longer hold" {
	secmonctl apply -f "$EXAMPLE" >/dev/null
	secmonctl apply -f - >/dev/null <<'EOF'
---
kind: scope
name: other
---
kind: source
scope: other
name: PDN
mac: "02:00:00:00:00:30"
EOF
	secmonctl export --scope scope1 |
	    drop_docs PDN_TCP_balanced NF_Collectorset PDN_sampled \
	    SF_Collector > kept.yaml

	before=$(store_state)
	run secmonctl apply --dry-run --prune -f kept.yaml
	assert_success
	assert_line "would delete netflow-collector-set 'NF_Collectorset' in scope 'scope1'"
	assert_line "dry run: 0 created, 0 updated, 4 deleted, 22 unchanged"
	assert_equal "$(store_state)" "$before"

	run secmonctl apply --prune -f kept.yaml
	assert_success
	assert_line --index 0 "deleted sflow-association 'PDN_sampled' in scope 'scope1'"
	assert_line "deleted sflow-collector 'SF_Collector' in scope 'scope1'"
	assert_line "deleted netflow-association 'PDN_TCP_balanced' in scope 'scope1'"
	assert_line "deleted netflow-collector-set 'NF_Collectorset' in scope 'scope1'"
	assert_line --index 4 "0 created, 0 updated, 4 deleted, 22 unchanged"

	run secmonctl export --scope scope1
	assert_output "$(cat kept.yaml)"

	# The scope the files do not define keeps its objects.
	run secmonctl get source PDN --scope other
	assert_success
	assert_line --regexp '^mac +02:00:00:00:00:30$'
	assert_store_ok
}

@test "secmonctl: apply -f - reads standard input" {
	run secmonctl apply -f - < "$EXAMPLE"
	assert_success
	assert_line "26 created, 0 updated, 0 deleted, 0 unchanged"
	assert_equal "$(objects_in_store)" 26

	before=$(store_state)
	run secmonctl apply -f - <<'EOF'
kind: widget
name: w
EOF
	assert_failure 1
	assert_output "<stdin>:1:7: unknown kind 'widget'"
	assert_equal "$(store_state)" "$before"
}

@test "secmonctl: apply takes several files, in any order" {
	cat > rules.yaml <<'EOF'
kind: rule
scope: s
name: r
classification: c
priority: 3
EOF
	cat > base.yaml <<'EOF'
---
kind: scope
name: s
---
kind: classification
scope: s
name: c
protocol: icmp
EOF
	run secmonctl apply -f rules.yaml -f base.yaml
	assert_success
	assert_output "created scope 's'
created classification 'c' in scope 's'
created rule 'r' in scope 's'
3 created, 0 updated, 0 deleted, 0 unchanged"

	# Files may also be given as arguments.
	sed 's/priority: 3/priority: 4/' rules.yaml > rules4.yaml
	run secmonctl apply base.yaml rules4.yaml
	assert_success
	assert_output "updated rule 'r' in scope 's'
0 created, 1 updated, 0 deleted, 2 unchanged"
	assert_field rule r priority 4
}

# Reading the store.

@test "secmonctl: list matches a substring or a glob of the name" {
	secmonctl apply -f "$EXAMPLE" >/dev/null

	run secmonctl list classification udp
	assert_success
	assert_line --index 0 --regexp '^SCOPE +NAME +SOURCE-IP'
	assert_line --index 1 --regexp '^scope1 +Dataplane_UDP_class +192\.0\.2\.0/24 '
	assert_equal "${#lines[@]}" 2

	run secmonctl list classification 'Dataplane_?CP_class'
	assert_success
	assert_line --index 1 --partial Dataplane_TCP_class
	assert_equal "${#lines[@]}" 2

	run secmonctl list classification '*_class'
	assert_success
	assert_equal "${#lines[@]}" 4

	run secmonctl list classification nothing-like-it
	assert_success
	assert_equal "${#lines[@]}" 1
}

@test "secmonctl: -o json and -o yaml print what parsers read" {
	secmonctl apply -f "$EXAMPLE" >/dev/null

	run secmonctl -o json list rule
	assert_success
	run python3 -c 'import json, sys; print(len(json.load(sys.stdin)))' \
	    <<< "$output"
	assert_output 3

	run secmonctl -o json get policy Policy_ICMP
	assert_success
	run python3 -c 'import json, sys; print(json.load(sys.stdin)["rules"])' \
	    <<< "$output"
	assert_output "['Dataplane_ICMP_Rule', 'Dataplane_UDP_Rule', 'Dataplane_TCP_Rule']"

	run secmonctl --output=json export
	assert_success
	run python3 -c 'import json, sys; print(len(json.load(sys.stdin)))' \
	    <<< "$output"
	assert_output 26

	if ! python3 -c 'import yaml' 2>/dev/null; then
		skip "PyYAML is not installed"
	fi
	run secmonctl -o yaml list netflow-collector
	assert_success
	run python3 -c '
import sys, yaml
print(sorted(d["name"] for d in yaml.safe_load_all(sys.stdin) if d))' \
	    <<< "$output"
	assert_output "['NF_Collector_A', 'NF_Collector_B', 'NF_Collector_C', 'NF_Collector_Tool']"

	run secmonctl export
	run python3 -c '
import sys, yaml
print(len([d for d in yaml.safe_load_all(sys.stdin) if d]))' <<< "$output"
	assert_output 26
}

@test "secmonctl: export of an empty store prints nothing" {
	run --separate-stderr secmonctl export
	assert_success
	assert_output ""
	assert_equal "$stderr" ""

	run --separate-stderr secmonctl -o yaml list source
	assert_success
	assert_output ""
	assert_equal "$stderr" ""
}

@test "secmonctl: get of a name in two scopes asks for --scope" {
	secmonctl apply -f "$EXAMPLE" >/dev/null
	secmonctl create scope scope2 >/dev/null
	secmonctl create source PDN --scope scope2 --mac 02:00:00:00:00:40 \
	    >/dev/null

	run secmonctl get source PDN
	assert_failure 1
	assert_output "secmonctl: source 'PDN' is in several scopes (scope1,scope2): give --scope"

	run secmonctl delete source PDN
	assert_failure 1
	assert_output "secmonctl: source 'PDN' is in several scopes (scope1,scope2): give --scope"
	assert_equal "$(objects_in_store source PDN)" 2

	run secmonctl get source PDN --scope scope2
	assert_success
	assert_line --regexp '^mac +02:00:00:00:00:40$'
	assert_line --regexp '^scope +scope2$'
}

@test "secmonctl: history shows who changed what" {
	secmonctl create scope s >/dev/null
	secmonctl create classification c --scope s --protocol udp >/dev/null
	secmonctl create rule r --scope s --classification c --priority 1 \
	    >/dev/null
	VNB_USER=alice secmonctl set rule r --priority 5 >/dev/null
	secmonctl delete rule r >/dev/null

	run secmonctl history rule r
	assert_success
	assert_line --index 0 --regexp '^TXN +TIME +USER +ACTION +KIND +SCOPE +NAME +CHANGES$'
	assert_line --index 1 --regexp '^3 +[-0-9T:.]+Z +tester +create +rule +s +r +classification: - -> c; priority: - -> 1; '
	assert_line --index 2 --regexp '^4 +[-0-9T:.]+Z +alice +update +rule +s +r +priority: 1 -> 5$'
	assert_line --index 3 --regexp '^5 +[-0-9T:.]+Z +tester +delete +rule +s +r +classification: c -> -; priority: 5 -> -; '
	assert_equal "${#lines[@]}" 4

	run secmonctl history --limit 1
	assert_success
	assert_line --index 1 --partial "delete  rule"
	assert_equal "${#lines[@]}" 2

	run secmonctl -o json history rule r
	assert_success
	run python3 -c '
import json, sys
h = json.load(sys.stdin)
print(h[1]["user"], h[1]["action"], h[1]["changes"])' <<< "$output"
	assert_output "alice update {'priority': [1, 5]}"
}

# The command line itself.

@test "secmonctl: -h prints usage on standard output" {
	run --separate-stderr secmonctl -h
	assert_success
	assert_line --index 0 "usage: secmonctl [-hVv] [--store PATH|URL] [-o table|yaml|json] COMMAND [ARGS]"
	assert_line "    apply [--dry-run] [--prune] -f FILE..."
	assert_equal "$stderr" ""

	run --separate-stderr secmonctl --help
	assert_success
	assert_line --index 0 --partial "usage: secmonctl"
}

@test "secmonctl: -V prints the version" {
	run --separate-stderr secmonctl -V
	assert_success
	assert_output --regexp '^secmonctl \(vnb\) [0-9]+\.[0-9]+'
	assert_equal "$stderr" ""
}

@test "secmonctl: bad usage exits 2 and says why" {
	run --separate-stderr secmonctl frobnicate
	assert_failure 2
	assert_output ""
	assert_equal "${stderr_lines[0]}" "secmonctl: unknown command 'frobnicate'"
	assert_equal "${stderr_lines[1]}" "usage: secmonctl [-hVv] [--store PATH|URL] [-o table|yaml|json] COMMAND [ARGS]"

	run secmonctl -x list scope
	assert_failure 2
	assert_line --index 0 "secmonctl: unknown option '-x'"

	run secmonctl list scope --bogus x
	assert_failure 2
	assert_line --index 0 "secmonctl: unknown option '--bogus'"

	run secmonctl list scope --cascade
	assert_failure 2
	assert_line --index 0 "secmonctl: an option does not go with 'list'"

	run secmonctl -o xml list scope
	assert_failure 2
	assert_line --index 0 "secmonctl: unknown output format 'xml' (table, yaml or json)"

	run secmonctl get source
	assert_failure 2
	assert_output "secmonctl: wrong number of arguments for 'get'
usage: secmonctl get KIND NAME [--scope SCOPE] [--with-secrets]"

	run secmonctl apply
	assert_failure 2
	assert_line --index 0 "secmonctl: no file given (-f FILE, or -f - for standard input)"

	run secmonctl set scope s
	assert_failure 2
	assert_line --index 0 "secmonctl: nothing to set"

	run secmonctl
	assert_failure 2
	assert_line --index 0 "secmonctl: no command given"

	run secmonctl list widget
	assert_failure 1
	assert_output "secmonctl: unknown kind 'widget' (see 'secmonctl kinds')"
}

@test "secmonctl: --store and --output also take their value after '='" {
	secmonctl apply -f "$EXAMPLE" >/dev/null
	mv "$VNB_STORE" elsewhere.db
	export VNB_STORE="$BATS_TEST_TMPDIR/missing.db"

	run secmonctl --store="$BATS_TEST_TMPDIR/elsewhere.db" --output=json \
	    get scope scope1
	assert_success
	assert_line '  "name": "scope1",'
}

@test "secmonctl: commands on a missing store fail and create nothing" {
	export VNB_STORE="$BATS_TEST_TMPDIR/none/vnb.db"
	mkdir none
	printf 'kind: scope\nname: s\n' > s.yaml
	msg="secmonctl: no store at '$VNB_STORE' (create one with 'secmonctl init', or give --store)"

	for cmd in "list scope" "get scope s" "export" "history" \
	    "apply -f s.yaml" "create scope s" "set scope s --sflow enable" \
	    "delete scope s"; do
		run secmonctl $cmd
		assert_failure 1
		assert_output "$msg"
		assert_equal "$(ls -A none)" ""
	done
}

@test "secmonctl: the store is not readable by others" {
	rm -f "$VNB_STORE"
	umask 022
	secmonctl init >/dev/null
	secmonctl apply -f "$EXAMPLE" >/dev/null
	for f in "$VNB_STORE"*; do
		mode=$(stat -c %a "$f")
		[ $((8#$mode & 8#007)) -eq 0 ] ||
		    fail "$f has mode $mode: others may read it"
	done
	assert_equal "$(stat -c %a "$VNB_STORE")" 600
}

# Many classifications in one scope.
big_file() {
	printf -- '---\nkind: scope\nname: %s\n' "$1"
	for i in $(seq 1 500); do
		cat <<EOF
---
kind: classification
scope: $1
name: c$i
source-ip: 192.0.2.$((i % 256))
protocol: udp
destination-port: $((1000 + i))
EOF
	done
}

@test "secmonctl: two writers at once both land, or one fails cleanly" {
	big_file bulk1 > bulk1.yaml
	big_file bulk2 > bulk2.yaml

	secmonctl apply -f bulk1.yaml > out1 2> err1 &
	pid[1]=$!
	secmonctl apply -f bulk2.yaml > out2 2> err2 &
	pid[2]=$!
	rc=([1]=0 [2]=0)
	wait ${pid[1]} || rc[1]=$?
	wait ${pid[2]} || rc[2]=$?

	assert_store_ok
	for n in 1 2; do
		count=$(sqlite3 "$VNB_STORE" "select count(*) from objects
		    where scope = 'bulk$n'")
		if [ "${rc[n]}" -eq 0 ]; then
			assert_equal "$(tail -n 1 out$n)" \
			    "501 created, 0 updated, 0 deleted, 0 unchanged"
			assert_equal "$(cat err$n)" ""
			assert_equal "$count" 500
		else
			assert_equal "${rc[n]}" 1
			run cat err$n
			assert_output --regexp '^secmonctl: '
			assert_equal "$count" 0
		fi
	done
	[ "${rc[1]}" -eq 0 ] || [ "${rc[2]}" -eq 0 ] || fail "both writers failed"
	assert_equal "$(sqlite3 "$VNB_STORE" 'select count(distinct txn)
	    from history')" $(( (rc[1] == 0) + (rc[2] == 0) ))
}

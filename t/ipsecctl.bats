#!/usr/bin/env bats
# ipsecctl as a user drives it: apply and export of every IPsec kind, the
# checks on algorithms, sites, binds and certificates, secrets that never
# show, the tunnels a configuration makes, and its graph, each against a
# real SQLite store and certificates made with strongSwan's pki.

load helpers

bats_require_minimum_version 1.5.0

EXAMPLE="$VNB_SRCDIR/examples/ipsec.yaml"
PKI_SCRIPT="$VNB_SRCDIR/examples/ipsec-pki.sh"

setup() {
	vnb_setup
	ipsecctl init >/dev/null
}

# Everything a user can see of the store, secrets included, and how many
# changes its history holds.  A refused command must leave both alone.
store_state() {
	ipsecctl export --with-secrets
	sqlite3 "$VNB_STORE" 'select count(*) from history'
}

objects_in_store() {
	sqlite3 "$VNB_STORE" 'select count(*) from objects'
}

# One field of an object, secrets included: strings bare, other values
# as compact JSON, "(absent)" for a field the object lacks.
field() {
	ipsecctl -o json get "$1" "$2" --with-secrets | python3 -c '
import json, sys
v = json.load(sys.stdin).get(sys.argv[1], "(absent)")
print(v if isinstance(v, str) else json.dumps(v, separators=(",", ":")))
' "$3"
}

assert_field() {
	assert_equal "$(field "$1" "$2" "$3")" "$4"
}

# Applying file must fail with exactly the messages given, one a line,
# and change nothing.
assert_apply_refused() {
	local file=$1 before

	shift
	before=$(store_state)
	run ipsecctl apply -f "$file"
	assert_failure 1
	assert_output "$(printf '%s\n' "$@")"
	assert_equal "$(store_state)" "$before"
}

# Applying file must succeed with exactly the warnings given on standard
# error.
assert_apply_warns() {
	local file=$1

	shift
	run --separate-stderr ipsecctl apply -f "$file"
	assert_success
	assert_equal "$stderr" "$(printf '%s\n' "$@")"
}

# strongSwan's pki, without its chatter about plugins it cannot load.
pki_q() {
	pki "$@" 2>/dev/null
}

# A CA in NAME.key and NAME.pem; more arguments go to pki --self.
make_ca() {
	local name=$1

	shift
	pki_q --gen --type ed25519 --outform pem > "$name.key"
	pki_q --self --ca --in "$name.key" --dn "C=CH, O=VNB, CN=$name" \
	    --outform pem "$@" > "$name.pem"
	grep -q 'BEGIN CERTIFICATE' "$name.pem" || fail "pki made no $name"
}

# A certificate NAME signed by the CA called CA; more arguments go to
# pki --issue.
make_cert() {
	local name=$1 ca=$2

	shift 2
	pki_q --gen --type ed25519 --outform pem > "$name.key"
	pki_q --pub --in "$name.key" | pki_q --issue --cacert "$ca.pem" \
	    --cakey "$ca.key" --dn "C=CH, O=VNB, CN=$name" --outform pem \
	    "$@" > "$name.pem"
	grep -q 'BEGIN CERTIFICATE' "$name.pem" || fail "pki made no $name"
}

# file:line:column of the value of FIELD in the document called NAME,
# where messages about it point.
at() {
	awk -v file="$1" -v name="$2" -v key="$3" '
	    $0 == "name: " name { found = 1 }
	    found && index($0, key ": ") == 1 {
		printf "%s:%d:%d", file, NR, length(key) + 3
		exit
	    }' "$1"
}

# A PEM file as a YAML literal block.
block() {
	sed 's/^/  /' "$1"
}

# ca_doc NAME [PEM]
ca_doc() {
	printf -- '---\nkind: ca-certificate\nname: %s\ncertificate: |\n' "$1"
	block "${2:-$1.pem}"
}

# cert_doc NAME CA [PEM [KEY]]; a KEY of "-" leaves the key out.
cert_doc() {
	printf -- '---\nkind: certificate\nname: %s\nca: %s\n' "$1" "$2"
	printf 'certificate: |\n'
	block "${3:-$1.pem}"
	if [ "${4:-}" != - ]; then
		printf 'private-key: |\n'
		block "${4:-$1.key}"
	fi
}

# What the documents below refer to: one policy of each kind, two
# groups, two local sites, a remote site, and four enforcers, two in
# each group, one of each pair in a local site.
world() {
	cat <<'EOF'
---
kind: ike-policy
name: ike
---
kind: ipsec-policy
name: esp
---
kind: endpoint-group
name: ga
---
kind: endpoint-group
name: gb
---
kind: local-site
name: la
cidrs: [10.1.0.0/16]
---
kind: local-site
name: lb
cidrs: [10.2.0.0/16, 2001:db8:2::/48]
---
kind: remote-site
name: r
peer-address: 203.0.113.9
peer-cidrs: [10.9.0.0/16]
---
kind: enforcer
name: e1
endpoint-group: ga
tunnel-address: 192.0.2.1
---
kind: enforcer
name: e2
endpoint-group: ga
local-site: la
tunnel-address: 192.0.2.2
---
kind: enforcer
name: e3
endpoint-group: gb
tunnel-address: 192.0.2.3
---
kind: enforcer
name: e4
endpoint-group: gb
local-site: lb
tunnel-address: 192.0.2.4
EOF
}

apply_world() {
	world > world.yaml
	run ipsecctl apply -f world.yaml
	assert_success
	assert_line "11 created, 0 updated, 0 deleted, 0 unchanged"
}

# Objects of one kind with every field set, written exactly as export
# writes them.  Their names sort after the world's.
kind_doc() {
	case $1 in
	ike-policy) cat <<'EOF' ;;
---
kind: ike-policy
name: ike1
version: v1
encryption:
- aes256
integrity:
- sha256
dh-group:
- modp3072
lifetime: 1h
mode: main
description: for an old peer
---
kind: ike-policy
name: ike2
version: v2
encryption:
- aes256
- aes128ctr
integrity:
- sha512
- aesxcbc
prf:
- sha384
dh-group:
- ecp384
- curve448
lifetime: 8h
description: classic ciphers
EOF
	ipsec-policy) cat <<'EOF' ;;
---
kind: ipsec-policy
name: esp1
transform-protocol: ah
encapsulation-mode: tunnel
integrity:
- sha384
pfs: none
lifetime: 1h
---
kind: ipsec-policy
name: esp2
transform-protocol: ah-esp
encapsulation-mode: transport
encryption:
- aes128gcm16
- chacha20poly1305
integrity:
- sha256
pfs: ecp256
lifetime: 30m
lifetime-bytes: 1073741824
description: both
EOF
	endpoint-group) cat <<'EOF' ;;
---
kind: endpoint-group
name: gc
description: a third group
EOF
	local-site) cat <<'EOF' ;;
---
kind: local-site
name: lc
cidrs:
- 10.3.0.0/16
- 2001:db8:3::/48
description: a third site
EOF
	remote-site) cat <<'EOF' ;;
---
kind: remote-site
name: r2
peer-address: 2001:db8::99
peer-cidrs:
- 2001:db8:99::/48
- 0.0.0.0/0
peer-id: gw.example.org
description: everything else
EOF
	enforcer) cat <<'EOF' ;;
---
kind: enforcer
name: e9
endpoint-group: ga
local-site: la
tunnel-address: 2001:db8::9
description: a dual-stack host
EOF
	group-to-group) cat <<'EOF' ;;
---
kind: group-to-group
name: gab
left: ga
right: gb
ike-policy: ike
ipsec-policy: esp
authentication: psk
dpd-action: clear
dpd-delay: 10s
dpd-timeout: 1m
start-action: start
description: a mesh
EOF
	localsite-to-localsite) cat <<'EOF' ;;
---
kind: localsite-to-localsite
name: lab
left: la
right: lb
ike-policy: ike
ipsec-policy: esp
authentication: psk
dpd-action: hold
dpd-delay: 0s
dpd-timeout: 2m30s
start-action: none
description: two sites
EOF
	localsite-to-remotesite) cat <<'EOF' ;;
---
kind: localsite-to-remotesite
name: lar
local-site: la
remote-site: r
ike-policy: ike
ipsec-policy: esp
authentication: psk
dpd-action: restart
dpd-delay: 30s
dpd-timeout: 2m30s
start-action: trap
description: to the branch
EOF
	ca-certificate | certificate)
		# Made with pki in the certificate tests.
		return 0 ;;
	*)
		return 1 ;;
	esac
}

# Apply file, export, apply the export: the second apply changes
# nothing and the second export is byte for byte the first.
assert_round_trip() {
	local file=$1 n

	n=$(grep -c '^kind:' "$file")
	run ipsecctl apply -f "$file"
	assert_success
	assert_line "$n created, 0 updated, 0 deleted, 0 unchanged"

	ipsecctl export > one.yaml
	run ipsecctl apply -f one.yaml
	assert_success
	assert_output "0 created, 0 updated, 0 deleted, $n unchanged"
	ipsecctl export > two.yaml
	cmp one.yaml two.yaml
}

round_trip() {
	{ world; kind_doc "$1"; } > in.yaml
	assert_round_trip in.yaml
	run cat one.yaml
	assert_output --partial "$(kind_doc "$1")"
}

@test "ipsecctl: every kind has a round-trip test" {
	local kinds

	kinds=$(ipsecctl kinds | awk 'NR > 1 { print $1 }')
	assert_equal "$(echo "$kinds" | wc -l)" 11
	for k in $kinds; do
		kind_doc "$k" >/dev/null || fail "no document for kind '$k'"
	done
}

@test "ipsecctl: round trip: ike-policy" { round_trip ike-policy; }
@test "ipsecctl: round trip: ipsec-policy" { round_trip ipsec-policy; }
@test "ipsecctl: round trip: endpoint-group" { round_trip endpoint-group; }
@test "ipsecctl: round trip: local-site" { round_trip local-site; }
@test "ipsecctl: round trip: remote-site" { round_trip remote-site; }
@test "ipsecctl: round trip: enforcer" { round_trip enforcer; }
@test "ipsecctl: round trip: group-to-group" { round_trip group-to-group; }
@test "ipsecctl: round trip: localsite-to-localsite" {
	round_trip localsite-to-localsite
}
@test "ipsecctl: round trip: localsite-to-remotesite" {
	round_trip localsite-to-remotesite
}

@test "ipsecctl: round trip: ca-certificate and certificate, with what OpenSSL sees" {
	make_ca ca
	make_cert gw ca
	{ world; ca_doc ca; cert_doc gw ca; } > in.yaml
	assert_round_trip in.yaml

	# The PEM text is kept as given; the rest is read from it.
	run cat one.yaml
	assert_output --partial "$(block ca.pem)"
	assert_output --partial "$(block gw.pem)"
	refute_output --partial "PRIVATE KEY"
	fp() {
		openssl x509 -noout -fingerprint -sha256 -in "$1" |
		    sed 's/^.*=//'
	}
	date_of() {
		date -u -d "$(openssl x509 -noout -"$2" -in "$1" |
		    sed 's/^.*=//')" +%Y-%m-%dT%H:%M:%SZ
	}
	assert_field ca-certificate ca subject "C=CH, O=VNB, CN=ca"
	assert_field ca-certificate ca fingerprint "$(fp ca.pem)"
	assert_field ca-certificate ca not-before "$(date_of ca.pem startdate)"
	assert_field ca-certificate ca not-after "$(date_of ca.pem enddate)"
	assert_field certificate gw subject "C=CH, O=VNB, CN=gw"
	assert_field certificate gw issuer "C=CH, O=VNB, CN=ca"
	assert_field certificate gw fingerprint "$(fp gw.pem)"
	assert_field certificate gw not-after "$(date_of gw.pem enddate)"

	run ipsecctl list certificate
	assert_success
	assert_line --index 0 --regexp '^NAME +CA +SUBJECT +NOT-AFTER$'
	assert_line --index 1 --regexp "^gw +ca +C=CH, O=VNB, CN=gw +$(date_of gw.pem enddate)$"
}

@test "ipsecctl: the guide's example with its PKI survives apply, export, apply" {
	run "$PKI_SCRIPT" pki
	assert_success
	assert_output "ipsec-pki.sh: wrote pki/pki.yaml (vnb-ca and gw-dc1)"
	assert_equal "$(stat -c %a pki/gw-dc1.key)" 600

	cat pki/pki.yaml "$EXAMPLE" > all.yaml
	assert_round_trip all.yaml
	assert_equal "$(objects_in_store)" 18

	run ipsecctl tunnels --count
	assert_success
	assert_output 6
}

@test "ipsecctl: the PKI script makes certificates for the names given" {
	KEY_TYPE=ed25519 DAYS=10 run "$PKI_SCRIPT" certs gw1 gw2
	assert_success
	for n in vnb-ca gw1 gw2; do
		[ -s "certs/$n.pem" ] || fail "no certs/$n.pem"
		[ -s "certs/$n.key" ] || fail "no certs/$n.key"
	done
	run openssl verify -CAfile certs/vnb-ca.pem certs/gw1.pem certs/gw2.pem
	assert_success

	# Ten days is within the warning period.
	run --separate-stderr ipsecctl apply -f certs/pki.yaml
	assert_success
	assert_output --partial "3 created, 0 updated, 0 deleted, 0 unchanged"
	assert_equal "${#stderr_lines[@]}" 2
	assert_equal "$(field certificate gw2 subject)" "C=CH, O=VNB, CN=gw2"

	run "$PKI_SCRIPT"
	assert_failure 2
	assert_output "usage: ipsec-pki.sh DIR [NAME...]"
}

@test "ipsecctl: apply stores algorithms and choices in canonical form" {
	cat > odd.yaml <<'EOF'
---
kind: ike-policy
name: i
version: 2
encryption: [AES256GCM128, aes128gcm]
dh-group: [x25519, ECP384]
---
kind: ike-policy
name: old
version: ikev1
encryption: aes
integrity: sha2_256
dh-group: modp2048
---
kind: ipsec-policy
name: ah
transform-protocol: ah
---
kind: ipsec-policy
name: cbc
encryption: [aes256ctr]
integrity: []
lifetime-bytes: 64M
EOF
	run ipsecctl apply -f odd.yaml
	assert_success
	assert_field ike-policy i version v2
	assert_field ike-policy i encryption '["aes256gcm16","aes128gcm16"]'
	assert_field ike-policy i dh-group '["curve25519","ecp384"]'
	# AEAD: no integrity, and a PRF is needed.
	assert_field ike-policy i integrity "(absent)"
	assert_field ike-policy i prf '["sha256"]'
	assert_field ike-policy i mode "(absent)"
	assert_field ike-policy old version v1
	assert_field ike-policy old encryption '["aes128"]'
	assert_field ike-policy old integrity '["sha256"]'
	assert_field ike-policy old prf "(absent)"
	assert_field ike-policy old mode main
	# AH does not encrypt; non-AEAD ESP needs integrity.
	assert_field ipsec-policy ah encryption "(absent)"
	assert_field ipsec-policy ah integrity '["sha256"]'
	assert_field ipsec-policy cbc integrity '["sha256"]'
	assert_field ipsec-policy cbc lifetime-bytes 67108864
	assert_field ipsec-policy cbc pfs none
}

@test "ipsecctl: unknown algorithms are refused, with the ones there are" {
	cat > bad.yaml <<'EOF'
kind: ike-policy
name: i
encryption: [aes256, aes257]
dh-group: modp1023
EOF
	before=$(store_state)
	run ipsecctl apply -f bad.yaml
	assert_failure 1
	assert_line --index 0 "bad.yaml:3:22: ike-policy 'i': encryption#1: 'aes257' is not one of aes128, aes192, aes256, aes128ctr, aes192ctr, aes256ctr, aes128gcm16, aes128gcm12, aes128gcm8, aes192gcm16, aes192gcm12, aes192gcm8, aes256gcm16, aes256gcm12, aes256gcm8, aes128ccm16, aes128ccm12, aes128ccm8, aes192ccm16, aes192ccm12, aes192ccm8, aes256ccm16, aes256ccm12, aes256ccm8, chacha20poly1305, camellia128, camellia192, camellia256, 3des"
	assert_line --index 1 --partial "bad.yaml:4:11: ike-policy 'i': dh-group: 'modp1023' is not one of curve25519, curve448, ecp256,"
	assert_equal "${#lines[@]}" 2
	assert_equal "$(store_state)" "$before"
}

@test "ipsecctl: IKE algorithms that cannot go together are refused" {
	cat > bad.yaml <<'EOF'
---
kind: ike-policy
name: mixed
encryption: [aes256gcm16, aes256]
---
kind: ike-policy
name: aead-integrity
encryption: aes256gcm16
integrity: sha256
---
kind: ike-policy
name: v1-aead
version: v1
encryption: aes128gcm16
---
kind: ike-policy
name: v2-aggressive
mode: aggressive
---
kind: ike-policy
name: v1-prf
version: v1
encryption: aes256
prf: sha256
---
kind: ike-policy
name: v1-default
version: v1
EOF
	assert_apply_refused bad.yaml \
	    "bad.yaml:4:13: ike-policy 'mixed': encryption: AEAD cipher 'aes256gcm16' and non-AEAD cipher 'aes256' cannot be mixed in one proposal" \
	    "bad.yaml:9:12: ike-policy 'aead-integrity': integrity: AEAD cipher 'aes256gcm16' protects integrity itself: leave integrity out" \
	    "bad.yaml:14:13: ike-policy 'v1-aead': encryption: IKEv1 cannot protect the IKE SA with AEAD cipher 'aes128gcm16'" \
	    "bad.yaml:18:7: ike-policy 'v2-aggressive': mode: aggressive mode exists only in IKEv1" \
	    "bad.yaml:24:6: ike-policy 'v1-prf': prf: IKEv1 derives its PRF from the integrity algorithm: leave prf out" \
	    "bad.yaml:28:10: ike-policy 'v1-default': version: IKEv1 cannot use the default cipher, AEAD cipher 'aes256gcm16': give encryption"
}

@test "ipsecctl: IPsec algorithms that cannot go together are refused" {
	cat > bad.yaml <<'EOF'
---
kind: ipsec-policy
name: ah-encrypts
transform-protocol: ah
encryption: aes256
---
kind: ipsec-policy
name: aead-integrity
encryption: chacha20poly1305
integrity: sha384
---
kind: ipsec-policy
name: mixed
encryption: [aes256, aes256gcm16]
---
kind: ipsec-policy
name: tiny
lifetime-bytes: 10
lifetime: 10s
pfs: modp9999
---
kind: ipsec-policy
name: empty
encryption: []
EOF
	assert_apply_refused bad.yaml \
	    "bad.yaml:5:13: ipsec-policy 'ah-encrypts': encryption: AH authenticates but does not encrypt: leave encryption out, or use esp or ah-esp" \
	    "bad.yaml:10:12: ipsec-policy 'aead-integrity': integrity: AEAD cipher 'chacha20poly1305' protects integrity itself: leave integrity out" \
	    "bad.yaml:14:13: ipsec-policy 'mixed': encryption: AEAD cipher 'aes256gcm16' and non-AEAD cipher 'aes256' cannot be mixed in one proposal" \
	    "bad.yaml:20:6: ipsec-policy 'tiny': pfs: 'modp9999' is not one of none, curve25519, curve448, ecp256, ecp384, ecp521, ecp224, ecp192, ecp224bp, ecp256bp, ecp384bp, ecp512bp, modp2048, modp3072, modp4096, modp6144, modp8192, modp1536, modp1024, modp768, modp2048s256, modp2048s224, modp1024s160" \
	    "bad.yaml:19:11: ipsec-policy 'tiny': lifetime: '10s' is out of range 1m-1d" \
	    "bad.yaml:18:17: ipsec-policy 'tiny': lifetime-bytes: '10' is out of range 1K-1024T bytes" \
	    "bad.yaml:24:13: ipsec-policy 'empty': encryption: esp needs at least one cipher"
}

@test "ipsecctl: weak algorithms are accepted with a warning naming the risk" {
	cat > weak.yaml <<'EOF'
---
kind: ike-policy
name: legacy
version: v1
encryption: [3des]
integrity: [sha1, md5]
dh-group: [modp1024]
mode: aggressive
---
kind: ipsec-policy
name: short-icv
encryption: [aes128gcm8]
pfs: modp2048s224
EOF
	assert_apply_warns weak.yaml \
	    "weak.yaml:8:7: warning: ike-policy 'legacy': mode: IKEv1 aggressive mode sends the identities in the clear and, with a PSK, a hash of it that can be cracked offline" \
	    "weak.yaml:5:13: warning: ike-policy 'legacy': encryption: '3des' is weak: a 64-bit block cipher, open to collision attacks on long-lived SAs (Sweet32)" \
	    "weak.yaml:6:12: warning: ike-policy 'legacy': integrity: 'sha1' is weak: SHA-1 is deprecated for IKE and IPsec (RFC 8247)" \
	    "weak.yaml:6:12: warning: ike-policy 'legacy': integrity: 'md5' is weak: MD5 is broken" \
	    "weak.yaml:7:11: warning: ike-policy 'legacy': dh-group: 'modp1024' is weak: a 1024-bit group is within reach of a well-funded attacker (Logjam)" \
	    "weak.yaml:12:13: warning: ipsec-policy 'short-icv': encryption: 'aes128gcm8' is weak: an 8-octet ICV is too short (RFC 8247)" \
	    "weak.yaml:13:6: warning: ipsec-policy 'short-icv': pfs: 'modp2048s224' is weak: RFC 8247 advises against the MODP groups with small subgroups"
	assert_output "created ike-policy 'legacy'
created ipsec-policy 'short-icv'
2 created, 0 updated, 0 deleted, 0 unchanged"
	assert_field ike-policy legacy mode aggressive

	# The same from the command line.
	run --separate-stderr ipsecctl create ike-policy weak2 \
	    --encryption aes256 --integrity sha256 --dh-group modp1024,ecp256
	assert_success
	assert_output "created ike-policy 'weak2'"
	assert_equal "$stderr" "ipsecctl: warning: ike-policy 'weak2': dh-group: 'modp1024' is weak: a 1024-bit group is within reach of a well-funded attacker (Logjam)"
}

@test "ipsecctl: site CIDRs are strict prefixes, addresses are addresses" {
	cat > bad.yaml <<'EOF'
---
kind: local-site
name: l1
cidrs: [10.0.0.0/33]
---
kind: local-site
name: l2
cidrs: [10.0.0.0/8, 10.0.0.1/8]
---
kind: local-site
name: l3
cidrs: []
---
kind: remote-site
name: r1
peer-address: 10.0.0.0/8
peer-cidrs: [any]
---
kind: enforcer
name: e9
tunnel-address: 192.0.2.300
EOF
	assert_apply_refused bad.yaml \
	    "bad.yaml:4:9: local-site 'l1': cidrs#0: invalid prefix '10.0.0.0/33': length 33 exceeds 32" \
	    "bad.yaml:8:21: local-site 'l2': cidrs#1: prefix '10.0.0.1/8' has host bits set (network is 10.0.0.0/8)" \
	    "bad.yaml:12:8: local-site 'l3': cidrs: must list at least one value" \
	    "bad.yaml:16:15: remote-site 'r1': peer-address: invalid IPv4 address '10.0.0.0/8': unexpected character '/'" \
	    "bad.yaml:17:14: remote-site 'r1': peer-cidrs#0: invalid prefix 'any': not allowed here" \
	    "bad.yaml:21:17: enforcer 'e9': tunnel-address: invalid IPv4 address '192.0.2.300': 300 is out of range 0-255"
}

@test "ipsecctl: overlapping CIDRs are warned about, in a site and across a bind" {
	apply_world
	cat > overlap.yaml <<'EOF'
---
kind: local-site
name: lx
cidrs: [10.1.128.0/17, 2001:db8:2:1::/64, 10.1.200.0/24]
---
kind: localsite-to-localsite
name: la-lx
left: la
right: lx
ike-policy: ike
ipsec-policy: esp
---
kind: remote-site
name: rx
peer-address: 198.51.100.7
peer-cidrs: [10.0.0.0/8]
---
kind: localsite-to-remotesite
name: la-rx
local-site: la
remote-site: rx
ike-policy: ike
ipsec-policy: esp
EOF
	assert_apply_warns overlap.yaml \
	    "overlap.yaml:4:8: warning: local-site 'lx': cidrs: '10.1.128.0/17' overlaps '10.1.200.0/24'" \
	    "overlap.yaml:9:8: warning: localsite-to-localsite 'la-lx': right: '10.1.0.0/16' of local-site 'la' overlaps '10.1.128.0/17' of local-site 'lx': traffic between them cannot be told apart" \
	    "overlap.yaml:21:14: warning: localsite-to-remotesite 'la-rx': remote-site: '10.1.0.0/16' of local-site 'la' overlaps '10.0.0.0/8' of remote-site 'rx': traffic between them cannot be told apart"

	# Sites apart: no warning.
	run --separate-stderr ipsecctl create localsite-to-localsite la-lb \
	    --left la --right lb --ike-policy ike --ipsec-policy esp
	assert_success
	assert_equal "$stderr" ""
}

@test "ipsecctl: a bind between one thing and itself is refused" {
	apply_world
	cat > bad.yaml <<'EOF'
---
kind: group-to-group
name: self
left: ga
right: ga
ike-policy: ike
ipsec-policy: esp
---
kind: localsite-to-localsite
name: self
left: la
right: la
ike-policy: ike
ipsec-policy: esp
EOF
	assert_apply_refused bad.yaml \
	    "bad.yaml:5:8: group-to-group 'self': right: 'ga' is also left: a bind joins two different endpoint-groups" \
	    "bad.yaml:12:8: localsite-to-localsite 'self': right: 'la' is also left: a bind joins two different local-sites"

	run ipsecctl create group-to-group self --left gb --right gb \
	    --ike-policy ike --ipsec-policy esp
	assert_failure 1
	assert_output "ipsecctl: group-to-group 'self': right: 'gb' is also left: a bind joins two different endpoint-groups"
}

@test "ipsecctl: binds need their policies, tunnel mode for sites, and certificates to use them" {
	apply_world
	cat > bad.yaml <<'EOF'
---
kind: ipsec-policy
name: host
encapsulation-mode: transport
---
kind: localsite-to-localsite
name: la-lb
left: la
right: lb
ike-policy: ike
ipsec-policy: host
---
kind: group-to-group
name: ga-gb
left: ga
right: gb
ike-policy: ike
ipsec-policy: esp
authentication: certificate
---
kind: localsite-to-remotesite
name: la-r
local-site: la
remote-site: r
ipsec-policy: esp
authentication: cert
---
kind: localsite-to-remotesite
name: la-r2
local-site: la
remote-site: nowhere
ike-policy: ike
ipsec-policy: esp
EOF
	assert_apply_refused bad.yaml \
	    "bad.yaml:21:1: localsite-to-remotesite 'la-r': ike-policy: is required" \
	    "bad.yaml:31:14: localsite-to-remotesite 'la-r2': remote-site: no remote-site 'nowhere'"

	sed -i '/^name: la-r$/,/^authentication/ s/^ipsec-policy: esp/ike-policy: ike\nipsec-policy: esp/; /^name: la-r2/,$d' bad.yaml
	sed -i '$d' bad.yaml
	assert_apply_refused bad.yaml \
	    "bad.yaml:11:15: localsite-to-localsite 'la-lb': ipsec-policy: 'host' uses transport mode, which cannot carry the traffic of sites" \
	    "bad.yaml:19:17: group-to-group 'ga-gb': authentication: certificate authentication needs a certificate for endpoint-group 'ga'" \
	    "bad.yaml:19:17: group-to-group 'ga-gb': authentication: certificate authentication needs a certificate for endpoint-group 'gb'" \
	    "bad.yaml:27:17: localsite-to-remotesite 'la-r': authentication: certificate authentication needs a certificate for local-site 'la'" \
	    "bad.yaml:27:17: localsite-to-remotesite 'la-r': authentication: certificate authentication needs a ca for remote-site 'r'"
}

@test "ipsecctl: a PSK given is checked, but never quoted" {
	apply_world
	cat > psk.yaml <<'EOF'
---
kind: group-to-group
name: hex
left: ga
right: gb
ike-policy: ike
ipsec-policy: esp
psk: 0xS3CR3Tabc
---
kind: localsite-to-localsite
name: b64
left: la
right: lb
ike-policy: ike
ipsec-policy: esp
psk: "0s!!S3CR3T!!"
EOF
	assert_apply_refused psk.yaml \
	    "psk.yaml:8:6: group-to-group 'hex': psk: after 0x give an even number of hex digits, after 0s base64" \
	    "psk.yaml:16:6: localsite-to-localsite 'b64': psk: after 0x give an even number of hex digits, after 0s base64"

	cat > psk.yaml <<'EOF'
---
kind: group-to-group
name: short
left: ga
right: gb
ike-policy: ike
ipsec-policy: esp
psk: S3CR3T
dpd-delay: 1m
dpd-timeout: 1m
---
kind: localsite-to-remotesite
name: cert
local-site: la
remote-site: r
ike-policy: ike
ipsec-policy: esp
authentication: psk
psk: 0x00112233445566778899aabbccddeeff
EOF
	assert_apply_warns psk.yaml \
	    "psk.yaml:8:6: warning: group-to-group 'short': psk: shorter than 16 bytes, so open to guessing (leave it out to have one generated)" \
	    "psk.yaml:10:14: warning: group-to-group 'short': dpd-timeout: not longer than dpd-delay, so a peer is given up before it is asked twice"
	assert_field group-to-group short psk S3CR3T
	assert_field localsite-to-remotesite cert psk \
	    0x00112233445566778899aabbccddeeff
}

@test "ipsecctl: a PSK left out is generated once, as 32 random bytes, and kept" {
	apply_world
	kind_doc group-to-group > bind.yaml
	run ipsecctl apply -f bind.yaml
	assert_success
	psk=$(field group-to-group gab psk)
	[[ $psk =~ ^0s[A-Za-z0-9+/]{43}=$ ]] || fail "PSK '$psk' is not 0s and base64"
	assert_equal "$(printf %s "${psk#0s}" | base64 -d | wc -c)" 32

	# Apply again, change the bind, export and apply: the key stays.
	run ipsecctl apply -f bind.yaml
	assert_output "0 created, 0 updated, 0 deleted, 1 unchanged"
	run ipsecctl set group-to-group gab --dpd-delay 20s
	assert_output "updated group-to-group 'gab'"
	ipsecctl export > all.yaml
	run ipsecctl apply -f all.yaml
	assert_output "0 created, 0 updated, 0 deleted, 12 unchanged"
	assert_equal "$(field group-to-group gab psk)" "$psk"

	# Another bind gets another key.
	sed 's/name: gab/name: gab2/' bind.yaml > bind2.yaml
	ipsecctl apply -f bind2.yaml >/dev/null
	[ "$(field group-to-group gab2 psk)" != "$psk" ] ||
	    fail "two binds got the same PSK"

	# With certificates there is no PSK to make.
	make_ca ca
	make_cert gw ca
	{ ca_doc ca; cert_doc gw ca; } > pki.yaml
	ipsecctl apply -f pki.yaml >/dev/null
	ipsecctl set endpoint-group ga --certificate gw >/dev/null
	ipsecctl set endpoint-group gb --certificate gw >/dev/null
	run ipsecctl create group-to-group gcert --left ga --right gb \
	    --ike-policy ike --ipsec-policy esp --authentication certificate
	assert_success
	assert_field group-to-group gcert psk "(absent)"
}

# Everything a user can print without --with-secrets: none of it may hold
# the text of a secret.
assert_no_secret() {
	local secret=$1 k cmd

	for cmd in "export" "-o json export" "-o yaml export" "history" \
	    "-o json history"; do
		run ipsecctl $cmd
		assert_success
		refute_output --partial "$secret"
	done
	for k in $(ipsecctl kinds | awk 'NR > 1 { print $1 }'); do
		for cmd in "list $k" "-o json list $k" "-o yaml list $k"; do
			run ipsecctl $cmd
			assert_success
			refute_output --partial "$secret"
		done
	done
	run sqlite3 "$VNB_STORE" "select changes from history"
	refute_output --partial "$secret"
}

@test "ipsecctl: PSKs and private keys never show without --with-secrets" {
	apply_world
	make_ca ca
	make_cert gw ca
	{ ca_doc ca; cert_doc gw ca; kind_doc group-to-group; } > in.yaml
	cat >> in.yaml <<'EOF'
---
kind: localsite-to-localsite
name: lab
left: la
right: lb
ike-policy: ike
ipsec-policy: esp
psk: 0sVGhpcyBpcyB0aGUgc2VjcmV0IHRleHQ=
EOF
	run --separate-stderr ipsecctl apply -f in.yaml
	assert_success
	keyline=$(sed -n 2p gw.key)
	generated=$(field group-to-group gab psk)
	[ -n "$keyline" ] && [ -n "$generated" ] || fail "nothing to look for"

	for secret in "$keyline" "$generated" VGhpcyBpcyB0aGUgc2VjcmV0IHRleHQ=; do
		assert_no_secret "$secret"
		for o in "get group-to-group gab" "get localsite-to-localsite lab" \
		    "get certificate gw" "-o json get certificate gw" \
		    "-o yaml get group-to-group gab"; do
			run ipsecctl $o
			assert_success
			refute_output --partial "$secret"
		done
	done
	run ipsecctl history certificate gw
	assert_output --partial "private-key: - -> (secret)"
	run ipsecctl history localsite-to-localsite lab
	assert_output --partial "psk: - -> (secret)"

	# They are there for those who ask.
	run ipsecctl get certificate gw --with-secrets
	assert_output --partial "$keyline"
	run ipsecctl export --with-secrets
	assert_output --partial "$keyline"
	assert_output --partial "$generated"
	assert_output --partial "psk: 0sVGhpcyBpcyB0aGUgc2VjcmV0IHRleHQ="
}

@test "ipsecctl: an export without secrets applies back and keeps them" {
	apply_world
	make_ca ca
	make_cert gw ca
	{ ca_doc ca; cert_doc gw ca; kind_doc group-to-group; } > in.yaml
	ipsecctl apply -f in.yaml >/dev/null
	ipsecctl export --with-secrets > secret.yaml

	ipsecctl export > public.yaml
	run ipsecctl apply -f public.yaml
	assert_success
	assert_output "0 created, 0 updated, 0 deleted, 14 unchanged"
	ipsecctl export --with-secrets | cmp - secret.yaml

	# A new certificate under the same name needs its own key.
	make_cert gw2 ca
	run ipsecctl set certificate gw --certificate "$(cat gw2.pem)"
	assert_failure 1
	assert_output "ipsecctl: certificate 'gw': private-key: is not the key of 'C=CH, O=VNB, CN=gw2'"
	run ipsecctl set certificate gw --certificate "$(cat gw2.pem)" \
	    --private-key "$(cat gw2.key)"
	assert_success
	assert_field certificate gw subject "C=CH, O=VNB, CN=gw2"
}

@test "ipsecctl: a CA certificate must be a CA, one, and not expired" {
	make_ca ca
	make_ca old --not-before "01.01.20 00:00:00" --not-after "01.01.21 00:00:00"
	make_ca other
	pki_q --gen --type ed25519 --outform pem > leaf.key
	pki_q --self --in leaf.key --dn "CN=leaf" --outform pem > leaf.pem
	printf 'not a certificate\n' > junk.pem
	cat ca.pem other.pem > two.pem
	{ ca_doc leaf; ca_doc old; ca_doc two two.pem; ca_doc junk; } > bad.yaml
	assert_apply_refused bad.yaml \
	    "$(at bad.yaml leaf certificate): ca-certificate 'leaf': certificate: 'CN=leaf' is not a CA certificate (basicConstraints CA:TRUE is missing)" \
	    "$(at bad.yaml old certificate): ca-certificate 'old': certificate: 'C=CH, O=VNB, CN=old' expired on 2021-01-01T00:00:00Z" \
	    "$(at bad.yaml two certificate): ca-certificate 'two': certificate: holds 2 certificates; give each CA as a ca-certificate of its own" \
	    "$(at bad.yaml junk certificate): ca-certificate 'junk': certificate: no PEM certificate (-----BEGIN CERTIFICATE-----) found"
}

@test "ipsecctl: a certificate must have its key and chain to its CA" {
	make_ca ca
	make_ca other
	make_cert gw ca
	make_cert stranger other
	openssl pkey -in gw.key -aes256 -passout pass:x > locked.key
	cat gw.pem gw.key > both.pem
	{ ca_doc ca; ca_doc other; } > cas.yaml
	ipsecctl apply -f cas.yaml >/dev/null

	{ cert_doc k1 ca gw.pem stranger.key; cert_doc k2 ca gw.pem locked.key
	  cert_doc k3 ca both.pem gw.key; cert_doc k4 ca gw.pem gw.pem; } \
	    > bad.yaml
	assert_apply_refused bad.yaml \
	    "$(at bad.yaml k1 private-key): certificate 'k1': private-key: is not the key of 'C=CH, O=VNB, CN=gw'" \
	    "$(at bad.yaml k2 private-key): certificate 'k2': private-key: the private key is encrypted; give it without a passphrase" \
	    "$(at bad.yaml k3 certificate): certificate 'k3': certificate: holds a private key; a private key goes in its own, secret, field" \
	    "$(at bad.yaml k4 private-key): certificate 'k4': private-key: no PEM private key (-----BEGIN ... PRIVATE KEY-----) found"

	# Checks that need the CA and the stored key come once the rest is
	# right.
	{ cert_doc k5 other gw.pem gw.key; cert_doc k6 ca gw.pem -; } > bad.yaml
	assert_apply_refused bad.yaml \
	    "$(at bad.yaml k5 ca): certificate 'k5': ca: 'C=CH, O=VNB, CN=gw' does not chain to ca-certificate 'other': unable to get local issuer certificate" \
	    "bad.yaml:$(grep -n '^name: k6$' bad.yaml | cut -d: -f1 |
	    xargs expr -1 +):1: certificate 'k6': private-key: is required"

	run ipsecctl create certificate k7 --ca nope --certificate "$(cat gw.pem)" \
	    --private-key "$(cat gw.key)"
	assert_failure 1
	assert_output "ipsecctl: certificate 'k7': ca: no ca-certificate 'nope'"

	# The CA may come in the same batch as its certificates.
	make_ca ca2
	make_cert gw3 ca2
	{ cert_doc gw3 ca2; ca_doc ca2; } > good.yaml
	run ipsecctl apply -f good.yaml
	assert_success
	assert_line "created certificate 'gw3'"
}

@test "ipsecctl: certificates that expire within 30 days are warned about" {
	make_ca ca
	# Half a day from a day boundary, so that it is 10 whole days.
	make_cert soon ca --dateform %Y-%m-%dT%H:%M:%S \
	    --not-after "$(date -d '+10 days 12 hours' +%Y-%m-%dT%H:%M:%S)"
	{ ca_doc ca; cert_doc soon ca; } > in.yaml
	run --separate-stderr ipsecctl apply -f in.yaml
	assert_success
	expiry=$(date -u -d "$(openssl x509 -noout -enddate -in soon.pem |
	    sed 's/^.*=//')" +%Y-%m-%dT%H:%M:%SZ)
	assert_equal "$stderr" "$(at in.yaml soon certificate): warning: certificate 'soon': certificate: 'C=CH, O=VNB, CN=soon' expires on $expiry, in 10 days"
	assert_field certificate soon not-after "$expiry"
}

@test "ipsecctl: deleting a CA or certificate in use is refused" {
	apply_world
	make_ca ca
	make_cert gw ca
	{ ca_doc ca; cert_doc gw ca; } > pki.yaml
	ipsecctl apply -f pki.yaml >/dev/null
	ipsecctl set local-site la --certificate gw >/dev/null
	before=$(store_state)

	run ipsecctl delete ca-certificate ca
	assert_failure 1
	assert_output "ipsecctl: cannot delete ca-certificate 'ca': used by certificate 'gw' (--cascade deletes them too)"
	run ipsecctl delete certificate gw
	assert_failure 1
	assert_output "ipsecctl: cannot delete certificate 'gw': used by local-site 'la' (--cascade deletes them too)"
	assert_equal "$(store_state)" "$before"

	run ipsecctl set local-site la --unset certificate
	assert_success
	run ipsecctl delete ca-certificate ca --cascade
	assert_success
	assert_output "deleted certificate 'gw'
deleted ca-certificate 'ca'"
	assert_store_ok
}

@test "ipsecctl: an enforcer's read-only fields are VNB's, and kept" {
	apply_world
	# What vnb-enforce will do when an enforcer checks in.
	sqlite3 "$VNB_STORE" "update objects set body = json_set(body,
	    '$.last-seen', '2026-01-02T03:04:05Z', '$.config-hash', 'abc123')
	    where kind = 'enforcer' and name = 'e1'"
	run ipsecctl list enforcer e1
	assert_line --index 1 --regexp '^e1 +ga +- +192\.0\.2\.1 +2026-01-02T03:04:05Z$'

	run ipsecctl apply -f world.yaml
	assert_output "0 created, 0 updated, 0 deleted, 11 unchanged"
	run ipsecctl set enforcer e1 --description "rack 4"
	assert_success
	assert_field enforcer e1 last-seen 2026-01-02T03:04:05Z
	assert_field enforcer e1 config-hash abc123

	# A document may hold them, as export writes them; they are ignored.
	sed 's/^name: e1$/name: e1\nlast-seen: yesterday/' world.yaml > seen.yaml
	run ipsecctl apply -f seen.yaml
	assert_success
	assert_field enforcer e1 last-seen 2026-01-02T03:04:05Z

	run ipsecctl set enforcer e1 --last-seen now
	assert_failure 1
	assert_output "ipsecctl: --last-seen is read-only: VNB sets it"

	run ipsecctl kinds enforcer
	assert_line --regexp '^last-seen +string +read-only +when it last fetched its configuration$'
}

@test "ipsecctl: an enforcer in no group and no site is warned about" {
	run --separate-stderr ipsecctl create enforcer lonely \
	    --tunnel-address 2001:db8::1
	assert_success
	assert_equal "$stderr" "ipsecctl: warning: enforcer 'lonely': in no endpoint-group and no local-site: no tunnel will use it"
}

# The tunnels.

# The world with one bind of each kind.
apply_binds() {
	apply_world
	cat > binds.yaml <<'EOF'
---
kind: group-to-group
name: ga-gb
left: ga
right: gb
ike-policy: ike
ipsec-policy: esp
---
kind: localsite-to-localsite
name: la-lb
left: la
right: lb
ike-policy: ike
ipsec-policy: esp
---
kind: localsite-to-remotesite
name: la-r
local-site: la
remote-site: r
ike-policy: ike
ipsec-policy: esp
EOF
	run ipsecctl apply -f binds.yaml
	assert_success
}

@test "ipsecctl: tunnels lists every tunnel the binds make" {
	apply_binds
	run ipsecctl tunnels
	assert_success
	assert_output "$(cat <<'EOF'
BIND   LEFT  LEFT-ADDRESS  LEFT-SELECTORS  RIGHT  RIGHT-ADDRESS  RIGHT-SELECTORS              IKE-POLICY  IPSEC-POLICY  AUTH
ga-gb  e1    192.0.2.1     192.0.2.1/32    e3     192.0.2.3      192.0.2.3/32                 ike         esp           psk
ga-gb  e1    192.0.2.1     192.0.2.1/32    e4     192.0.2.4      10.2.0.0/16,2001:db8:2::/48  ike         esp           psk
ga-gb  e2    192.0.2.2     10.1.0.0/16     e3     192.0.2.3      192.0.2.3/32                 ike         esp           psk
ga-gb  e2    192.0.2.2     10.1.0.0/16     e4     192.0.2.4      10.2.0.0/16,2001:db8:2::/48  ike         esp           psk
la-lb  e2    192.0.2.2     10.1.0.0/16     e4     192.0.2.4      10.2.0.0/16,2001:db8:2::/48  ike         esp           psk
la-r   e2    192.0.2.2     10.1.0.0/16     r      203.0.113.9    10.9.0.0/16                  ike         esp           psk
EOF
)"
	run ipsecctl tunnels --count
	assert_success
	assert_output 6
}

@test "ipsecctl: tunnels --enforcer shows one host's tunnels from its side" {
	apply_binds
	run ipsecctl tunnels --enforcer e4
	assert_success
	assert_output "$(cat <<'EOF'
BIND   LEFT  LEFT-ADDRESS  LEFT-SELECTORS               RIGHT  RIGHT-ADDRESS  RIGHT-SELECTORS  IKE-POLICY  IPSEC-POLICY  AUTH
ga-gb  e4    192.0.2.4     10.2.0.0/16,2001:db8:2::/48  e1     192.0.2.1      192.0.2.1/32     ike         esp           psk
ga-gb  e4    192.0.2.4     10.2.0.0/16,2001:db8:2::/48  e2     192.0.2.2      10.1.0.0/16      ike         esp           psk
la-lb  e4    192.0.2.4     10.2.0.0/16,2001:db8:2::/48  e2     192.0.2.2      10.1.0.0/16      ike         esp           psk
EOF
)"
	for e in e1:2 e2:4 e3:2 e4:3; do
		run ipsecctl tunnels --count --enforcer "${e%:*}"
		assert_success
		assert_output "${e#*:}"
	done

	run ipsecctl tunnels --enforcer nobody
	assert_failure 1
	assert_output "ipsecctl: no enforcer 'nobody'"
}

@test "ipsecctl: tunnels -o json and -o yaml give every end in full" {
	apply_binds
	run ipsecctl -o json tunnels --enforcer e2
	assert_success
	run python3 -c '
import json, sys
t = json.load(sys.stdin)
print(len(t))
r = [x for x in t if x["bind"] == "la-r"][0]
print(r["bind-kind"], r["left"], r["right"], r["authentication"])' <<< "$output"
	assert_output "4
localsite-to-remotesite {'enforcer': 'e2', 'endpoint-group': 'ga', 'local-site': 'la', 'address': '192.0.2.2', 'selectors': ['10.1.0.0/16']} {'remote-site': 'r', 'address': '203.0.113.9', 'selectors': ['10.9.0.0/16']} psk"

	run ipsecctl -o json tunnels --enforcer e3 --count
	assert_output 2
	run ipsecctl -o json tunnels
	run python3 -c 'import json, sys; print(len(json.load(sys.stdin)))' \
	    <<< "$output"
	assert_output 6

	run ipsecctl -o yaml tunnels
	assert_success
	assert_equal "$(grep -c '^---$' <<< "$output")" 6
	assert_line "bind: la-r"

	# No tunnels: an empty list, not nothing.
	ipsecctl delete group-to-group ga-gb >/dev/null
	ipsecctl delete localsite-to-localsite la-lb >/dev/null
	ipsecctl delete localsite-to-remotesite la-r >/dev/null
	run ipsecctl -o json tunnels
	assert_output "[]"
	run ipsecctl tunnels --count
	assert_output 0
}

@test "ipsecctl: tunnels carry no secret, and name the certificates they use" {
	apply_binds
	make_ca ca
	make_cert gw ca
	{ ca_doc ca; cert_doc gw ca; } > pki.yaml
	ipsecctl apply -f pki.yaml >/dev/null
	ipsecctl set local-site la --certificate gw >/dev/null
	ipsecctl set remote-site r --ca ca --peer-id "C=CH, O=VNB, CN=branch" \
	    >/dev/null
	run ipsecctl set localsite-to-remotesite la-r --authentication certificate
	assert_success
	psk=$(field group-to-group ga-gb psk)

	run ipsecctl -o json tunnels
	assert_success
	refute_output --partial "$psk"
	refute_output --partial "PRIVATE KEY"
	run python3 -c '
import json, sys
r = [x for x in json.load(sys.stdin) if x["bind"] == "la-r"][0]
print(r["left"]["certificate"], r["right"]["id"], r["right"]["ca"], r["authentication"])' <<< "$output"
	assert_output "gw C=CH, O=VNB, CN=branch ca certificate"
}

@test "ipsecctl: a transport-mode mesh protects the enforcers' own addresses" {
	apply_world
	ipsecctl create ipsec-policy host --encapsulation-mode transport \
	    >/dev/null
	ipsecctl create group-to-group ga-gb --left ga --right gb \
	    --ike-policy ike --ipsec-policy host >/dev/null
	run ipsecctl tunnels --enforcer e2
	assert_success
	assert_line --index 1 --regexp '^ga-gb +e2 +192\.0\.2\.2 +192\.0\.2\.2/32 +e3 +192\.0\.2\.3 +192\.0\.2\.3/32 '
	assert_line --index 2 --regexp '^ga-gb +e2 +192\.0\.2\.2 +192\.0\.2\.2/32 +e4 +192\.0\.2\.4 +192\.0\.2\.4/32 '
}

@test "ipsecctl: a mesh of 30 by 40 enforcers makes 1200 tunnels" {
	{
		printf -- '---\nkind: ike-policy\nname: ike\n'
		printf -- '---\nkind: ipsec-policy\nname: esp\n'
		printf -- '---\nkind: endpoint-group\nname: %s\n' a b
		for i in $(seq 1 70); do
			printf -- '---\nkind: enforcer\nname: h%d\n' "$i"
			printf 'endpoint-group: %s\n' "$([ "$i" -le 30 ] && echo a || echo b)"
			printf 'tunnel-address: 2001:db8::%x\n' "$i"
		done
		printf -- '---\nkind: group-to-group\nname: ab\nleft: a\nright: b\n'
		printf 'ike-policy: ike\nipsec-policy: esp\n'
	} > mesh.yaml
	run ipsecctl apply -f mesh.yaml
	assert_success
	run ipsecctl tunnels --count
	assert_output 1200
	run ipsecctl tunnels --count --enforcer h1
	assert_output 40
	run ipsecctl tunnels --count --enforcer h70
	assert_output 30
	run ipsecctl tunnels
	assert_equal "${#lines[@]}" 1201
	assert_equal "$(printf '%s\n' "${lines[@]}" | sort -u | wc -l)" 1201
}

@test "ipsecctl: graph draws groups, sites, enforcers and binds" {
	apply_binds
	run ipsecctl graph
	assert_success
	assert_line --index 0 "graph ipsec {"
	assert_line --partial 'subgraph "cluster_endpoint-group:ga" {'
	assert_line --partial '"enforcer:e1" [shape=box, label="e1\n192.0.2.1"];'
	assert_line --partial '"local-site:lb" [shape=house, label="lb\n10.2.0.0/16\n2001:db8:2::/48"];'
	assert_line --partial '"remote-site:r" [shape=doubleoctagon, label="r\n203.0.113.9\n10.9.0.0/16"];'
	assert_line --partial '"enforcer:e2" -- "local-site:la" [style=dashed];'
	assert_line --partial '"endpoint-group:ga" -- "endpoint-group:gb" [penwidth=2, label="ga-gb\n4 tunnels"];'
	assert_line --partial '"local-site:la" -- "local-site:lb" [penwidth=2, label="la-lb\n1 tunnel"];'
	assert_line --partial '"local-site:la" -- "remote-site:r" [penwidth=2, label="la-r\n1 tunnel"];'
	assert_line --index $((${#lines[@]} - 1)) "}"
	# Each enforcer drawn once, inside its group's cluster.
	assert_equal "$(grep -c '"enforcer:e[0-9]" \[shape' <<< "$output")" 4
	assert_equal "$(grep -c '{' <<< "$output")" "$(grep -c '}' <<< "$output")"

	if ! command -v dot >/dev/null; then
		skip "graphviz is not installed"
	fi
	ipsecctl graph > g.dot
	run dot -Tsvg g.dot -o g.svg
	assert_success
	assert_output ""
	grep -q '<title>enforcer:e4</title>' g.svg
}

# The command line.

@test "ipsecctl: -h lists the IPsec commands too" {
	run --separate-stderr ipsecctl -h
	assert_success
	assert_line --index 0 "usage: ipsecctl [-hVv] [--store PATH|URL] [-o table|yaml|json] COMMAND [ARGS]"
	assert_line "    tunnels [--enforcer NAME] [--count]"
	assert_line "    graph"
	assert_equal "$stderr" ""
}

@test "ipsecctl: bad usage exits 2; monitoring kinds are secmonctl's" {
	run ipsecctl tunnels extra
	assert_failure 2
	assert_line --index 0 "ipsecctl: wrong number of arguments for 'tunnels'"
	assert_line --index 1 "usage: ipsecctl tunnels [--enforcer NAME] [--count]"

	run ipsecctl graph --count
	assert_failure 2
	assert_line --index 0 "ipsecctl: an option does not go with 'graph'"

	run ipsecctl list --enforcer e1 enforcer
	assert_failure 2
	assert_line --index 0 "ipsecctl: an option does not go with 'list'"

	run ipsecctl list rule
	assert_failure 1
	assert_output "ipsecctl: kind 'rule' is managed by secmonctl"

	run ipsecctl create local-site l --scope s --cidrs 10.0.0.0/8
	assert_failure 2
	assert_line --index 0 "ipsecctl: a local-site does not belong to a scope"

	printf 'kind: scope\nname: s\n' > s.yaml
	run ipsecctl apply -f s.yaml
	assert_failure 1
	assert_output "s.yaml:1:7: kind 'scope' is managed by secmonctl"

	run secmonctl list enforcer
	assert_failure 1
	assert_output "secmonctl: kind 'enforcer' is managed by ipsecctl"
}

@test "ipsecctl: create, set and delete a local site from the command line" {
	run ipsecctl create local-site lab --cidrs 10.8.0.0/16,2001:db8:8::/48
	assert_success
	assert_output "created local-site 'lab'"
	assert_field local-site lab cidrs '["10.8.0.0/16","2001:db8:8::/48"]'

	run ipsecctl set local-site lab --cidrs 10.8.0.0/24
	assert_success
	assert_output "updated local-site 'lab'"
	assert_field local-site lab cidrs '["10.8.0.0/24"]'

	run ipsecctl set local-site lab --unset cidrs
	assert_failure 1
	assert_output "ipsecctl: local-site 'lab': cidrs: is required"

	run ipsecctl delete local-site lab
	assert_success
	assert_output "deleted local-site 'lab'"
	assert_equal "$(objects_in_store)" 0
}

#!/usr/bin/env bats
# vnb-enforce: what it renders and writes, and, in network namespaces with
# a charon each, that the tunnels it renders come up, change and go.

load helpers

# A small configuration with fixed keys, so that files compare exactly:
# groups ga (h1, h2) and gb (h3, h4), meshed by bind ab.
mesh_yaml() {
	cat <<-EOF
	---
	kind: ike-policy
	name: ike
	encryption: [aes256gcm16]
	dh-group: [curve25519]
	---
	kind: ipsec-policy
	name: esp
	encryption: [aes256gcm16]
	---
	kind: ipsec-policy
	name: esp2
	encryption: [aes128gcm16]
	---
	kind: endpoint-group
	name: ga
	---
	kind: endpoint-group
	name: gb
	---
	kind: endpoint-group
	name: spare
	description: a group no bind uses
	---
	kind: group-to-group
	name: ab
	left: ga
	right: gb
	ike-policy: ike
	ipsec-policy: esp
	psk: 0sc2VjcmV0IHNlY3JldCBzZWNyZXQgc2VjcmV0IQ==
	start-action: start
	EOF
}

enforce() {
	vnb-enforce --root "$BATS_TEST_TMPDIR/root" "$@"
}

# Register h1 to h4 in the order given, each with a root of its own.
register() {
	local i rc
	for i in "$@"; do
		rc=0
		vnb-enforce --root "$BATS_TEST_TMPDIR/reg/h$i" --name h$i \
		    --group $([ $i -le 2 ] && echo ga || echo gb) \
		    --address 192.0.2.$((10 + i)) > /dev/null || rc=$?
		[ $rc -eq 0 ] || [ $rc -eq 3 ] || return 1
	done
}

setup() {
	vnb_setup
	ipsecctl init > /dev/null
	mesh_yaml > mesh.yaml
	ipsecctl apply -f mesh.yaml > /dev/null
}

@test "vnb-enforce -h prints the usage and exits 0" {
	run vnb-enforce -h
	assert_success
	assert_line --index 0 --partial "usage: vnb-enforce [-hVv] [--store PATH|URL] --name HOST"
}

@test "vnb-enforce refuses bad usage with exit 2" {
	run vnb-enforce --group ga --address 192.0.2.11
	assert_failure 2
	assert_line --index 0 "vnb-enforce: --name and --group are required"
	run vnb-enforce --name h1 --group ga
	assert_failure 2
	assert_line --index 0 "vnb-enforce: give --interface or --address"
	run vnb-enforce --name h1 --group ga --address 192.0.2.11 --format x
	assert_failure 2
	assert_line --index 0 "vnb-enforce: unknown format 'x' (ipsec or swanctl)"
	run vnb-enforce --name h1 --group ga --address 192.0.2.11 --check --reload
	assert_failure 2
	run vnb-enforce --name h1 --group ga --address 192.0.2.11 --root rel
	assert_failure 2
	assert_line --index 0 "vnb-enforce: --root: 'rel' is not an absolute path"
}

@test "vnb-enforce writes ipsec.conf and ipsec.secrets, then is silent" {
	register 3 4
	run enforce --name h1 --group ga --address 192.0.2.11
	assert_failure 3
	assert_output "wrote $BATS_TEST_TMPDIR/root/etc/ipsec.conf
wrote $BATS_TEST_TMPDIR/root/etc/ipsec.secrets"
	run cat root/etc/ipsec.conf
	assert_output "# Written by vnb-enforce for enforcer 'h1' from the VNB store.
# Do not edit: the next run puts back what the store says.

config setup
	uniqueids=never

conn h3__ab
	keyexchange=ikev2
	left=192.0.2.11
	right=192.0.2.13
	ike=aes256gcm16-prfsha256-curve25519!
	ikelifetime=14400s
	leftauth=psk
	rightauth=psk
	leftid=192.0.2.11
	rightid=192.0.2.13
	dpddelay=30s
	leftsubnet=192.0.2.11/32
	rightsubnet=192.0.2.13/32
	type=tunnel
	esp=aes256gcm16!
	lifetime=3600s
	dpdaction=restart
	auto=start

conn h4__ab
	keyexchange=ikev2
	left=192.0.2.11
	right=192.0.2.14
	ike=aes256gcm16-prfsha256-curve25519!
	ikelifetime=14400s
	leftauth=psk
	rightauth=psk
	leftid=192.0.2.11
	rightid=192.0.2.14
	dpddelay=30s
	leftsubnet=192.0.2.11/32
	rightsubnet=192.0.2.14/32
	type=tunnel
	esp=aes256gcm16!
	lifetime=3600s
	dpdaction=restart
	auto=start"
	run cat root/etc/ipsec.secrets
	assert_output "# Written by vnb-enforce for enforcer 'h1' from the VNB store.
# Do not edit: the next run puts back what the store says.
192.0.2.11 192.0.2.13 : PSK 0sc2VjcmV0IHNlY3JldCBzZWNyZXQgc2VjcmV0IQ==
192.0.2.11 192.0.2.14 : PSK 0sc2VjcmV0IHNlY3JldCBzZWNyZXQgc2VjcmV0IQ=="
	run stat -c %a root/etc/ipsec.secrets root/etc/ipsec.conf
	assert_output "600
644"

	run enforce --name h1 --group ga --address 192.0.2.11
	assert_success
	assert_output ""
}

@test "vnb-enforce: the responder waits, and does not restart on DPD" {
	register 1 2 4
	enforce --name h3 --group gb --address 192.0.2.13 > /dev/null || true
	run grep -c "auto=add" root/etc/ipsec.conf
	assert_output 2
	run grep -c "dpdaction=clear" root/etc/ipsec.conf
	assert_output 2
	run grep -c "auto=start" root/etc/ipsec.conf
	assert_output 0
}

@test "vnb-enforce --format swanctl writes one connection per peer" {
	register 3 4
	run enforce --name h1 --group ga --address 192.0.2.11 --format swanctl
	assert_failure 3
	assert_output "wrote $BATS_TEST_TMPDIR/root/etc/swanctl/swanctl.conf"
	run stat -c %a root/etc/swanctl/swanctl.conf
	assert_output 600
	run sed -n '/^	h3 {/,/^	}/p' root/etc/swanctl/swanctl.conf
	assert_output "	h3 {
		version = 2
		local_addrs = 192.0.2.11
		remote_addrs = 192.0.2.13
		unique = never
		proposals = aes256gcm16-prfsha256-curve25519
		rekey_time = 14400s
		dpd_delay = 30s
		local {
			auth = psk
			id = 192.0.2.11
		}
		remote {
			auth = psk
			id = \"192.0.2.13\"
		}
		children {
			h3__ab {
				local_ts = 192.0.2.11/32
				remote_ts = 192.0.2.13/32
				mode = tunnel
				esp_proposals = aes256gcm16
				rekey_time = 3600s
				dpd_action = restart
				start_action = start
			}
		}
	}"
	run sed -n '/^secrets {/,$p' root/etc/swanctl/swanctl.conf
	assert_output "secrets {
	ike-h3 {
		id-1 = 192.0.2.11
		id-2 = \"192.0.2.13\"
		secret = 0sc2VjcmV0IHNlY3JldCBzZWNyZXQgc2VjcmV0IQ==
	}
	ike-h4 {
		id-1 = 192.0.2.11
		id-2 = \"192.0.2.14\"
		secret = 0sc2VjcmV0IHNlY3JldCBzZWNyZXQgc2VjcmV0IQ==
	}
}"
}

@test "vnb-enforce renders the same bytes whatever order hosts registered in" {
	register 4 2 3
	enforce --name h1 --group ga --address 192.0.2.11 > /dev/null || true
	mv root root-a
	mv "$VNB_STORE" store-a.db
	ipsecctl init > /dev/null
	ipsecctl apply -f mesh.yaml > /dev/null
	register 3 2 4
	enforce --name h1 --group ga --address 192.0.2.11 > /dev/null || true
	run diff -r root-a/etc root/etc
	assert_success
	assert_output ""
}

@test "vnb-enforce registers the enforcer, and records its hash and time" {
	run vnb-enforce --root "$BATS_TEST_TMPDIR/root" --name h1 --group ga \
	    --interface lo
	assert_failure 3
	run ipsecctl get enforcer h1 -o json
	assert_success
	assert_output --partial '"tunnel-address": "127.0.0.1"'
	assert_output --partial '"endpoint-group": "ga"'
	assert_output --regexp '"last-seen": "20[0-9-]+T[0-9:.]+Z"'
	assert_output --regexp '"config-hash": "sha256:[0-9a-f]{64}"'
	run vnb-enforce --root "$BATS_TEST_TMPDIR/root" --name h1 --group ga \
	    --address 192.0.2.11
	run ipsecctl get enforcer h1 -o json
	assert_output --partial '"tunnel-address": "192.0.2.11"'
	run vnb-enforce --root "$BATS_TEST_TMPDIR/root" --name h1 --group nosuch \
	    --address 192.0.2.11
	assert_failure 1
	assert_output --partial "nosuch"
	run vnb-enforce --name h1 --group ga --interface nosuch0 --dry-run
	assert_failure 1
	assert_output "vnb-enforce: interface 'nosuch0' has no usable address (give --address)"
}

@test "vnb-enforce runs that change nothing leave the history alone" {
	register 3
	enforce --name h1 --group ga --address 192.0.2.11 >/dev/null ||
	    [ $? -eq 3 ]
	ipsecctl history enforcer h1 >before
	seen=$(ipsecctl get enforcer h1 -o json | grep last-seen)
	sleep 0.01
	run enforce --name h1 --group ga --address 192.0.2.11
	assert_success
	assert_output ""
	ipsecctl history enforcer h1 >after
	diff -u before after
	# The time is kept all the same.
	[ "$(ipsecctl get enforcer h1 -o json | grep last-seen)" != "$seen" ]
	# A new configuration is a change like any other.
	ipsecctl set ipsec-policy esp --lifetime 30m >/dev/null
	run enforce --name h1 --group ga --address 192.0.2.11
	assert_failure 3
	run ipsecctl history enforcer h1
	assert_line --regexp 'update +enforcer .*config-hash: sha256:'
	refute_output --partial 'last-seen:'
}

@test "vnb-enforce --check says whether the files are what the store says" {
	register 3 4
	run enforce --name h1 --group ga --address 192.0.2.11 --check
	assert_failure 3
	assert_output "differs: $BATS_TEST_TMPDIR/root/etc/ipsec.conf
differs: $BATS_TEST_TMPDIR/root/etc/ipsec.secrets"
	[ ! -e root/etc/ipsec.conf ]
	enforce --name h1 --group ga --address 192.0.2.11 > /dev/null || true
	run enforce --name h1 --group ga --address 192.0.2.11 --check
	assert_success
	assert_output ""
	chmod 644 root/etc/ipsec.secrets
	run enforce --name h1 --group ga --address 192.0.2.11 --check
	assert_failure 3
	assert_output "differs: $BATS_TEST_TMPDIR/root/etc/ipsec.secrets"
	run enforce --name h1 --group ga --address 192.0.2.11
	assert_failure 3
	run stat -c %a root/etc/ipsec.secrets
	assert_output 600
	ipsecctl set group-to-group ab --ipsec-policy esp2 > /dev/null
	run enforce --name h1 --group ga --address 192.0.2.11 --check
	assert_failure 3
	assert_output "differs: $BATS_TEST_TMPDIR/root/etc/ipsec.conf"
}

@test "vnb-enforce --dry-run prints the files and writes nothing" {
	register 3 4
	run enforce --name h9 --group ga --address 192.0.2.19 --dry-run
	assert_failure 3
	assert_line "==> $BATS_TEST_TMPDIR/root/etc/ipsec.conf (mode 0644) <=="
	assert_line "==> $BATS_TEST_TMPDIR/root/etc/ipsec.secrets (mode 0600) <=="
	assert_line "conn h3__ab"
	[ ! -e root ]
	# A dry run registers nothing either.
	run ipsecctl get enforcer h9
	assert_failure
}

@test "vnb-enforce keeps the files when the store is unreachable" {
	register 3 4
	enforce --name h1 --group ga --address 192.0.2.11 > /dev/null || true
	cp root/etc/ipsec.conf before.conf
	mv "$VNB_STORE" elsewhere.db
	run enforce --name h1 --group ga --address 192.0.2.11
	assert_failure 1
	assert_output "vnb-enforce: no store at '$VNB_STORE' (create one with 'secmonctl init', or give --store)"
	cmp before.conf root/etc/ipsec.conf
	run enforce --store http://192.0.2.1/ --name h1 --group ga \
	    --address 192.0.2.11
	assert_failure 1
	assert_output "vnb-enforce: store 'http://192.0.2.1/': REST stores are not supported by this build"
	cmp before.conf root/etc/ipsec.conf
}

@test "vnb-enforce refuses a second run while one holds the lock" {
	register 3 4
	enforce --name h1 --group ga --address 192.0.2.11 > /dev/null || true
	lock=$(find "$BATS_TEST_TMPDIR/root" -name enforce.lock)
	[ -n "$lock" ]
	flock "$lock" sleep 3 &
	holder=$!
	sleep 0.3
	run enforce --name h1 --group ga --address 192.0.2.11
	kill "$holder" 2>/dev/null || true
	wait "$holder" 2>/dev/null || true
	assert_failure 1
	assert_output "vnb-enforce: lock '$lock': another run holds it"
}

@test "vnb-enforce writes certificates and keys, keys closed to others" {
	KEY_TYPE=ecdsa KEY_SIZE=256 "$VNB_SRCDIR/examples/ipsec-pki.sh" pki \
	    cert-ga cert-gb > /dev/null
	ipsecctl apply -f pki/pki.yaml > /dev/null
	ipsecctl set endpoint-group ga --certificate cert-ga > /dev/null
	ipsecctl set endpoint-group gb --certificate cert-gb > /dev/null
	ipsecctl set group-to-group ab --authentication certificate \
	    > /dev/null
	register 3 4
	run enforce --name h1 --group ga --address 192.0.2.11
	assert_failure 3
	assert_output "wrote $BATS_TEST_TMPDIR/root/etc/ipsec.conf
wrote $BATS_TEST_TMPDIR/root/etc/ipsec.d/cacerts/vnb-ca.pem
wrote $BATS_TEST_TMPDIR/root/etc/ipsec.d/certs/cert-ga.pem
wrote $BATS_TEST_TMPDIR/root/etc/ipsec.d/private/cert-ga.pem
wrote $BATS_TEST_TMPDIR/root/etc/ipsec.secrets"
	run stat -c '%a %n' root/etc/ipsec.d/private \
	    root/etc/ipsec.d/private/cert-ga.pem root/etc/ipsec.d/certs
	assert_output "700 root/etc/ipsec.d/private
600 root/etc/ipsec.d/private/cert-ga.pem
755 root/etc/ipsec.d/certs"
	cmp pki/cert-ga.key root/etc/ipsec.d/private/cert-ga.pem
	cmp pki/cert-ga.pem root/etc/ipsec.d/certs/cert-ga.pem
	cmp pki/vnb-ca.pem root/etc/ipsec.d/cacerts/vnb-ca.pem
	run grep -c "^: ECDSA cert-ga.pem$" root/etc/ipsec.secrets
	assert_output 1
	run grep -E "left(cert|id)|right(id|ca)" root/etc/ipsec.conf
	assert_line --index 0 "	leftcert=cert-ga.pem"
	assert_line --index 1 '	leftid="C=CH, O=VNB, CN=cert-ga"'
	assert_line --index 2 '	rightca="C=CH, O=VNB, CN=vnb-ca"'
	assert_line --index 3 '	rightid="C=CH, O=VNB, CN=cert-gb"'

	# Changing format takes the other format's files away.
	run enforce --name h1 --group ga --address 192.0.2.11 --format swanctl
	assert_failure 3
	assert_line "wrote $BATS_TEST_TMPDIR/root/etc/swanctl/private/cert-ga.pem"
	assert_line "removed $BATS_TEST_TMPDIR/root/etc/ipsec.d/private/cert-ga.pem"
	run stat -c '%a' root/etc/swanctl/private root/etc/swanctl/private/cert-ga.pem
	assert_output "700
600"
	[ ! -e root/etc/ipsec.conf ]

	# A state file that names other files takes nothing else away.
	state=$(find root -name enforce.json)
	sed -i 's|"etc/swanctl/swanctl.conf"|"etc/swanctl/../../keep", "etc/passwd"|' \
	    "$state"
	mkdir -p root/etc
	touch root/keep root/etc/passwd
	enforce --name h1 --group ga --address 192.0.2.11 > /dev/null || true
	[ -e root/keep ]
	[ -e root/etc/passwd ]
}

@test "vnb-enforce writes nothing strongSwan would refuse or change" {
	register 3 4
	enforce --name h1 --group ga --address 192.0.2.11 > /dev/null || true
	cp root/etc/ipsec.conf before.conf
	ipsecctl create ipsec-policy both --transform-protocol ah-esp \
	    > /dev/null
	ipsecctl set group-to-group ab --ipsec-policy both > /dev/null
	run enforce --name h1 --group ga --address 192.0.2.11
	assert_failure 1
	assert_output "vnb-enforce: enforcer 'h1': bind 'ab': strongSwan does not negotiate AH and ESP together (ah-esp); nothing written"
	cmp before.conf root/etc/ipsec.conf
}

@test "vnb-enforce refuses two binds to one peer with different IKE settings" {
	ipsecctl create ike-policy ike2 --encryption aes128gcm16 > /dev/null
	ipsecctl create local-site s1 --cidrs 198.51.100.0/28 > /dev/null
	ipsecctl create local-site s3 --cidrs 198.51.100.32/28 > /dev/null
	ipsecctl create localsite-to-localsite s13 --left s1 --right s3 \
	    --ike-policy ike2 --ipsec-policy esp > /dev/null
	vnb-enforce --root "$BATS_TEST_TMPDIR/reg" --name h3 --group gb \
	    --localsite s3 --address 192.0.2.13 > /dev/null || true
	run enforce --name h1 --group ga --localsite s1 --address 192.0.2.11
	assert_failure 1
	assert_output "vnb-enforce: enforcer 'h1': binds 'ab' and 's13' both make tunnels to 'h3' (192.0.2.13), with different IKE policies, authentication, keys or DPD settings: one IKE connection cannot have both; nothing written"
	[ ! -e root/etc/ipsec.conf ]

	# With the same IKE settings, both are children of one connection.
	ipsecctl set localsite-to-localsite s13 --ike-policy ike \
	    --psk 0sc2VjcmV0IHNlY3JldCBzZWNyZXQgc2VjcmV0IQ== > /dev/null
	run enforce --name h1 --group ga --localsite s1 --address 192.0.2.11 \
	    --format swanctl
	assert_failure 3
	run grep -E "^	[^	]+ \{$|^			[^	]+ \{$" \
	    root/etc/swanctl/swanctl.conf
	assert_output "	h3 {
			h3__ab {
			h3__s13 {
	ike-h3 {"
}

@test "vnb-enforce gives IKEv1 one algorithm of each kind per proposal" {
	ipsecctl create ike-policy v1 --version v1 --encryption aes256,aes128 \
	    --integrity sha256,sha384 --dh-group ecp256 > /dev/null
	ipsecctl create ipsec-policy esp-v1 --encryption aes256,aes128 \
	    --pfs ecp256 > /dev/null
	ipsecctl set group-to-group ab --ike-policy v1 --ipsec-policy esp-v1 \
	    > /dev/null
	register 3
	enforce --name h1 --group ga --address 192.0.2.11 > /dev/null || true
	run grep -E "keyexchange|ike=|esp=" root/etc/ipsec.conf
	assert_output "	keyexchange=ikev1
	ike=aes256-sha256-ecp256,aes256-sha384-ecp256,aes128-sha256-ecp256,aes128-sha384-ecp256!
	esp=aes256-sha256-ecp256,aes128-sha256-ecp256!"
}

@test "vnb-enforce refuses IKEv1 with several subnets on a side" {
	ipsecctl create ike-policy v1 --version v1 --encryption aes256 \
	    > /dev/null
	ipsecctl create local-site s1 --cidrs 198.51.100.0/28,203.0.113.0/28 \
	    > /dev/null
	ipsecctl set group-to-group ab --ike-policy v1 > /dev/null
	register 3
	run enforce --name h1 --group ga --localsite s1 --address 192.0.2.11
	assert_failure 1
	assert_output "vnb-enforce: enforcer 'h1': bind 'ab': IKEv1 negotiates one subnet on each side of a child, and the tunnel to 'h3' has more; nothing written"
}

@test "vnb-enforce renders IPv6 tunnel addresses" {
	vnb-enforce --root "$BATS_TEST_TMPDIR/reg" --name h3 --group gb \
	    --address 2001:DB8::13 > /dev/null || true
	run enforce --name h1 --group ga --address 2001:db8:0::11 --format swanctl
	assert_failure 3
	run grep -E "_addrs|_ts|id(-[12])? =" root/etc/swanctl/swanctl.conf
	assert_output "		local_addrs = 2001:db8::11
		remote_addrs = 2001:db8::13
			id = 2001:db8::11
			id = \"2001:db8::13\"
				local_ts = 2001:db8::11/128
				remote_ts = 2001:db8::13/128
		id-1 = 2001:db8::11
		id-2 = \"2001:db8::13\""
}

@test "vnb-enforce refuses a bad address and registers nothing" {
	run enforce --name h1 --group ga --address 192.0.2.300
	assert_failure 1
	assert_line --partial "tunnel-address"
	assert_line "vnb-enforce: enforcer 'h1' not registered"
	run ipsecctl get enforcer h1
	assert_failure
	[ ! -e root/etc ]
}

# A stand-in for swanctl or ipsec that logs how it was called.
fake_control() {
	cat > "$BATS_TEST_TMPDIR/ctl" <<-'EOF'
	#!/bin/sh
	echo "$*" >> "$CTL_LOG"
	exit 0
	EOF
	chmod +x "$BATS_TEST_TMPDIR/ctl"
	export CTL_LOG="$BATS_TEST_TMPDIR/calls"
	export VNB_SWANCTL="$BATS_TEST_TMPDIR/ctl" VNB_IPSEC="$BATS_TEST_TMPDIR/ctl"
}

calls() {
	cat "$CTL_LOG" 2> /dev/null
	rm -f "$CTL_LOG"
}

@test "vnb-enforce --reload tells swanctl exactly what changed" {
	fake_control
	register 3 4
	run enforce --name h1 --group ga --address 192.0.2.11 --format swanctl \
	    --reload
	assert_failure 3
	assert_line "reload: added h3__ab"
	assert_line "reload: added h4__ab"
	run calls
	assert_output "--load-all"

	ipsecctl set group-to-group ab --ipsec-policy esp2 > /dev/null
	run enforce --name h1 --group ga --address 192.0.2.11 --format swanctl \
	    --reload
	assert_failure 3
	assert_output "wrote $BATS_TEST_TMPDIR/root/etc/swanctl/swanctl.conf
reload: changed h3__ab
reload: changed h4__ab"
	run calls
	assert_output "--terminate --child h3__ab --timeout 5
--terminate --child h4__ab --timeout 5
--load-all"

	# Nothing changed: the daemon is asked what it has, and what this
	# host starts but the daemon lacks is started.
	run enforce --name h1 --group ga --address 192.0.2.11 --format swanctl \
	    --reload
	assert_failure 3
	assert_output "reload: started h3__ab
reload: started h4__ab"
	run calls
	assert_output "--list-sas
--initiate --child h3__ab
--initiate --child h4__ab"

	# h4 goes: its child and its IKE SA.
	ipsecctl delete enforcer h4 > /dev/null
	printf '  h3__ab: #1, reqid 1, INSTALLED\n' > listing
	sed -i 's|^exit 0|case "$1" in --list-sas) cat "'"$PWD"'/listing" ;; esac\nexit 0|' \
	    "$BATS_TEST_TMPDIR/ctl"
	run enforce --name h1 --group ga --address 192.0.2.11 --format swanctl \
	    --reload
	assert_failure 3
	assert_line "reload: removed h4__ab"
	run calls
	assert_output "--terminate --child h4__ab --timeout 5
--terminate --ike h4 --timeout 5
--load-all
--list-sas"
	run enforce --name h1 --group ga --address 192.0.2.11 --format swanctl \
	    --reload
	assert_success
	assert_output ""
}

@test "vnb-enforce --reload tells ipsec exactly what changed" {
	fake_control
	register 3 4
	enforce --name h1 --group ga --address 192.0.2.11 --reload > /dev/null ||
	    true
	run calls
	assert_output "rereadall
update"
	ipsecctl set group-to-group ab --ipsec-policy esp2 > /dev/null
	run enforce --name h1 --group ga --address 192.0.2.11 --reload
	assert_failure 3
	run calls
	assert_output "down h3__ab{*}
down h3__ab[*]
down h4__ab{*}
down h4__ab[*]
rereadall
update"
}

@test "vnb-enforce: a reload the daemon refused is done on the next run" {
	fake_control
	register 3 4
	VNB_SWANCTL=false run enforce --name h1 --group ga \
	    --address 192.0.2.11 --format swanctl --reload
	assert_failure 1
	assert_line "vnb-enforce: control command failed: false --load-all"
	assert_line "vnb-enforce: the files are written, but the daemon did not take them: run again with --reload"
	run enforce --name h1 --group ga --address 192.0.2.11 --format swanctl \
	    --reload
	assert_failure 3
	assert_output "reload: added h3__ab
reload: added h4__ab"
	run calls
	assert_output "--load-all"
}

# ---------------------------------------------------------------------
# Real tunnels: hosts h1..hN in network namespaces of their own, joined
# by a bridge in a hub namespace, each with a charon whose /run and
# strongswan.conf are bind mounts from its directory, and vnb-enforce
# writing under a root of its own.  Responders are reloaded before
# initiators (the lower name initiates), since an initiator that finds
# no configuration on the other side does not try again.

netns_possible() {
	local probe="vnbe-probe-$$"

	[ "$(id -u)" -eq 0 ] || return 1
	ip netns add "$probe" 2> /dev/null || return 1
	ip netns del "$probe"
	command -v /usr/lib/ipsec/charon > /dev/null
}

netns_setup() {
	netns_possible || skip "needs root and ip netns (CI runs as root)"
	P="vnbe$$-${BATS_TEST_NUMBER}-"
	V="v$$-${BATS_TEST_NUMBER}-"
	H="$BATS_TEST_TMPDIR/hosts"
	mkdir -p "$H"
	# The control commands of a host run in its namespace with its /run.
	cat > "$H/ns-exec" <<-'EOS'
	#!/bin/sh
	ns=$1 d=$2
	shift 2
	exec ip netns exec "$ns" sh -c \
	    'mount --bind "$0"/run /run && exec "$@"' "$d" "$@"
	EOS
	chmod +x "$H/ns-exec"
}

teardown() {
	local d n

	[ -n "${H:-}" ] || return 0
	for d in "$H"/h*; do
		[ -d "$d" ] || continue
		if [ -f "$d/run/charon.pid" ]; then
			kill -9 "$(cat "$d/run/charon.pid")" 2> /dev/null || true
		fi
		if [ -f "$d/daemon.pid" ]; then
			kill -9 "$(cat "$d/daemon.pid")" 2> /dev/null || true
		fi
	done
	for n in $(ip netns list | awk '{ print $1 }' | grep "^$P"); do
		ip netns del "$n"
	done
}

# net_up I...: the hub, and a host hI with address 192.0.2.(10 + I) each.
net_up() {
	local i

	ip netns add "${P}hub"
	ip -n "${P}hub" link add br0 type bridge
	ip -n "${P}hub" link set br0 up
	for i in "$@"; do
		ip netns add "${P}h$i"
		ip link add "$V$i" type veth peer name eth0 netns "${P}h$i"
		ip link set "$V$i" netns "${P}hub"
		ip -n "${P}hub" link set "$V$i" master br0 up
		ip -n "${P}h$i" addr add 192.0.2.$((10 + i))/24 dev eth0
		ip -n "${P}h$i" link set eth0 up
		ip -n "${P}h$i" link set lo up
	done
	# No IPv6 chatter on the wire the tests look at.
	for i in hub "${@/#/h}"; do
		ip netns exec "$P$i" sysctl -qw net.ipv6.conf.all.disable_ipv6=1
	done
}

# An address a site's traffic comes from, on host i's loopback.
site_address() {
	ip -n "${P}h$1" addr add "$2/32" dev lo
}

# Whether the kernel does ESP: without it, strongSwan's userspace ESP.
kernel_esp() {
	ip -n "${P}h$1" xfrm state add src 192.0.2.250 dst 192.0.2.251 \
	    proto esp spi 0x100 enc 'cbc(aes)' \
	    0x00112233445566778899aabbccddeeff 2> /dev/null || return 1
	ip -n "${P}h$1" xfrm state flush
}

strongswan_conf() {
	local d=$1 libipsec=yes

	kernel_esp "$2" && libipsec=no
	cat <<-EOF
	charon {
		load_modular = yes
		plugins {
			include /etc/strongswan.d/charon/*.conf
			kernel-libipsec {
				load = $libipsec
				allow_peer_ts = yes
			}
			stroke {
				secrets_file = $d/root/etc/ipsec.secrets
			}
	EOF
	if [ $libipsec = yes ]; then
		printf '\t\tkernel-netlink {\n\t\t\tfwmark = !0x42\n\t\t}\n'
		printf '\t\tsocket-default {\n\t\t\tfwmark = 0x42\n\t\t}\n'
	fi
	cat <<-EOF
		}
		filelog {
			log {
				path = $d/charon.log
				flush_line = yes
				default = 1
			}
		}
	}
	include /etc/strongswan.d/*.conf
	EOF
}

# daemon_start I FORMAT: charon (swanctl) or starter and charon (ipsec).
daemon_start() {
	local d="$H/h$1" ns="${P}h$1" t mounts cmd

	mkdir -p "$d/run" "$d/root/etc/ipsec.d" "$d/root/etc/swanctl"
	strongswan_conf "$d" "$1" > "$d/strongswan.conf"
	mounts="mount --bind $d/run /run &&
	    mount --bind $d/strongswan.conf /etc/strongswan.conf"
	if [ "$2" = swanctl ]; then
		cmd="exec /usr/lib/ipsec/charon"
	else
		touch "$d/root/etc/ipsec.conf"
		mounts="$mounts && mount --bind $d/root/etc/ipsec.d /etc/ipsec.d"
		cmd="exec /usr/lib/ipsec/starter --daemon charon --nofork"
		cmd="$cmd --conf $d/root/etc/ipsec.conf"
	fi
	# Not a job of this shell, which would report its death.
	(ip netns exec "$ns" sh -c "$mounts && $cmd" > "$d/daemon.out" 2>&1 &
	    echo $! > "$d/daemon.pid")
	for t in $(seq 50); do
		[ -S "$d/run/charon.vici" ] && [ -S "$d/run/charon.ctl" ] &&
		    return 0
		sleep 0.1
	done
	echo "charon of h$1 did not start" >&2
	return 1
}

# host_enforce I FORMAT GROUP [vnb-enforce options]: vnb-enforce in host
# i's namespace, where it reads its address from eth0.
host_enforce() {
	local i=$1 format=$2 group=$3 d="$H/h$1"

	shift 3
	VNB_IPSEC="$H/ns-exec ${P}h$i $d ipsec" \
	VNB_SWANCTL="$H/ns-exec ${P}h$i $d swanctl" \
	    ip netns exec "${P}h$i" vnb-enforce --name h$i --group "$group" \
	    --interface eth0 --root "$d/root" --format "$format" "$@"
}

swanctl_of() {
	"$H/ns-exec" "${P}h$1" "$H/h$1" swanctl "${@:2}" 2> /dev/null
}

installed() {
	swanctl_of "$1" --list-sas | grep -c "INSTALLED" || true
}

# Wait up to 5 s for host i to have n installed children.
wait_installed() {
	local t

	for t in $(seq 50); do
		[ "$(installed "$1")" -eq "$2" ] && return 0
		sleep 0.1
	done
	echo "h$1 has $(installed "$1") installed children, not $2:" >&2
	swanctl_of "$1" --list-sas >&2
	return 1
}

# Each installed child of host i with its SPIs: "NAME IN OUT".
spis() {
	swanctl_of "$1" --list-sas | awk '
		/^  [^ ].*INSTALLED/ { name = $1; sub(":", "", name) }
		/^    in  / { spi_in = $2; sub(",", "", spi_in) }
		/^    out / { spi = $2; sub(",", "", spi)
			print name, spi_in, spi }' | sort
}

group_of() {
	[ "$1" -le 2 ] && echo ga || echo gb
}

# The 2 x 2 mesh: every host registers, then all reload, responders
# first, and all four tunnels (two on each host) are installed.
mesh_up() {
	local format=$1 i

	shift
	net_up 1 2 3 4
	for i in 1 2 3 4; do
		daemon_start $i "$format"
	done
	for i in 1 2 3 4; do
		host_enforce $i "$format" "$(group_of $i)" "$@" > /dev/null ||
		    [ $? -eq 3 ]
	done
	for i in 4 3 2 1; do
		run host_enforce $i "$format" "$(group_of $i)" --reload "$@"
		assert_failure 3
	done
}

mesh_installed() {
	wait_installed 1 "${1:-2}"
	wait_installed 2 "${1:-2}"
	wait_installed 3 2
	wait_installed 4 2
}

# A capture of everything on the hub's bridge, from now on.
capture_start() {
	local t

	ip netns exec "${P}hub" tcpdump -i br0 -n -U --immediate-mode -w "$H/wire.pcap" \
	    > /dev/null 2> "$H/tcpdump.err" &
	CAPTURE=$!
	for t in $(seq 50); do
		grep -q "listening on" "$H/tcpdump.err" && return 0
		sleep 0.1
	done
	return 1
}

# The capture ends: it holds at least N ESP packets (in UDP with
# strongSwan's userspace ESP), no ICMP, and nothing else but IKE, ARP
# and IGMP.
capture_esp_only() {
	sleep 0.3
	kill "$CAPTURE"
	wait "$CAPTURE" || true
	run sh -c "tcpdump -r '$H/wire.pcap' -n icmp 2> /dev/null"
	assert_output ""
	run sh -c "tcpdump -r '$H/wire.pcap' -n 'esp or (udp port 4500 and
	    udp[8:4] != 0)' 2> /dev/null | wc -l"
	[ "$output" -ge "$1" ]
	run sh -c "tcpdump -r '$H/wire.pcap' -n 'not arp and not igmp and
	    not esp and not udp port 4500 and not udp port 500' 2> /dev/null"
	assert_output ""
}

# ping_from I SOURCE DESTINATION: two pings that must pass.
ping_from() {
	run ip netns exec "${P}h$1" ping -c 2 -i 0.2 -W 2 -I "$2" "$3"
	assert_success
}

# Pings between the mesh's tunnels' ends pass, as ESP only.
ping_esp_only() {
	local i j

	capture_start
	for i in 1 2; do
		for j in 3 4; do
			ping_from $i 192.0.2.$((10 + i)) 192.0.2.$((10 + j))
		done
	done
	capture_esp_only 16
}

# Another run finds nothing to do, and makes no duplicate SA.
mesh_again() {
	local i

	for i in 4 3 2 1; do
		run host_enforce $i "$1" "$(group_of $i)" --reload
		assert_success
		assert_output ""
	done
	mesh_installed
}

@test "tunnels: 2 x 2 group-to-group mesh with PSK, swanctl format" {
	netns_setup
	mesh_up swanctl
	run ipsecctl get enforcer h3 -o json
	assert_output --partial '"tunnel-address": "192.0.2.13"'
	mesh_installed
	ping_esp_only
	mesh_again swanctl
}

@test "tunnels: 2 x 2 group-to-group mesh with PSK, ipsec format" {
	netns_setup
	mesh_up ipsec
	mesh_installed
	ping_esp_only
	mesh_again ipsec
}

# Initiators reloaded before their responders fail once; their next run
# starts what is down, and only that.
initiators_first() {
	local format=$1 i

	netns_setup
	net_up 1 2 3 4
	for i in 1 2 3 4; do
		daemon_start $i "$format"
		host_enforce $i "$format" "$(group_of $i)" > /dev/null ||
		    [ $? -eq 3 ]
	done
	for i in 1 2 3 4; do
		host_enforce $i "$format" "$(group_of $i)" --reload \
		    > /dev/null || [ $? -eq 3 ]
	done
	sleep 0.5
	[ "$(installed 1)" -eq 0 ]
	[ "$(installed 3)" -eq 0 ]
	run host_enforce 1 "$format" ga --reload
	assert_failure 3
	assert_output "reload: started h3__ab
reload: started h4__ab"
	wait_installed 1 2
	run host_enforce 2 "$format" ga --reload
	assert_failure 3
	mesh_installed
	mesh_again "$format"
}

@test "tunnels: an initiator that ran before its peers starts them on its next run, swanctl" {
	initiators_first swanctl
}

@test "tunnels: an initiator that ran before its peers starts them on its next run, ipsec" {
	initiators_first ipsec
}

# Certificate authentication: a CA made with pki, and a certificate for
# each group, which all its enforcers present.
use_certificates() {
	KEY_TYPE=ecdsa KEY_SIZE=256 "$VNB_SRCDIR/examples/ipsec-pki.sh" pki \
	    cert-ga cert-gb cert-s1 cert-s2 branch-gw > /dev/null
	ipsecctl apply -f pki/pki.yaml > /dev/null
	ipsecctl set endpoint-group ga --certificate cert-ga > /dev/null
	ipsecctl set endpoint-group gb --certificate cert-gb > /dev/null
	ipsecctl set group-to-group ab --authentication certificate \
	    2> /dev/null > /dev/null
}

# auth_for AUTH: psk, or cert for certificates everywhere.
auth_for() {
	[ "$1" = cert ] && use_certificates
	return 0
}

# The options that make a bind of sites use certificates.
site_auth() {
	[ "$1" = cert ] && echo "--authentication certificate"
}

@test "tunnels: 2 x 2 group-to-group mesh with certificates, swanctl format" {
	netns_setup
	use_certificates
	mesh_up swanctl
	mesh_installed
	ping_esp_only
	run swanctl_of 3 --list-sas
	assert_output --partial "h1: #"
	assert_output --partial "remote 'C=CH, O=VNB, CN=cert-ga' @ 192.0.2.11"
	assert_output --partial "remote 'C=CH, O=VNB, CN=cert-ga' @ 192.0.2.12"
}

@test "tunnels: 2 x 2 group-to-group mesh with certificates, ipsec format" {
	netns_setup
	use_certificates
	mesh_up ipsec
	mesh_installed
	ping_esp_only
	run swanctl_of 3 --list-sas
	assert_output --partial "remote 'C=CH, O=VNB, CN=cert-ga' @ 192.0.2.11"
	assert_output --partial "remote 'C=CH, O=VNB, CN=cert-ga' @ 192.0.2.12"
}

# The mesh, and sites s1 (h1) and s2 (h2) joined by bind s12: h1 and h2
# then have two children each, one a tunnel of ab to the other group,
# the other of s12 between the two sites.
sites_up() {
	local certs=""

	[ "$1" = cert ] && certs=yes
	ipsecctl create local-site s1 --cidrs 198.51.100.0/28 \
	    ${certs:+--certificate cert-s1} > /dev/null
	ipsecctl create local-site s2 --cidrs 198.51.100.16/28 \
	    ${certs:+--certificate cert-s2} > /dev/null
	ipsecctl create localsite-to-localsite s12 --left s1 --right s2 \
	    --ike-policy ike --ipsec-policy esp --start-action start \
	    $(site_auth "$1") > /dev/null
}

site_of() {
	[ "$1" -le 2 ] && echo "--localsite s$1"
}

# Reload every host, responders first; each prints what changed.
reload_all() {
	local format=$1 i

	for i in 4 3 2 1; do
		host_enforce $i "$format" "$(group_of $i)" $(site_of $i) \
		    --reload > "$H/reload.h$i" || [ $? -eq 3 ]
	done
}

# The SPIs of every host's children, before and after a change.
all_spis() {
	local i

	for i in 1 2 3 4; do
		spis $i | sed "s/^/h$i /"
	done
}

policy_change() {
	local format=$1 i

	netns_setup
	auth_for "$2"
	sites_up "$2"
	net_up 1 2 3 4
	site_address 1 198.51.100.1
	site_address 2 198.51.100.17
	for i in 1 2 3 4; do
		daemon_start $i "$format"
		host_enforce $i "$format" "$(group_of $i)" $(site_of $i) \
		    > /dev/null || [ $? -eq 3 ]
	done
	reload_all "$format"
	mesh_installed 3
	# The sites' tunnel carries their traffic, as ESP only.
	capture_start
	ping_from 1 198.51.100.1 198.51.100.17
	capture_esp_only 4
	all_spis > before
	[ "$(wc -l < before)" -eq 10 ]

	# s12 changes: its two ends are re-created, ab's eight keep their SPIs.
	ipsecctl set localsite-to-localsite s12 --ipsec-policy esp2 > /dev/null
	reload_all "$format"
	run cat "$H/reload.h1"
	assert_output "wrote $H/h1/root/etc/$([ "$format" = ipsec ] &&
	    echo ipsec.conf || echo swanctl/swanctl.conf)
reload: changed h2__s12"
	run cat "$H/reload.h3"
	assert_output ""
	mesh_installed 3
	all_spis > after
	run diff before after
	assert_failure
	run sh -c "diff before after | grep '^[<>]' | awk '{ print \$2, \$3 }' |
	    sort -u"
	assert_output "h1 h2__s12
h2 h1__s12"
	run sh -c "diff before after | grep -c '^[<>]'"
	assert_output 4
	run swanctl_of 1 --list-sas
	assert_output --partial "ESP:AES_GCM_16-128"

	# ab changes: its eight ends are re-created, s12's two keep theirs.
	ipsecctl set group-to-group ab --ipsec-policy esp2 > /dev/null
	reload_all "$format"
	mesh_installed 3
	all_spis > after2
	run sh -c "diff after after2 | grep '^[<>]' | awk '{ print \$2, \$3 }' |
	    sort -u"
	assert_output "h1 h3__ab
h1 h4__ab
h2 h3__ab
h2 h4__ab
h3 h1__ab
h3 h2__ab
h4 h1__ab
h4 h2__ab"
	run sh -c "diff after after2 | grep -c '^[<>]'"
	assert_output 16
}

@test "tunnels: a changed IPsec policy re-creates only its tunnels, PSK, swanctl" {
	policy_change swanctl psk
}

@test "tunnels: a changed IPsec policy re-creates only its tunnels, PSK, ipsec" {
	policy_change ipsec psk
}

@test "tunnels: a changed IPsec policy re-creates only its tunnels, certificates, swanctl" {
	policy_change swanctl cert
}

@test "tunnels: a changed IPsec policy re-creates only its tunnels, certificates, ipsec" {
	policy_change ipsec cert
}

# h4 leaves group gb: its tunnels go, on h4 and on h1 and h2; h3's stay.
host_leaves() {
	local format=$1 i

	netns_setup
	auth_for "$2"
	mesh_up "$format"
	mesh_installed
	run host_enforce 4 "$format" spare --reload
	assert_failure 3
	assert_line "reload: removed h1__ab"
	assert_line "reload: removed h2__ab"
	for i in 3 2 1; do
		host_enforce $i "$format" "$(group_of $i)" --reload \
		    > "$H/reload.h$i" || [ $? -eq 3 ]
	done
	run cat "$H/reload.h1"
	assert_line "reload: removed h4__ab"
	wait_installed 4 0
	wait_installed 1 1
	wait_installed 2 1
	wait_installed 3 2
	run swanctl_of 1 --list-sas
	refute_output --partial "192.0.2.14"
	run swanctl_of 1 --list-conns
	refute_output --partial "h4"
	run ipsecctl get enforcer h4 -o json
	assert_output --partial '"endpoint-group": "spare"'
}

@test "tunnels: a host that leaves its group takes its tunnels down, PSK, swanctl" {
	host_leaves swanctl psk
}

@test "tunnels: a host that leaves its group takes its tunnels down, PSK, ipsec" {
	host_leaves ipsec psk
}

@test "tunnels: a host that leaves its group takes its tunnels down, certificates, swanctl" {
	host_leaves swanctl cert
}

@test "tunnels: a host that leaves its group takes its tunnels down, certificates, ipsec" {
	host_leaves ipsec cert
}

# A remote site's gateway that VNB does not manage: h5, configured by
# hand, with the branch's network behind it.
remote_gateway() {
	local d="$H/h5/root/etc/swanctl" auth=psk id=@branch-gw
	local peer=192.0.2.11

	mkdir -p "$d/x509" "$d/x509ca" "$d/private"
	if [ "$1" = cert ]; then
		auth=pubkey
		id='"C=CH, O=VNB, CN=branch-gw"'
		peer='"C=CH, O=VNB, CN=cert-s1"'
		cp pki/branch-gw.pem "$d/x509/"
		cp pki/branch-gw.key "$d/private/branch-gw.pem"
		cp pki/vnb-ca.pem "$d/x509ca/"
	fi
	cat > "$d/swanctl.conf" <<-EOF
	connections {
		dc {
			version = 2
			local_addrs = 192.0.2.15
			remote_addrs = 192.0.2.11
			proposals = aes256gcm16-prfsha256-curve25519
			local {
				auth = $auth
				id = $id
				$([ "$1" = cert ] && echo "certs = branch-gw.pem")
			}
			remote {
				auth = $auth
				id = $peer
			}
			children {
				dc {
					local_ts = 203.0.113.0/28
					remote_ts = 198.51.100.0/28
					esp_proposals = aes256gcm16
				}
			}
		}
	}
	secrets {
		ike-dc {
			id-1 = @branch-gw
			id-2 = 192.0.2.11
			secret = "a branch secret of 32 bytes, ok!"
		}
	}
	EOF
	SWANCTL_DIR="$d" swanctl_of 5 --load-all > /dev/null
}

local_to_remote() {
	local format=$1 auth=$2 certs="" id=@branch-gw

	netns_setup
	auth_for "$auth"
	if [ "$auth" = cert ]; then
		certs=yes
		id="C=CH, O=VNB, CN=branch-gw"
	fi
	net_up 1 5
	site_address 1 198.51.100.1
	site_address 5 203.0.113.1
	ipsecctl create local-site s1 --cidrs 198.51.100.0/28 \
	    ${certs:+--certificate cert-s1} > /dev/null
	ipsecctl create remote-site branch --peer-address 192.0.2.15 \
	    --peer-cidrs 203.0.113.0/28 --peer-id "$id" \
	    ${certs:+--ca vnb-ca} > /dev/null
	ipsecctl create localsite-to-remotesite s1-branch --local-site s1 \
	    --remote-site branch --ike-policy ike --ipsec-policy esp \
	    --psk "a branch secret of 32 bytes, ok!" --start-action start \
	    $(site_auth "$auth") > /dev/null 2>&1
	daemon_start 5 swanctl
	remote_gateway "$auth"
	daemon_start 1 "$format"
	run host_enforce 1 "$format" ga --localsite s1 --reload
	assert_failure 3
	assert_line "reload: added branch__s1-branch"
	wait_installed 1 1
	wait_installed 5 1
	capture_start
	ping_from 1 198.51.100.1 203.0.113.1
	capture_esp_only 4
	run swanctl_of 1 --list-sas
	assert_output --partial "remote '${id#@}' @ 192.0.2.15"
}

@test "tunnels: a local site reaches a remote site's gateway, PSK, swanctl" {
	local_to_remote swanctl psk
}

@test "tunnels: a local site reaches a remote site's gateway, PSK, ipsec" {
	local_to_remote ipsec psk
}

@test "tunnels: a local site reaches a remote site's gateway, certificates, swanctl" {
	local_to_remote swanctl cert
}

@test "tunnels: a local site reaches a remote site's gateway, certificates, ipsec" {
	local_to_remote ipsec cert
}

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

#!/bin/sh
# Make a small PKI for certificate authentication with strongSwan's pki(1):
# a CA, and a certificate for each NAME signed by it, as files in DIR,
# and the ca-certificate and certificate documents that ipsecctl applies.
#
# Usage: ipsec-pki.sh DIR [NAME...]	(default NAME: gw-dc1)
#
#	examples/ipsec-pki.sh pki
#	ipsecctl apply -f pki/pki.yaml -f examples/ipsec.yaml
#
# KEY_TYPE (rsa, ecdsa, ed25519; default rsa) and KEY_SIZE choose the
# keys; DAYS (default 365) how long the certificates are valid.  The CA
# is valid ten times as long.  The private keys are written readable by
# their owner only; pki.yaml holds them too, so keep it as safe.
set -eu

if [ $# -lt 1 ]; then
	echo "usage: ipsec-pki.sh DIR [NAME...]" >&2
	exit 2
fi
dir=$1
shift
[ $# -gt 0 ] || set -- gw-dc1

type=${KEY_TYPE:-rsa}
days=${DAYS:-365}
ca_name=${CA_NAME:-vnb-ca}
org="O=VNB"

case $type in
rsa)	size=${KEY_SIZE:-3072} ;;
ecdsa)	size=${KEY_SIZE:-384} ;;
*)	size="" ;;
esac

# pki chatters about plugins it cannot load on stderr; keep only what
# failed.
pki_quiet() {
	out=$(mktemp)
	if ! pki "$@" 2> "$out"; then
		grep -v "plugin\|TPM" "$out" >&2 || true
		rm -f "$out"
		echo "ipsec-pki.sh: pki $1 failed" >&2
		exit 1
	fi
	rm -f "$out"
}

genkey() {
	pki_quiet --gen --type "$type" ${size:+--size "$size"} --outform pem \
	    > "$1"
}

# A PEM file as the indented block of a YAML literal.
yaml_block() {
	sed 's/^/  /' "$1"
}

umask 077
mkdir -p "$dir"

genkey "$dir/$ca_name.key"
pki_quiet --self --ca --lifetime $((days * 10)) --in "$dir/$ca_name.key" \
    --type priv --dn "C=CH, $org, CN=$ca_name" --outform pem \
    > "$dir/$ca_name.pem"
{
	printf -- '---\nkind: ca-certificate\nname: %s\n' "$ca_name"
	printf 'certificate: |\n'
	yaml_block "$dir/$ca_name.pem"
} > "$dir/pki.yaml"

for name in "$@"; do
	genkey "$dir/$name.key"
	pki_quiet --pub --in "$dir/$name.key" --type priv > "$dir/$name.pub"
	pki_quiet --issue --cacert "$dir/$ca_name.pem" \
	    --cakey "$dir/$ca_name.key" --in "$dir/$name.pub" --type pub \
	    --dn "C=CH, $org, CN=$name" --san "$name" --lifetime "$days" \
	    --outform pem > "$dir/$name.pem"
	rm -f "$dir/$name.pub"
	{
		printf -- '---\nkind: certificate\nname: %s\nca: %s\n' \
		    "$name" "$ca_name"
		printf 'certificate: |\n'
		yaml_block "$dir/$name.pem"
		printf 'private-key: |\n'
		yaml_block "$dir/$name.key"
	} >> "$dir/pki.yaml"
done
echo "ipsec-pki.sh: wrote $dir/pki.yaml ($ca_name and $*)"

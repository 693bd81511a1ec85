# The IPsec configuration the benchmarks mesh: two endpoint groups of n
# enforcers each, joined by one group-to-group bind.  Enforcer i of group
# g has address 10.g.(i / 256).(i % 256).
#
# Usage: awk -v n=500 -f ipsec-mesh.awk > mesh.yaml
BEGIN {
	print "---\nkind: ike-policy\nname: ike"
	print "---\nkind: ipsec-policy\nname: esp"
	for (g = 1; g <= 2; g++) {
		printf "---\nkind: endpoint-group\nname: g%d\n", g
		for (i = 0; i < n; i++) {
			printf "---\nkind: enforcer\nname: g%d-e%d\n", g, i
			printf "endpoint-group: g%d\n", g
			printf "tunnel-address: 10.%d.%d.%d\n", g,
			    int(i / 256), i % 256
		}
	}
	print "---\nkind: group-to-group\nname: mesh\nleft: g1\nright: g2"
	print "ike-policy: ike\nipsec-policy: esp"
}

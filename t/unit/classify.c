/*
 * Unit tests for dataplane/classify.c: each field of a rule on its own,
 * for IPv4, IPv6 and frames that are not IP; families; first match among
 * overlapping and equal rules; packets without ports; the empty
 * classifier; rejected rules and names; calls longer than a burst and
 * threads classifying at once; and a differential test that compares the
 * classifier with a brute-force matcher written here, on random rule sets
 * and random packets from fixed seeds.
 *
 * The fixed cases use only documentation addresses: 192.0.2.0/24,
 * 198.51.100.0/24, 203.0.113.0/24 (RFC 5737), 2001:db8::/32 (RFC 3849)
 * and MAC addresses from 00:00:5e:00:53:00 (RFC 7042).  The random ones
 * start from those and flip bits anywhere; no packet leaves the process.
 */
#include <arpa/inet.h>

#include <inttypes.h>
#include <limits.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_acl.h>

#include "classify.h"
#include "eal.h"
#include "parse.h"
#include "tap.h"

#define MAX_SPEC_RULES	16

static char	err[256];

static void
bail(const char *what, const char *spec, const char *why)
{
	printf("Bail out! bad %s '%s': %s\n", what, spec, why);
	exit(1);
}

static void
rule_any(struct cls_rule *r)
{
	memset(r, 0, sizeof(*r));
	r->smac.any = r->dmac.any = 1;
	r->sport.max = r->dport.max = UINT16_MAX;
	r->proto = PARSE_PROTO_ANY;
}

/*
 * A port range as the configuration has it, or "0-N", which it does not
 * allow but a cls_rule can hold.
 */
static int
rule_ports(const char *val, struct vnb_port_range *r, struct vnb_error *e)
{
	if (strncmp(val, "0-", 2) != 0)
		return parse_port_range(val, r, e);
	if (parse_port(val + 2, &r->max, e) == -1)
		return -1;
	r->min = 0;
	return 0;
}

/* One key=value of a rule; the values are in the configuration's syntax. */
static int
rule_set(struct cls_rule *r, const char *key, const char *val,
    struct vnb_error *e)
{
	uint64_t	u;

	if (strcmp(key, "family") == 0) {
		if (parse_uint(val, 4, 6, &u, e) == -1 || u == 5) {
			vnb_error_set(e, "family is 4 or 6");
			return -1;
		}
		r->family = u == 4 ? AF_INET : AF_INET6;
	} else if (strcmp(key, "src") == 0)
		return parse_prefix(val, AF_UNSPEC, PARSE_PREFIX_HOST, &r->src,
		    e);
	else if (strcmp(key, "dst") == 0)
		return parse_prefix(val, AF_UNSPEC, PARSE_PREFIX_HOST, &r->dst,
		    e);
	else if (strcmp(key, "sport") == 0)
		return rule_ports(val, &r->sport, e);
	else if (strcmp(key, "dport") == 0)
		return rule_ports(val, &r->dport, e);
	else if (strcmp(key, "proto") == 0)
		return parse_protocol(val, &r->proto, e);
	else if (strcmp(key, "smac") == 0)
		return parse_mac(val, 0, &r->smac, e);
	else if (strcmp(key, "dmac") == 0)
		return parse_mac(val, 0, &r->dmac, e);
	else if (strcmp(key, "vlan") == 0) {
		if (parse_uint(val, 1, 4094, &u, e) == -1)
			return -1;
		r->vlan = (uint16_t)u;
	} else {
		vnb_error_set(e, "unknown key");
		return -1;
	}
	return 0;
}

/* "src=192.0.2.0/24 dport=80 proto=tcp": any field not named is any. */
static struct cls_rule
rule(const char *spec)
{
	struct cls_rule		 r;
	struct vnb_error	 e;
	char			 buf[256], *tok, *val, *save;

	rule_any(&r);
	snprintf(buf, sizeof(buf), "%s", spec);
	for (tok = strtok_r(buf, " ", &save); tok != NULL;
	    tok = strtok_r(NULL, " ", &save)) {
		if ((val = strchr(tok, '=')) == NULL)
			bail("rule", spec, "expected key=value");
		*val++ = '\0';
		if (rule_set(&r, tok, val, &e) == -1)
			bail("rule", spec, e.msg);
	}
	return r;
}

static void
pkt_addr(struct vnb_pkt_info *pi, uint8_t *out, const char *val,
    const char *spec)
{
	struct vnb_addr		a;
	struct vnb_error	e;

	if (parse_addr(val, pi->family == VNB_FAMILY_IPV4 ? AF_INET :
	    AF_INET6, &a, &e) == -1)
		bail("packet", spec, e.msg);
	memcpy(out, a.u.bytes, pi->family == VNB_FAMILY_IPV4 ? 4 : 16);
}

static void
pkt_set(struct vnb_pkt_info *pi, const char *key, const char *val,
    const char *spec)
{
	struct vnb_mac		m;
	struct vnb_error	e;
	uint64_t		u = 0;
	int			proto;

	if (strcmp(key, "src") == 0)
		pkt_addr(pi, pi->src, val, spec);
	else if (strcmp(key, "dst") == 0)
		pkt_addr(pi, pi->dst, val, spec);
	else if (strcmp(key, "smac") == 0 || strcmp(key, "dmac") == 0) {
		if (parse_mac(val, 0, &m, &e) == -1)
			bail("packet", spec, e.msg);
		memcpy(key[0] == 's' ? pi->smac : pi->dmac, m.bytes, 6);
	} else if (strcmp(key, "proto") == 0) {
		if (parse_protocol(val, &proto, &e) == -1)
			bail("packet", spec, e.msg);
		pi->proto = (uint8_t)proto;
	} else if (parse_uint(val, 0, UINT16_MAX, &u, &e) == -1)
		bail("packet", spec, e.msg);
	else if (strcmp(key, "sport") == 0 || strcmp(key, "dport") == 0) {
		*(key[0] == 's' ? &pi->sport : &pi->dport) = (uint16_t)u;
		pi->flags |= VNB_PKT_PORTS;
	} else if (strcmp(key, "vlan") == 0) {
		pi->vlan = (uint16_t)u;
		pi->flags |= VNB_PKT_VLAN;
	} else
		bail("packet", spec, "unknown key");
}

/*
 * "ip4 src=192.0.2.1 dst=198.51.100.1 proto=tcp sport=1024 dport=80":
 * the first word is ip4, ip6 or arp.  sport, dport and vlan set their
 * flags; "noports" and "novlan" clear them again and leave the values
 * behind, "later" makes a fragment other than the first.
 */
static struct vnb_pkt_info
pkt(const char *spec)
{
	struct vnb_pkt_info	 pi;
	char			 buf[256], *tok, *val, *save;

	memset(&pi, 0, sizeof(pi));
	snprintf(buf, sizeof(buf), "%s", spec);
	tok = strtok_r(buf, " ", &save);
	if (tok != NULL && strcmp(tok, "ip4") == 0) {
		pi.family = VNB_FAMILY_IPV4;
		pi.ethertype = 0x0800;
	} else if (tok != NULL && strcmp(tok, "ip6") == 0) {
		pi.family = VNB_FAMILY_IPV6;
		pi.ethertype = 0x86dd;
	} else if (tok != NULL && strcmp(tok, "arp") == 0)
		pi.ethertype = 0x0806;
	else
		bail("packet", spec, "expected ip4, ip6 or arp");

	while ((tok = strtok_r(NULL, " ", &save)) != NULL) {
		if (strcmp(tok, "noports") == 0)
			pi.flags &= ~VNB_PKT_PORTS;
		else if (strcmp(tok, "novlan") == 0)
			pi.flags &= ~VNB_PKT_VLAN;
		else if (strcmp(tok, "later") == 0) {
			pi.flags |= VNB_PKT_FRAGMENT | VNB_PKT_LATER_FRAGMENT;
			pi.flags &= ~VNB_PKT_PORTS;
		} else if ((val = strchr(tok, '=')) == NULL)
			bail("packet", spec, "expected key=value");
		else {
			*val++ = '\0';
			pkt_set(&pi, tok, val, spec);
		}
	}
	return pi;
}

/* A classifier from rule specs; NULL ends the list. */
static struct classifier *
build(const char *name, ...)
{
	struct cls_rule		 rules[MAX_SPEC_RULES];
	struct classifier	*cls;
	const char		*spec;
	va_list			 ap;
	size_t			 n = 0;

	va_start(ap, name);
	while ((spec = va_arg(ap, const char *)) != NULL) {
		if (n == MAX_SPEC_RULES)
			bail("rule list", name, "too many rules");
		rules[n++] = rule(spec);
	}
	va_end(ap);

	if ((cls = cls_build(name, rules, n, -1, err, sizeof(err))) == NULL) {
		printf("Bail out! cls_build '%s': %s\n", name, err);
		exit(1);
	}
	return cls;
}

static uint32_t
classify(const struct classifier *cls, const char *spec)
{
	struct vnb_pkt_info		 pi = pkt(spec);
	const struct vnb_pkt_info	*p = &pi;
	uint32_t			 res = UINT32_MAX;

	cls_classify(cls, &p, &res, 1);
	return res;
}

#define match(cls, spec, want) \
	is_int(classify((cls), (spec)), (want), "%s: %s -> %d", \
	    name, (spec), (want))

static void
test_empty(void)
{
	static const char	*name = "empty";
	struct classifier	*cls;

	cls = cls_build(name, NULL, 0, -1, err, sizeof(err));
	if (!ok(cls != NULL, "a classifier of no rules builds"))
		tap_diag("%s", err);
	if (cls == NULL)
		return;
	match(cls, "ip4 src=192.0.2.1 dst=198.51.100.1 proto=tcp dport=80", 0);
	match(cls, "ip6 src=2001:db8::1 dst=2001:db8::2 proto=udp dport=53", 0);
	match(cls, "arp", 0);
	cls_free(cls);
	cls_free(NULL);
}

static void
test_prefixes_v4(void)
{
	static const char	*name = "v4-prefix";
	struct classifier	*cls;

	cls = build(name, "src=192.0.2.0/24", NULL);
	match(cls, "ip4 src=192.0.2.0", 1);
	match(cls, "ip4 src=192.0.2.255 dst=203.0.113.1", 1);
	match(cls, "ip4 src=192.0.3.0", 0);
	match(cls, "ip4 src=193.0.2.1", 0);
	match(cls, "ip4 src=203.0.113.1 dst=192.0.2.1", 0);
	match(cls, "ip6 src=2001:db8::1", 0);
	match(cls, "arp", 0);
	cls_free(cls);

	cls = build(name, "dst=198.51.100.128/25", NULL);
	match(cls, "ip4 dst=198.51.100.128", 1);
	match(cls, "ip4 dst=198.51.100.255", 1);
	match(cls, "ip4 dst=198.51.100.127", 0);
	match(cls, "ip4 src=198.51.100.200", 0);
	cls_free(cls);

	cls = build(name, "src=203.0.113.7 dst=192.0.2.0/31", NULL);
	match(cls, "ip4 src=203.0.113.7 dst=192.0.2.1", 1);
	match(cls, "ip4 src=203.0.113.7 dst=192.0.2.2", 0);
	match(cls, "ip4 src=203.0.113.6 dst=192.0.2.0", 0);
	match(cls, "ip4 src=75.0.113.7 dst=192.0.2.0", 0);
	cls_free(cls);

	/* A /0 of a family is that whole family, not "any". */
	cls = build(name, "src=0.0.0.0/0", NULL);
	match(cls, "ip4 src=203.0.113.1", 1);
	match(cls, "ip6 src=2001:db8::1", 0);
	match(cls, "arp", 0);
	cls_free(cls);
}

static void
test_prefixes_v6(void)
{
	static const char	*name = "v6-prefix";
	struct classifier	*cls;

	cls = build(name, "src=2001:db8::/32", NULL);
	match(cls, "ip6 src=2001:db8:ffff::1", 1);
	match(cls, "ip6 src=2001:db9::1", 0);
	match(cls, "ip6 dst=2001:db8::1", 0);
	match(cls, "ip4 src=192.0.2.1", 0);
	match(cls, "arp", 0);
	cls_free(cls);

	/* Lengths on both sides of each 32-bit word's edge. */
	cls = build(name, "dst=2001:db8:0:1::/64", NULL);
	match(cls, "ip6 dst=2001:db8:0:1:ffff::", 1);
	match(cls, "ip6 dst=2001:db8:0:2::", 0);
	match(cls, "ip6 dst=2001:db8:1:1::", 0);
	cls_free(cls);

	cls = build(name, "dst=2001:db8:0:1:8000::/65", NULL);
	match(cls, "ip6 dst=2001:db8:0:1:8000::1", 1);
	match(cls, "ip6 dst=2001:db8:0:1:7fff::1", 0);
	cls_free(cls);

	cls = build(name, "src=2001:db8::a:b:c0/124", NULL);
	match(cls, "ip6 src=2001:db8::a:b:cf", 1);
	match(cls, "ip6 src=2001:db8::a:b:d0", 0);
	match(cls, "ip6 src=2001:db8::b:b:c0", 0);
	cls_free(cls);

	cls = build(name, "src=2001:db8::1 dst=2001:db8::2", NULL);
	match(cls, "ip6 src=2001:db8::1 dst=2001:db8::2", 1);
	match(cls, "ip6 src=2001:db8::1 dst=2001:db8::3", 0);
	match(cls, "ip6 src=2001:db8::2 dst=2001:db8::1", 0);
	match(cls, "ip6 src=2001:db8:1::1 dst=2001:db8::2", 0);
	cls_free(cls);
}

static void
test_ports(void)
{
	static const char	*name = "ports";
	struct classifier	*cls;

	/* 256 and 1 are each other with the bytes swapped. */
	cls = build(name, "dport=256", NULL);
	match(cls, "ip4 proto=tcp dport=256", 1);
	match(cls, "ip4 proto=tcp dport=1", 0);
	match(cls, "ip4 proto=tcp sport=256", 0);
	match(cls, "ip6 proto=udp dport=256", 1);
	match(cls, "ip6 proto=udp dport=257", 0);
	match(cls, "arp", 0);
	cls_free(cls);

	cls = build(name, "sport=255-256", NULL);
	match(cls, "ip4 proto=udp sport=255", 1);
	match(cls, "ip4 proto=udp sport=256", 1);
	match(cls, "ip4 proto=udp sport=254", 0);
	match(cls, "ip4 proto=udp sport=257", 0);
	match(cls, "ip4 proto=udp sport=511", 0);
	match(cls, "ip4 proto=udp sport=65535", 0);
	cls_free(cls);

	cls = build(name, "sport=1024-65535 dport=1-1023", NULL);
	match(cls, "ip4 proto=tcp sport=1024 dport=1", 1);
	match(cls, "ip4 proto=tcp sport=65535 dport=1023", 1);
	match(cls, "ip4 proto=tcp sport=1023 dport=80", 0);
	match(cls, "ip4 proto=tcp sport=40000 dport=1024", 0);
	match(cls, "ip6 proto=sctp sport=40000 dport=22", 1);
	cls_free(cls);
}

static void
test_proto(void)
{
	static const char	*name = "proto";
	struct classifier	*cls;

	cls = build(name, "proto=tcp", NULL);
	match(cls, "ip4 proto=tcp", 1);
	match(cls, "ip6 proto=tcp", 1);
	match(cls, "ip4 proto=udp", 0);
	match(cls, "ip6 proto=icmpv6", 0);
	match(cls, "arp", 0);
	cls_free(cls);

	/* A frame that is not IP has no protocol, not protocol 0. */
	cls = build(name, "proto=255", "proto=0", NULL);
	match(cls, "ip4 proto=255", 1);
	match(cls, "ip4 proto=0", 2);
	match(cls, "ip6 proto=254", 0);
	match(cls, "arp", 0);
	cls_free(cls);
}

static void
test_vlan(void)
{
	static const char	*name = "vlan";
	struct classifier	*cls;

	cls = build(name, "vlan=100", NULL);
	match(cls, "ip4 vlan=100", 1);
	match(cls, "ip6 vlan=100", 1);
	match(cls, "arp vlan=100", 1);
	match(cls, "arp vlan=101", 0);
	match(cls, "arp vlan=356", 0);
	match(cls, "ip4 vlan=100 novlan", 0);
	match(cls, "arp", 0);
	cls_free(cls);

	cls = build(name, "vlan=4094 proto=udp", NULL);
	match(cls, "ip4 vlan=4094 proto=udp", 1);
	match(cls, "ip4 vlan=4094 proto=tcp", 0);
	match(cls, "arp vlan=4094", 0);
	cls_free(cls);
}

static void
test_macs(void)
{
	static const char	*name = "macs";
	struct classifier	*cls;

	cls = build(name, "smac=00:00:5e:00:53:01", NULL);
	match(cls, "arp smac=00:00:5e:00:53:01", 1);
	match(cls, "ip4 smac=00:00:5e:00:53:01", 1);
	match(cls, "ip6 smac=00:00:5e:00:53:01", 1);
	match(cls, "arp smac=00:00:5e:00:53:02", 0);
	match(cls, "arp smac=01:00:5e:00:53:01", 0);
	match(cls, "arp smac=00:00:5e:01:53:01", 0);
	match(cls, "arp dmac=00:00:5e:00:53:01", 0);
	cls_free(cls);

	cls = build(name, "dmac=00:00:5e:00:53:aa", NULL);
	match(cls, "arp dmac=00:00:5e:00:53:aa", 1);
	match(cls, "ip6 dmac=00:00:5e:00:53:aa", 1);
	match(cls, "arp dmac=00:00:5e:00:54:aa", 0);
	match(cls, "arp dmac=00:00:5f:00:53:aa", 0);
	match(cls, "arp smac=00:00:5e:00:53:aa", 0);
	cls_free(cls);

	cls = build(name, "smac=00:00:5e:00:53:01 dmac=00:00:5e:00:53:02",
	    NULL);
	match(cls, "arp smac=00:00:5e:00:53:01 dmac=00:00:5e:00:53:02", 1);
	match(cls, "arp smac=00:00:5e:00:53:02 dmac=00:00:5e:00:53:01", 0);
	match(cls, "arp smac=00:00:5e:00:53:01 dmac=00:00:5e:00:53:03", 0);
	cls_free(cls);
}

/* Which rules need IP, and of which family. */
static void
test_families(void)
{
	static const char	*name = "families";
	struct classifier	*cls;

	cls = build(name, "family=4", "family=6", "", NULL);
	match(cls, "ip4", 1);
	match(cls, "ip6", 2);
	match(cls, "arp", 3);
	cls_free(cls);

	cls = build(name, "family=4 proto=tcp", "dport=80",
	    "src=2001:db8::/32", "smac=00:00:5e:00:53:01", NULL);
	match(cls, "ip4 proto=tcp dport=80", 1);
	match(cls, "ip6 proto=tcp dport=80", 2);
	match(cls, "ip6 src=2001:db8::1 proto=tcp", 3);
	match(cls, "ip6 smac=00:00:5e:00:53:01 proto=tcp", 4);
	match(cls, "arp smac=00:00:5e:00:53:01", 4);
	match(cls, "arp", 0);
	cls_free(cls);

	/* Disagreeing families match nothing. */
	cls = build(name, "src=192.0.2.0/24 dst=2001:db8::/32",
	    "family=6 src=192.0.2.0/24", "family=4 dst=2001:db8::/32", NULL);
	match(cls, "ip4 src=192.0.2.1", 0);
	match(cls, "ip6 src=2001:db8::1 dst=2001:db8::1", 0);
	match(cls, "arp", 0);
	cls_free(cls);
}

static void
test_order(void)
{
	static const char	*name = "order";
	struct classifier	*cls;

	cls = build(name,
	    "src=192.0.2.0/24 proto=tcp dport=80",
	    "src=192.0.2.0/24",
	    "src=192.0.2.0/25 proto=tcp dport=80",
	    "proto=tcp",
	    "dport=80",
	    "",
	    NULL);
	match(cls, "ip4 src=192.0.2.1 proto=tcp dport=80", 1);
	match(cls, "ip4 src=192.0.2.1 proto=tcp dport=81", 2);
	match(cls, "ip4 src=198.51.100.1 proto=tcp dport=80", 4);
	match(cls, "ip4 src=198.51.100.1 proto=udp dport=80", 5);
	match(cls, "ip6 src=2001:db8::1 proto=udp dport=80", 5);
	match(cls, "ip6 src=2001:db8::1 proto=udp dport=81", 6);
	match(cls, "arp", 6);
	cls_free(cls);

	/* The same rules backwards: the catch-all shadows everything. */
	cls = build(name,
	    "",
	    "dport=80",
	    "proto=tcp",
	    "src=192.0.2.0/24",
	    NULL);
	match(cls, "ip4 src=192.0.2.1 proto=tcp dport=80", 1);
	match(cls, "arp", 1);
	cls_free(cls);

	/* Narrower rules later on lose to wider ones earlier. */
	cls = build(name,
	    "dst=198.51.100.0/24",
	    "dst=198.51.100.0/28",
	    "dst=198.51.100.3",
	    "dst=203.0.113.3",
	    "dst=203.0.113.0/28",
	    "dst=203.0.113.0/24",
	    NULL);
	match(cls, "ip4 dst=198.51.100.3", 1);
	match(cls, "ip4 dst=203.0.113.3", 4);
	match(cls, "ip4 dst=203.0.113.4", 5);
	match(cls, "ip4 dst=203.0.113.40", 6);
	cls_free(cls);

	/* Equal rules: the first wins, whatever rte_acl does on ties. */
	cls = build(name, "proto=udp", "dport=53", "dport=53", "proto=udp",
	    "dport=53", NULL);
	match(cls, "ip4 proto=udp dport=53", 1);
	match(cls, "ip6 proto=tcp dport=53", 2);
	cls_free(cls);
}

/*
 * A policy whose first rule matches anything gives every packet that
 * rule; one of no rules gives none.  Only the rule-by-rule form knows
 * a catch-all when it sees one.
 */
static void
test_constant(void)
{
	static const char	*name = "constant";
	struct classifier	*cls;
	uint32_t		 r = UINT32_MAX;
	int			 seen = cls_linear_max > 0;

	cls = build(name, "", "proto=tcp", NULL);
	is_int(cls_constant(cls, &r), seen, "%s: a catch-all first", name);
	if (seen)
		is_int(r, 1, "%s: its result is the first rule", name);
	cls_free(cls);

	cls = build(name, "proto=tcp", "", NULL);
	is_int(cls_constant(cls, &r), 0, "%s: a rule with a condition first",
	    name);
	cls_free(cls);

	/* Catch-alls of one family each: packets get different rules. */
	cls = build(name, "family=4", "", NULL);
	is_int(cls_constant(cls, &r), 0, "%s: a catch-all of IPv4 first",
	    name);
	cls_free(cls);

	r = UINT32_MAX;
	if ((cls = cls_build(name, NULL, 0, -1, err, sizeof(err))) == NULL) {
		printf("Bail out! cls_build '%s': %s\n", name, err);
		exit(1);
	}
	is_int(cls_constant(cls, &r), 1, "%s: no rules", name);
	is_int(r, 0, "%s: no rules match nothing", name);
	cls_free(cls);
}

/* A packet without ports matches only rules with any ports. */
static void
test_no_ports(void)
{
	static const char	*name = "no-ports";
	struct classifier	*cls;

	cls = build(name, "dport=80", "sport=0-1023", "proto=udp", NULL);
	match(cls, "ip4 proto=udp sport=53 dport=80", 1);
	match(cls, "ip4 proto=udp sport=53 dport=80 later", 3);
	match(cls, "ip4 proto=udp sport=53 dport=80 noports", 3);
	match(cls, "ip4 proto=udp sport=0 dport=53", 2);
	match(cls, "ip4 proto=udp sport=0 dport=0 noports", 3);
	match(cls, "ip6 proto=udp dport=80 later", 3);
	match(cls, "ip6 proto=udp sport=1023", 2);
	match(cls, "ip4 proto=icmp", 0);
	match(cls, "ip6 proto=icmpv6 sport=0 noports", 0);
	cls_free(cls);
}

static void
fail_build(const struct cls_rule *r, size_t n, const char *name,
    const char *want)
{
	struct classifier	*cls;

	err[0] = '\0';
	cls = cls_build(name, r, n, -1, err, sizeof(err));
	ok(cls == NULL, "cls_build refuses %s", want);
	if (!ok(strstr(err, want) != NULL, "the message says \"%s\"", want))
		tap_diag("message: %s", err);
	cls_free(cls);
}

static void
test_errors(void)
{
	struct classifier	*a, *b;
	struct cls_rule		 r[2];

	rule_any(&r[0]);
	rule_any(&r[1]);
	r[1].family = 99;
	fail_build(r, 2, "bad", "rule 1: unknown family 99");
	r[1] = rule("src=192.0.2.0/24");
	r[1].src.len = 33;
	fail_build(r, 2, "bad", "rule 1: source prefix length 33 exceeds 32");
	r[1] = rule("dst=2001:db8::/32");
	r[1].dst.len = 129;
	fail_build(r, 2, "bad", "length 129 exceeds 128");
	r[1].dst.len = 64;
	r[1].dst.addr.family = 3;
	fail_build(r, 2, "bad", "destination prefix has unknown family 3");
	r[0].proto = 256;
	fail_build(r, 1, "bad", "rule 0: protocol 256 is out of range");
	rule_any(&r[0]);
	r[0].dport.min = 80;
	r[0].dport.max = 79;
	fail_build(r, 1, "bad", "destination port range 80-79 is empty");

	fail_build(NULL, 0, "name-of-27-characters-abcde",
	    "is longer than 26");
	a = cls_build("name-of-26-characters-abcd", NULL, 0, -1, err,
	    sizeof(err));
	ok(a != NULL, "a name of 26 characters is fine");
	cls_free(a);

	/* Names matter to rte_acl only. */
	if (cls_linear_max > 0)
		return;
	r[0] = rule("proto=tcp");
	a = cls_build("twin", r, 1, -1, err, sizeof(err));
	ok(a != NULL, "the first classifier named 'twin' builds");
	fail_build(r, 1, "twin", "ACL context 'twin-4.0' exists");
	cls_free(a);
	b = cls_build("twin", r, 1, -1, err, sizeof(err));
	ok(b != NULL, "'twin' builds again once the first is gone");
	cls_free(b);
}

/*
 * The reference: the contract of classify.h, one rule at a time.
 */
static int
ref_prefix(const struct vnb_prefix *p, const struct vnb_pkt_info *pi,
    const uint8_t *addr)
{
	unsigned int	i;

	if (p->addr.family == AF_UNSPEC)
		return 1;
	if (pi->family != (p->addr.family == AF_INET ? VNB_FAMILY_IPV4 :
	    VNB_FAMILY_IPV6))
		return 0;
	for (i = 0; i < p->len; i++)
		if (((addr[i / 8] ^ p->addr.u.bytes[i / 8]) >> (7 - i % 8)) & 1)
			return 0;
	return 1;
}

static int
ref_any_ports(const struct vnb_port_range *r)
{
	return r->min == 0 && r->max == 65535;
}

static int
ref_ports(const struct vnb_port_range *r, const struct vnb_pkt_info *pi,
    uint16_t port)
{
	if (ref_any_ports(r))
		return 1;
	return (pi->flags & VNB_PKT_PORTS) && port >= r->min &&
	    port <= r->max;
}

static int
ref_match(const struct cls_rule *r, const struct vnb_pkt_info *pi)
{
	int	ip = pi->family == VNB_FAMILY_IPV4 ||
		    pi->family == VNB_FAMILY_IPV6;

	if (!ip && (r->family != 0 || r->src.addr.family != 0 ||
	    r->dst.addr.family != 0 || r->proto != PARSE_PROTO_ANY ||
	    !ref_any_ports(&r->sport) || !ref_any_ports(&r->dport)))
		return 0;
	if ((r->family == AF_INET && pi->family != VNB_FAMILY_IPV4) ||
	    (r->family == AF_INET6 && pi->family != VNB_FAMILY_IPV6))
		return 0;
	if (!ref_prefix(&r->src, pi, pi->src) ||
	    !ref_prefix(&r->dst, pi, pi->dst))
		return 0;
	if (r->proto != PARSE_PROTO_ANY && r->proto != pi->proto)
		return 0;
	if (!ref_ports(&r->sport, pi, pi->sport) ||
	    !ref_ports(&r->dport, pi, pi->dport))
		return 0;
	if (r->vlan != 0 && (!(pi->flags & VNB_PKT_VLAN) ||
	    pi->vlan != r->vlan))
		return 0;
	if ((!r->smac.any && memcmp(r->smac.bytes, pi->smac, 6) != 0) ||
	    (!r->dmac.any && memcmp(r->dmac.bytes, pi->dmac, 6) != 0))
		return 0;
	return 1;
}

static uint32_t
ref_classify(const struct cls_rule *rules, size_t n,
    const struct vnb_pkt_info *pi)
{
	size_t	i;

	for (i = 0; i < n; i++)
		if (ref_match(&rules[i], pi))
			return (uint32_t)(i + 1);
	return 0;
}

#define MIXED_PKTS	300
#define THREADS		4
#define THREAD_ROUNDS	200

static const char	*mixed_rules[] = {
	"proto=udp dport=1-99",
	"family=6 proto=udp",
	"vlan=7",
	"dst=192.0.2.0/25 proto=tcp",
	"smac=00:00:5e:00:53:05",
};

/* Packets of every kind, with ports on both sides of 99, VLANs 0-10. */
static void
mixed_pkts(struct vnb_pkt_info *pi, const struct vnb_pkt_info **pp)
{
	char		spec[160];
	unsigned int	i;

	for (i = 0; i < MIXED_PKTS; i++) {
		snprintf(spec, sizeof(spec), "%s proto=%s dport=%u vlan=%u "
		    "smac=00:00:5e:00:53:%02x%s",
		    i % 3 == 0 ? "ip4 dst=192.0.2.7" : i % 3 == 1 ? "ip6" :
		    "arp", i % 4 ? "udp" : "tcp", i % 150, i % 11, i % 7,
		    i % 5 ? "" : " novlan");
		pi[i] = pkt(spec);
		pp[i] = &pi[i];
	}
}

struct worker {
	pthread_t			 tid;
	const struct classifier		*cls;
	const struct vnb_pkt_info	**pp;
	const uint32_t			*want;
	unsigned int			 bad;
};

static void *
worker_run(void *arg)
{
	struct worker	*w = arg;
	uint32_t	 res[MIXED_PKTS];
	unsigned int	 round, i;

	for (round = 0; round < THREAD_ROUNDS; round++) {
		cls_classify(w->cls, w->pp, res, MIXED_PKTS);
		for (i = 0; i < MIXED_PKTS; i++)
			w->bad += res[i] != w->want[i];
	}
	return NULL;
}

/*
 * Long calls, calls of one packet, and several threads at once with one
 * classifier, as the workers use it.
 */
static void
test_calls(void)
{
	struct cls_rule			 rules[5];
	struct vnb_pkt_info		 pi[MIXED_PKTS];
	const struct vnb_pkt_info	*pp[MIXED_PKTS];
	struct worker			 w[THREADS];
	struct classifier		*cls;
	uint32_t			 want[MIXED_PKTS], res[MIXED_PKTS];
	unsigned int			 i, bad = 0, one = 0, matched = 0;

	for (i = 0; i < 5; i++)
		rules[i] = rule(mixed_rules[i]);
	if ((cls = cls_build("calls", rules, 5, -1, err, sizeof(err))) ==
	    NULL) {
		printf("Bail out! cls_build 'calls': %s\n", err);
		exit(1);
	}
	mixed_pkts(pi, pp);
	for (i = 0; i < MIXED_PKTS; i++) {
		want[i] = ref_classify(rules, 5, &pi[i]);
		matched += want[i] != 0;
	}

	cls_classify(cls, pp, res, MIXED_PKTS);
	for (i = 0; i < MIXED_PKTS; i++)
		bad += res[i] != want[i];
	is_int(bad, 0, "%d packets in one call: as the reference (%u match)",
	    MIXED_PKTS, matched);
	for (i = 0; i < MIXED_PKTS; i++) {
		cls_classify(cls, &pp[i], &res[i], 1);
		one += res[i] != want[i];
	}
	is_int(one, 0, "one packet at a time: as the reference");

	for (i = 0; i < THREADS; i++) {
		w[i].cls = cls;
		w[i].pp = pp;
		w[i].want = want;
		w[i].bad = 0;
		if (pthread_create(&w[i].tid, NULL, worker_run, &w[i]) != 0) {
			printf("Bail out! pthread_create failed\n");
			exit(1);
		}
	}
	for (i = bad = 0; i < THREADS; i++) {
		pthread_join(w[i].tid, NULL);
		bad += w[i].bad;
	}
	is_int(bad, 0, "%d threads at once, %d rounds each: as the reference",
	    THREADS, THREAD_ROUNDS);
	cls_free(cls);
}

/*
 * Random rules and packets.  Values come from small pools, so that rules
 * overlap and packets match, with a bit flipped now and then.
 */
static uint64_t	rng;

static uint32_t
rnd(uint32_t n)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (uint32_t)((rng >> 16) % n);
}

#define pick(a)		((a)[rnd(sizeof(a) / sizeof((a)[0]))])
#define chance(pct)	(rnd(100) < (pct))

static const uint8_t	v4_pool[][4] = {
	{ 192, 0, 2, 0 }, { 198, 51, 100, 0 }, { 203, 0, 113, 0 },
	{ 192, 0, 2, 128 },
};
static const uint8_t	v6_pool[][16] = {
	{ 0x20, 0x01, 0x0d, 0xb8 },
	{ 0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 1 },
	{ 0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1 },
	{ 0x20, 0x01, 0x0d, 0xb8, 0x80, 0, 0, 0, 0xa, 0, 0, 0, 0, 0, 0, 2 },
};
static const uint8_t	mac_pool[][6] = {
	{ 0x00, 0x00, 0x5e, 0x00, 0x53, 0x01 },
	{ 0x00, 0x00, 0x5e, 0x00, 0x53, 0x02 },
	{ 0x00, 0x00, 0x5e, 0x00, 0x53, 0xff },
	{ 0x02, 0x00, 0x5e, 0x00, 0x53, 0x01 },
};
static const uint16_t	port_pool[] = {
	0, 1, 22, 53, 80, 255, 256, 257, 443, 1023, 1024, 8080, 65534, 65535
};
static const uint8_t	proto_pool[] = { 1, 6, 17, 47, 58, 132 };
static const uint16_t	vlan_pool[] = { 1, 100, 356, 4094 };
static const uint8_t	len_pool[] = {
	0, 1, 7, 8, 9, 15, 16, 17, 23, 24, 25, 31, 32, 33, 63, 64, 65, 96,
	127, 128
};

static void
rnd_bytes(uint8_t *b, const uint8_t *base, size_t len)
{
	memcpy(b, base, len);
	if (chance(50))
		b[len - 1] = (uint8_t)rnd(256);
	if (chance(20))
		b[rnd((uint32_t)len)] ^= (uint8_t)(1U << rnd(8));
}

static void
rnd_addr(int family, uint8_t *b)
{
	memset(b, 0, 16);
	if (family == AF_INET)
		rnd_bytes(b, pick(v4_pool), 4);
	else
		rnd_bytes(b, pick(v6_pool), 16);
}

static void
rnd_prefix(int family, struct vnb_prefix *p)
{
	unsigned int	max = family == AF_INET ? 32 : 128;

	memset(p, 0, sizeof(*p));
	p->addr.family = (uint8_t)family;
	rnd_addr(family, p->addr.u.bytes);
	do
		p->len = chance(80) ? pick(len_pool) : (uint8_t)rnd(max + 1);
	while (p->len > max);
}

static void
rnd_range(struct vnb_port_range *r)
{
	uint16_t	a = pick(port_pool), b = pick(port_pool);

	if (chance(60)) {
		r->min = 0;
		r->max = 65535;
	} else if (chance(40))
		r->min = r->max = chance(80) ? a : (uint16_t)rnd(65536);
	else {
		r->min = a < b ? a : b;
		r->max = a < b ? b : a;
	}
}

static int
rnd_family(void)
{
	return chance(50) ? AF_INET : AF_INET6;
}

static void
rnd_rule(struct cls_rule *r)
{
	int	family;

	rule_any(r);
	r->family = chance(40) ? 0 : rnd_family();
	family = r->family != 0 ? r->family : rnd_family();
	if (chance(3))
		family = family == AF_INET ? AF_INET6 : AF_INET;
	if (chance(45))
		rnd_prefix(family, &r->src);
	if (chance(45))
		rnd_prefix(family, &r->dst);
	if (chance(40))
		r->proto = pick(proto_pool);
	rnd_range(&r->sport);
	rnd_range(&r->dport);
	if (chance(15))
		r->vlan = pick(vlan_pool);
	if (chance(15)) {
		r->smac.any = 0;
		memcpy(r->smac.bytes, pick(mac_pool), 6);
	}
	if (chance(15)) {
		r->dmac.any = 0;
		memcpy(r->dmac.bytes, pick(mac_pool), 6);
	}
}

/*
 * A narrow rule also asks for a long prefix, a MAC or a VLAN, so that it
 * matches few random packets and the rules after it get their turn.
 */
static void
rnd_narrow(struct cls_rule *r)
{
	struct vnb_prefix	*p = chance(50) ? &r->src : &r->dst;
	int			 family = r->family;

	if (family == 0)
		family = r->src.addr.family != 0 ? r->src.addr.family :
		    r->dst.addr.family != 0 ? r->dst.addr.family :
		    rnd_family();
	switch (rnd(4)) {
	case 0:
	case 1:
		rnd_prefix(family, p);
		p->len = (uint8_t)(family == AF_INET ? 24 + rnd(9) :
		    64 + rnd(65));
		break;
	case 2:
		r->smac.any = 0;
		memcpy(r->smac.bytes, pick(mac_pool), 6);
		break;
	default:
		r->vlan = pick(vlan_pool);
	}
}

static void
rnd_pkt_ports(struct vnb_pkt_info *pi)
{
	pi->sport = chance(70) ? pick(port_pool) : (uint16_t)rnd(65536);
	pi->dport = chance(70) ? pick(port_pool) : (uint16_t)rnd(65536);
	if (pi->proto == 6 || pi->proto == 17 || pi->proto == 132)
		pi->flags |= VNB_PKT_PORTS;
	if (chance(10)) {
		pi->flags &= ~VNB_PKT_PORTS;
		pi->flags |= VNB_PKT_FRAGMENT | VNB_PKT_LATER_FRAGMENT;
	}
}

static void
rnd_pkt(struct vnb_pkt_info *pi)
{
	memset(pi, 0, sizeof(*pi));
	rnd_bytes(pi->smac, pick(mac_pool), 6);
	rnd_bytes(pi->dmac, pick(mac_pool), 6);
	pi->vlan = chance(80) ? pick(vlan_pool) : (uint16_t)rnd(4096);
	if (chance(50))
		pi->flags |= VNB_PKT_VLAN;

	pi->family = chance(10) ? VNB_FAMILY_NONE : chance(50) ?
	    VNB_FAMILY_IPV4 : VNB_FAMILY_IPV6;
	if (pi->family == VNB_FAMILY_NONE)
		return;
	rnd_addr(pi->family == VNB_FAMILY_IPV4 ? AF_INET : AF_INET6, pi->src);
	rnd_addr(pi->family == VNB_FAMILY_IPV4 ? AF_INET : AF_INET6, pi->dst);
	pi->proto = chance(90) ? pick(proto_pool) : (uint8_t)rnd(256);
	rnd_pkt_ports(pi);
}

static void
fit_addr(const struct vnb_prefix *p, uint8_t *addr)
{
	unsigned int	i;

	for (i = 0; i < p->len; i++) {
		addr[i / 8] &= (uint8_t)~(0x80 >> (i % 8));
		addr[i / 8] |= p->addr.u.bytes[i / 8] & (0x80 >> (i % 8));
	}
}

static uint16_t
fit_port(const struct vnb_port_range *r)
{
	return (uint16_t)(r->min + rnd((uint32_t)(r->max - r->min) + 1));
}

/* Make a random packet fit r wherever r says what it wants. */
static void
fit_pkt(const struct cls_rule *r, struct vnb_pkt_info *pi)
{
	int	family = r->family, ip;

	if (family == 0)
		family = r->src.addr.family != 0 ? r->src.addr.family :
		    r->dst.addr.family;
	ip = family != 0 || r->proto != PARSE_PROTO_ANY ||
	    !ref_any_ports(&r->sport) || !ref_any_ports(&r->dport);
	if (ip || pi->family != VNB_FAMILY_NONE) {
		if (family == 0)
			family = rnd_family();
		pi->family = family == AF_INET ? VNB_FAMILY_IPV4 :
		    VNB_FAMILY_IPV6;
		rnd_addr(family, pi->src);
		rnd_addr(family, pi->dst);
		pi->proto = pick(proto_pool);
		rnd_pkt_ports(pi);
	}
	fit_addr(&r->src, pi->src);
	fit_addr(&r->dst, pi->dst);
	if (r->proto != PARSE_PROTO_ANY)
		pi->proto = (uint8_t)r->proto;
	if (!ref_any_ports(&r->sport) || !ref_any_ports(&r->dport)) {
		pi->flags &= ~(VNB_PKT_FRAGMENT | VNB_PKT_LATER_FRAGMENT);
		pi->flags |= VNB_PKT_PORTS;
		pi->sport = fit_port(&r->sport);
		pi->dport = fit_port(&r->dport);
	}
	if (r->vlan != 0) {
		pi->vlan = r->vlan;
		pi->flags |= VNB_PKT_VLAN;
	}
	if (!r->smac.any)
		memcpy(pi->smac, r->smac.bytes, 6);
	if (!r->dmac.any)
		memcpy(pi->dmac, r->dmac.bytes, 6);
}

static void
show_pkt(const struct vnb_pkt_info *pi)
{
	char	s[INET6_ADDRSTRLEN], d[INET6_ADDRSTRLEN];
	int	af = pi->family == VNB_FAMILY_IPV4 ? AF_INET : AF_INET6;

	if (pi->family == VNB_FAMILY_NONE)
		s[0] = d[0] = '\0';
	else {
		inet_ntop(af, pi->src, s, sizeof(s));
		inet_ntop(af, pi->dst, d, sizeof(d));
	}
	tap_diag("packet: family %u %s -> %s proto %u ports %u -> %u flags "
	    "%#x vlan %u smac %02x:..:%02x dmac %02x:..:%02x", pi->family, s,
	    d, pi->proto, pi->sport, pi->dport, pi->flags, pi->vlan,
	    pi->smac[0], pi->smac[5], pi->dmac[0], pi->dmac[5]);
}

static void
show_rule(const char *what, const struct cls_rule *rules, uint32_t res)
{
	const struct cls_rule	*r;
	char			 b[7][PARSE_STRLEN];

	if (res == 0) {
		tap_diag("%s: no rule", what);
		return;
	}
	r = &rules[res - 1];
	tap_diag("%s: rule %u: family %d src %s dst %s sport %s dport %s "
	    "proto %s vlan %u smac %s dmac %s", what, res - 1, r->family,
	    fmt_prefix(&r->src, b[0], sizeof(b[0])),
	    fmt_prefix(&r->dst, b[1], sizeof(b[1])),
	    fmt_port_range(&r->sport, b[2], sizeof(b[2])),
	    fmt_port_range(&r->dport, b[3], sizeof(b[3])),
	    fmt_protocol(r->proto, b[4], sizeof(b[4])), r->vlan,
	    fmt_mac(&r->smac, b[5], sizeof(b[5])),
	    fmt_mac(&r->dmac, b[6], sizeof(b[6])));
}

#define RANDOM_PKTS	4000

static int	split;		/* random sets that needed splitting */

/* The ACL contexts of the classifier called name, found by their names. */
static int
count_contexts(const char *name)
{
	char	buf[RTE_ACL_NAMESIZE];
	int	i, j, count = 0;

	for (i = 0; i < 3; i++)
		for (j = 0; j < 16; j++) {
			snprintf(buf, sizeof(buf), "%s-%c.%d", name, "462"[i],
			    j);
			count += rte_acl_find_existing(buf) != NULL;
		}
	return count;
}
#define RANDOM_WIDE	8	/* rules in a set that need not be narrow */

/*
 * Classify RANDOM_PKTS packets against n random rules, in bursts of
 * random sizes, and compare each result with the reference.
 */
static void
random_set(uint64_t seed, size_t n)
{
	static struct vnb_pkt_info	 pi[RANDOM_PKTS];
	static const struct vnb_pkt_info *pp[RANDOM_PKTS];
	static uint32_t			 res[RANDOM_PKTS];
	struct cls_rule			*rules;
	struct classifier		*cls;
	size_t				 i, burst, bad = 0, matched = 0;
	size_t				 deep = 0;
	uint32_t			 want;

	rng = seed;
	if ((rules = calloc(n, sizeof(*rules))) == NULL)
		bail("random set", "calloc", "out of memory");
	for (i = 0; i < n; i++) {
		rnd_rule(&rules[i]);
		if (rnd((uint32_t)n) >= RANDOM_WIDE)
			rnd_narrow(&rules[i]);
	}
	for (i = 0; i < RANDOM_PKTS; i++) {
		rnd_pkt(&pi[i]);
		if (chance(60))
			fit_pkt(&rules[rnd((uint32_t)n)], &pi[i]);
		pp[i] = &pi[i];
	}

	cls = cls_build("random", rules, n, -1, err, sizeof(err));
	if (!ok(cls != NULL, "seed %#" PRIx64 ": %zu random rules build",
	    seed, n)) {
		tap_diag("%s", err);
		free(rules);
		return;
	}
	for (i = 0; i < RANDOM_PKTS; i += burst) {
		burst = chance(50) ? 32 : 1 + rnd(100);
		if (burst > RANDOM_PKTS - i)
			burst = RANDOM_PKTS - i;
		cls_classify(cls, pp + i, res + i, (unsigned int)burst);
	}

	for (i = 0; i < RANDOM_PKTS; i++) {
		want = ref_classify(rules, n, &pi[i]);
		matched += want != 0;
		deep += want > n / 2;
		if (res[i] == want || bad++ > 0)
			continue;
		tap_diag("seed %#" PRIx64 ", %zu rules, packet %zu: got %u, "
		    "expected %u", seed, n, i, res[i], want);
		show_pkt(&pi[i]);
		show_rule("got", rules, res[i]);
		show_rule("expected", rules, want);
	}
	is_int(bad, 0, "seed %#" PRIx64 ": %zu rules, %d packets: as the "
	    "reference (%zu match)", seed, n, RANDOM_PKTS, matched);
	ok(matched >= RANDOM_PKTS / 4, "seed %#" PRIx64 ": a quarter of the "
	    "packets match some rule", seed);
	ok(n < 2 || deep > 0, "seed %#" PRIx64 ": some packets match rules "
	    "in the second half", seed);
	split += count_contexts("random") > 3;
	cls_free(cls);
	free(rules);
}

static void
test_random(void)
{
	static const size_t	sizes[] = {
		1, 1, 2, 3, 5, 8, 13, 40, 100, 250, 700, 1000, 1500, 2000
	};
	size_t			i;

	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++)
		random_set(0x9e3779b97f4a7c15ULL * (i + 1), sizes[i]);
	if (cls_linear_max > 0)
		return;
	if (!ok(split > 0, "some random sets need split ACL contexts"))
		tap_diag("so splitting is not tested: make the rules wilder");
}

int
main(int argc, char **argv)
{
	if (eal_start(argv[0], 256) == -1) {
		printf("Bail out! cannot start DPDK's EAL\n");
		return 1;
	}
	/*
	 * Everything twice: with every rule set in rte_acl, then with every
	 * one matched rule by rule, as the small ones are.
	 */
	for (cls_linear_max = 0;; cls_linear_max = UINT_MAX) {
		tap_diag("%s", cls_linear_max == 0 ? "rte_acl for every "
		    "rule set" : "every rule set matched rule by rule");
		test_empty();
		test_prefixes_v4();
		test_prefixes_v6();
		test_ports();
		test_proto();
		test_vlan();
		test_macs();
		test_families();
		test_order();
		test_constant();
		test_no_ports();
		test_errors();
		test_calls();
		test_random();
		if (cls_linear_max > 0)
			break;
	}
	eal_stop();
	return tap_done();
}

/*
 * Unit tests for lib/parse.c: the forms each parser accepts and what it
 * makes of them, every rejection the contract in parse.h promises, the
 * canonical forms the formatters print, round trips through both, and
 * prefix containment and overlap.
 *
 * Only documentation addresses appear: 192.0.2.0/24, 198.51.100.0/24,
 * 203.0.113.0/24 (RFC 5737), 2001:db8::/32 (RFC 3849) and MAC addresses
 * from 00:00:5e:00:53:00 (RFC 7042).
 */
#include <arpa/inet.h>

#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "parse.h"
#include "tap.h"

/* Outputs start filled with this so that a write on failure shows. */
#define SENTINEL	0xa5

static struct vnb_error	err;
static const char	*last;		/* the input last rejected */

static int
untouched(const void *p, size_t len)
{
	const unsigned char	*b = p;
	size_t			 i;

	for (i = 0; i < len; i++)
		if (b[i] != SENTINEL)
			return 0;
	return 1;
}

/*
 * What every rejection must do: return -1, leave the output as it was,
 * and quote the input in the message.
 */
static void
rejected(const char *fn, const char *s, int rc, const void *out,
    size_t len)
{
	char	quoted[256];

	last = s;
	snprintf(quoted, sizeof(quoted), "'%s'", s);
	is_int(rc, -1, "%s rejects '%s'", fn, s);
	ok(untouched(out, len), "%s '%s' leaves the output untouched", fn, s);
	if (!ok(strstr(err.msg, quoted) != NULL, "%s '%s' quotes the input",
	    fn, s))
		tap_diag("message: %s", err.msg);
}

static void
msg_is(const char *want)
{
	is_str(err.msg, want, "'%s' gives \"%s\"", last, want);
}

static void
msg_has(const char *want)
{
	if (!ok(strstr(err.msg, want) != NULL, "'%s' gives \"...%s...\"",
	    last, want))
		tap_diag("message: %s", err.msg);
}

static const char *
family_name(int family)
{
	static char	buf[16];

	if (family == AF_UNSPEC)
		return "AF_UNSPEC";
	if (family == AF_INET)
		return "AF_INET";
	if (family == AF_INET6)
		return "AF_INET6";
	snprintf(buf, sizeof(buf), "%d", family);
	return buf;
}

static void
bad_addr(const char *s, int family)
{
	struct vnb_addr	a;
	char		fn[64];

	snprintf(fn, sizeof(fn), "parse_addr(%s)", family_name(family));
	memset(&a, SENTINEL, sizeof(a));
	vnb_error_clear(&err);
	rejected(fn, s, parse_addr(s, family, &a, &err), &a, sizeof(a));
}

static void
good_addr(const char *s, int family, int want_family, const char *canon)
{
	struct vnb_addr	a;
	char		buf[PARSE_STRLEN];

	memset(&a, SENTINEL, sizeof(a));
	is_int(parse_addr(s, family, &a, &err), 0, "parse_addr(%s) accepts "
	    "'%s'", family_name(family), s);
	is_int(a.family, want_family, "'%s' is %s", s,
	    family_name(want_family));
	is_str(fmt_addr(&a, buf, sizeof(buf)), canon, "fmt_addr prints '%s' "
	    "as '%s'", s, canon);
}

static void
test_addr(void)
{
	static const uint8_t	zero[12];
	struct vnb_addr		a;

	good_addr("192.0.2.1", AF_UNSPEC, AF_INET, "192.0.2.1");
	good_addr("203.0.113.0", AF_INET, AF_INET, "203.0.113.0");
	good_addr("198.51.100.255", AF_UNSPEC, AF_INET, "198.51.100.255");
	good_addr("2001:db8::1", AF_UNSPEC, AF_INET6, "2001:db8::1");
	good_addr("2001:DB8:0:0:0:0:0:1", AF_INET6, AF_INET6, "2001:db8::1");
	good_addr("2001:db8::192.0.2.1", AF_UNSPEC, AF_INET6,
	    "2001:db8::c000:201");

	memset(&a, SENTINEL, sizeof(a));
	parse_addr("192.0.2.1", AF_UNSPEC, &a, &err);
	ok(a.u.bytes[0] == 192 && a.u.bytes[1] == 0 && a.u.bytes[2] == 2 &&
	    a.u.bytes[3] == 1, "IPv4 bytes are in network order");
	ok(memcmp(a.u.bytes + 4, zero, sizeof(zero)) == 0,
	    "the rest of an IPv4 address is zero");

	bad_addr("256.1.1.1", AF_UNSPEC);
	msg_is("invalid IPv4 address '256.1.1.1': 256 is out of range 0-255");
	bad_addr("192.0.2.256", AF_INET);
	bad_addr("192.0.2.99999999999999999999", AF_INET);
	msg_has("is out of range 0-255");
	bad_addr("192.0.2.01", AF_UNSPEC);
	msg_is("invalid IPv4 address '192.0.2.01': octet '01' has a leading "
	    "zero");
	bad_addr("192.00.2.1", AF_UNSPEC);
	bad_addr("192.0.2", AF_UNSPEC);
	msg_has("expected 4 octets, found 3");
	bad_addr("192.0.2.1.5", AF_UNSPEC);
	bad_addr("192..2.1", AF_UNSPEC);
	msg_has("empty octet");
	bad_addr("192.0.2.", AF_UNSPEC);
	bad_addr("192.0.2.1 ", AF_UNSPEC);
	msg_has("unexpected character ' '");
	bad_addr(" 192.0.2.1", AF_UNSPEC);
	bad_addr("192.0.2.1x", AF_INET);
	bad_addr("192.0.2.1/32", AF_UNSPEC);
	bad_addr("", AF_UNSPEC);
	msg_is("invalid address '': empty");
	bad_addr("", AF_INET6);
	bad_addr("example", AF_UNSPEC);
	msg_has("not an IPv4 or IPv6 address");

	bad_addr("2001:db8::1", AF_INET);
	msg_is("'2001:db8::1' is not an IPv4 address");
	bad_addr("192.0.2.1", AF_INET6);
	msg_is("'192.0.2.1' is not an IPv6 address");
	bad_addr("2001:db8::1%eth0", AF_UNSPEC);
	msg_is("invalid IPv6 address '2001:db8::1%eth0': zone id '%eth0' is "
	    "not allowed");
	bad_addr("2001:db8::1::2", AF_UNSPEC);
	msg_has("'::' may appear only once");
	bad_addr("2001:db8:::1", AF_INET6);
	bad_addr("2001:db8::g", AF_UNSPEC);
	msg_has("unexpected character 'g'");
	bad_addr("2001:db8:1:2:3:4:5", AF_UNSPEC);
	msg_has("expected 8 groups, found 7");
	bad_addr("2001:db8:1:2:3:4:5:6:7", AF_UNSPEC);
	bad_addr("2001:db8:1:2:3::4:5:6", AF_UNSPEC);
	msg_has("too many groups");
	bad_addr("2001:db80000::1", AF_UNSPEC);
	msg_has("more than 4 hex digits");
	bad_addr(":2001:db8::1", AF_UNSPEC);
	bad_addr("2001:db8::1:", AF_UNSPEC);
	bad_addr("2001:db8::192.0.2.256", AF_UNSPEC);
	msg_has("invalid embedded IPv4 address '192.0.2.256'");
	bad_addr("2001:db8::1 ", AF_UNSPEC);
	bad_addr("192.0.2.1", 99);
	msg_has("unsupported address family 99");
}

static void
bad_prefix(const char *s, int family, int flags)
{
	struct vnb_prefix	p;
	char			fn[64];

	snprintf(fn, sizeof(fn), "parse_prefix(%s, %s%s%s)",
	    family_name(family), flags & PARSE_PREFIX_STRICT ? "S" : "",
	    flags & PARSE_PREFIX_HOST ? "H" : "",
	    flags & PARSE_PREFIX_ANY ? "A" : "");
	memset(&p, SENTINEL, sizeof(p));
	vnb_error_clear(&err);
	rejected(fn, s, parse_prefix(s, family, flags, &p, &err), &p,
	    sizeof(p));
}

static void
good_prefix(const char *s, int flags, int want_family, int want_len,
    const char *canon)
{
	struct vnb_prefix	p;
	char			buf[PARSE_STRLEN];

	memset(&p, SENTINEL, sizeof(p));
	is_int(parse_prefix(s, AF_UNSPEC, flags, &p, &err), 0,
	    "parse_prefix accepts '%s'", s);
	ok(p.addr.family == want_family && p.len == want_len,
	    "'%s' has family %d and length %d", s, want_family, want_len);
	is_str(fmt_prefix(&p, buf, sizeof(buf)), canon,
	    "fmt_prefix prints '%s' as '%s'", s, canon);
}

static void
test_prefix(void)
{
	static const uint8_t	zero[16];
	struct vnb_prefix	p;

	good_prefix("192.0.2.0/24", 0, AF_INET, 24, "192.0.2.0/24");
	good_prefix("198.51.100.7/32", PARSE_PREFIX_STRICT, AF_INET, 32,
	    "198.51.100.7/32");
	good_prefix("198.51.100.128/25", PARSE_PREFIX_STRICT, AF_INET, 25,
	    "198.51.100.128/25");
	good_prefix("2001:db8::/32", PARSE_PREFIX_STRICT, AF_INET6, 32,
	    "2001:db8::/32");
	good_prefix("2001:db8::1/128", 0, AF_INET6, 128, "2001:db8::1/128");
	good_prefix("192.0.2.1/24", 0, AF_INET, 24, "192.0.2.1/24");
	good_prefix("192.0.2.1", PARSE_PREFIX_HOST, AF_INET, 32,
	    "192.0.2.1/32");
	good_prefix("2001:db8::1", PARSE_PREFIX_HOST | PARSE_PREFIX_STRICT,
	    AF_INET6, 128, "2001:db8::1/128");
	good_prefix("any", PARSE_PREFIX_ANY, AF_UNSPEC, 0, "any");

	memset(&p, SENTINEL, sizeof(p));
	parse_prefix("any", AF_INET, PARSE_PREFIX_ANY, &p, &err);
	ok(p.addr.family == 0 && p.len == 0 &&
	    memcmp(p.addr.u.bytes, zero, sizeof(zero)) == 0,
	    "'any' is family 0, length 0 and an all-zero address");

	bad_prefix("192.0.2.0/33", AF_UNSPEC, 0);
	msg_is("invalid prefix '192.0.2.0/33': length 33 exceeds 32");
	bad_prefix("2001:db8::/129", AF_UNSPEC, 0);
	msg_has("length 129 exceeds 128");
	bad_prefix("192.0.2.0/99999999999999999999", AF_UNSPEC, 0);
	bad_prefix("192.0.2.1/24", AF_UNSPEC, PARSE_PREFIX_STRICT);
	msg_is("prefix '192.0.2.1/24' has host bits set (network is "
	    "192.0.2.0/24)");
	bad_prefix("2001:db8::1/32", AF_UNSPEC, PARSE_PREFIX_STRICT);
	msg_has("(network is 2001:db8::/32)");
	bad_prefix("198.51.100.129/25", AF_INET, PARSE_PREFIX_STRICT);
	msg_has("(network is 198.51.100.128/25)");
	bad_prefix("198.51.100.128/0", AF_INET, PARSE_PREFIX_STRICT);
	msg_has("(network is 0.0.0.0/0)");
	bad_prefix("192.0.2.1", AF_UNSPEC, 0);
	msg_has("missing '/' and length");
	bad_prefix("192.0.2.1", AF_UNSPEC, PARSE_PREFIX_STRICT);
	bad_prefix("192.0.2.0/", AF_UNSPEC, 0);
	msg_has("missing length after '/'");
	bad_prefix("/24", AF_UNSPEC, 0);
	bad_prefix("192.0.2.0/024", AF_UNSPEC, 0);
	msg_has("length '024' has a leading zero");
	bad_prefix("192.0.2.0/24 ", AF_UNSPEC, 0);
	bad_prefix("192.0.2.0/24x", AF_UNSPEC, 0);
	msg_has("length '24x' is not a number");
	bad_prefix("192.0.2.0/-1", AF_UNSPEC, 0);
	bad_prefix("192.0.2.0/24/8", AF_UNSPEC, 0);
	bad_prefix("256.0.2.0/24", AF_UNSPEC, 0);
	msg_has("256 is out of range 0-255");
	bad_prefix("2001:db8::/32", AF_INET, 0);
	msg_is("invalid prefix '2001:db8::/32': not an IPv4 address");
	bad_prefix("192.0.2.0/24", AF_INET6, 0);
	bad_prefix("", AF_UNSPEC, PARSE_PREFIX_HOST | PARSE_PREFIX_ANY);
	bad_prefix("any", AF_UNSPEC, PARSE_PREFIX_HOST);
	bad_prefix("ANY", AF_UNSPEC, PARSE_PREFIX_ANY);
	bad_prefix("any ", AF_UNSPEC, PARSE_PREFIX_ANY);
}

static struct vnb_prefix
pfx(const char *s)
{
	struct vnb_prefix	p;

	memset(&p, 0, sizeof(p));
	if (parse_prefix(s, AF_UNSPEC, PARSE_PREFIX_ANY | PARSE_PREFIX_HOST,
	    &p, &err) == -1)
		tap_diag("bad test prefix: %s", err.msg);
	return p;
}

static void
contains(const char *prefix, const char *addr, int want)
{
	struct vnb_prefix	p = pfx(prefix), a = pfx(addr);

	is_int(prefix_contains(&p, &a.addr), want, "%s %s %s", prefix,
	    want ? "contains" : "does not contain", addr);
}

static void
overlap(const char *x, const char *y, int want)
{
	struct vnb_prefix	a = pfx(x), b = pfx(y);

	is_int(prefix_overlap(&a, &b), want, "%s and %s %s", x, y,
	    want ? "overlap" : "do not overlap");
	is_int(prefix_overlap(&b, &a), want, "%s and %s %s", y, x,
	    want ? "overlap" : "do not overlap");
}

static void
test_contains(void)
{
	contains("192.0.2.0/24", "192.0.2.77", 1);
	contains("192.0.2.0/24", "198.51.100.77", 0);
	contains("198.51.100.0/25", "198.51.100.127", 1);
	contains("198.51.100.0/25", "198.51.100.128", 0);
	contains("192.0.2.1/32", "192.0.2.1", 1);
	contains("192.0.2.1/32", "192.0.2.2", 0);
	contains("203.0.113.9/0", "198.51.100.1", 1);
	contains("192.0.2.0/24", "2001:db8::1", 0);
	contains("2001:db8::/32", "2001:db8:1::1", 1);
	contains("2001:db8::/48", "2001:db8:1::1", 0);
	contains("2001:db8::/32", "192.0.2.1", 0);
	contains("any", "192.0.2.1", 1);
	contains("any", "2001:db8::1", 1);

	overlap("192.0.2.0/24", "192.0.2.128/25", 1);
	overlap("192.0.2.0/25", "192.0.2.128/25", 0);
	overlap("192.0.2.0/24", "198.51.100.0/24", 0);
	overlap("192.0.2.5", "192.0.2.5/32", 1);
	overlap("2001:db8::/32", "2001:db8:ffff::/48", 1);
	overlap("2001:db8::/32", "192.0.2.0/24", 0);
	overlap("any", "203.0.113.0/24", 1);
}

static void
bad_mac(const char *s, int allow_any)
{
	struct vnb_mac	m;

	memset(&m, SENTINEL, sizeof(m));
	vnb_error_clear(&err);
	rejected(allow_any ? "parse_mac(any allowed)" : "parse_mac", s,
	    parse_mac(s, allow_any, &m, &err), &m, sizeof(m));
}

static void
good_mac(const char *s, int allow_any, const char *canon)
{
	struct vnb_mac	m;
	char		buf[PARSE_STRLEN];

	memset(&m, SENTINEL, sizeof(m));
	is_int(parse_mac(s, allow_any, &m, &err), 0, "parse_mac accepts '%s'",
	    s);
	is_str(fmt_mac(&m, buf, sizeof(buf)), canon, "fmt_mac prints '%s' as "
	    "'%s'", s, canon);
}

static void
test_mac(void)
{
	struct vnb_mac	m;

	good_mac("00:00:5e:00:53:01", 0, "00:00:5e:00:53:01");
	good_mac("00:00:5E:00:53:AF", 0, "00:00:5e:00:53:af");
	good_mac("00-00-5e-00-53-ff", 1, "00:00:5e:00:53:ff");
	good_mac("any", 1, "any");
	good_mac("*", 1, "any");

	memset(&m, SENTINEL, sizeof(m));
	parse_mac("00:00:5e:00:53:0a", 0, &m, &err);
	ok(m.bytes[0] == 0x00 && m.bytes[2] == 0x5e && m.bytes[5] == 0x0a &&
	    m.any == 0, "MAC bytes are read in order and any is 0");
	memset(&m, SENTINEL, sizeof(m));
	parse_mac("*", 1, &m, &err);
	ok(m.any == 1 && m.bytes[0] == 0 && m.bytes[5] == 0,
	    "the wildcard sets any and zero bytes");

	bad_mac("00:00:5e:00:53", 0);
	msg_is("invalid MAC address '00:00:5e:00:53': expected 6 groups, "
	    "found 5");
	bad_mac("00:00:5e:00:53:0g", 0);
	msg_has("group '0g' is not 2 hex digits");
	bad_mac("0:0:5e:0:53:1", 0);
	bad_mac("000:00:5e:00:53:01", 0);
	bad_mac("00:00:5e:00:53:01:02", 0);
	msg_has("more than 6 groups");
	bad_mac("00:00-5e:00:53:01", 0);
	msg_has("mixes ':' and '-'");
	bad_mac("00:00:5e:00:53:01 ", 0);
	bad_mac("00:00:5e:00:53:", 0);
	bad_mac("00005e005301", 0);
	bad_mac("", 1);
	bad_mac("any", 0);
	msg_is("invalid MAC address 'any': the wildcard is not allowed here");
	bad_mac("*", 0);
	bad_mac("ANY", 1);
}

static void
bad_port(const char *s)
{
	uint16_t	port;

	memset(&port, SENTINEL, sizeof(port));
	vnb_error_clear(&err);
	rejected("parse_port", s, parse_port(s, &port, &err), &port,
	    sizeof(port));
}

static void
good_port(const char *s, int want)
{
	uint16_t	port = 0;

	is_int(parse_port(s, &port, &err), 0, "parse_port accepts '%s'", s);
	is_int(port, want, "'%s' is port %d", s, want);
}

static void
bad_range(const char *s)
{
	struct vnb_port_range	r;

	memset(&r, SENTINEL, sizeof(r));
	vnb_error_clear(&err);
	rejected("parse_port_range", s, parse_port_range(s, &r, &err), &r,
	    sizeof(r));
}

static void
good_range(const char *s, int min, int max, const char *canon)
{
	struct vnb_port_range	r;
	char			buf[PARSE_STRLEN];

	memset(&r, SENTINEL, sizeof(r));
	is_int(parse_port_range(s, &r, &err), 0,
	    "parse_port_range accepts '%s'", s);
	ok(r.min == min && r.max == max, "'%s' is %d to %d", s, min, max);
	is_str(fmt_port_range(&r, buf, sizeof(buf)), canon,
	    "fmt_port_range prints '%s' as '%s'", s, canon);
}

static void
test_port(void)
{
	uint16_t	port;

	good_port("80", 80);
	good_port("1", 1);
	good_port("65535", 65535);

	bad_port("0");
	msg_is("invalid port '0': must be 1-65535");
	bad_port("65536");
	msg_is("invalid port '65536': must be 1-65535");
	bad_port("99999999999999999999999");
	bad_port("");
	bad_port("080");
	msg_has("leading zeros are not allowed");
	bad_port("80x");
	bad_port(" 80");
	bad_port("80 ");
	bad_port("+80");
	bad_port("-1");
	bad_port("0x50");
	bad_port("http");

	vnb_error_clear(&err);
	parse_port("80\n", &port, &err);
	last = "80\\n";
	msg_is("invalid port '80\\n': not a number");
	is_int(parse_port("0", &port, NULL), -1,
	    "a NULL error is allowed on failure");

	good_range("80", 80, 80, "80");
	good_range("80-80", 80, 80, "80");
	good_range("1024-65535", 1024, 65535, "1024-65535");
	good_range("1-65535", 1, 65535, "1-65535");
	good_range("any", 0, 65535, "any");

	bad_range("200-100");
	msg_is("invalid port range '200-100': minimum 200 exceeds maximum "
	    "100");
	bad_range("0-100");
	msg_has("port 0 is out of range 1-65535");
	bad_range("1-65536");
	bad_range("0");
	bad_range("80-");
	msg_has("missing port number");
	bad_range("-80");
	bad_range("80-90-100");
	bad_range("80 - 90");
	bad_range("80-090");
	bad_range("80-90x");
	bad_range("");
	bad_range("ANY");
}

static void
bad_protocol(const char *s)
{
	int	proto;

	memset(&proto, SENTINEL, sizeof(proto));
	vnb_error_clear(&err);
	rejected("parse_protocol", s, parse_protocol(s, &proto, &err), &proto,
	    sizeof(proto));
}

static void
good_protocol(const char *s, int want, const char *canon)
{
	char	buf[PARSE_STRLEN];
	int	proto = -2;

	is_int(parse_protocol(s, &proto, &err), 0,
	    "parse_protocol accepts '%s'", s);
	is_int(proto, want, "'%s' is protocol %d", s, want);
	is_str(fmt_protocol(proto, buf, sizeof(buf)), canon,
	    "fmt_protocol prints '%s' as '%s'", s, canon);
}

static void
test_protocol(void)
{
	good_protocol("tcp", 6, "tcp");
	good_protocol("TCP", 6, "tcp");
	good_protocol("Udp", 17, "udp");
	good_protocol("icmp", 1, "icmp");
	good_protocol("icmpv6", 58, "icmpv6");
	good_protocol("sctp", 132, "sctp");
	good_protocol("gre", 47, "gre");
	good_protocol("esp", 50, "esp");
	good_protocol("AH", 51, "ah");
	good_protocol("6", 6, "tcp");
	good_protocol("0", 0, "0");
	good_protocol("255", 255, "255");
	good_protocol("any", PARSE_PROTO_ANY, "any");

	bad_protocol("256");
	msg_is("invalid protocol '256': must be 0-255");
	bad_protocol("99999999999999999999");
	bad_protocol("");
	bad_protocol("06");
	bad_protocol("-1");
	bad_protocol("tcp ");
	bad_protocol("6x");
	bad_protocol("icmp6");
	msg_has("unknown (expected icmp, tcp");
}

static void
bad_uint(const char *s, uint64_t min, uint64_t max)
{
	uint64_t	v;

	memset(&v, SENTINEL, sizeof(v));
	vnb_error_clear(&err);
	rejected("parse_uint", s, parse_uint(s, min, max, &v, &err), &v,
	    sizeof(v));
}

static void
good_uint(const char *s, uint64_t min, uint64_t max, uint64_t want)
{
	uint64_t	v = 0;

	is_int(parse_uint(s, min, max, &v, &err), 0, "parse_uint accepts '%s'",
	    s);
	ok(v == want, "parse_uint '%s' is %ju", s, (uintmax_t)want);
}

static void
bad_int(const char *s, int64_t min, int64_t max)
{
	int64_t	v;

	memset(&v, SENTINEL, sizeof(v));
	vnb_error_clear(&err);
	rejected("parse_int", s, parse_int(s, min, max, &v, &err), &v,
	    sizeof(v));
}

static void
good_int(const char *s, int64_t min, int64_t max, int64_t want)
{
	int64_t	v = 0;

	is_int(parse_int(s, min, max, &v, &err), 0, "parse_int accepts '%s'",
	    s);
	is_int(v, want, "parse_int '%s' is %jd", s, (intmax_t)want);
}

static void
test_numbers(void)
{
	good_uint("0", 0, 10, 0);
	good_uint("65535", 1, 65535, 65535);
	good_uint("18446744073709551615", 0, UINT64_MAX, UINT64_MAX);

	bad_uint("70000", 1, 65535);
	msg_is("'70000' is out of range 1-65535");
	bad_uint("12x", 0, 100);
	msg_is("'12x' is not a number");
	bad_uint("0", 1, 10);
	bad_uint("18446744073709551616", 0, UINT64_MAX);
	msg_has("is out of range 0-18446744073709551615");
	bad_uint("", 0, 10);
	bad_uint("+1", 0, 10);
	bad_uint("-1", 0, 10);
	bad_uint(" 1", 0, 10);
	bad_uint("1 ", 0, 10);
	bad_uint("0x10", 0, 100);
	bad_uint("010", 0, 100);
	msg_is("'010' has a leading zero");
	bad_uint("1e3", 0, 10000);

	good_int("-5", -10, 10, -5);
	good_int("0", -10, 10, 0);
	good_int("7", 0, 10, 7);
	good_int("-9223372036854775808", INT64_MIN, INT64_MAX, INT64_MIN);
	good_int("9223372036854775807", INT64_MIN, INT64_MAX, INT64_MAX);

	bad_int("-11", -10, 10);
	msg_is("'-11' is out of range -10 to 10");
	bad_int("11", 0, 10);
	msg_is("'11' is out of range 0-10");
	bad_int("9223372036854775808", INT64_MIN, INT64_MAX);
	bad_int("-9223372036854775809", INT64_MIN, INT64_MAX);
	bad_int("-", -10, 10);
	bad_int("--1", -10, 10);
	bad_int("+5", -10, 10);
	bad_int("-05", -10, 10);
	bad_int("", -10, 10);
	bad_int("5 ", -10, 10);
}

static void
bad_duration(const char *s)
{
	uint64_t	v;

	memset(&v, SENTINEL, sizeof(v));
	vnb_error_clear(&err);
	rejected("parse_duration", s, parse_duration(s, &v, &err), &v,
	    sizeof(v));
}

static void
good_duration(const char *s, uint64_t want, const char *canon)
{
	char		buf[PARSE_STRLEN];
	uint64_t	v = 1;

	is_int(parse_duration(s, &v, &err), 0, "parse_duration accepts '%s'",
	    s);
	ok(v == want, "'%s' is %ju ms", s, (uintmax_t)want);
	is_str(fmt_duration(v, buf, sizeof(buf)), canon,
	    "fmt_duration prints '%s' as '%s'", s, canon);
}

static void
test_duration(void)
{
	good_duration("0", 0, "0s");
	good_duration("0s", 0, "0s");
	good_duration("90", 90000, "1m30s");
	good_duration("90s", 90000, "1m30s");
	good_duration("1h30m", 5400000, "1h30m");
	good_duration("1500ms", 1500, "1s500ms");
	good_duration("1s500ms", 1500, "1s500ms");
	good_duration("2w", 1209600000, "2w");
	good_duration("1d", 86400000, "1d");
	good_duration("1w2d3h4m5s6ms", 788645006, "1w2d3h4m5s6ms");
	good_duration("18446744073709551615ms", UINT64_MAX,
	    "30500568904w6d14h25m51s615ms");

	bad_duration("5x");
	msg_is("invalid duration '5x': unknown unit 'x' (expected ms, s, m, "
	    "h, d or w)");
	bad_duration("m");
	msg_has("expected a number before 'm'");
	bad_duration("");
	bad_duration("1h1h");
	msg_has("unit 'h' is repeated or out of order");
	bad_duration("1m1h");
	bad_duration("1h30");
	msg_has("missing unit after '30'");
	bad_duration("1.5h");
	msg_has("fractions are not allowed");
	bad_duration("-1s");
	bad_duration("1h 30m");
	bad_duration(" 1h");
	bad_duration("1h ");
	bad_duration("1H");
	bad_duration("1min");
	bad_duration("01h");
	bad_duration("18446744073709551616ms");
	msg_has("too large");
	bad_duration("18446744073709551615s");
	bad_duration("18446744073709551615");
	bad_duration("30500568905w");
	bad_duration("30500568904w7d");
}

static void
bad_size(const char *s)
{
	uint64_t	v;

	memset(&v, SENTINEL, sizeof(v));
	vnb_error_clear(&err);
	rejected("parse_size", s, parse_size(s, &v, &err), &v, sizeof(v));
}

static void
good_size(const char *s, uint64_t want, const char *canon)
{
	char		buf[PARSE_STRLEN];
	uint64_t	v = 1;

	is_int(parse_size(s, &v, &err), 0, "parse_size accepts '%s'", s);
	ok(v == want, "'%s' is %ju bytes", s, (uintmax_t)want);
	is_str(fmt_size(v, buf, sizeof(buf)), canon, "fmt_size prints '%s' as "
	    "'%s'", s, canon);
}

static void
test_size(void)
{
	good_size("0", 0, "0");
	good_size("1500", 1500, "1500");
	good_size("1500B", 1500, "1500");
	good_size("1536", 1536, "1536");
	good_size("1024", 1024, "1K");
	good_size("64k", 65536, "64K");
	good_size("64K", 65536, "64K");
	good_size("64KiB", 65536, "64K");
	good_size("64KB", 65536, "64K");
	good_size("1M", 1048576, "1M");
	good_size("2GB", 2147483648ULL, "2G");
	good_size("3TiB", 3ULL << 40, "3T");
	good_size("1024T", 1ULL << 50, "1024T");
	good_size("18446744073709551615", UINT64_MAX,
	    "18446744073709551615");

	bad_size("1.5M");
	msg_is("invalid size '1.5M': fractions are not allowed");
	bad_size("64x");
	msg_has("unknown suffix 'x'");
	bad_size("");
	bad_size("k");
	bad_size("64 k");
	bad_size("64k ");
	bad_size("64kb");
	bad_size("64m");
	bad_size("1iB");
	bad_size("064k");
	bad_size("-1");
	bad_size("16777216T");
	msg_has("too large");
	bad_size("18446744073709551616");
}

static void
test_bool(void)
{
	static const struct {
		const char	*s;
		int		 want;
	} words[] = {
		{ "yes", 1 }, { "no", 0 }, { "true", 1 }, { "false", 0 },
		{ "on", 1 }, { "off", 0 }, { "enable", 1 }, { "disable", 0 },
		{ "enabled", 1 }, { "disabled", 0 }, { "1", 1 }, { "0", 0 },
	};
	static const char *const bad[] = {
		"", "Yes", "TRUE", "y", "yes ", "2", "01", "truee",
	};
	size_t	i;
	int	v;

	for (i = 0; i < sizeof(words) / sizeof(words[0]); i++) {
		v = -1;
		ok(parse_bool(words[i].s, &v, &err) == 0 && v == words[i].want,
		    "parse_bool '%s' is %d", words[i].s, words[i].want);
	}
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		memset(&v, SENTINEL, sizeof(v));
		vnb_error_clear(&err);
		rejected("parse_bool", bad[i], parse_bool(bad[i], &v, &err), &v,
		    sizeof(v));
	}
}

/* Print every value and read it back: the formatters' whole promise. */
static void
test_round_trip(void)
{
	static const uint64_t	durations[] = {
		0, 1, 999, 1000, 1001, 59999, 60000, 3599999, 86400001,
		604800000, 694861001, UINT64_MAX - 1, UINT64_MAX,
	};
	static const uint64_t	sizes[] = {
		0, 1, 1023, 1024, 1025, 1048576 + 1024, 3ULL << 30,
		(1ULL << 40) - 1, UINT64_MAX >> 10 << 10, UINT64_MAX,
	};
	static const char *const prefixes[] = {
		"192.0.2.0/24", "198.51.100.128/25", "203.0.113.1/32",
		"2001:db8::/32", "2001:db8:0:1::/64", "any",
	};
	char			buf[PARSE_STRLEN];
	uint64_t		v;
	size_t			i;

	for (i = 0; i < sizeof(durations) / sizeof(durations[0]); i++) {
		fmt_duration(durations[i], buf, sizeof(buf));
		ok(parse_duration(buf, &v, &err) == 0 && v == durations[i],
		    "duration %ju reads back from '%s'",
		    (uintmax_t)durations[i], buf);
	}
	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		fmt_size(sizes[i], buf, sizeof(buf));
		ok(parse_size(buf, &v, &err) == 0 && v == sizes[i],
		    "size %ju reads back from '%s'", (uintmax_t)sizes[i], buf);
	}
	for (i = 0; i < sizeof(prefixes) / sizeof(prefixes[0]); i++) {
		struct vnb_prefix	p = pfx(prefixes[i]), q;

		fmt_prefix(&p, buf, sizeof(buf));
		ok(parse_prefix(buf, AF_UNSPEC, PARSE_PREFIX_ANY, &q, &err) ==
		    0 && memcmp(&p, &q, sizeof(p)) == 0,
		    "prefix '%s' reads back from '%s'", prefixes[i], buf);
	}
}

static void
test_round_trip_all(void)
{
	struct vnb_port_range	r, back;
	struct vnb_mac		m, mback;
	char			buf[PARSE_STRLEN];
	int			proto, p, bad = 0;

	for (p = -1; p <= 255; p++) {
		fmt_protocol(p, buf, sizeof(buf));
		if (parse_protocol(buf, &proto, &err) == -1 || proto != p)
			bad++;
	}
	is_int(bad, 0, "every protocol and 'any' read back");

	bad = 0;
	for (p = 1; p <= 65535; p += 97) {
		r.min = p;
		r.max = p + (65535 - p) / 2;
		fmt_port_range(&r, buf, sizeof(buf));
		if (parse_port_range(buf, &back, &err) == -1 ||
		    back.min != r.min || back.max != r.max)
			bad++;
	}
	is_int(bad, 0, "port ranges read back");

	bad = 0;
	memset(&m, 0, sizeof(m));
	for (p = 0; p <= 255; p++) {
		memset(m.bytes, p, sizeof(m.bytes));
		m.bytes[0] = 255 - p;
		fmt_mac(&m, buf, sizeof(buf));
		if (parse_mac(buf, 0, &mback, &err) == -1 ||
		    memcmp(&m, &mback, sizeof(m)) != 0)
			bad++;
	}
	is_int(bad, 0, "MAC addresses read back");
}

static void
test_messages(void)
{
	struct vnb_addr	a;
	struct vnb_mac	m;
	char		buf[PARSE_STRLEN], big[301];
	uint64_t	v;

	memset(big, '1', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	vnb_error_clear(&err);
	parse_uint(big, 0, 10, &v, &err);
	ok(strstr(err.msg, "...' is out of range 0-10") != NULL,
	    "a long input is cut short in the message");

	vnb_error_clear(&err);
	parse_mac("00:00:5e:00:53:\x01\x02", 0, &m, &err);
	last = "00:00:5e:00:53:\\x01\\x02";
	msg_is("invalid MAC address '00:00:5e:00:53:\\x01\\x02': group "
	    "'\\x01\\x02' is not 2 hex digits");

	parse_addr("192.0.2.123", AF_INET, &a, &err);
	is_str(fmt_addr(&a, buf, 8), "192.0.2", "fmt_addr truncates to fit");
}

int
main(void)
{
	test_addr();
	test_prefix();
	test_contains();
	test_mac();
	test_port();
	test_protocol();
	test_numbers();
	test_duration();
	test_size();
	test_bool();
	test_round_trip();
	test_round_trip_all();
	test_messages();
	return tap_done();
}

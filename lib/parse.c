/*
 * Strict parsers and canonical formatters for the values VNB's
 * configuration is made of; parse.h states the contract.
 *
 * The parsers read every character themselves instead of leaning on
 * strtoul(3) or inet_aton(3), which skip leading spaces, take signs, hex
 * and octal, and stop quietly at garbage: that is how "01.2.3.4" or "80 "
 * would come to mean something other than what was written.  Numbers with
 * a leading zero are refused for the same reason, since nobody can tell
 * whether "010" was meant as ten or as octal eight.
 */
#include <arpa/inet.h>
#include <ctype.h>

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "parse.h"
#include "util.h"

/* What scan_dec() found. */
#define NUM_OK		0
#define NUM_NONE	1	/* not a single digit */
#define NUM_ZERO	2	/* a leading zero, as in "08" */
#define NUM_BIG		3	/* more than 64 bits */

/* Room for a reason, and for an input as quoted in a message. */
#define WHY_MAX		256
#define QUOTE_MAX	128

static const struct {
	const char	*name;
	int		 number;
} protocols[] = {
	{ "icmp",	1 },
	{ "tcp",	6 },
	{ "udp",	17 },
	{ "gre",	47 },
	{ "esp",	50 },
	{ "ah",		51 },
	{ "icmpv6",	58 },
	{ "sctp",	132 },
};

static const struct {
	const char	*word;
	int		 value;
} bools[] = {
	{ "yes", 1 },		{ "no", 0 },
	{ "true", 1 },		{ "false", 0 },
	{ "on", 1 },		{ "off", 0 },
	{ "enable", 1 },	{ "disable", 0 },
	{ "enabled", 1 },	{ "disabled", 0 },
	{ "1", 1 },		{ "0", 0 },
};

/* Largest first: a duration must name its units in this order. */
static const struct {
	const char	*name;
	uint64_t	 msec;
} units[] = {
	{ "w",	7 * 24 * 3600 * 1000ULL },
	{ "d",	24 * 3600 * 1000ULL },
	{ "h",	3600 * 1000ULL },
	{ "m",	60 * 1000ULL },
	{ "s",	1000ULL },
	{ "ms",	1ULL },
};

static int	fail(struct vnb_error *, const char *, const char *,
		    const char *, ...) __attribute__((format(printf, 4, 5)));

static int
is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static int
is_alpha(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static int
hex_val(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

static char
ascii_lower(char c)
{
	return c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c;
}

/*
 * strcasecmp(3) follows the locale, where 'I' need not lower to 'i' (it
 * does not in a Turkish one).  Keywords are ASCII, so compare as ASCII.
 */
static int
ascii_caseeq(const char *a, const char *b)
{
	for (; *a != '\0' && ascii_lower(*a) == ascii_lower(*b); a++, b++)
		;
	return ascii_lower(*a) == ascii_lower(*b);
}

/*
 * Write c so that it can be seen in a message.  The newline that a YAML
 * block scalar leaves at the end of a value would otherwise make an error
 * look as if it quoted a perfectly good input.
 */
static const char *
esc_char(unsigned char c, char *buf, size_t len)
{
	if (c == '\n')
		snprintf(buf, len, "\\n");
	else if (c == '\t')
		snprintf(buf, len, "\\t");
	else if (c == '\r')
		snprintf(buf, len, "\\r");
	else if (c == '\\' || c == '\'')
		snprintf(buf, len, "\\%c", c);
	else if (c < 0x20 || c >= 0x7f)
		snprintf(buf, len, "\\x%02x", c);
	else
		snprintf(buf, len, "%c", c);
	return buf;
}

/* Escape n bytes of s into buf, ending in "..." when they do not fit. */
static const char *
esc_mem(const char *s, size_t n, char *buf, size_t len)
{
	char	c[8];
	size_t	used = 0, clen, i;

	buf[0] = '\0';
	for (i = 0; i < n; i++) {
		esc_char(s[i], c, sizeof(c));
		clen = strlen(c);
		if (used + clen + sizeof("...") > len) {
			memcpy(buf + used, "...", sizeof("..."));
			break;
		}
		memcpy(buf + used, c, clen + 1);
		used += clen;
	}
	return buf;
}

/*
 * Set the message "HEAD 'S'TAIL", with s escaped, and return -1 so that a
 * parser can fail in one line.  Most heads are "invalid port" and most
 * tails start with ": ".
 */
static int
fail(struct vnb_error *err, const char *head, const char *s,
    const char *fmt, ...)
{
	char	q[QUOTE_MAX], tail[WHY_MAX];
	va_list	ap;

	if (err == NULL)
		return -1;
	va_start(ap, fmt);
	vsnprintf(tail, sizeof(tail), fmt, ap);
	va_end(ap);
	esc_mem(s, strlen(s), q, sizeof(q));
	vnb_error_set(err, "%s%s'%s'%s", head != NULL ? head : "",
	    head != NULL ? " " : "", q, tail);
	return -1;
}

/*
 * Read the decimal digits at *pp and leave *pp after them, whatever they
 * turn out to be, so that the caller can look at what follows.
 */
static int
scan_dec(const char **pp, uint64_t *out)
{
	const char	*p = *pp;
	uint64_t	 v = 0;
	int		 big = 0, d;

	if (!is_digit(*p))
		return NUM_NONE;
	if (p[0] == '0' && is_digit(p[1])) {
		while (is_digit(*p))
			p++;
		*pp = p;
		return NUM_ZERO;
	}
	for (; is_digit(*p); p++) {
		d = *p - '0';
		if (v > (UINT64_MAX - d) / 10)
			big = 1;
		else
			v = v * 10 + d;
	}
	*pp = p;
	if (big)
		return NUM_BIG;
	*out = v;
	return NUM_OK;
}

static int
octet_parse(const char *p, size_t n, uint8_t *out, char *why, size_t len)
{
	unsigned int	v = 0;
	size_t		i;

	if (n == 0) {
		snprintf(why, len, "empty octet");
		return -1;
	}
	if (n > 1 && p[0] == '0') {
		snprintf(why, len, "octet '%.*s' has a leading zero", (int)n,
		    p);
		return -1;
	}
	for (i = 0; i < n && v <= 255; i++)
		v = v * 10 + (p[i] - '0');
	if (v > 255) {
		snprintf(why, len, "%.*s is out of range 0-255", (int)n, p);
		return -1;
	}
	*out = v;
	return 0;
}

/* Exactly four dotted decimal octets: none of inet_aton(3)'s forms. */
static int
addr4_parse(const char *s, uint8_t *out, char *why, size_t len)
{
	const char	*p, *q;
	uint8_t		 b[4];
	char		 c[8];
	int		 i, n = 1;

	for (p = s; *p != '\0'; p++) {
		if (*p == '.')
			n++;
		else if (!is_digit(*p)) {
			snprintf(why, len, "unexpected character '%s'",
			    esc_char(*p, c, sizeof(c)));
			return -1;
		}
	}
	if (n != 4) {
		snprintf(why, len, "expected 4 octets, found %d", n);
		return -1;
	}

	for (i = 0, p = s; i < 4; i++, p = q + 1) {
		q = p + strcspn(p, ".");
		if (octet_parse(p, q - p, &b[i], why, len) == -1)
			return -1;
	}
	memcpy(out, b, sizeof(b));
	return 0;
}

static int
addr6_embedded_ok(const char *p, size_t n)
{
	char	v4[16], why[WHY_MAX];
	uint8_t	b[4];

	if (n >= sizeof(v4))
		return 0;
	memcpy(v4, p, n);
	v4[n] = '\0';
	return addr4_parse(v4, b, why, sizeof(why)) == 0;
}

/* Count the groups of an IPv6 address whose characters are all fine. */
static void
addr6_why_groups(const char *s, int compressed, char *why, size_t len)
{
	const char	*p = s, *q;
	size_t		 n;
	int		 dotted, groups = 0;

	for (;; p = q + 1) {
		q = p + strcspn(p, ":");
		n = q - p;
		dotted = memchr(p, '.', n) != NULL;
		if (dotted && *q != '\0') {
			snprintf(why, len, "an embedded IPv4 address must "
			    "come last");
			return;
		}
		if (dotted && !addr6_embedded_ok(p, n)) {
			snprintf(why, len, "invalid embedded IPv4 address "
			    "'%.*s'", (int)n, p);
			return;
		}
		if (!dotted && n > 4) {
			snprintf(why, len, "group '%.*s' has more than 4 hex "
			    "digits", (int)n, p);
			return;
		}
		groups += dotted ? 2 : n > 0;
		if (*q == '\0')
			break;
	}

	if (compressed && groups > 7)
		snprintf(why, len, "too many groups");
	else if (!compressed && groups != 8)
		snprintf(why, len, "expected 8 groups, found %d", groups);
	else
		snprintf(why, len, "not a valid IPv6 address");
}

/* inet_pton(3) only says no: find a reason a person can act on. */
static void
addr6_why(const char *s, char *why, size_t len)
{
	const char	*p, *dbl;
	char		 buf[QUOTE_MAX];
	size_t		 n = strlen(s);

	if ((p = strchr(s, '%')) != NULL) {
		snprintf(why, len, "zone id '%s' is not allowed",
		    esc_mem(p, strlen(p), buf, sizeof(buf)));
		return;
	}
	for (p = s; *p != '\0'; p++) {
		if (hex_val(*p) == -1 && *p != ':' && *p != '.') {
			snprintf(why, len, "unexpected character '%s'",
			    esc_char(*p, buf, sizeof(buf)));
			return;
		}
	}

	dbl = strstr(s, "::");
	if (dbl != NULL && strstr(dbl + 1, "::") != NULL)
		snprintf(why, len, "'::' may appear only once");
	else if (s[0] == ':' && s[1] != ':')
		snprintf(why, len, "starts with a single ':'");
	else if (s[n - 1] == ':' && (n < 2 || s[n - 2] != ':'))
		snprintf(why, len, "ends with a single ':'");
	else
		addr6_why_groups(s, dbl != NULL, why, len);
}

static int
addr6_parse(const char *s, uint8_t *out, char *why, size_t len)
{
	struct in6_addr	a;

	if (inet_pton(AF_INET6, s, &a) != 1) {
		addr6_why(s, why, len);
		return -1;
	}
	memcpy(out, &a, sizeof(a));
	return 0;
}

/*
 * Parse s as an address of the given family.  On failure *what is the head
 * of the message, naming the kind of address s was taken for, or NULL when
 * s is plainly of the other family; why says what is wrong either way.
 */
static int
addr_parse(const char *s, int family, struct vnb_addr *out,
    const char **what, char *why, size_t len)
{
	struct vnb_addr	a;
	int		colon = strchr(s, ':') != NULL, rc;

	*what = family == AF_INET ? "invalid IPv4 address" :
	    family == AF_INET6 ? "invalid IPv6 address" : "invalid address";
	if (family != AF_UNSPEC && family != AF_INET && family != AF_INET6) {
		snprintf(why, len, "unsupported address family %d", family);
		return -1;
	}
	if (*s == '\0') {
		snprintf(why, len, "empty");
		return -1;
	}
	if (family == AF_INET && colon) {
		*what = NULL;
		snprintf(why, len, "not an IPv4 address");
		return -1;
	}
	if (family == AF_INET6 && !colon) {
		*what = NULL;
		snprintf(why, len, "not an IPv6 address");
		return -1;
	}
	if (!colon && is_alpha(*s)) {
		snprintf(why, len, "not an IPv4 or IPv6 address");
		return -1;
	}

	memset(&a, 0, sizeof(a));
	if (colon) {
		*what = "invalid IPv6 address";
		a.family = AF_INET6;
		rc = addr6_parse(s, a.u.bytes, why, len);
	} else {
		*what = "invalid IPv4 address";
		a.family = AF_INET;
		rc = addr4_parse(s, a.u.bytes, why, len);
	}
	if (rc == 0)
		*out = a;
	return rc;
}

int
parse_addr(const char *s, int family, struct vnb_addr *out,
    struct vnb_error *err)
{
	const char	*what;
	char		 why[WHY_MAX];

	if (addr_parse(s, family, out, &what, why, sizeof(why)) == 0)
		return 0;
	if (what == NULL)
		return fail(err, NULL, s, " is %s", why);
	return fail(err, what, s, ": %s", why);
}

static int
addr_max_len(const struct vnb_addr *a)
{
	return a->family == AF_INET ? 32 : a->family == AF_INET6 ? 128 : 0;
}

/* Clear the bits after the first len. */
static void
addr_mask(struct vnb_addr *a, unsigned int len)
{
	size_t	i;

	for (i = 0; i < sizeof(a->u.bytes); i++) {
		if (len >= 8)
			len -= 8;
		else {
			a->u.bytes[i] &= (0xff << (8 - len)) & 0xff;
			len = 0;
		}
	}
}

/* Whether the first len bits of a and b are the same. */
static int
bits_equal(const uint8_t *a, const uint8_t *b, unsigned int len)
{
	unsigned int	full = len / 8, rest = len % 8;
	uint8_t		mask;

	if (memcmp(a, b, full) != 0)
		return 0;
	if (rest == 0)
		return 1;
	mask = (0xff << (8 - rest)) & 0xff;
	return ((a[full] ^ b[full]) & mask) == 0;
}

static int
prefix_len_parse(const char *s, int max, uint8_t *out, char *why,
    size_t len)
{
	const char	*p = s;
	char		 q[QUOTE_MAX];
	uint64_t	 v;
	int		 r;

	r = scan_dec(&p, &v);
	if (*s == '\0')
		snprintf(why, len, "missing length after '/'");
	else if (r == NUM_NONE || *p != '\0')
		snprintf(why, len, "length '%s' is not a number",
		    esc_mem(s, strlen(s), q, sizeof(q)));
	else if (r == NUM_ZERO)
		snprintf(why, len, "length '%s' has a leading zero", s);
	else if (r == NUM_BIG || v > (uint64_t)max)
		snprintf(why, len, "length %s exceeds %d", s, max);
	else {
		*out = v;
		return 0;
	}
	return -1;
}

int
parse_prefix(const char *s, int family, int flags, struct vnb_prefix *out,
    struct vnb_error *err)
{
	struct vnb_prefix	 p, net;
	const char		*slash, *what;
	char			 abuf[64], why[WHY_MAX], nbuf[PARSE_STRLEN];
	size_t			 alen;

	if (strcmp(s, "any") == 0 && (flags & PARSE_PREFIX_ANY)) {
		memset(out, 0, sizeof(*out));
		return 0;
	}
	if (strcmp(s, "any") == 0)
		return fail(err, "invalid prefix", s, ": not allowed here");
	if (*s == '\0')
		return fail(err, "invalid prefix", s, ": empty");
	slash = strchr(s, '/');
	if (slash == NULL && !(flags & PARSE_PREFIX_HOST))
		return fail(err, "invalid prefix", s,
		    ": missing '/' and length");

	alen = slash != NULL ? (size_t)(slash - s) : strlen(s);
	if (alen == 0)
		return fail(err, "invalid prefix", s, ": missing address");
	if (alen >= sizeof(abuf))
		return fail(err, "invalid prefix", s, ": address too long");
	memcpy(abuf, s, alen);
	abuf[alen] = '\0';

	memset(&p, 0, sizeof(p));
	if (addr_parse(abuf, family, &p.addr, &what, why, sizeof(why)) == -1)
		return fail(err, "invalid prefix", s, ": %s", why);
	p.len = addr_max_len(&p.addr);
	if (slash != NULL && prefix_len_parse(slash + 1,
	    addr_max_len(&p.addr), &p.len, why, sizeof(why)) == -1)
		return fail(err, "invalid prefix", s, ": %s", why);

	net = p;
	addr_mask(&net.addr, net.len);
	if ((flags & PARSE_PREFIX_STRICT) &&
	    memcmp(&net.addr, &p.addr, sizeof(p.addr)) != 0)
		return fail(err, "prefix", s, " has host bits set (network "
		    "is %s)", fmt_prefix(&net, nbuf, sizeof(nbuf)));
	*out = p;
	return 0;
}

int
parse_mac(const char *s, int allow_any, struct vnb_mac *out,
    struct vnb_error *err)
{
	struct vnb_mac	 m;
	const char	*p, *q;
	char		 sep = '\0', g[32];
	int		 i;

	if (strcmp(s, "any") == 0 || strcmp(s, "*") == 0) {
		if (!allow_any)
			return fail(err, "invalid MAC address", s,
			    ": the wildcard is not allowed here");
		memset(out, 0, sizeof(*out));
		out->any = 1;
		return 0;
	}
	if (*s == '\0')
		return fail(err, "invalid MAC address", s, ": empty");

	if (s[strcspn(s, ":-")] == '\0')
		return fail(err, "invalid MAC address", s, ": expected 6 "
		    "groups separated by ':' or '-'");

	memset(&m, 0, sizeof(m));
	for (i = 0, p = s;; i++, p = q + 1) {
		q = p + strcspn(p, ":-");
		if (q == p)
			return fail(err, "invalid MAC address", s, ": empty "
			    "group");
		if (q - p != 2 || hex_val(p[0]) == -1 || hex_val(p[1]) == -1)
			return fail(err, "invalid MAC address", s, ": group "
			    "'%s' is not 2 hex digits",
			    esc_mem(p, q - p, g, sizeof(g)));
		m.bytes[i] = hex_val(p[0]) << 4 | hex_val(p[1]);
		if (i == 5 || *q == '\0')
			break;
		if (sep != '\0' && *q != sep)
			return fail(err, "invalid MAC address", s, ": mixes "
			    "'%c' and '%c'", sep, *q);
		sep = *q;
	}

	if (i < 5)
		return fail(err, "invalid MAC address", s, ": expected 6 "
		    "groups, found %d", i + 1);
	if (*q != '\0')
		return fail(err, "invalid MAC address", s, ": more than 6 "
		    "groups");
	*out = m;
	return 0;
}

int
parse_port(const char *s, uint16_t *out, struct vnb_error *err)
{
	const char	*p = s;
	uint64_t	 v;
	int		 r;

	if (*s == '\0')
		return fail(err, "invalid port", s, ": empty");
	r = scan_dec(&p, &v);
	if (r == NUM_NONE || *p != '\0')
		return fail(err, "invalid port", s, ": not a number");
	if (r == NUM_ZERO)
		return fail(err, "invalid port", s,
		    ": leading zeros are not allowed");
	if (r == NUM_BIG || v < 1 || v > 65535)
		return fail(err, "invalid port", s, ": must be 1-65535");
	*out = v;
	return 0;
}

/* One end of a port range, leaving *pp after its digits. */
static int
port_scan(const char **pp, uint16_t *out, char *why, size_t len)
{
	const char	*start = *pp;
	char		 c[8];
	uint64_t	 v;
	int		 r, n;

	r = scan_dec(pp, &v);
	n = *pp - start;
	if (r == NUM_NONE && (**pp == '\0' || **pp == '-'))
		snprintf(why, len, "missing port number");
	else if (r == NUM_NONE)
		snprintf(why, len, "unexpected character '%s'",
		    esc_char(**pp, c, sizeof(c)));
	else if (r == NUM_ZERO)
		snprintf(why, len, "port '%.*s' has a leading zero", n, start);
	else if (r == NUM_BIG || v < 1 || v > 65535)
		snprintf(why, len, "port %.*s is out of range 1-65535", n,
		    start);
	else {
		*out = v;
		return 0;
	}
	return -1;
}

int
parse_port_range(const char *s, struct vnb_port_range *out,
    struct vnb_error *err)
{
	struct vnb_port_range	 r;
	const char		*p = s;
	char			 why[WHY_MAX], c[8];

	if (strcmp(s, "any") == 0) {
		out->min = 0;
		out->max = 65535;
		return 0;
	}
	if (*s == '\0')
		return fail(err, "invalid port range", s, ": empty");

	if (port_scan(&p, &r.min, why, sizeof(why)) == -1)
		return fail(err, "invalid port range", s, ": %s", why);
	r.max = r.min;
	if (*p == '-') {
		p++;
		if (port_scan(&p, &r.max, why, sizeof(why)) == -1)
			return fail(err, "invalid port range", s, ": %s", why);
	}
	if (*p != '\0')
		return fail(err, "invalid port range", s, ": unexpected "
		    "character '%s'", esc_char(*p, c, sizeof(c)));
	if (r.min > r.max)
		return fail(err, "invalid port range", s, ": minimum %u "
		    "exceeds maximum %u", r.min, r.max);
	*out = r;
	return 0;
}

int
parse_protocol(const char *s, int *out, struct vnb_error *err)
{
	const char	*p = s;
	uint64_t	 v;
	size_t		 i;
	int		 r;

	if (strcmp(s, "any") == 0) {
		*out = PARSE_PROTO_ANY;
		return 0;
	}
	if (*s == '\0')
		return fail(err, "invalid protocol", s, ": empty");
	for (i = 0; i < nitems(protocols); i++) {
		if (ascii_caseeq(s, protocols[i].name)) {
			*out = protocols[i].number;
			return 0;
		}
	}

	r = scan_dec(&p, &v);
	if (r == NUM_NONE || *p != '\0')	/* the list follows protocols[] */
		return fail(err, "invalid protocol", s, ": unknown (expected "
		    "icmp, tcp, udp, gre, esp, ah, icmpv6, sctp, any or a "
		    "number 0-255)");
	if (r == NUM_ZERO)
		return fail(err, "invalid protocol", s,
		    ": leading zeros are not allowed");
	if (r == NUM_BIG || v > 255)
		return fail(err, "invalid protocol", s, ": must be 0-255");
	*out = v;
	return 0;
}

int
parse_uint(const char *s, uint64_t min, uint64_t max, uint64_t *out,
    struct vnb_error *err)
{
	const char	*p = s;
	uint64_t	 v;
	int		 neg = *s == '-', r;

	/* A negative number is a number, just not one in range. */
	p += neg;
	r = scan_dec(&p, &v);
	if (r == NUM_NONE || *p != '\0')
		return fail(err, NULL, s, " is not a number");
	if (r == NUM_ZERO)
		return fail(err, NULL, s, " has a leading zero");
	if (neg || r == NUM_BIG || v < min || v > max)
		return fail(err, NULL, s, " is out of range %ju-%ju",
		    (uintmax_t)min, (uintmax_t)max);
	*out = v;
	return 0;
}

/* A negative bound would read badly as "-10--1". */
static int
int_range_fail(struct vnb_error *err, const char *s, int64_t min,
    int64_t max)
{
	if (min < 0)
		return fail(err, NULL, s, " is out of range %jd to %jd",
		    (intmax_t)min, (intmax_t)max);
	return fail(err, NULL, s, " is out of range %jd-%jd", (intmax_t)min,
	    (intmax_t)max);
}

int
parse_int(const char *s, int64_t min, int64_t max, int64_t *out,
    struct vnb_error *err)
{
	const char	*p = s;
	uint64_t	 mag;
	int64_t		 v = 0;
	int		 neg = *s == '-', big, r;

	p += neg;
	r = scan_dec(&p, &mag);
	if (r == NUM_NONE || *p != '\0')
		return fail(err, NULL, s, " is not a number");
	if (r == NUM_ZERO)
		return fail(err, NULL, s, " has a leading zero");

	/* INT64_MIN's magnitude is one more than INT64_MAX. */
	big = r == NUM_BIG || mag > (uint64_t)INT64_MAX + neg;
	if (!big && neg && mag != 0)
		v = -(int64_t)(mag - 1) - 1;
	else if (!big)
		v = mag;
	if (big || v < min || v > max)
		return int_range_fail(err, s, min, max);
	*out = v;
	return 0;
}

/* The letters at p, if they name a unit; *n is how many there are. */
static int
dur_unit(const char *p, size_t *n)
{
	size_t	i;

	for (*n = 0; is_alpha(p[*n]); (*n)++)
		;
	for (i = 0; i < nitems(units); i++) {
		if (strlen(units[i].name) == *n &&
		    strncmp(p, units[i].name, *n) == 0)
			return i;
	}
	return -1;
}

/*
 * One "NUMBER UNIT" term of a duration.  *next is the first unit still
 * allowed, so that each unit comes at most once and the largest first.
 */
static int
dur_term(const char **pp, size_t *next, uint64_t *msec, char *why,
    size_t len)
{
	const char	*num = *pp;
	char		 c[8];
	uint64_t	 v;
	size_t		 n = 0;
	int		 r, u;

	r = scan_dec(pp, &v);
	u = r == NUM_NONE ? -1 : dur_unit(*pp, &n);
	if (r == NUM_NONE && is_alpha(**pp))
		snprintf(why, len, "expected a number before '%s'",
		    esc_char(**pp, c, sizeof(c)));
	else if (r == NUM_NONE)
		snprintf(why, len, "unexpected character '%s'",
		    esc_char(**pp, c, sizeof(c)));
	else if (r == NUM_ZERO)
		snprintf(why, len, "number '%.*s' has a leading zero",
		    (int)(*pp - num), num);
	else if (**pp == '.')
		snprintf(why, len, "fractions are not allowed");
	else if (**pp == '\0')
		snprintf(why, len, "missing unit after '%s'", num);
	else if (u == -1 && n == 0)
		snprintf(why, len, "unexpected character '%s'",
		    esc_char(**pp, c, sizeof(c)));
	else if (u == -1)
		snprintf(why, len, "unknown unit '%.*s' (expected ms, s, m, "
		    "h, d or w)", (int)n, *pp);
	else if ((size_t)u < *next)
		snprintf(why, len, "unit '%s' is repeated or out of order",
		    units[u].name);
	else if (r == NUM_BIG || v > UINT64_MAX / units[u].msec)
		snprintf(why, len, "too large");
	else {
		*next = u + 1;
		*pp += n;
		*msec = v * units[u].msec;
		return 0;
	}
	return -1;
}

int
parse_duration(const char *s, uint64_t *out, struct vnb_error *err)
{
	const char	*p = s;
	char		 why[WHY_MAX];
	uint64_t	 total = 0, v;
	size_t		 next = 0;

	if (*s == '\0')
		return fail(err, "invalid duration", s, ": empty");

	/* A bare number is seconds; with units, every number has one. */
	if (scan_dec(&p, &v) == NUM_OK && *p == '\0') {
		if (v > UINT64_MAX / 1000)
			return fail(err, "invalid duration", s, ": too large");
		*out = v * 1000;
		return 0;
	}

	for (p = s; *p != '\0'; total += v) {
		if (dur_term(&p, &next, &v, why, sizeof(why)) == -1)
			return fail(err, "invalid duration", s, ": %s", why);
		if (v > UINT64_MAX - total)
			return fail(err, "invalid duration", s, ": too large");
	}
	*out = total;
	return 0;
}

/* How far a size suffix shifts, or 0 when c is not one. */
static int
size_shift(char c)
{
	switch (c) {
	case 'k':
	case 'K':
		return 10;
	case 'M':
		return 20;
	case 'G':
		return 30;
	case 'T':
		return 40;
	}
	return 0;
}

int
parse_size(const char *s, uint64_t *out, struct vnb_error *err)
{
	const char	*p = s, *suffix;
	char		 q[QUOTE_MAX];
	uint64_t	 v;
	int		 r, shift;

	if (*s == '\0')
		return fail(err, "invalid size", s, ": empty");
	r = scan_dec(&p, &v);
	if (r == NUM_NONE)
		return fail(err, "invalid size", s, ": not a number");
	if (r == NUM_ZERO)
		return fail(err, "invalid size", s,
		    ": leading zeros are not allowed");
	if (*p == '.')
		return fail(err, "invalid size", s,
		    ": fractions are not allowed");

	suffix = p;
	if ((shift = size_shift(*p)) != 0)
		p++;
	if (*p != '\0' && strcmp(p, "B") != 0 &&
	    (shift == 0 || strcmp(p, "iB") != 0))
		return fail(err, "invalid size", s, ": unknown suffix '%s' "
		    "(expected K, M, G or T, then optionally B or iB)",
		    esc_mem(suffix, strlen(suffix), q, sizeof(q)));
	if (r == NUM_BIG || v > UINT64_MAX >> shift)
		return fail(err, "invalid size", s, ": too large");
	*out = v << shift;
	return 0;
}

int
parse_bool(const char *s, int *out, struct vnb_error *err)
{
	size_t	i;

	for (i = 0; i < nitems(bools); i++) {
		if (strcmp(s, bools[i].word) == 0) {
			*out = bools[i].value;
			return 0;
		}
	}
	return fail(err, "invalid boolean", s, ": expected yes/no, "
	    "true/false, on/off, enable/disable, enabled/disabled or 1/0");
}

const char *
fmt_addr(const struct vnb_addr *a, char *buf, size_t len)
{
	char	tmp[INET6_ADDRSTRLEN];

	if ((a->family == AF_INET || a->family == AF_INET6) &&
	    inet_ntop(a->family, &a->u, tmp, sizeof(tmp)) != NULL)
		snprintf(buf, len, "%s", tmp);
	else if (a->family == AF_UNSPEC)
		snprintf(buf, len, "any");
	else
		snprintf(buf, len, "invalid");
	return buf;
}

const char *
fmt_prefix(const struct vnb_prefix *p, char *buf, size_t len)
{
	char	tmp[INET6_ADDRSTRLEN];

	if (p->addr.family == AF_UNSPEC)
		snprintf(buf, len, "any");
	else
		snprintf(buf, len, "%s/%u", fmt_addr(&p->addr, tmp,
		    sizeof(tmp)), p->len);
	return buf;
}

const char *
fmt_mac(const struct vnb_mac *m, char *buf, size_t len)
{
	const uint8_t	*b = m->bytes;

	if (m->any)
		snprintf(buf, len, "any");
	else
		snprintf(buf, len, "%02x:%02x:%02x:%02x:%02x:%02x", b[0],
		    b[1], b[2], b[3], b[4], b[5]);
	return buf;
}

const char *
fmt_port_range(const struct vnb_port_range *r, char *buf, size_t len)
{
	if (r->min == 0 && r->max == 65535)
		snprintf(buf, len, "any");
	else if (r->min == r->max)
		snprintf(buf, len, "%u", r->min);
	else
		snprintf(buf, len, "%u-%u", r->min, r->max);
	return buf;
}

const char *
fmt_protocol(int proto, char *buf, size_t len)
{
	size_t	i;

	if (proto == PARSE_PROTO_ANY) {
		snprintf(buf, len, "any");
		return buf;
	}
	for (i = 0; i < nitems(protocols); i++) {
		if (protocols[i].number == proto) {
			snprintf(buf, len, "%s", protocols[i].name);
			return buf;
		}
	}
	snprintf(buf, len, "%d", proto);
	return buf;
}

const char *
fmt_duration(uint64_t msec, char *buf, size_t len)
{
	char	tmp[PARSE_STRLEN];
	size_t	i, n = 0;

	if (msec == 0) {
		snprintf(buf, len, "0s");
		return buf;
	}
	for (i = 0; i < nitems(units) && n < sizeof(tmp); i++) {
		if (msec >= units[i].msec)
			n += snprintf(tmp + n, sizeof(tmp) - n, "%ju%s",
			    (uintmax_t)(msec / units[i].msec), units[i].name);
		msec %= units[i].msec;
	}
	snprintf(buf, len, "%s", tmp);
	return buf;
}

const char *
fmt_size(uint64_t bytes, char *buf, size_t len)
{
	static const char	suffix[] = "TGMK";
	int			i;

	for (i = 0; i < 4 && bytes != 0; i++) {
		if (bytes % (1ULL << (40 - 10 * i)) == 0) {
			snprintf(buf, len, "%ju%c",
			    (uintmax_t)(bytes >> (40 - 10 * i)), suffix[i]);
			return buf;
		}
	}
	snprintf(buf, len, "%ju", (uintmax_t)bytes);
	return buf;
}

/*
 * Times are kept in UTC with milliseconds, in a form that sorts as text in
 * time order.
 */
const char *
fmt_time(const struct timespec *ts, char *buf, size_t len)
{
	struct tm	tm;
	char		base[32];

	gmtime_r(&ts->tv_sec, &tm);
	strftime(base, sizeof(base), "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(buf, len, "%.20s.%03ldZ", base, ts->tv_nsec / 1000000 % 1000);
	return buf;
}

int
parse_time(const char *s, struct timespec *ts, struct vnb_error *err)
{
	struct tm	 tm;
	const char	*p;
	long		 ms = 0;
	int		 i;

	memset(&tm, 0, sizeof(tm));
	if ((p = strptime(s, "%Y-%m-%dT%H:%M:%S", &tm)) == NULL)
		goto bad;
	if (*p == '.') {
		for (i = 0, p++; i < 3; i++, p++) {
			if (!isdigit((unsigned char)*p))
				goto bad;
			ms = ms * 10 + (*p - '0');
		}
	}
	if (strcmp(p, "Z") != 0)
		goto bad;
	ts->tv_sec = timegm(&tm);
	ts->tv_nsec = ms * 1000000;
	return 0;
 bad:
	vnb_error_set(err, "'%s' is not a UTC time like "
	    "2026-12-03T19:40:05.250Z", s);
	return -1;
}

int
prefix_contains(const struct vnb_prefix *p, const struct vnb_addr *a)
{
	unsigned int	len;

	if (p->addr.family == AF_UNSPEC)
		return 1;
	if (p->addr.family != a->family)
		return 0;

	/* A bad length must not make us read past the address. */
	len = p->len < addr_max_len(a) ? p->len : addr_max_len(a);
	return bits_equal(p->addr.u.bytes, a->u.bytes, len);
}

int
prefix_overlap(const struct vnb_prefix *a, const struct vnb_prefix *b)
{
	unsigned int	len;

	if (a->addr.family == AF_UNSPEC || b->addr.family == AF_UNSPEC)
		return 1;
	if (a->addr.family != b->addr.family)
		return 0;

	/* Two prefixes overlap exactly when the shorter holds the longer. */
	len = a->len < b->len ? a->len : b->len;
	if (len > (unsigned int)addr_max_len(&a->addr))
		len = addr_max_len(&a->addr);
	return bits_equal(a->addr.u.bytes, b->addr.u.bytes, len);
}

/*
 * Strict parsers for the values VNB's configuration is made of: addresses,
 * prefixes, MAC addresses, ports and port ranges, protocols, bounded
 * integers, durations, sizes and booleans, and the formatters that print
 * them back in the canonical form the parsers accept.
 *
 * Every parser takes the whole string: leading or trailing garbage is an
 * error.  On failure it returns -1, leaves the output untouched and sets a
 * message that quotes the input and says what is wrong with it:
 * "invalid port '0': must be 1-65535".  Control characters in the quoted
 * input are escaped, so a stray newline shows as \n.
 *
 * Decimal numbers are plain digits: no sign (except where parse_int()
 * takes '-'), no spaces, no hex, and no leading zero ("0" itself is
 * fine), because nobody can tell whether "010" meant ten or octal eight.
 * The keyword "any" is lowercase wherever it is accepted.
 */
#ifndef VNB_PARSE_H
#define VNB_PARSE_H

#include <sys/types.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "error.h"

struct vnb_addr {
	uint8_t		family;		/* AF_INET or AF_INET6 */
	union {
		struct in_addr	v4;
		struct in6_addr	v6;
		uint8_t		bytes[16];
	} u;
};

struct vnb_prefix {
	struct vnb_addr	addr;
	uint8_t		len;		/* 0-32 or 0-128 */
};

struct vnb_mac {
	uint8_t		bytes[6];
	uint8_t		any;		/* the wildcard: matches every MAC */
};

struct vnb_port_range {
	uint16_t	min;
	uint16_t	max;		/* "any" is 0-65535 */
};

#define PARSE_PROTO_ANY		(-1)

/* Flags for parse_prefix(). */
#define PARSE_PREFIX_STRICT	0x01	/* host bits must be zero */
#define PARSE_PREFIX_HOST	0x02	/* a bare address is a /32 or /128 */
#define PARSE_PREFIX_ANY	0x04	/* "any" is 0.0.0.0/0 (family 0) */

/* Room for any formatted value, with its NUL. */
#define PARSE_STRLEN		64

/*
 * The family argument is AF_UNSPEC for either family, or AF_INET or
 * AF_INET6 to require one.  IPv4 is exactly four dotted decimal octets;
 * IPv6 is what inet_pton(3) takes, without a zone id.
 */
int	parse_addr(const char *, int, struct vnb_addr *, struct vnb_error *);
int	parse_prefix(const char *, int, int, struct vnb_prefix *,
	    struct vnb_error *);
/* Six groups of two hex digits, all split by ':' or all by '-'. */
int	parse_mac(const char *, int, struct vnb_mac *, struct vnb_error *);
int	parse_port(const char *, uint16_t *, struct vnb_error *);
int	parse_port_range(const char *, struct vnb_port_range *,
	    struct vnb_error *);
int	parse_protocol(const char *, int *, struct vnb_error *);
int	parse_uint(const char *, uint64_t, uint64_t, uint64_t *,
	    struct vnb_error *);
int	parse_int(const char *, int64_t, int64_t, int64_t *,
	    struct vnb_error *);
/*
 * A duration is in milliseconds: "90" (seconds), or numbers with units
 * from w, d, h, m, s, ms, each at most once and largest first: "1h30m".
 */
int	parse_duration(const char *, uint64_t *, struct vnb_error *);
/*
 * Bytes, optionally times a power of 1024 named by k or K, M, G or T, which
 * may be followed by B or iB: "1500", "64k", "64KiB", "2GB".
 */
int	parse_size(const char *, uint64_t *, struct vnb_error *);
int	parse_bool(const char *, int *, struct vnb_error *);
/* A UTC time as fmt_time() prints it: "2026-12-03T19:40:05.250Z". */
int	parse_time(const char *, struct timespec *, struct vnb_error *);

/*
 * The formatters write the canonical form, which the matching parser reads
 * back to the same value, into buf (cut short to fit len, always ending in
 * NUL; PARSE_STRLEN is enough) and return buf.  fmt_duration() prints the
 * fewest units ("1m30s"), fmt_size() the largest exact suffix ("64K").
 */
const char	*fmt_addr(const struct vnb_addr *, char *, size_t);
const char	*fmt_prefix(const struct vnb_prefix *, char *, size_t);
const char	*fmt_mac(const struct vnb_mac *, char *, size_t);
const char	*fmt_port_range(const struct vnb_port_range *, char *,
		    size_t);
const char	*fmt_protocol(int, char *, size_t);
const char	*fmt_duration(uint64_t, char *, size_t);
const char	*fmt_size(uint64_t, char *, size_t);
const char	*fmt_time(const struct timespec *, char *, size_t);

/* A prefix of family 0 ("any") contains and overlaps everything. */
int	prefix_contains(const struct vnb_prefix *, const struct vnb_addr *);
int	prefix_overlap(const struct vnb_prefix *, const struct vnb_prefix *);

#endif

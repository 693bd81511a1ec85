/*
 * Unit tests for dataplane/pkt.c, the dataplane's packet parser: frames
 * built by hand for every kind the parser knows and every malformed class
 * pkt.h names, then every prefix of real frames, then frames with random
 * bytes changed.
 *
 * Each frame is parsed from a buffer allocated with exactly its length,
 * so that AddressSanitizer stops the run at the first read past the end.
 *
 * Only documentation addresses appear: 192.0.2.0/24, 198.51.100.0/24
 * (RFC 5737), 2001:db8::/32 (RFC 3849) and MAC addresses from
 * 00:00:5e:00:53:00 (RFC 7042).
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pkt.h"
#include "tap.h"

#define FRAME_MAX	2200
#define SENTINEL	0xa5

#define ET_IPV4		0x0800
#define ET_ARP		0x0806
#define ET_VLAN		0x8100
#define ET_IPV6		0x86dd
#define ET_QINQ		0x88a8

#define P_HOPOPTS	0
#define P_ICMP		1
#define P_TCP		6
#define P_UDP		17
#define P_ROUTING	43
#define P_FRAGMENT	44
#define P_GRE		47
#define P_ESP		50
#define P_AH		51
#define P_ICMPV6	58
#define P_NONE		59
#define P_DSTOPTS	60
#define P_SCTP		132

#define TH_FIN		0x01
#define TH_SYN		0x02
#define TH_PSH		0x08
#define TH_ACK		0x10

#define IP4_MF		0x2000
#define IP4_DF		0x4000

#define TOS		0xb8	/* EF: its bits straddle IPv6's nibbles */
#define TTL		63

/* A frame being built, and where the builders put its headers. */
struct frame {
	uint8_t		b[FRAME_MAX];
	uint32_t	len;
	uint32_t	l3;		/* the IP header, 0 if none */
	uint32_t	l4;		/* the upper-layer header */
	int		v6;
};

static const uint8_t	dmac[6] = { 0x00, 0x00, 0x5e, 0x00, 0x53, 0x01 };
static const uint8_t	smac[6] = { 0x00, 0x00, 0x5e, 0x00, 0x53, 0x02 };
static const uint8_t	src4[4] = { 192, 0, 2, 1 };
static const uint8_t	dst4[4] = { 198, 51, 100, 2 };
static const uint8_t	src6[16] = { 0x20, 0x01, 0x0d, 0xb8, [15] = 1 };
static const uint8_t	dst6[16] = { 0x20, 0x01, 0x0d, 0xb8, [15] = 2 };

static void
put(struct frame *f, const void *p, size_t n)
{
	if (f->len + n > FRAME_MAX)
		abort();
	memcpy(f->b + f->len, p, n);
	f->len += n;
}

static void
put8(struct frame *f, uint8_t v)
{
	put(f, &v, 1);
}

static void
put16(struct frame *f, uint16_t v)
{
	put8(f, v >> 8);
	put8(f, v & 0xff);
}

static void
put32(struct frame *f, uint32_t v)
{
	put16(f, v >> 16);
	put16(f, v & 0xffff);
}

static void
set16(struct frame *f, uint32_t at, uint16_t v)
{
	f->b[at] = v >> 8;
	f->b[at + 1] = v & 0xff;
}

static void
fill(struct frame *f, size_t n)
{
	while (n-- > 0)
		put8(f, 'a' + f->len % 26);
}

/* Start a frame: the MAC addresses, then tags or the ethertype. */
static void
eth(struct frame *f)
{
	memset(f, 0, sizeof(*f));
	put(f, dmac, 6);
	put(f, smac, 6);
}

static void
tag(struct frame *f, uint16_t tpid, uint16_t tci)
{
	put16(f, tpid);
	put16(f, tci);
}

/* An IPv4 header with optlen bytes of options; done() sets its length. */
static void
ipv4(struct frame *f, uint8_t proto, size_t optlen, uint16_t frag)
{
	put16(f, ET_IPV4);
	f->l3 = f->len;
	put8(f, 0x40 | (20 + optlen) / 4);
	put8(f, TOS);
	put16(f, 0);
	put16(f, 0x1234);
	put16(f, frag);
	put8(f, TTL);
	put8(f, proto);
	put16(f, 0);
	put(f, src4, 4);
	put(f, dst4, 4);
	for (; optlen > 1; optlen--)
		put8(f, 1);		/* NOP */
	if (optlen == 1)
		put8(f, 0);		/* end of options */
	f->l4 = f->len;
}

static void
ipv6(struct frame *f, uint8_t nh)
{
	put16(f, ET_IPV6);
	f->l3 = f->len;
	f->v6 = 1;
	put32(f, 6U << 28 | (uint32_t)TOS << 20 | 0x12345);
	put16(f, 0);
	put8(f, nh);
	put8(f, TTL);
	put(f, src6, 16);
	put(f, dst6, 16);
	f->l4 = f->len;
}

/* Hop-by-hop, routing or destination options: len bytes of Pad1. */
static void
ext6(struct frame *f, uint8_t nh, size_t len)
{
	put8(f, nh);
	put8(f, len / 8 - 1);
	while (len-- > 2)
		put8(f, 0);
	f->l4 = f->len;
}

/* AH counts its length in 4-octet units, less 2. */
static void
ah6(struct frame *f, uint8_t nh, size_t len)
{
	put8(f, nh);
	put8(f, len / 4 - 2);
	put16(f, 0);
	put32(f, 0x100);		/* SPI */
	fill(f, len - 8);
	f->l4 = f->len;
}

static void
frag6(struct frame *f, uint8_t nh, uint16_t off, int more)
{
	put8(f, nh);
	put8(f, 0);
	put16(f, off << 3 | (more ? 1 : 0));
	put32(f, 0xabcdef);
	f->l4 = f->len;
}

static void
tcp(struct frame *f, uint16_t sport, uint16_t dport, uint8_t flags,
    size_t optlen)
{
	f->l4 = f->len;
	put16(f, sport);
	put16(f, dport);
	put32(f, 1000);
	put32(f, 2000);
	put8(f, (20 + optlen) / 4 << 4);
	put8(f, flags);
	put16(f, 65535);
	put32(f, 0);
	while (optlen-- > 0)
		put8(f, 1);		/* NOP */
}

static void
udp(struct frame *f, uint16_t sport, uint16_t dport, size_t payload)
{
	f->l4 = f->len;
	put16(f, sport);
	put16(f, dport);
	put16(f, 8 + payload);
	put16(f, 0);
	fill(f, payload);
}

static void
sctp(struct frame *f, uint16_t sport, uint16_t dport)
{
	f->l4 = f->len;
	put16(f, sport);
	put16(f, dport);
	put32(f, 0x11223344);		/* verification tag */
	put32(f, 0);
}

static void
icmp(struct frame *f, uint8_t type, uint8_t code)
{
	f->l4 = f->len;
	put8(f, type);
	put8(f, code);
	put16(f, 0);
	put16(f, 0x77);
	put16(f, 1);
}

/* Set the IP length to what was built, before any Ethernet padding. */
static void
done(struct frame *f)
{
	if (f->l3 == 0)
		return;
	if (f->v6)
		set16(f, f->l3 + 4, f->len - f->l3 - 40);
	else
		set16(f, f->l3 + 2, f->len - f->l3);
}

/* Parse the first n bytes of f from a buffer of exactly n bytes. */
static enum pkt_error
parse_n(const struct frame *f, uint32_t n, struct vnb_pkt_info *info)
{
	enum pkt_error	 e;
	uint8_t		*copy;

	if ((copy = malloc(n)) == NULL && n > 0)
		abort();
	if (n > 0)
		memcpy(copy, f->b, n);
	memset(info, SENTINEL, sizeof(*info));
	e = pkt_parse(copy, n, info);
	free(copy);
	return e;
}

/* What every IP frame of these tests has in common. */
static void
want_ip(struct vnb_pkt_info *w, const struct frame *f, uint8_t proto)
{
	memset(w, 0, sizeof(*w));
	memcpy(w->dmac, dmac, 6);
	memcpy(w->smac, smac, 6);
	w->ethertype = f->v6 ? ET_IPV6 : ET_IPV4;
	w->family = f->v6 ? VNB_FAMILY_IPV6 : VNB_FAMILY_IPV4;
	w->proto = proto;
	w->tos = TOS;
	w->ttl = TTL;
	w->l3_offset = f->l3;
	memcpy(w->src, f->v6 ? src6 : src4, f->v6 ? 16 : 4);
	memcpy(w->dst, f->v6 ? dst6 : dst4, f->v6 ? 16 : 4);
}

#define DIFF(field) do {						\
	if (got->field != want->field) {				\
		tap_diag("%s: " #field " is %jd, expected %jd", name,	\
		    (intmax_t)got->field, (intmax_t)want->field);	\
		n++;							\
	}								\
} while (0)

#define DIFF_BYTES(field) do {						\
	if (memcmp(got->field, want->field, sizeof(got->field)) != 0) {	\
		tap_diag("%s: " #field " differs", name);		\
		n++;							\
	}								\
} while (0)

/* Name every field that differs in a diagnostic; return how many. */
static int
info_diff(const char *name, const struct vnb_pkt_info *got,
    const struct vnb_pkt_info *want)
{
	int	n = 0;

	DIFF_BYTES(dmac);
	DIFF_BYTES(smac);
	DIFF(vlan);
	DIFF(inner_vlan);
	DIFF(ethertype);
	DIFF(flags);
	DIFF(family);
	DIFF(proto);
	DIFF(tos);
	DIFF(ttl);
	DIFF(tcp_flags);
	DIFF(icmp_type);
	DIFF(icmp_code);
	DIFF(pad0);
	DIFF(sport);
	DIFF(dport);
	DIFF(l3_offset);
	DIFF(l4_offset);
	DIFF(ip_len);
	DIFF_BYTES(src);
	DIFF_BYTES(dst);
	return n;
}

/* A valid frame: PKT_OK and every field as expected. */
static void
expect_ok(const char *name, const struct frame *f,
    const struct vnb_pkt_info *want)
{
	struct vnb_pkt_info	got;
	enum pkt_error		e;

	e = parse_n(f, f->len, &got);
	is_str(pkt_error_name(e), "ok", "%s: parses", name);
	ok(info_diff(name, &got, want) == 0, "%s: every field as expected",
	    name);
}

static void
expect_err(const char *name, const struct frame *f, uint32_t n,
    enum pkt_error want)
{
	struct vnb_pkt_info	got;

	is_str(pkt_error_name(parse_n(f, n, &got)), pkt_error_name(want),
	    "%s: %s", name, pkt_error_name(want));
}

static void
test_names(void)
{
	is_str(pkt_error_name(PKT_OK), "ok", "name of PKT_OK");
	is_str(pkt_error_name(PKT_ERR_SHORT), "short", "name of SHORT");
	is_str(pkt_error_name(PKT_ERR_TAGS), "tags", "name of TAGS");
	is_str(pkt_error_name(PKT_ERR_IPV4), "ipv4", "name of IPV4");
	is_str(pkt_error_name(PKT_ERR_IPV6), "ipv6", "name of IPV6");
	is_str(pkt_error_name(PKT_ERR_EXTHDR), "exthdr", "name of EXTHDR");
	is_str(pkt_error_name(PKT_ERR_L4), "l4", "name of L4");
	is_str(pkt_error_name(PKT_ERR_MAX), "unknown", "name past the end");
	is_str(pkt_error_name((enum pkt_error)-1), "unknown",
	    "name of a negative value");
}

static void
test_ipv4(void)
{
	struct frame		f;
	struct vnb_pkt_info	w;

	eth(&f);
	ipv4(&f, P_TCP, 0, IP4_DF);
	tcp(&f, 40000, 443, TH_SYN | TH_ACK, 0);
	fill(&f, 10);
	done(&f);
	want_ip(&w, &f, P_TCP);
	w.ip_len = 50;
	w.l4_offset = 34;
	w.sport = 40000;
	w.dport = 443;
	w.tcp_flags = TH_SYN | TH_ACK;
	w.flags = VNB_PKT_TCP | VNB_PKT_PORTS;
	expect_ok("IPv4 TCP", &f, &w);

	eth(&f);
	ipv4(&f, P_TCP, 0, 0);
	tcp(&f, 1024, 22, TH_PSH | TH_ACK | 0x80, 20);
	done(&f);
	want_ip(&w, &f, P_TCP);
	w.ip_len = 60;
	w.l4_offset = 34;
	w.sport = 1024;
	w.dport = 22;
	w.tcp_flags = TH_PSH | TH_ACK | 0x80;
	w.flags = VNB_PKT_TCP | VNB_PKT_PORTS;
	expect_ok("IPv4 TCP with options, CWR", &f, &w);

	eth(&f);
	ipv4(&f, P_UDP, 0, 0);
	udp(&f, 5353, 53, 12);
	done(&f);
	want_ip(&w, &f, P_UDP);
	w.ip_len = 40;
	w.l4_offset = 34;
	w.sport = 5353;
	w.dport = 53;
	w.flags = VNB_PKT_PORTS;
	expect_ok("IPv4 UDP", &f, &w);

	eth(&f);
	ipv4(&f, P_ICMP, 0, 0);
	icmp(&f, 3, 4);
	fill(&f, 28);
	done(&f);
	want_ip(&w, &f, P_ICMP);
	w.ip_len = 56;
	w.l4_offset = 34;
	w.icmp_type = 3;
	w.icmp_code = 4;
	w.flags = VNB_PKT_ICMP;
	expect_ok("IPv4 ICMP", &f, &w);

	eth(&f);
	ipv4(&f, P_SCTP, 0, 0);
	sctp(&f, 2905, 2944);
	done(&f);
	want_ip(&w, &f, P_SCTP);
	w.ip_len = 32;
	w.l4_offset = 34;
	w.sport = 2905;
	w.dport = 2944;
	w.flags = VNB_PKT_PORTS;
	expect_ok("IPv4 SCTP", &f, &w);

	eth(&f);
	ipv4(&f, P_UDP, 12, 0);
	udp(&f, 123, 123, 48);
	done(&f);
	want_ip(&w, &f, P_UDP);
	w.ip_len = 88;
	w.l4_offset = 46;
	w.sport = 123;
	w.dport = 123;
	w.flags = VNB_PKT_PORTS;
	expect_ok("IPv4 with 12 bytes of options", &f, &w);

	eth(&f);
	ipv4(&f, P_TCP, 40, 0);
	tcp(&f, 1, 2, TH_ACK, 0);
	done(&f);
	want_ip(&w, &f, P_TCP);
	w.ip_len = 80;
	w.l4_offset = 74;
	w.sport = 1;
	w.dport = 2;
	w.tcp_flags = TH_ACK;
	w.flags = VNB_PKT_TCP | VNB_PKT_PORTS;
	expect_ok("IPv4 with 40 bytes of options (IHL 15)", &f, &w);

	eth(&f);
	ipv4(&f, P_GRE, 0, 0);
	put32(&f, 0x00000800);
	done(&f);
	want_ip(&w, &f, P_GRE);
	w.ip_len = 24;
	w.l4_offset = 34;
	expect_ok("IPv4 GRE: no ports, l4_offset set", &f, &w);

	eth(&f);
	ipv4(&f, P_ICMPV6, 0, 0);
	icmp(&f, 128, 0);
	done(&f);
	want_ip(&w, &f, P_ICMPV6);
	w.ip_len = 28;
	w.l4_offset = 34;
	expect_ok("IPv4 with ICMPv6's number: not ICMP", &f, &w);
}

/* Frames end with Ethernet padding up to 60 bytes; ip_len ignores it. */
static void
test_padding(void)
{
	struct frame		f;
	struct vnb_pkt_info	w;

	eth(&f);
	ipv4(&f, P_UDP, 0, 0);
	udp(&f, 1000, 2000, 2);
	done(&f);
	put(&f, "\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0", 16);
	want_ip(&w, &f, P_UDP);
	w.ip_len = 30;
	w.l4_offset = 34;
	w.sport = 1000;
	w.dport = 2000;
	w.flags = VNB_PKT_PORTS;
	is_int(f.len, 60, "padded IPv4 frame is 60 bytes");
	expect_ok("IPv4 UDP with Ethernet padding", &f, &w);

	eth(&f);
	ipv4(&f, P_TCP, 0, 0);
	tcp(&f, 1000, 80, TH_SYN, 0);
	done(&f);
	put(&f, "\xff\xff\xff\xff\xff\xff", 6);
	want_ip(&w, &f, P_TCP);
	w.ip_len = 40;
	w.l4_offset = 34;
	w.sport = 1000;
	w.dport = 80;
	w.tcp_flags = TH_SYN;
	w.flags = VNB_PKT_TCP | VNB_PKT_PORTS;
	expect_ok("IPv4 TCP SYN with non-zero padding", &f, &w);

	eth(&f);
	ipv6(&f, P_NONE);
	done(&f);
	put(&f, "\0\0\0\0\0\0\0\0", 8);
	want_ip(&w, &f, P_NONE);
	w.ip_len = 40;
	expect_ok("IPv6 no next header with padding", &f, &w);
}

static void
test_fragments4(void)
{
	struct frame		f;
	struct vnb_pkt_info	w;

	eth(&f);
	ipv4(&f, P_UDP, 0, IP4_MF);
	udp(&f, 4000, 4001, 32);
	set16(&f, f.l4 + 4, 8 + 32 + 1480);	/* the whole datagram */
	done(&f);
	want_ip(&w, &f, P_UDP);
	w.ip_len = 60;
	w.l4_offset = 34;
	w.sport = 4000;
	w.dport = 4001;
	w.flags = VNB_PKT_FRAGMENT | VNB_PKT_PORTS;
	expect_ok("IPv4 first fragment: UDP length of the datagram", &f, &w);

	eth(&f);
	ipv4(&f, P_UDP, 0, IP4_MF | 185);
	fill(&f, 64);
	done(&f);
	want_ip(&w, &f, P_UDP);
	w.ip_len = 84;
	w.flags = VNB_PKT_FRAGMENT | VNB_PKT_LATER_FRAGMENT;
	expect_ok("IPv4 middle fragment: no ports, no l4_offset", &f, &w);

	eth(&f);
	ipv4(&f, P_TCP, 0, 185);
	fill(&f, 4);
	done(&f);
	want_ip(&w, &f, P_TCP);
	w.ip_len = 24;
	w.flags = VNB_PKT_FRAGMENT | VNB_PKT_LATER_FRAGMENT;
	expect_ok("IPv4 last fragment, shorter than a TCP header", &f, &w);

	eth(&f);
	ipv4(&f, P_TCP, 0, IP4_DF);
	tcp(&f, 5, 6, TH_ACK, 0);
	done(&f);
	want_ip(&w, &f, P_TCP);
	w.ip_len = 40;
	w.l4_offset = 34;
	w.sport = 5;
	w.dport = 6;
	w.tcp_flags = TH_ACK;
	w.flags = VNB_PKT_TCP | VNB_PKT_PORTS;
	expect_ok("IPv4 with DF: not a fragment", &f, &w);

	eth(&f);
	ipv4(&f, P_TCP, 0, IP4_MF);
	tcp(&f, 5, 6, TH_ACK, 0);
	f.len -= 10;
	done(&f);
	expect_err("IPv4 first fragment with TCP cut", &f, f.len, PKT_ERR_L4);
}

static void
test_tags(void)
{
	struct frame		f;
	struct vnb_pkt_info	w;

	eth(&f);
	tag(&f, ET_VLAN, 0xe000 | 100);	/* PCP 7 */
	ipv4(&f, P_UDP, 0, 0);
	udp(&f, 1, 2, 0);
	done(&f);
	want_ip(&w, &f, P_UDP);
	w.vlan = 100;
	w.ip_len = 28;
	w.l3_offset = 18;
	w.l4_offset = 38;
	w.sport = 1;
	w.dport = 2;
	w.flags = VNB_PKT_VLAN | VNB_PKT_PORTS;
	expect_ok("802.1Q, priority bits masked", &f, &w);

	eth(&f);
	tag(&f, ET_QINQ, 0x1000 | 4095);	/* DEI */
	tag(&f, ET_VLAN, 7);
	ipv6(&f, P_UDP);
	udp(&f, 1, 2, 0);
	done(&f);
	want_ip(&w, &f, P_UDP);
	w.vlan = 4095;
	w.inner_vlan = 7;
	w.ip_len = 48;
	w.l3_offset = 22;
	w.l4_offset = 62;
	w.sport = 1;
	w.dport = 2;
	w.flags = VNB_PKT_VLAN | VNB_PKT_QINQ | VNB_PKT_PORTS;
	expect_ok("QinQ 0x88a8 then 0x8100: vlan is the outer", &f, &w);

	eth(&f);
	tag(&f, ET_VLAN, 300);
	tag(&f, ET_VLAN, 0);
	put16(&f, ET_ARP);
	fill(&f, 28);
	memset(&w, 0, sizeof(w));
	memcpy(w.dmac, dmac, 6);
	memcpy(w.smac, smac, 6);
	w.vlan = 300;
	w.ethertype = ET_ARP;
	w.flags = VNB_PKT_VLAN | VNB_PKT_QINQ;
	expect_ok("QinQ 0x8100 twice, ARP inside, inner VLAN 0", &f, &w);

	eth(&f);
	tag(&f, ET_VLAN, 1);
	tag(&f, ET_VLAN, 2);
	tag(&f, ET_VLAN, 3);
	ipv4(&f, P_UDP, 0, 0);
	udp(&f, 1, 2, 0);
	done(&f);
	expect_err("three 802.1Q tags", &f, f.len, PKT_ERR_TAGS);

	eth(&f);
	tag(&f, ET_QINQ, 1);
	tag(&f, ET_VLAN, 2);
	tag(&f, ET_QINQ, 3);
	put16(&f, ET_ARP);
	expect_err("a third tag of 0x88a8", &f, f.len, PKT_ERR_TAGS);
	expect_err("a third tag, cut", &f, 22 + 2, PKT_ERR_TAGS);

	eth(&f);
	tag(&f, ET_VLAN, 100);
	expect_err("802.1Q tag and no ethertype", &f, f.len, PKT_ERR_SHORT);
	expect_err("802.1Q tag cut in half", &f, 15, PKT_ERR_SHORT);

	eth(&f);
	tag(&f, ET_QINQ, 100);
	tag(&f, ET_VLAN, 200);
	put16(&f, ET_IPV4);
	expect_err("QinQ: inner tag cut", &f, 20, PKT_ERR_SHORT);
	expect_err("QinQ: ethertype cut", &f, 21, PKT_ERR_SHORT);
	expect_err("QinQ and nothing after", &f, 24, PKT_ERR_IPV4);
}

static void
test_not_ip(void)
{
	struct frame		f;
	struct vnb_pkt_info	w, got;
	enum pkt_error		e;
	size_t			i;
	int			zero = 1;

	eth(&f);
	put16(&f, ET_ARP);
	fill(&f, 28);
	memset(&w, 0, sizeof(w));
	memcpy(w.dmac, dmac, 6);
	memcpy(w.smac, smac, 6);
	w.ethertype = ET_ARP;
	expect_ok("ARP", &f, &w);

	eth(&f);
	put16(&f, 46);			/* 802.3: a length, not a type */
	fill(&f, 46);
	w.ethertype = 46;
	expect_ok("802.3 length field", &f, &w);

	eth(&f);
	put16(&f, ET_ARP);
	w.ethertype = ET_ARP;
	expect_ok("bare Ethernet header, 14 bytes", &f, &w);

	/* A frame too short for anything leaves no sentinel byte behind. */
	e = parse_n(&f, 13, &got);
	is_str(pkt_error_name(e), "short", "13 bytes: short");
	for (i = 0; i < sizeof(got); i++)
		zero &= ((uint8_t *)&got)[i] == 0;
	ok(zero, "13 bytes: every byte of info is zero");
	expect_err("empty frame", &f, 0, PKT_ERR_SHORT);
}

static void
test_ipv4_bad(void)
{
	struct frame	f;

	eth(&f);
	ipv4(&f, P_UDP, 0, 0);
	udp(&f, 1, 2, 8);
	done(&f);

	expect_err("IPv4 header cut at 19 bytes", &f, 14 + 19, PKT_ERR_IPV4);
	f.b[14] = 0x65;
	expect_err("IPv4 ethertype, version 6", &f, f.len, PKT_ERR_IPV4);
	f.b[14] = 0x44;
	expect_err("IPv4 IHL 4", &f, f.len, PKT_ERR_IPV4);
	f.b[14] = 0x40;
	expect_err("IPv4 IHL 0", &f, f.len, PKT_ERR_IPV4);
	f.b[14] = 0x4f;
	expect_err("IPv4 IHL 15 beyond the datagram", &f, f.len,
	    PKT_ERR_IPV4);
	f.b[14] = 0x45;
	set16(&f, 16, 19);
	expect_err("IPv4 total length 19", &f, f.len, PKT_ERR_IPV4);
	set16(&f, 16, 0);
	expect_err("IPv4 total length 0", &f, f.len, PKT_ERR_IPV4);
	set16(&f, 16, f.len - 14 + 1);
	expect_err("IPv4 total length one past the frame", &f, f.len,
	    PKT_ERR_IPV4);
	set16(&f, 16, 20);
	expect_err("IPv4 total length 20 with UDP", &f, f.len, PKT_ERR_L4);
}

static void
test_ipv6(void)
{
	struct frame		f;
	struct vnb_pkt_info	w;

	eth(&f);
	ipv6(&f, P_TCP);
	tcp(&f, 50000, 443, TH_ACK | TH_FIN, 0);
	done(&f);
	want_ip(&w, &f, P_TCP);
	w.ip_len = 60;
	w.l3_offset = 14;
	w.l4_offset = 54;
	w.sport = 50000;
	w.dport = 443;
	w.tcp_flags = TH_ACK | TH_FIN;
	w.flags = VNB_PKT_TCP | VNB_PKT_PORTS;
	expect_ok("IPv6 TCP, traffic class 0xb8", &f, &w);

	eth(&f);
	ipv6(&f, P_UDP);
	udp(&f, 546, 547, 20);
	done(&f);
	want_ip(&w, &f, P_UDP);
	w.ip_len = 68;
	w.l4_offset = 54;
	w.sport = 546;
	w.dport = 547;
	w.flags = VNB_PKT_PORTS;
	expect_ok("IPv6 UDP", &f, &w);

	eth(&f);
	ipv6(&f, P_ICMPV6);
	icmp(&f, 128, 0);
	fill(&f, 56);
	done(&f);
	want_ip(&w, &f, P_ICMPV6);
	w.ip_len = 104;
	w.l4_offset = 54;
	w.icmp_type = 128;
	w.flags = VNB_PKT_ICMP;
	expect_ok("IPv6 ICMPv6 echo request", &f, &w);

	eth(&f);
	ipv6(&f, P_SCTP);
	sctp(&f, 36412, 36412);
	done(&f);
	want_ip(&w, &f, P_SCTP);
	w.ip_len = 52;
	w.l4_offset = 54;
	w.sport = 36412;
	w.dport = 36412;
	w.flags = VNB_PKT_PORTS;
	expect_ok("IPv6 SCTP", &f, &w);

	eth(&f);
	ipv6(&f, P_ICMP);
	icmp(&f, 8, 0);
	done(&f);
	want_ip(&w, &f, P_ICMP);
	w.ip_len = 48;
	w.l4_offset = 54;
	expect_ok("IPv6 with ICMP's number: not ICMP", &f, &w);
}

/* Each extension header alone, before a UDP header at 54 + len. */
static void
ext_alone(const char *name, uint8_t type, size_t len)
{
	struct frame		f;
	struct vnb_pkt_info	w;

	eth(&f);
	ipv6(&f, type);
	if (type == P_AH)
		ah6(&f, P_UDP, len);
	else
		ext6(&f, P_UDP, len);
	udp(&f, 7, 9, 4);
	done(&f);
	want_ip(&w, &f, P_UDP);
	w.ip_len = 40 + len + 12;
	w.l4_offset = 54 + len;
	w.sport = 7;
	w.dport = 9;
	w.flags = VNB_PKT_PORTS;
	expect_ok(name, &f, &w);
}

static void
test_ipv6_ext(void)
{
	struct frame		f;
	struct vnb_pkt_info	w;
	int			i;

	ext_alone("IPv6 hop-by-hop, 8 bytes", P_HOPOPTS, 8);
	ext_alone("IPv6 hop-by-hop, 2048 bytes", P_HOPOPTS, 2048);
	ext_alone("IPv6 routing, 24 bytes", P_ROUTING, 24);
	ext_alone("IPv6 destination options, 16 bytes", P_DSTOPTS, 16);
	ext_alone("IPv6 AH, 24 bytes (length field 4)", P_AH, 24);
	ext_alone("IPv6 AH, 12 bytes (length field 1)", P_AH, 12);

	eth(&f);
	ipv6(&f, P_HOPOPTS);
	ext6(&f, P_DSTOPTS, 8);
	ext6(&f, P_ROUTING, 16);
	ext6(&f, P_FRAGMENT, 24);
	frag6(&f, P_AH, 0, 1);
	ah6(&f, P_DSTOPTS, 16);
	ext6(&f, P_TCP, 8);
	tcp(&f, 3000, 3001, TH_SYN, 4);
	done(&f);
	want_ip(&w, &f, P_TCP);
	w.ip_len = 40 + 80 + 24;
	w.l4_offset = 54 + 80;
	w.sport = 3000;
	w.dport = 3001;
	w.tcp_flags = TH_SYN;
	w.flags = VNB_PKT_FRAGMENT | VNB_PKT_TCP | VNB_PKT_PORTS;
	expect_ok("IPv6 chain of six, first fragment, TCP", &f, &w);

	/* Eight extension headers are allowed, a ninth is not. */
	eth(&f);
	ipv6(&f, P_HOPOPTS);
	for (i = 0; i < 7; i++)
		ext6(&f, P_DSTOPTS, 8);
	ext6(&f, P_UDP, 8);
	udp(&f, 1, 2, 0);
	done(&f);
	want_ip(&w, &f, P_UDP);
	w.ip_len = 40 + 64 + 8;
	w.l4_offset = 54 + 64;
	w.sport = 1;
	w.dport = 2;
	w.flags = VNB_PKT_PORTS;
	expect_ok("IPv6 eight extension headers", &f, &w);

	eth(&f);
	ipv6(&f, P_HOPOPTS);
	for (i = 0; i < 8; i++)
		ext6(&f, P_DSTOPTS, 8);
	ext6(&f, P_UDP, 8);
	udp(&f, 1, 2, 0);
	done(&f);
	expect_err("IPv6 nine extension headers", &f, f.len, PKT_ERR_EXTHDR);

	eth(&f);
	ipv6(&f, P_DSTOPTS);
	ext6(&f, P_ESP, 8);
	put32(&f, 0x200);		/* SPI */
	put32(&f, 1);			/* sequence number */
	fill(&f, 16);
	done(&f);
	want_ip(&w, &f, P_ESP);
	w.ip_len = 40 + 8 + 24;
	w.l4_offset = 62;
	expect_ok("IPv6 ESP ends the walk", &f, &w);

	eth(&f);
	ipv6(&f, P_HOPOPTS);
	ext6(&f, P_NONE, 8);
	fill(&f, 8);			/* ignored after no next header */
	done(&f);
	want_ip(&w, &f, P_NONE);
	w.ip_len = 40 + 16;
	expect_ok("IPv6 no next header: no L4", &f, &w);
}

static void
test_fragments6(void)
{
	struct frame		f;
	struct vnb_pkt_info	w;

	eth(&f);
	ipv6(&f, P_FRAGMENT);
	frag6(&f, P_UDP, 0, 1);
	udp(&f, 8000, 8001, 16);
	set16(&f, f.l4 + 4, 3000);	/* the whole datagram */
	done(&f);
	want_ip(&w, &f, P_UDP);
	w.ip_len = 40 + 8 + 24;
	w.l4_offset = 62;
	w.sport = 8000;
	w.dport = 8001;
	w.flags = VNB_PKT_FRAGMENT | VNB_PKT_PORTS;
	expect_ok("IPv6 first fragment", &f, &w);

	eth(&f);
	ipv6(&f, P_HOPOPTS);
	ext6(&f, P_FRAGMENT, 8);
	frag6(&f, P_TCP, 181, 1);
	fill(&f, 4);
	done(&f);
	want_ip(&w, &f, P_TCP);
	w.ip_len = 40 + 16 + 4;
	w.flags = VNB_PKT_FRAGMENT | VNB_PKT_LATER_FRAGMENT;
	expect_ok("IPv6 later fragment: proto from it, no L4", &f, &w);

	eth(&f);
	ipv6(&f, P_FRAGMENT);
	frag6(&f, P_DSTOPTS, 1, 0);
	done(&f);
	want_ip(&w, &f, P_DSTOPTS);
	w.ip_len = 48;
	w.flags = VNB_PKT_FRAGMENT | VNB_PKT_LATER_FRAGMENT;
	expect_ok("IPv6 last fragment, no data", &f, &w);

	eth(&f);
	ipv6(&f, P_FRAGMENT);
	frag6(&f, P_UDP, 0, 0);
	udp(&f, 1, 2, 0);
	done(&f);
	want_ip(&w, &f, P_UDP);
	w.ip_len = 56;
	w.l4_offset = 62;
	w.sport = 1;
	w.dport = 2;
	w.flags = VNB_PKT_FRAGMENT | VNB_PKT_PORTS;
	expect_ok("IPv6 atomic fragment (RFC 6946)", &f, &w);
}

static void
test_ipv6_bad(void)
{
	struct frame	f;

	eth(&f);
	ipv6(&f, P_UDP);
	udp(&f, 1, 2, 8);
	done(&f);
	expect_err("IPv6 header cut at 39 bytes", &f, 14 + 39, PKT_ERR_IPV6);
	f.b[14] = 0x40;
	expect_err("IPv6 ethertype, version 4", &f, f.len, PKT_ERR_IPV6);
	f.b[14] = 0x6b;
	set16(&f, 18, f.len - 54 + 1);
	expect_err("IPv6 payload length one past the frame", &f, f.len,
	    PKT_ERR_IPV6);
	set16(&f, 18, 0xffff);
	expect_err("IPv6 payload length 65535", &f, f.len, PKT_ERR_IPV6);

	eth(&f);
	ipv6(&f, P_HOPOPTS);
	ext6(&f, P_UDP, 8);
	udp(&f, 1, 2, 0);
	done(&f);
	f.b[55] = 10;			/* 88 bytes, 16 there */
	expect_err("IPv6 hop-by-hop longer than the payload", &f, f.len,
	    PKT_ERR_EXTHDR);
	set16(&f, 18, 4);
	expect_err("IPv6 payload ends inside an extension header", &f, 58,
	    PKT_ERR_EXTHDR);
	set16(&f, 18, 0);
	expect_err("IPv6 hop-by-hop and payload length 0", &f, f.len,
	    PKT_ERR_EXTHDR);

	eth(&f);
	ipv6(&f, P_AH);
	ah6(&f, P_TCP, 16);
	done(&f);
	f.b[55] = 4;			/* 24 bytes, 16 there */
	expect_err("IPv6 AH longer than the payload", &f, f.len,
	    PKT_ERR_EXTHDR);

	eth(&f);
	ipv6(&f, P_FRAGMENT);
	frag6(&f, P_UDP, 10, 1);
	f.len -= 2;
	done(&f);
	expect_err("IPv6 fragment header cut", &f, f.len, PKT_ERR_EXTHDR);
}

/* An upper-layer header cut short, with an IP length that agrees. */
static void
l4_cut(const char *name, int v6, uint8_t proto, uint32_t keep)
{
	struct frame	f;

	eth(&f);
	if (v6)
		ipv6(&f, proto);
	else
		ipv4(&f, proto, 0, 0);
	if (proto == P_TCP)
		tcp(&f, 1, 2, TH_ACK, 0);
	else if (proto == P_UDP)
		udp(&f, 1, 2, 0);
	else if (proto == P_SCTP)
		sctp(&f, 1, 2);
	else
		icmp(&f, 8, 0);
	f.len = f.l4 + keep;
	done(&f);
	expect_err(name, &f, f.len, PKT_ERR_L4);
}

static void
test_l4_bad(void)
{
	struct frame	f;

	l4_cut("IPv4 TCP header of 19 bytes", 0, P_TCP, 19);
	l4_cut("IPv6 TCP header of 0 bytes", 1, P_TCP, 0);
	l4_cut("IPv4 UDP header of 7 bytes", 0, P_UDP, 7);
	l4_cut("IPv6 UDP header of 4 bytes", 1, P_UDP, 4);
	l4_cut("IPv4 SCTP header of 11 bytes", 0, P_SCTP, 11);
	l4_cut("IPv6 SCTP header of 2 bytes", 1, P_SCTP, 2);
	l4_cut("IPv4 ICMP header of 7 bytes", 0, P_ICMP, 7);
	l4_cut("IPv4 ICMP header of 0 bytes", 0, P_ICMP, 0);
	l4_cut("IPv6 ICMPv6 header of 4 bytes", 1, P_ICMPV6, 4);

	eth(&f);
	ipv4(&f, P_TCP, 0, 0);
	tcp(&f, 1, 2, TH_ACK, 0);
	done(&f);
	f.b[f.l4 + 12] = 4 << 4;
	expect_err("TCP data offset 4", &f, f.len, PKT_ERR_L4);
	f.b[f.l4 + 12] = 6 << 4;
	expect_err("TCP data offset 6, 20 bytes there", &f, f.len,
	    PKT_ERR_L4);
	put(&f, "\0\0\0\0", 4);
	expect_err("TCP data offset 6, the last 4 bytes Ethernet padding",
	    &f, f.len, PKT_ERR_L4);
	done(&f);
	expect_err("TCP data offset 6, 24 bytes there", &f, f.len, PKT_OK);

	eth(&f);
	ipv4(&f, P_UDP, 0, 0);
	udp(&f, 1, 2, 10);
	done(&f);
	set16(&f, f.l4 + 4, 17);
	expect_err("UDP length 17, 18 bytes there", &f, f.len, PKT_OK);
	set16(&f, f.l4 + 4, 8 + 10 + 1);
	expect_err("UDP length past the datagram", &f, f.len, PKT_ERR_L4);
	set16(&f, f.l4 + 4, 7);
	expect_err("UDP length 7", &f, f.len, PKT_ERR_L4);

	/* The padding after the datagram does not count for UDP. */
	put(&f, "\0\0\0\0", 4);
	set16(&f, f.l4 + 4, 8 + 10 + 2);
	expect_err("UDP length reaching into the padding", &f, f.len,
	    PKT_ERR_L4);
}

/*
 * Real frames for the truncation sweeps, with what each needs past its
 * upper-layer header: a cut before that is an error.
 */
struct sample {
	const char	*name;
	struct frame	 f;
	uint32_t	 l2;		/* where Ethernet's payload starts */
	uint32_t	 ipend;		/* where the IP datagram ends */
	uint32_t	 need;		/* bytes the upper layer must have */
};

#define NSAMPLES	11

static void
sample_end(struct sample *s, const char *name, uint32_t need)
{
	struct frame	*f = &s->f;

	done(f);
	s->name = name;
	s->need = need;
	s->l2 = f->l3;
	s->ipend = f->len;
}

static void
samples_make(struct sample *s)
{
	struct frame	*f;

	f = &s[0].f;
	eth(f);
	ipv4(f, P_TCP, 12, IP4_DF);
	tcp(f, 40000, 80, TH_PSH | TH_ACK, 12);
	fill(f, 20);
	sample_end(&s[0], "IPv4 TCP, IP and TCP options", 32);

	f = &s[1].f;
	eth(f);
	tag(f, ET_VLAN, 10);
	ipv4(f, P_UDP, 0, 0);
	udp(f, 53, 33000, 30);
	sample_end(&s[1], "802.1Q IPv4 UDP", 38);

	f = &s[2].f;
	eth(f);
	tag(f, ET_QINQ, 20);
	tag(f, ET_VLAN, 30);
	ipv6(f, P_HOPOPTS);
	ext6(f, P_ROUTING, 8);
	ext6(f, P_DSTOPTS, 24);
	ext6(f, P_AH, 16);
	ah6(f, P_TCP, 24);
	tcp(f, 443, 50000, TH_ACK, 0);
	fill(f, 5);
	sample_end(&s[2], "QinQ IPv6 four extension headers TCP", 20);

	f = &s[3].f;
	eth(f);
	ipv6(f, P_FRAGMENT);
	frag6(f, P_UDP, 0, 1);
	udp(f, 7000, 7001, 40);
	sample_end(&s[3], "IPv6 first fragment UDP", 8);

	f = &s[4].f;
	eth(f);
	ipv6(f, P_DSTOPTS);
	ext6(f, P_FRAGMENT, 8);
	frag6(f, P_UDP, 300, 0);
	fill(f, 30);
	sample_end(&s[4], "IPv6 later fragment", 0);

	f = &s[5].f;
	eth(f);
	ipv4(f, P_UDP, 0, 300);
	fill(f, 30);
	sample_end(&s[5], "IPv4 later fragment", 0);

	f = &s[6].f;
	eth(f);
	ipv4(f, P_SCTP, 0, 0);
	sctp(f, 5000, 5001);
	fill(f, 16);
	sample_end(&s[6], "IPv4 SCTP", 12);

	f = &s[7].f;
	eth(f);
	ipv4(f, P_ICMP, 4, 0);
	icmp(f, 0, 0);
	fill(f, 32);
	sample_end(&s[7], "IPv4 ICMP echo reply, IP options", 8);

	f = &s[8].f;
	eth(f);
	tag(f, ET_VLAN, 40);
	ipv6(f, P_ICMPV6);
	icmp(f, 135, 0);
	fill(f, 16);
	sample_end(&s[8], "802.1Q ICMPv6 neighbour solicitation", 8);

	f = &s[9].f;
	eth(f);
	tag(f, ET_VLAN, 50);
	put16(f, ET_ARP);
	fill(f, 28);
	s[9].name = "802.1Q ARP";
	s[9].l2 = s[9].ipend = 18;

	f = &s[10].f;
	eth(f);
	ipv4(f, P_UDP, 0, 0);
	udp(f, 1, 2, 0);
	sample_end(&s[10], "IPv4 UDP, Ethernet padding", 8);
	put(f, "\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0", 18);
}

/* What a prefix of n bytes must give, the IP length left as it was. */
static enum pkt_error
prefix_want(const struct sample *s, uint32_t n)
{
	if (n < s->l2)
		return PKT_ERR_SHORT;
	if (n < s->ipend)
		return s->f.v6 ? PKT_ERR_IPV6 : PKT_ERR_IPV4;
	return PKT_OK;
}

static void
sweep_prefixes(const struct sample *s)
{
	struct vnb_pkt_info	full, got;
	enum pkt_error		e, want;
	uint32_t		n;
	int			bad = 0, same = 1;

	parse_n(&s->f, s->f.len, &full);
	for (n = 0; n <= s->f.len; n++) {
		e = parse_n(&s->f, n, &got);
		want = prefix_want(s, n);
		if (e != want && bad++ == 0)
			tap_diag("%s: %u bytes give %s, expected %s", s->name,
			    n, pkt_error_name(e), pkt_error_name(want));
		if (e == PKT_OK && memcmp(&got, &full, sizeof(got)) != 0)
			same = 0;
	}
	ok(bad == 0, "%s: each of its %u prefixes", s->name, s->f.len + 1);
	ok(same, "%s: the prefixes that parse say what the frame says",
	    s->name);
}

/* What a datagram cut at n bytes gives when its IP length agrees. */
static enum pkt_error
cut_want(const struct sample *s, uint32_t n)
{
	if (n < s->f.l4)
		return s->f.v6 ? PKT_ERR_EXTHDR : PKT_ERR_IPV4;
	if (n < s->f.l4 + s->need)
		return PKT_ERR_L4;
	return PKT_OK;
}

static void
sweep_cuts(const struct sample *s)
{
	struct frame		f;
	struct vnb_pkt_info	got;
	enum pkt_error		e, want;
	uint32_t		n, first;
	int			bad = 0;

	if (s->f.l3 == 0)
		return;
	first = s->f.l3 + (s->f.v6 ? 40 : 20);
	for (n = first; n <= s->ipend; n++) {
		f = s->f;
		f.len = n;
		done(&f);
		e = parse_n(&f, n, &got);
		want = cut_want(s, n);
		if (e != want && bad++ == 0)
			tap_diag("%s: cut at %u gives %s, expected %s",
			    s->name, n, pkt_error_name(e),
			    pkt_error_name(want));
	}
	ok(bad == 0, "%s: cut at each of %u places, IP length agreeing",
	    s->name, s->ipend - first + 1);
}

static uint64_t
xorshift(uint64_t *x)
{
	*x ^= *x << 13;
	*x ^= *x >> 7;
	*x ^= *x << 17;
	return *x;
}

/* What must hold of any info that comes with PKT_OK, whatever the frame. */
static int
info_sane(const struct vnb_pkt_info *i, uint32_t n)
{
	uint32_t	l3 = i->l3_offset, l4 = i->l4_offset;
	uint32_t	end = l3 + i->ip_len;

	if (i->pad0 != 0)
		return 0;
	if ((i->flags & VNB_PKT_QINQ) && !(i->flags & VNB_PKT_VLAN))
		return 0;
	if (i->family == VNB_FAMILY_NONE)
		return l3 == 0 && l4 == 0 && i->ip_len == 0 &&
		    !(i->flags & VNB_PKT_PORTS);
	if (l3 < 14 || end > n)
		return 0;
	if (l4 == 0)
		return !(i->flags & (VNB_PKT_PORTS | VNB_PKT_ICMP));
	if (l4 <= l3 || l4 > end || (i->flags & VNB_PKT_LATER_FRAGMENT))
		return 0;
	if ((i->flags & VNB_PKT_PORTS) && l4 + 8 > end)
		return 0;
	if ((i->flags & VNB_PKT_TCP) && l4 + 20 > end)
		return 0;
	return !(i->flags & VNB_PKT_ICMP) || l4 + 8 <= end;
}

/*
 * Change a few random bytes of the headers of the samples, cut them at a
 * random place, and check that what parses still makes sense.
 */
static void
test_random(const struct sample *s)
{
	struct frame		f;
	struct vnb_pkt_info	got;
	enum pkt_error		e;
	uint64_t		x = 0x9e3779b97f4a7c15ULL, r;
	int			i, k, nok = 0, bad = 0, range = 0;

	for (i = 0; i < 200000; i++) {
		r = xorshift(&x);
		f = s[r % NSAMPLES].f;
		for (k = 0; k < 1 + (int)(r >> 8 & 3); k++) {
			r = xorshift(&x);
			f.b[r % (f.len < 128 ? f.len : 128)] = r >> 32;
		}
		if (r >> 40 & 1)
			f.len = (r >> 48) % (f.len + 1);
		e = parse_n(&f, f.len, &got);
		if (e >= PKT_ERR_MAX)
			range++;
		else if (e == PKT_OK && !info_sane(&got, f.len) && bad++ == 0)
			tap_diag("random frame %d breaks the invariants", i);
		nok += e == PKT_OK;
	}
	is_int(range, 0, "random frames: every result is a pkt_error");
	is_int(bad, 0, "random frames: %d of 200000 parse, all sane", nok);
	ok(nok > 10000 && nok < 190000, "random frames: some parse, some not");
}

int
main(void)
{
	static struct sample	s[NSAMPLES];
	int			i;

	test_names();
	test_ipv4();
	test_padding();
	test_fragments4();
	test_tags();
	test_not_ip();
	test_ipv4_bad();
	test_ipv6();
	test_ipv6_ext();
	test_fragments6();
	test_ipv6_bad();
	test_l4_bad();

	samples_make(s);
	for (i = 0; i < NSAMPLES; i++) {
		sweep_prefixes(&s[i]);
		sweep_cuts(&s[i]);
	}
	test_random(s);
	return tap_done();
}

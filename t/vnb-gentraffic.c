/*
 * vnb-gentraffic writes deterministic test traffic as a classic pcap file,
 * so that the tests of the classifier and the flow exporter can replay a
 * known packet stream and work out what they should see from the summary
 * written with -S.  Every field is a function of the seed, the flow number
 * and the packet's place in its flow, so the same arguments always give the
 * same bytes.  With -M it writes broken frames instead, for the tests that
 * check that the parsers survive them.
 */
#include <err.h>
#include <errno.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define GEN_SNAPLEN	65535
#define GEN_MINFRAME	60	/* Ethernet minimum, without the FCS */
#define GEN_HOSTS	762	/* three /24s of 254 addresses each */
#define GEN_PAIRS	(GEN_HOSTS * (GEN_HOSTS - 1))
#define GEN_SPORTS	64512	/* source ports 1024-65535 */
#define GEN_SCRAMBLE	2654435761ULL	/* a prime: coprime with GEN_PAIRS */
#define GEN_BAD_KINDS	14
#define GEN_UNSET	UINT64_MAX	/* an option not given */

#define NITEMS(a)	(sizeof(a) / sizeof((a)[0]))

#define TCP_FIN		0x01
#define TCP_SYN		0x02
#define TCP_PSH		0x08
#define TCP_ACK		0x10

#define IP_DF		0x4000
#define IP_MF		0x2000

/* Each use of the hash gets its own salt so that the choices are unrelated. */
enum gen_salt {
	SALT_FAMILY = 1, SALT_PROTO, SALT_TAG, SALT_OUTER, SALT_VLAN,
	SALT_PAIR, SALT_SPORT, SALT_DPORT, SALT_SEQ, SALT_LEN, SALT_ID
};

struct gen_opts {
	const char	*out;
	const char	*summary;
	uint64_t	 packets;
	uint64_t	 flows;
	uint64_t	 seed;
	uint64_t	 mix[3];	/* weights of TCP, UDP and ICMP */
	uint64_t	 v6pct;
	uint64_t	 vlanpct;
	uint64_t	 qinqpct;
	uint64_t	 minlen;
	uint64_t	 maxlen;
	uint64_t	 start;
	uint64_t	 rate;
	int		 fin;
	int		 malformed;
};

struct flow {
	uint64_t	id;
	uint64_t	npackets;
	int		v6;
	uint8_t		proto;
	uint8_t		icmptype;
	unsigned int	src;		/* host numbers, 0 to GEN_HOSTS - 1 */
	unsigned int	dst;
	uint16_t	sport;
	uint16_t	dport;
	uint16_t	outer;		/* QinQ service tag, 0 when none */
	uint16_t	vlan;		/* 802.1Q or inner tag, 0 when none */
	uint32_t	isn;
	uint32_t	ack;
	uint32_t	label;
	uint16_t	ipid;
};

/* An option that takes one number, and its bounds. */
struct opt_bound {
	int		 ch;
	const char	*what;
	uint64_t	 min;
	uint64_t	 max;
	uint64_t	*val;
};

/* How one packet of a flow is laid out. */
struct pkt {
	uint8_t		flags;		/* TCP flags, 0 for the others */
	size_t		l4hdr;
	size_t		payload;
	size_t		iplen;		/* IP header, L4 header and payload */
	size_t		framelen;
};

static const uint8_t	gen_nets[3][3] = {
	{ 192, 0, 2 }, { 198, 51, 100 }, { 203, 0, 113 }
};
static const uint16_t	gen_dports[] = { 22, 53, 80, 443, 8080 };

static void
usage(FILE *fp)
{
	fprintf(fp, "usage: vnb-gentraffic [-h] [-o FILE] [-n PACKETS] "
	    "[-f FLOWS] [-s SEED]\n"
	    "\t[-m TCP,UDP,ICMP] [-6 PERCENT] [-q PERCENT] [-Q PERCENT]\n"
	    "\t[-l MIN-MAX] [-t START] [-r PPS] [-F] [-M] [-S FILE]\n");
}

/* The finaliser of splitmix64: a good enough hash of one 64-bit word. */
static uint64_t
mix64(uint64_t x)
{
	x += 0x9e3779b97f4a7c15ULL;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
	return x ^ (x >> 31);
}

static uint64_t
gen_hash(const struct gen_opts *o, uint64_t a, uint64_t b, enum gen_salt s)
{
	return mix64(mix64(mix64(o->seed ^ ((uint64_t)s << 56)) ^ a) ^ b);
}

static void
put16(uint8_t *b, uint16_t v)
{
	b[0] = v >> 8;
	b[1] = v & 0xff;
}

static void
put32(uint8_t *b, uint32_t v)
{
	put16(b, v >> 16);
	put16(b + 2, v & 0xffff);
}

/* The pcap record headers are little-endian on every host. */
static void
le32(uint8_t *b, uint32_t v)
{
	b[0] = v & 0xff;
	b[1] = (v >> 8) & 0xff;
	b[2] = (v >> 16) & 0xff;
	b[3] = v >> 24;
}

static uint64_t
cksum_add(uint64_t sum, const uint8_t *b, size_t len)
{
	size_t	i;

	for (i = 0; i + 1 < len; i += 2)
		sum += (uint16_t)(b[i] << 8 | b[i + 1]);
	if (len & 1)
		sum += (uint16_t)(b[len - 1] << 8);
	return sum;
}

static uint16_t
cksum_fold(uint64_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return ~sum & 0xffff;
}

/* Host h is the same machine in both families, with one MAC. */
static void
host_v4(unsigned int h, uint8_t *a)
{
	memcpy(a, gen_nets[h / 254], 3);
	a[3] = h % 254 + 1;
}

static void
host_v6(unsigned int h, uint8_t *a)
{
	static const uint8_t	net[8] = { 0x20, 0x01, 0x0d, 0xb8 };
	const uint8_t		*v4 = gen_nets[h / 254];

	/* 2001:db8:0:N::x mirrors N.x of the IPv4 address, to read easily. */
	memset(a, 0, 16);
	memcpy(a, net, 8);
	a[6] = v4[2] / 100;
	a[7] = v4[2] % 100 / 10 << 4 | v4[2] % 10;
	a[15] = h % 254 + 1;
}

static void
host_mac(unsigned int h, uint8_t *m)
{
	uint8_t	a[4];

	host_v4(h, a);
	m[0] = 0x02;
	m[1] = m[2] = 0;
	memcpy(m + 3, a + 1, 3);
}

static uint8_t
flow_proto(const struct gen_opts *o, uint64_t id, int v6)
{
	uint64_t	r;

	r = gen_hash(o, id, 0, SALT_PROTO) %
	    (o->mix[0] + o->mix[1] + o->mix[2]);
	if (r < o->mix[0])
		return 6;
	if (r < o->mix[0] + o->mix[1])
		return 17;
	return v6 ? 58 : 1;
}

static void
flow_tags(const struct gen_opts *o, struct flow *fl)
{
	uint64_t	r;

	r = gen_hash(o, fl->id, 0, SALT_TAG) % 100;
	if (r >= o->qinqpct + o->vlanpct)
		return;
	if (r < o->qinqpct)
		fl->outer = 200 + gen_hash(o, fl->id, 0, SALT_OUTER) % 100;
	fl->vlan = 100 + gen_hash(o, fl->id, 0, SALT_VLAN) % 100;
}

/*
 * Hosts and ports are not drawn at random: the host pair is a bijection of
 * the flow number, and flows that share a pair get different source ports,
 * so no two flows ever have the same key, and ICMP flows differ while there
 * are no more than GEN_PAIRS of them.  ICMP flows get ports too, which only
 * the broken frames of -M use.
 */
static void
flow_endpoints(const struct gen_opts *o, struct flow *fl)
{
	uint64_t	pair, r;

	pair = (fl->id % GEN_PAIRS * GEN_SCRAMBLE +
	    gen_hash(o, 0, 0, SALT_PAIR) % GEN_PAIRS) % GEN_PAIRS;
	fl->src = pair / (GEN_HOSTS - 1);
	fl->dst = pair % (GEN_HOSTS - 1);
	if (fl->dst >= fl->src)
		fl->dst++;
	fl->sport = 1024 + (fl->id / GEN_PAIRS +
	    gen_hash(o, pair, 0, SALT_SPORT)) % GEN_SPORTS;
	r = gen_hash(o, fl->id, 0, SALT_DPORT);
	if (r % 6 < 5)
		fl->dport = gen_dports[r % 6];
	else
		fl->dport = 1024 + (r >> 8) % GEN_SPORTS;
}

static void
flow_make(const struct gen_opts *o, uint64_t id, struct flow *fl)
{
	uint64_t	r;

	memset(fl, 0, sizeof(*fl));
	fl->id = id;
	fl->npackets = o->packets / o->flows + (id < o->packets % o->flows);
	fl->v6 = gen_hash(o, id, 0, SALT_FAMILY) % 100 < o->v6pct;
	fl->proto = flow_proto(o, id, fl->v6);
	flow_tags(o, fl);
	flow_endpoints(o, fl);

	/* ICMP flows take turns: requests on even flows, replies on odd. */
	if (fl->proto == 1)
		fl->icmptype = id & 1 ? 0 : 8;
	else if (fl->proto == 58)
		fl->icmptype = id & 1 ? 129 : 128;

	r = gen_hash(o, id, 0, SALT_SEQ);
	fl->isn = r & 0xffffffff;
	fl->ack = r >> 32;
	r = gen_hash(o, id, 0, SALT_ID);
	fl->ipid = r & 0xffff;
	fl->label = (r >> 16) & 0xfffff;
}

static uint8_t
pkt_tcp_flags(const struct gen_opts *o, const struct flow *fl, uint64_t k)
{
	if (k == 0)
		return TCP_SYN;
	if (o->fin && k == fl->npackets - 1)
		return TCP_FIN | TCP_ACK;
	return TCP_ACK;
}

/*
 * SYN and FIN segments carry no data, so they are as short as their headers
 * allow, padded to the Ethernet minimum like a NIC would.
 */
static void
pkt_plan(const struct gen_opts *o, const struct flow *fl, uint64_t k,
    struct pkt *p)
{
	size_t	l2, l3, hdr, len;

	memset(p, 0, sizeof(*p));
	l2 = 14 + (fl->outer ? 4 : 0) + (fl->vlan ? 4 : 0);
	l3 = fl->v6 ? 40 : 20;
	p->l4hdr = 8;
	if (fl->proto == 6) {
		p->flags = pkt_tcp_flags(o, fl, k);
		p->l4hdr = p->flags & TCP_SYN ? 24 : 20;
	}
	hdr = l2 + l3 + p->l4hdr;

	len = o->minlen + gen_hash(o, fl->id, k, SALT_LEN) %
	    (o->maxlen - o->minlen + 1);
	if (!(p->flags & (TCP_SYN | TCP_FIN)) && len > hdr)
		p->payload = len - hdr;
	if (p->payload > 0 && fl->proto == 6)
		p->flags |= TCP_PSH;
	p->iplen = l3 + p->l4hdr + p->payload;
	p->framelen = hdr + p->payload;
	if (p->framelen < GEN_MINFRAME)
		p->framelen = GEN_MINFRAME;
}

static size_t
eth_put(uint8_t *b, const struct flow *fl, uint16_t type)
{
	size_t	off = 12;

	host_mac(fl->dst, b);
	host_mac(fl->src, b + 6);
	if (fl->outer) {
		put16(b + off, 0x88a8);
		put16(b + off + 2, fl->outer);
		off += 4;
	}
	if (fl->vlan) {
		put16(b + off, 0x8100);
		put16(b + off + 2, fl->vlan);
		off += 4;
	}
	put16(b + off, type);
	return off + 2;
}

static void
ipv4_cksum(uint8_t *ip)
{
	put16(ip + 10, 0);
	put16(ip + 10, cksum_fold(cksum_add(0, ip, (ip[0] & 0x0f) * 4)));
}

static void
ipv4_put(uint8_t *ip, const struct flow *fl, uint8_t proto, size_t iplen,
    uint16_t id, uint16_t frag)
{
	memset(ip, 0, 20);
	ip[0] = 0x45;
	put16(ip + 2, iplen);
	put16(ip + 4, id);
	put16(ip + 6, frag);
	ip[8] = 64;
	ip[9] = proto;
	host_v4(fl->src, ip + 12);
	host_v4(fl->dst, ip + 16);
	ipv4_cksum(ip);
}

static void
ipv6_put(uint8_t *ip, const struct flow *fl, uint8_t nh, size_t plen)
{
	put32(ip, 6U << 28 | fl->label);
	put16(ip + 4, plen);
	ip[6] = nh;
	ip[7] = 64;
	host_v6(fl->src, ip + 8);
	host_v6(fl->dst, ip + 24);
}

/* ICMP for IPv4 is the one checksum without a pseudo-header. */
static uint16_t
l4_cksum(const uint8_t *ip, uint8_t proto, const uint8_t *l4, size_t len)
{
	uint64_t	sum = 0;

	if ((ip[0] >> 4) == 6) {
		sum = cksum_add(sum, ip + 8, 32);
		sum += (len >> 16) + (len & 0xffff) + proto;
	} else if (proto != 1) {
		sum = cksum_add(sum, ip + 12, 8);
		sum += proto + len;
	}
	return cksum_fold(cksum_add(sum, l4, len));
}

static void
payload_fill(uint8_t *b, size_t len, uint64_t id, uint64_t k)
{
	size_t	i;

	for (i = 0; i < len; i++)
		b[i] = 'a' + (i + id + k) % 26;
}

static void
tcp_put(uint8_t *th, const struct flow *fl, const struct pkt *p,
    uint32_t seq)
{
	memset(th, 0, p->l4hdr);
	put16(th, fl->sport);
	put16(th + 2, fl->dport);
	put32(th + 4, seq);
	put32(th + 8, p->flags & TCP_ACK ? fl->ack : 0);
	th[12] = p->l4hdr / 4 << 4;
	th[13] = p->flags;
	put16(th + 14, 64240);
	if (p->flags & TCP_SYN) {
		th[20] = 2;
		th[21] = 4;
		put16(th + 22, fl->v6 ? 1440 : 1460);
	}
}

static void
l4_put(uint8_t *l4, const struct flow *fl, const struct pkt *p, uint64_t k,
    uint32_t seq)
{
	size_t	len = p->l4hdr + p->payload;

	if (fl->proto == 6) {
		tcp_put(l4, fl, p, seq);
		return;
	}
	if (fl->proto == 17) {
		put16(l4, fl->sport);
		put16(l4 + 2, fl->dport);
		put16(l4 + 4, len);
		put16(l4 + 6, 0);
		return;
	}
	l4[0] = fl->icmptype;
	l4[1] = 0;
	put16(l4 + 2, 0);
	put16(l4 + 4, fl->isn & 0xffff);
	put16(l4 + 6, k & 0xffff);
}

/* Lay out packet k of a flow, as planned, in b and return its length. */
static size_t
pkt_build(const struct flow *fl, const struct pkt *p, uint64_t k,
    uint32_t seq, uint8_t *b)
{
	uint8_t		*ip, *l4;
	size_t		l4len;
	uint16_t	sum;

	ip = b + eth_put(b, fl, fl->v6 ? 0x86dd : 0x0800);
	l4 = ip + (fl->v6 ? 40 : 20);
	l4len = p->l4hdr + p->payload;
	if (fl->v6)
		ipv6_put(ip, fl, fl->proto, l4len);
	else
		ipv4_put(ip, fl, fl->proto, p->iplen, fl->ipid + k, IP_DF);

	l4_put(l4, fl, p, k, seq);
	payload_fill(l4 + p->l4hdr, p->payload, fl->id, k);
	sum = l4_cksum(ip, fl->proto, l4, l4len);
	if (sum == 0 && fl->proto == 17)
		sum = 0xffff;
	put16(l4 + (fl->proto == 6 ? 16 : fl->proto == 17 ? 6 : 2), sum);

	memset(l4 + l4len, 0, p->framelen - (l4 + l4len - b));
	return p->framelen;
}

/*
 * Most broken frames start as a valid untagged packet between the flow's
 * hosts, and bad_build then damages it in one place.
 */
static size_t
bad_base(const struct flow *fl, uint8_t proto, int v6, size_t payload,
    uint8_t *b)
{
	struct flow	f = *fl;
	struct pkt	p;

	f.proto = proto;
	f.v6 = v6;
	memset(&p, 0, sizeof(p));
	p.flags = proto == 6 ? TCP_ACK : 0;
	p.l4hdr = proto == 6 ? 20 : 8;
	p.payload = payload;
	p.iplen = (v6 ? 40 : 20) + p.l4hdr + payload;
	p.framelen = 14 + p.iplen;
	return pkt_build(&f, &p, 0, f.isn, b);
}

/*
 * Build broken frame number kind, from an untagged flow, in b.  It is one
 * flat switch so that the kinds read in the order -M writes them.
 */
static size_t
bad_build(const struct flow *fl, unsigned int kind, uint8_t *b)
{
	size_t	len = 0;

	switch (kind) {
	case 0:		/* Ethernet header cut after 10 bytes. */
		eth_put(b, fl, 0x0800);
		return 10;
	case 1:		/* 802.1Q tag cut in half. */
		eth_put(b, fl, 0x8100);
		b[14] = 0;
		return 15;
	case 2:		/* IPv4 header length below 5 words. */
		len = bad_base(fl, 17, 0, 16, b);
		b[14] = 0x44;
		break;
	case 3:		/* IPv4 total length beyond the frame. */
		len = bad_base(fl, 17, 0, 32, b);
		put16(b + 16, 20 + 8 + 32 + 200);
		break;
	case 4:		/* Options announced, frame ends inside them. */
		bad_base(fl, 17, 0, 0, b);
		b[14] = 0x4f;
		put16(b + 16, 60 + 8);
		memset(b + 34, 1, 4);
		return 38;
	case 5:		/* Frame ends inside the TCP header. */
		bad_base(fl, 6, 0, 0, b);
		put16(b + 16, 20 + 10);
		ipv4_cksum(b + 14);
		return 44;
	case 6:		/* TCP data offset below 5 words. */
		len = bad_base(fl, 6, 0, 0, b);
		b[46] = 3 << 4;
		put16(b + 50, 0);
		put16(b + 50, l4_cksum(b + 14, 6, b + 34, 20));
		return len;
	case 7:		/* UDP length beyond the frame. */
		len = bad_base(fl, 17, 0, 16, b);
		put16(b + 38, 8 + 16 + 100);
		put16(b + 40, 0);
		return len;
	case 8:		/* IPv6 payload length beyond the frame. */
		len = bad_base(fl, 17, 1, 16, b);
		put16(b + 18, 8 + 16 + 100);
		return len;
	case 9:		/* Hop-by-hop header of 88 bytes, 8 present. */
		len = bad_base(fl, 17, 1, 0, b);
		b[20] = 0;
		/* Next header UDP, 11 units of 8 bytes, then PadN. */
		memcpy(b + 54, "\x11\x0a\x01\x04\0\0\0\0", 8);
		return len;
	case 10:	/* A later fragment: valid, and no L4 header in it. */
		len = bad_base(fl, 17, 0, 64, b);
		put16(b + 20, 1480 / 8);
		payload_fill(b + 34, 8, fl->id, 0);
		break;
	case 11:	/* A first fragment: UDP header of a longer datagram. */
		len = bad_base(fl, 17, 0, 64, b);
		put16(b + 20, IP_MF);
		put16(b + 38, 8 + 64 + 1000);
		put16(b + 40, 0);
		break;
	case 12:	/* Local experimental ethertype: valid, not IP. */
		eth_put(b, fl, 0x88b5);
		payload_fill(b + 14, 46, fl->id, 0);
		return 60;
	default:	/* IPv4 saying ICMP, with no ICMP header at all. */
		bad_base(fl, 1, 0, 0, b);
		put16(b + 16, 20);
		len = 34;
		break;
	}

	/* The cases that break out changed the IPv4 header only. */
	ipv4_cksum(b + 14);
	return len;
}

/* The file header, written little-endian on every host. */
static int
pcap_header(FILE *fp)
{
	static const uint8_t	h[24] = {
		0xd4, 0xc3, 0xb2, 0xa1,	2, 0, 4, 0,	/* magic, version */
		0, 0, 0, 0,		0, 0, 0, 0,	/* zone, accuracy */
		0xff, 0xff, 0, 0,	1, 0, 0, 0	/* snaplen, Ethernet */
	};

	return fwrite(h, sizeof(h), 1, fp) == 1 ? 0 : -1;
}

/* Packet i is sent i / rate seconds after the start, to the microsecond. */
static int
pcap_record(FILE *fp, const struct gen_opts *o, uint64_t i,
    const uint8_t *b, size_t len)
{
	uint8_t		h[16];
	uint64_t	us;

	us = i * 1000000 / o->rate;
	le32(h, o->start + us / 1000000);
	le32(h + 4, us % 1000000);
	le32(h + 8, len);
	le32(h + 12, len);
	if (fwrite(h, sizeof(h), 1, fp) != 1 || fwrite(b, len, 1, fp) != 1)
		return -1;
	return 0;
}

/*
 * Packet i belongs to flow i % flows, so each flow's packets are spread
 * over the whole capture and every flow has one when there are enough.
 * Only the TCP sequence numbers need memory, one word a flow.
 */
static size_t
gen_packet(const struct gen_opts *o, uint64_t i, uint32_t *seq, uint8_t *b)
{
	struct flow	fl;
	struct pkt	p;
	uint64_t	k = i / o->flows;
	size_t		len;

	flow_make(o, i % o->flows, &fl);
	if (o->malformed) {
		fl.outer = fl.vlan = 0;
		return bad_build(&fl, i % GEN_BAD_KINDS, b);
	}

	/* The SYN takes one sequence number, data one per byte. */
	if (k == 0)
		seq[fl.id] = fl.isn;
	pkt_plan(o, &fl, k, &p);
	len = pkt_build(&fl, &p, k, seq[fl.id], b);
	seq[fl.id] += p.payload + (k == 0);
	return len;
}

static int
gen_write(const struct gen_opts *o, FILE *fp)
{
	static uint8_t	 buf[GEN_SNAPLEN];
	uint32_t	*seq = NULL;
	uint64_t	 i;
	size_t		 len;
	int		 rv = -1;

	if (!o->malformed && (seq = calloc(o->flows, sizeof(*seq))) == NULL)
		err(1, "allocate sequence numbers");
	if (pcap_header(fp) == -1)
		goto out;
	for (i = 0; i < o->packets; i++) {
		len = gen_packet(o, i, seq, buf);
		if (pcap_record(fp, o, i, buf, len) == -1)
			goto out;
	}
	rv = 0;
 out:
	free(seq);
	return rv;
}

static const char *
fmt_mac(unsigned int h, char *s, size_t size)
{
	uint8_t	m[6];

	host_mac(h, m);
	snprintf(s, size, "%02x:%02x:%02x:%02x:%02x:%02x",
	    m[0], m[1], m[2], m[3], m[4], m[5]);
	return s;
}

static const char *
fmt_host(unsigned int h, int v6, char *s, size_t size)
{
	uint8_t	a[16];

	if (!v6) {
		host_v4(h, a);
		snprintf(s, size, "%u.%u.%u.%u", a[0], a[1], a[2], a[3]);
		return s;
	}
	host_v6(h, a);
	snprintf(s, size, "2001:db8:0:%x::%x", a[6] << 8 | a[7], a[15]);
	return s;
}

/* The fields are those a NetFlow record of the flow would carry. */
static uint64_t
summary_flow(const struct gen_opts *o, const struct flow *fl, FILE *fp)
{
	char		src[64], dst[64], smac[32], dmac[32];
	struct pkt	p;
	uint64_t	k, bytes = 0;
	unsigned int	sport = fl->sport, dport = fl->dport;

	for (k = 0; k < fl->npackets; k++) {
		pkt_plan(o, fl, k, &p);
		bytes += p.iplen;
	}
	if (fl->proto == 1 || fl->proto == 58) {
		sport = 0;
		dport = fl->icmptype << 8;
	}
	fprintf(fp, "%" PRIu64 "\t%d\t%u\t%s\t%s\t%u\t%u\t%s\t%s\t%u\t%"
	    PRIu64 "\t%" PRIu64 "\n", fl->id, fl->v6 ? 6 : 4, fl->proto,
	    fmt_host(fl->src, fl->v6, src, sizeof(src)),
	    fmt_host(fl->dst, fl->v6, dst, sizeof(dst)), sport, dport,
	    fmt_mac(fl->src, smac, sizeof(smac)),
	    fmt_mac(fl->dst, dmac, sizeof(dmac)), fl->vlan, fl->npackets,
	    bytes);
	return bytes;
}

/* Flows without a packet, when -n is below -f, get no line. */
static int
summary_write(const struct gen_opts *o, const char *path)
{
	FILE		*fp;
	struct flow	 fl;
	uint64_t	 id, bytes = 0;

	if ((fp = fopen(path, "w")) == NULL)
		return -1;
	fprintf(fp, "# flow\tfamily\tproto\tsrc\tdst\tsport\tdport\tsmac\t"
	    "dmac\tvlan\tpackets\tbytes\n");
	for (id = 0; id < o->flows && id < o->packets; id++) {
		flow_make(o, id, &fl);
		bytes += summary_flow(o, &fl, fp);
	}
	fprintf(fp, "# total\t%" PRIu64 "\t%" PRIu64 "\n", o->packets, bytes);
	if (ferror(fp)) {
		fclose(fp);
		return -1;
	}
	return fclose(fp);
}

static int
num_parse(const char *s, uint64_t min, uint64_t max, uint64_t *v)
{
	char			*end;
	unsigned long long	 n;

	if (*s < '0' || *s > '9')
		return -1;
	errno = 0;
	n = strtoull(s, &end, 10);
	if (*end != '\0' || errno == ERANGE || n < min || n > max)
		return -1;
	*v = n;
	return 0;
}

static uint64_t
opt_num(const char *what, const char *s, uint64_t min, uint64_t max)
{
	uint64_t	v;

	if (num_parse(s, min, max, &v) == -1)
		errx(2, "%s '%s': want a number from %" PRIu64 " to %" PRIu64,
		    what, s, min, max);
	return v;
}

/* Split s at commas or dashes into exactly n bounded numbers. */
static int
opt_list(const char *s, const char *sep, uint64_t min, uint64_t max,
    uint64_t *v, size_t n)
{
	char	 buf[128], *p, *field;
	size_t	 i = 0;

	if (strlen(s) >= sizeof(buf))
		return -1;
	strcpy(buf, s);
	p = buf;
	while ((field = strsep(&p, sep)) != NULL) {
		if (i == n || num_parse(field, min, max, &v[i]) == -1)
			return -1;
		i++;
	}
	return i == n ? 0 : -1;
}

/* Check what no single option can: run after all of them are parsed. */
static void
opt_check(struct gen_opts *o, const char *mix, const char *len)
{
	uint64_t	range[2];

	if (opt_list(mix, ",", 0, 1000000, o->mix, 3) == -1)
		errx(2, "protocol mix '%s': want three weights TCP,UDP,ICMP "
		    "from 0 to 1000000", mix);
	if (o->mix[0] + o->mix[1] + o->mix[2] == 0)
		errx(2, "protocol mix '%s': the weights add up to 0", mix);
	if (opt_list(len, "-", GEN_MINFRAME, GEN_SNAPLEN, range, 2) == -1)
		errx(2, "frame length range '%s': want MIN-MAX from %d to %d",
		    len, GEN_MINFRAME, GEN_SNAPLEN);
	if (range[0] > range[1])
		errx(2, "frame length range '%s': minimum above maximum", len);
	o->minlen = range[0];
	o->maxlen = range[1];

	/* Without -q, the default share of 802.1Q flows yields to -Q. */
	if (o->vlanpct == GEN_UNSET)
		o->vlanpct = o->qinqpct > 90 ? 100 - o->qinqpct : 10;
	if (o->vlanpct + o->qinqpct > 100)
		errx(2, "tagged flows: -q %" PRIu64 " and -Q %" PRIu64
		    " add up to more than 100", o->vlanpct, o->qinqpct);
	if (o->malformed && o->summary != NULL)
		errx(2, "-S with -M: malformed frames have no flows to sum up");
}

static void
opt_parse(int argc, char **argv, struct gen_opts *o)
{
	const struct opt_bound	 nums[] = {
		{ '6', "IPv6 percentage", 0, 100, &o->v6pct },
		{ 'f', "flow count", 1, 10000000, &o->flows },
		{ 'n', "packet count", 1, 100000000, &o->packets },
		{ 'Q', "QinQ percentage", 0, 100, &o->qinqpct },
		{ 'q', "VLAN percentage", 0, 100, &o->vlanpct },
		{ 'r', "packet rate", 1, 1000000, &o->rate },
		{ 's', "seed", 0, UINT64_MAX, &o->seed },
		{ 't', "start time", 0, 2000000000, &o->start }
	};
	const char		*mix = "60,30,10", *len = "64-1024";
	size_t			 i;
	int			 ch;

	while ((ch = getopt(argc, argv, "6:f:FhMl:m:n:o:Q:q:r:S:s:t:")) != -1) {
		for (i = 0; i < NITEMS(nums); i++)
			if (nums[i].ch == ch)
				*nums[i].val = opt_num(nums[i].what, optarg,
				    nums[i].min, nums[i].max);
		if (ch == 'F')
			o->fin = 1;
		else if (ch == 'M')
			o->malformed = 1;
		else if (ch == 'l')
			len = optarg;
		else if (ch == 'm')
			mix = optarg;
		else if (ch == 'o')
			o->out = optarg;
		else if (ch == 'S')
			o->summary = optarg;
		else if (ch == 'h') {
			usage(stdout);
			exit(0);
		} else if (ch == '?') {
			usage(stderr);
			exit(2);
		}
	}
	if (optind != argc) {
		usage(stderr);
		exit(2);
	}
	opt_check(o, mix, len);
}

static FILE *
out_open(const char *path)
{
	FILE	*fp = stdout;

	if (path != NULL && strcmp(path, "-") != 0 &&
	    (fp = fopen(path, "wb")) == NULL)
		err(1, "open '%s'", path);
	if (isatty(fileno(fp)))
		errx(1, "'%s': refusing to write a capture to a terminal",
		    fp == stdout ? "-" : path);
	return fp;
}

int
main(int argc, char **argv)
{
	struct gen_opts	 o = {
		.packets = 1000, .flows = 100, .seed = 1, .v6pct = 10,
		.vlanpct = GEN_UNSET, .start = 1700000000, .rate = 100000
	};
	const char	*out;
	FILE		*fp;

	opt_parse(argc, argv, &o);
	fp = out_open(o.out);
	out = fp == stdout ? "standard output" : o.out;
	if (gen_write(&o, fp) == -1 || fflush(fp) == EOF || ferror(fp))
		err(1, "write '%s'", out);
	if (fp != stdout && fclose(fp) == EOF)
		err(1, "close '%s'", out);
	if (o.summary != NULL && summary_write(&o, o.summary) == -1)
		err(1, "write summary '%s'", o.summary);
	return 0;
}

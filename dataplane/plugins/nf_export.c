/*
 * The netflow plugin's export: flow records packed into NetFlow v5, v9
 * or IPFIX datagrams of at most the path MTU, templates in front of the
 * data when they are due, and the datagrams sent through a kernel UDP
 * socket or, as Ethernet frames, through the dataplane's egress port.
 *
 * Each worker writes its own datagrams and keeps its own sequence
 * numbers for each collector, under its own NetFlow v9 source ID or
 * IPFIX observation domain (the configured one plus the worker's
 * number), as one exporter's sequence numbers must not interleave.
 */
#include <sys/socket.h>
#include <netinet/in.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "netflow.h"

#define V5_HDR		24
#define V5_REC		48
#define V9_HDR		20
#define IPFIX_HDR	16
#define SET_HDR		4
#define ETH_HDR		14
#define IP4_HDR		20
#define IP6_HDR		40
#define UDP_HDR		8

/* Information elements (RFC 3954, RFC 7012) the records carry. */
enum {
	IE_OCTETS = 1, IE_PACKETS = 2, IE_PROTO = 4, IE_TOS = 5,
	IE_TCP_FLAGS = 6, IE_SPORT = 7, IE_SRC4 = 8, IE_SMASK = 9,
	IE_INPUT = 10, IE_DPORT = 11, IE_DST4 = 12, IE_DMASK = 13,
	IE_LAST = 21, IE_FIRST = 22, IE_SRC6 = 27, IE_DST6 = 28,
	IE_SMASK6 = 29, IE_DMASK6 = 30, IE_ICMP4 = 32, IE_SMAC = 56,
	IE_VLAN = 58, IE_ICMP6 = 139,
	IE_IPVERSION = 60, IE_DIRECTION = 61, IE_DMAC = 80,
	IE_START_MS = 152, IE_END_MS = 153
};

static void
put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void
put32(uint8_t *p, uint32_t v)
{
	put16(p, (uint16_t)(v >> 16));
	put16(p + 2, (uint16_t)v);
}

static void
put64(uint8_t *p, uint64_t v)
{
	put32(p, (uint32_t)(v >> 32));
	put32(p + 4, (uint32_t)v);
}

static void
word_bytes(uint8_t *p, uint64_t w, size_t n)
{
	size_t	i;

	for (i = 0; i < n; i++)
		p[i] = (uint8_t)(w >> (8 * i));
}

/* The key of flow f as fields; see struct nf_pkey. */
void
nf_key_unpack(const struct nf_flow *f, struct nf_key *k)
{
	memset(k, 0, sizeof(*k));
	k->family = (uint8_t)(f->a[2] >> 32);
	k->proto = (uint8_t)(f->a[2] >> 40);
	k->tos = (uint8_t)(f->a[2] >> 48);
	k->assoc = (uint32_t)f->a[2];
	k->sport = (uint16_t)f->a[1];
	k->dport = (uint16_t)(f->a[1] >> 16);
	k->vlan = (uint16_t)(f->a[1] >> 32);
	k->port = (uint16_t)(f->a[1] >> 48);
	if (k->family == VNB_FAMILY_IPV6) {
		word_bytes(k->src, f->a[0], 8);
		word_bytes(k->src + 8, f->b[0], 8);
		word_bytes(k->dst, f->b[1], 8);
		word_bytes(k->dst + 8, f->b[2], 8);
	} else {
		word_bytes(k->src, f->a[0], 4);
		word_bytes(k->dst, f->a[0] >> 32, 4);
	}
	word_bytes(k->smac, f->b[3], 6);
	word_bytes(k->dmac, f->b[3] >> 48, 2);
	word_bytes(k->dmac + 2, f->b[4], 4);
}

static void
layout_add(struct nf_layout *l, int v6, uint16_t id, uint16_t len)
{
	l->f[v6][l->nf[v6]].id = id;
	l->f[v6][l->nf[v6]].len = len;
	l->nf[v6]++;
	l->reclen[v6] += len;
}

/* The template of each family, from the key and the collected fields. */
void
nf_layout_build(struct nf_layout *l, enum nf_version v, unsigned int match,
    unsigned int collect)
{
	int	v6;

	memset(l, 0, sizeof(*l));
	for (v6 = 0; v6 < 2; v6++) {
		if (match & NF_K_SRC)
			layout_add(l, v6, v6 ? IE_SRC6 : IE_SRC4, v6 ? 16 : 4);
		if (match & NF_K_DST)
			layout_add(l, v6, v6 ? IE_DST6 : IE_DST4, v6 ? 16 : 4);
		if (collect & NF_C_MASKS) {
			layout_add(l, v6, v6 ? IE_SMASK6 : IE_SMASK, 1);
			layout_add(l, v6, v6 ? IE_DMASK6 : IE_DMASK, 1);
		}
		if (match & NF_K_SPORT)
			layout_add(l, v6, IE_SPORT, 2);
		if (match & NF_K_DPORT) {
			layout_add(l, v6, IE_DPORT, 2);
			layout_add(l, v6, v6 && v == NF_IPFIX ? IE_ICMP6 :
			    IE_ICMP4, 2);
		}
		if (match & NF_K_PROTO)
			layout_add(l, v6, IE_PROTO, 1);
		if (match & NF_K_TOS)
			layout_add(l, v6, IE_TOS, 1);
		if (match & NF_K_IFACE)
			layout_add(l, v6, IE_INPUT, 4);
		if ((match & NF_K_VLAN) || (collect & NF_C_VLAN))
			layout_add(l, v6, IE_VLAN, 2);
		if ((match & NF_K_MAC) || (collect & NF_C_MAC)) {
			layout_add(l, v6, IE_SMAC, 6);
			layout_add(l, v6, IE_DMAC, 6);
		}
		if (collect & NF_C_COUNTERS) {
			layout_add(l, v6, IE_OCTETS, 8);
			layout_add(l, v6, IE_PACKETS, 8);
		}
		if (collect & NF_C_TCPFLAGS)
			layout_add(l, v6, IE_TCP_FLAGS, 1);
		if ((collect & NF_C_TIMES) && v == NF_IPFIX) {
			layout_add(l, v6, IE_START_MS, 8);
			layout_add(l, v6, IE_END_MS, 8);
		} else if (collect & NF_C_TIMES) {
			layout_add(l, v6, IE_FIRST, 4);
			layout_add(l, v6, IE_LAST, 4);
		}
		layout_add(l, v6, IE_IPVERSION, 1);
		layout_add(l, v6, IE_DIRECTION, 1);
	}
	l->serial = (uint32_t)v << 24 | match << 8 | collect;
}

/* ms since the exporter's boot, as v5 and v9 count time. */
static uint32_t
uptime_ms(uint64_t t, uint64_t boot)
{
	return t > boot ? (uint32_t)((t - boot) / 1000000) : 0;
}

static uint8_t *
field_put(uint8_t *p, const struct nf_field *f, const struct nf_flow *fl,
    const struct nf_key *k, uint64_t boot)
{
	switch (f->id) {
	case IE_SRC4:
	case IE_SRC6:
		memcpy(p, k->src, f->len);
		break;
	case IE_DST4:
	case IE_DST6:
		memcpy(p, k->dst, f->len);
		break;
	case IE_SMASK:
	case IE_SMASK6:
		*p = fl->smask;
		break;
	case IE_DMASK:
	case IE_DMASK6:
		*p = fl->dmask;
		break;
	case IE_SPORT:
		put16(p, k->sport);
		break;
	case IE_DPORT:
		put16(p, k->dport);
		break;
	case IE_ICMP4:
	case IE_ICMP6:
		put16(p, k->proto == 1 || k->proto == 58 ? k->dport : 0);
		break;
	case IE_PROTO:
		*p = k->proto;
		break;
	case IE_TOS:
		*p = k->tos;
		break;
	case IE_INPUT:
		put32(p, k->port);
		break;
	case IE_VLAN:
		put16(p, k->vlan ? k->vlan : fl->vlan);
		break;
	case IE_SMAC:
		memcpy(p, k->smac, 6);
		break;
	case IE_DMAC:
		memcpy(p, k->dmac, 6);
		break;
	case IE_OCTETS:
		put64(p, fl->bytes);
		break;
	case IE_PACKETS:
		put64(p, fl->packets);
		break;
	case IE_TCP_FLAGS:
		*p = fl->tcp_flags;
		break;
	case IE_FIRST:
		put32(p, uptime_ms(fl->first, boot));
		break;
	case IE_LAST:
		put32(p, uptime_ms(fl->last, boot));
		break;
	case IE_START_MS:
		put64(p, fl->first / 1000000);
		break;
	case IE_END_MS:
		put64(p, fl->last / 1000000);
		break;
	case IE_IPVERSION:
		*p = k->family;
		break;
	case IE_DIRECTION:
		*p = fl->direction == VNB_DIR_EGRESS;
		break;
	}
	return p + f->len;
}

static void
v5_record(uint8_t *p, const struct nf_flow *fl, const struct nf_key *k,
    uint64_t boot)
{
	memset(p, 0, V5_REC);
	memcpy(p, k->src, 4);
	memcpy(p + 4, k->dst, 4);
	put16(p + 12, k->port);
	put32(p + 16, (uint32_t)fl->packets);
	put32(p + 20, (uint32_t)fl->bytes);
	put32(p + 24, uptime_ms(fl->first, boot));
	put32(p + 28, uptime_ms(fl->last, boot));
	put16(p + 32, k->sport);
	put16(p + 34, k->dport);
	p[37] = fl->tcp_flags;
	p[38] = k->proto;
	p[39] = k->tos;
	p[44] = fl->smask;
	p[45] = fl->dmask;
}

/* The largest UDP payload that fits the MTU towards c. */
static size_t
payload_max(const struct nf_inst *in, const struct nf_collector *c)
{
	size_t		hdr = (c->sa.ss_family == AF_INET6 ? IP6_HDR :
			    IP4_HDR) + UDP_HDR;
	unsigned int	mtu = in->mtu, route;

	route = __atomic_load_n(&c->route_mtu, __ATOMIC_RELAXED);
	if (in->transport == NF_SOCKET && route != 0 && route < mtu)
		mtu = route > NF_MTU_MIN ? route : NF_MTU_MIN;
	return mtu - hdr;
}

static uint16_t
csum_fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

static uint32_t
csum_add(uint32_t sum, const uint8_t *p, size_t len)
{
	size_t	i;

	for (i = 0; i + 1 < len; i += 2)
		sum += (uint32_t)p[i] << 8 | p[i + 1];
	if (len & 1)
		sum += (uint32_t)p[len - 1] << 8;
	return sum;
}

/*
 * An Ethernet frame around the datagram, for the egress port: IPv4 with
 * its header checksum, or IPv6, and UDP with its checksum either way.
 */
static size_t
frame_build(const struct nf_inst *in, uint8_t *f, const struct nf_collector *c,
    const uint8_t *data, size_t len)
{
	const struct sockaddr_in	*d4 = (const void *)&c->sa;
	const struct sockaddr_in6	*d6 = (const void *)&c->sa;
	const struct sockaddr_in	*s4 = (const void *)&in->src;
	const struct sockaddr_in6	*s6 = (const void *)&in->src;
	uint8_t				*ip = f + ETH_HDR, *udp;
	uint32_t			 sum;
	size_t				 iphdr;
	int				 v6 = c->sa.ss_family == AF_INET6;

	memcpy(f, in->gw_mac, 6);
	memcpy(f + 6, in->src_mac, 6);
	put16(f + 12, v6 ? 0x86dd : 0x0800);
	iphdr = v6 ? IP6_HDR : IP4_HDR;
	memset(ip, 0, iphdr);
	if (v6) {
		ip[0] = 0x60;
		put16(ip + 4, (uint16_t)(UDP_HDR + len));
		ip[6] = IPPROTO_UDP;
		ip[7] = 64;
		memcpy(ip + 8, &s6->sin6_addr, 16);
		memcpy(ip + 24, &d6->sin6_addr, 16);
	} else {
		ip[0] = 0x45;
		put16(ip + 2, (uint16_t)(IP4_HDR + UDP_HDR + len));
		put16(ip + 6, 0x4000);
		ip[8] = 64;
		ip[9] = IPPROTO_UDP;
		memcpy(ip + 12, &s4->sin_addr, 4);
		memcpy(ip + 16, &d4->sin_addr, 4);
		put16(ip + 10, csum_fold(csum_add(0, ip, IP4_HDR)));
	}
	udp = ip + iphdr;
	put16(udp, in->src_port);
	put16(udp + 2, ntohs(v6 ? d6->sin6_port : d4->sin_port));
	put16(udp + 4, (uint16_t)(UDP_HDR + len));
	put16(udp + 6, 0);
	memcpy(udp + UDP_HDR, data, len);
	/* The pseudo-header: both addresses, the protocol, the length. */
	sum = csum_add(0, v6 ? ip + 8 : ip + 12, v6 ? 32 : 8);
	sum += IPPROTO_UDP + UDP_HDR + (uint32_t)len;
	sum = csum_add(sum, udp, UDP_HDR + len);
	put16(udp + 6, csum_fold(sum) ? csum_fold(sum) : 0xffff);
	return ETH_HDR + iphdr + UDP_HDR + len;
}

/* Refill worker w's pacing budget; false when it is spent. */
int
nf_pace_ok(struct nf_inst *in, unsigned int w)
{
	struct nf_worker	*wk = &in->w[w];
	uint64_t		 now;
	double			 burst;

	if (in->pacing <= 0)
		return 1;
	now = in->host->now_ns();
	burst = in->pacing / 100 > 32 ? in->pacing / 100 : 32;
	wk->tokens += (double)(now - wk->tokens_ns) * in->pacing / 1e9;
	if (wk->tokens > burst)
		wk->tokens = burst;
	wk->tokens_ns = now;
	return wk->tokens >= 1;
}

static void
datagram_send(struct nf_inst *in, unsigned int w, struct nf_collector *c,
    const uint8_t *data, size_t len)
{
	struct nf_worker	*wk = &in->w[w];
	struct nf_stats		*st = &in->stats[w];
	struct timespec		 ts = { 0, 200000 };
	size_t			 flen;
	ssize_t			 n;
	int			 fd, rc;

	if (!nf_pace_ok(in, w)) {
		/* The control thread may wait; a worker must not. */
		if (in->draining) {
			while (!nf_pace_ok(in, w))
				nanosleep(&ts, NULL);
		} else
			st->unpaced++;
	}
	wk->tokens -= 1;
	st->datagrams++;
	if (in->transport == NF_EGRESS) {
		flen = frame_build(in, wk->frame, c, data, len);
		rc = in->host->send(in->host, w, wk->frame, flen);
		if (rc == -1)
			st->send_errors++;
		return;
	}
	fd = c->sa.ss_family == AF_INET6 ? wk->fd6 : wk->fd4;
	n = sendto(fd, data, len, 0, (const struct sockaddr *)&c->sa,
	    c->salen);
	if (n != (ssize_t)len)
		st->send_errors++;
}

static size_t
header_len(enum nf_version v)
{
	return v == NF_V5 ? V5_HDR : v == NF_V9 ? V9_HDR : IPFIX_HDR;
}

/* Bytes a set of n bytes of records takes, with its header and padding. */
static size_t
set_size(const struct nf_out *o, size_t n)
{
	size_t	len = SET_HDR + n;

	/* NetFlow v9 wants sets padded to 4 bytes; IPFIX allows it. */
	if (o->version == NF_V9)
		len = (len + 3) / 4 * 4;
	return n > 0 ? len : 0;
}

/* The records of each family as a set after the header and templates. */
static void
sets_put(struct nf_out *o)
{
	unsigned int	v6;
	size_t		size;

	for (v6 = 0; v6 < 2; v6++) {
		if ((size = set_size(o, o->recs_len[v6])) == 0)
			continue;
		memset(o->buf + o->len, 0, size);
		put16(o->buf + o->len, v6 ? NF_TMPL_V6 : NF_TMPL_V4);
		put16(o->buf + o->len + 2, (uint16_t)size);
		memcpy(o->buf + o->len + SET_HDR, o->recs[v6],
		    o->recs_len[v6]);
		o->len += size;
		o->recs_len[v6] = 0;
	}
}

static void
templates_put(struct nf_inst *in, struct nf_out *o, uint64_t wall)
{
	const struct nf_layout	*l = &in->layout;
	size_t			 start = o->len;
	unsigned int		 v6, i;

	put16(o->buf + o->len, in->version == NF_IPFIX ? 2 : 0);
	o->len += SET_HDR;
	for (v6 = 0; v6 < 2; v6++) {
		put16(o->buf + o->len, v6 ? NF_TMPL_V6 : NF_TMPL_V4);
		put16(o->buf + o->len + 2, (uint16_t)l->nf[v6]);
		o->len += 4;
		for (i = 0; i < l->nf[v6]; i++) {
			put16(o->buf + o->len, l->f[v6][i].id);
			put16(o->buf + o->len + 2, l->f[v6][i].len);
			o->len += 4;
		}
		o->count++;
	}
	put16(o->buf + start + 2, (uint16_t)(o->len - start));
	o->tmpl_sent = 1;
	o->since_tmpl = 0;
	o->tmpl_ns = wall;
	o->layout = l->serial;
}

int
nf_templates_due(const struct nf_inst *in, const struct nf_out *o,
    uint64_t wall)
{
	if (in->version == NF_V5)
		return 0;
	return !o->tmpl_sent || o->layout != in->layout.serial ||
	    o->since_tmpl >= in->refresh || wall - o->tmpl_ns >= in->refresh_ns;
}

static void
datagram_start(struct nf_inst *in, unsigned int w, struct nf_collector *c,
    const struct nf_cache *cache, uint64_t wall)
{
	struct nf_out	*o = &c->out[w];

	o->version = in->version;
	o->len = header_len(in->version);
	o->recs_len[0] = o->recs_len[1] = 0;
	o->count = o->data = 0;
	/* Templates before the first packet go by the wall clock. */
	o->clock = cache->clock != 0 ? cache->clock : wall;
	o->boot = cache->boot != 0 ? cache->boot : o->clock / 1000000000 *
	    1000000000 - 1000000000;
	if (nf_templates_due(in, o, wall)) {
		templates_put(in, o, wall);
		in->stats[w].templates++;
	}
}

/*
 * The header's time: the clock rounded up to a whole second for v9 (to
 * a millisecond for v5), so that the collector's sum of the header's
 * seconds and the records' uptimes gives their times exactly.  The
 * datagram's version is the one it was started in: a reload may have
 * changed the instance's.
 */
static void
header_put(struct nf_inst *in, unsigned int w, struct nf_out *o)
{
	uint64_t	t = o->clock, id = in->domain + w;

	switch (o->version) {
	case NF_V5:
		t = (t + 999999) / 1000000 * 1000000;
		put16(o->buf, 5);
		put16(o->buf + 2, (uint16_t)o->count);
		put32(o->buf + 4, uptime_ms(t, o->boot));
		put32(o->buf + 8, (uint32_t)(t / 1000000000));
		put32(o->buf + 12, (uint32_t)(t % 1000000000));
		put32(o->buf + 16, o->seq);
		o->buf[20] = 0;
		o->buf[21] = (uint8_t)(in->domain + w);
		put16(o->buf + 22, 0);
		o->seq += o->count;
		break;
	case NF_V9:
		t = (t + 999999999) / 1000000000 * 1000000000;
		put16(o->buf, 9);
		put16(o->buf + 2, (uint16_t)o->count);
		put32(o->buf + 4, uptime_ms(t, o->boot));
		put32(o->buf + 8, (uint32_t)(t / 1000000000));
		put32(o->buf + 12, o->seq);
		put32(o->buf + 16, (uint32_t)id);
		o->seq++;
		break;
	case NF_IPFIX:
		put16(o->buf, 10);
		put16(o->buf + 2, (uint16_t)o->len);
		put32(o->buf + 4, (uint32_t)(t / 1000000000));
		put32(o->buf + 8, o->seq);
		put32(o->buf + 12, (uint32_t)id);
		o->seq += o->data;
		break;
	}
}

/* Send what worker w has written to c, if anything. */
void
nf_export_flush(struct nf_inst *in, unsigned int w, struct nf_collector *c,
    const struct nf_cache *cache, uint64_t wall)
{
	struct nf_out	*o = &c->out[w];

	if (o->len == 0)
		return;
	if (o->version != NF_V5)
		sets_put(o);
	header_put(in, w, o);
	datagram_send(in, w, c, o->buf, o->len);
	o->since_tmpl++;
	o->len = 0;
}

/* A datagram of templates alone, when they are due and nothing else is. */
void
nf_export_templates(struct nf_inst *in, unsigned int w, struct nf_collector *c,
    const struct nf_cache *cache, uint64_t wall)
{
	nf_export_flush(in, w, c, cache, wall);
	datagram_start(in, w, c, cache, wall);
	nf_export_flush(in, w, c, cache, wall);
}

/* Does a record of length rec, of family v6, still fit in o? */
static int
record_fits(const struct nf_inst *in, const struct nf_collector *c,
    const struct nf_out *o, size_t rec, unsigned int v6)
{
	size_t	len;

	if (in->version == NF_V5)
		return o->count < NF_V5_MAX_RECORDS &&
		    o->len + rec <= payload_max(in, c);
	len = o->len + set_size(o, o->recs_len[v6] + rec) +
	    set_size(o, o->recs_len[!v6]);
	return len <= payload_max(in, c);
}

/* Write flow fl of cache to collector c, from worker w. */
void
nf_export_flow(struct nf_inst *in, unsigned int w, struct nf_collector *c,
    const struct nf_flow *fl, const struct nf_cache *cache, uint64_t wall)
{
	struct nf_out	*o = &c->out[w];
	struct nf_key	 k;
	unsigned int	 v6, i;
	size_t		 rec;
	uint8_t		*p;

	nf_key_unpack(fl, &k);
	v6 = k.family == VNB_FAMILY_IPV6;
	if (in->version == NF_V5 && v6) {
		in->stats[w].v5_skipped++;
		return;
	}
	rec = in->version == NF_V5 ? V5_REC : in->layout.reclen[v6];
	if (o->len != 0 && (o->boot != cache->boot ||
	    o->version != in->version ||
	    (in->version != NF_V5 && o->layout != in->layout.serial) ||
	    !record_fits(in, c, o, rec, v6)))
		nf_export_flush(in, w, c, cache, wall);
	if (o->len == 0)
		datagram_start(in, w, c, cache, wall);
	if (cache->clock > o->clock)
		o->clock = cache->clock;

	if (in->version == NF_V5) {
		v5_record(o->buf + o->len, fl, &k, o->boot);
		o->len += V5_REC;
	} else {
		p = o->recs[v6] + o->recs_len[v6];
		for (i = 0; i < in->layout.nf[v6]; i++)
			p = field_put(p, &in->layout.f[v6][i], fl, &k,
			    o->boot);
		o->recs_len[v6] += rec;
	}
	o->count++;
	o->data++;
	in->stats[w].records++;
}

/*
 * A non-blocking UDP socket of family af, bound to the source address
 * and port when they are set.  Several workers share the port.
 */
int
nf_socket_open(const struct nf_inst *in, int af, char *err, size_t errlen)
{
	struct sockaddr_storage	 ss;
	socklen_t		 len;
	int			 fd, on = 1, size = 4 << 20;

	if ((fd = socket(af, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0)) ==
	    -1) {
		snprintf(err, errlen, "socket: %s", strerror(errno));
		return -1;
	}
	setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &size, sizeof(size));
	memset(&ss, 0, sizeof(ss));
	ss.ss_family = (sa_family_t)af;
	if (in->src.ss_family == af)
		memcpy(&ss, &in->src, sizeof(ss));
	len = af == AF_INET6 ? sizeof(struct sockaddr_in6) :
	    sizeof(struct sockaddr_in);
	if (af == AF_INET6)
		((struct sockaddr_in6 *)&ss)->sin6_port = htons(in->src_port);
	else
		((struct sockaddr_in *)&ss)->sin_port = htons(in->src_port);
	if (in->src_port != 0 || in->src.ss_family == af) {
		setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &on, sizeof(on));
		if (bind(fd, (struct sockaddr *)&ss, len) == -1) {
			snprintf(err, errlen, "bind to the source address: %s",
			    strerror(errno));
			close(fd);
			return -1;
		}
	}
	return fd;
}

/*
 * The kernel's MTU of the route to collector c from the source address,
 * which a connected socket reads, or 0 when it cannot tell.
 */
unsigned int
nf_route_mtu(const struct nf_inst *in, const struct nf_collector *c)
{
	struct sockaddr_storage	 src;
	socklen_t		 len = sizeof(int);
	int			 af = c->sa.ss_family, fd, mtu = 0;

	if ((fd = socket(af, SOCK_DGRAM | SOCK_CLOEXEC, 0)) == -1)
		return 0;
	if (in->src.ss_family == af) {
		src = in->src;
		if (af == AF_INET6)
			((struct sockaddr_in6 *)&src)->sin6_port = 0;
		else
			((struct sockaddr_in *)&src)->sin_port = 0;
		(void)bind(fd, (struct sockaddr *)&src, c->salen);
	}
	if (connect(fd, (const struct sockaddr *)&c->sa, c->salen) == 0 &&
	    getsockopt(fd, af == AF_INET6 ? IPPROTO_IPV6 : IPPROTO_IP,
	    af == AF_INET6 ? IPV6_MTU : IP_MTU, &mtu, &len) == -1)
		mtu = 0;
	close(fd);
	return mtu > 0 ? (unsigned int)mtu : 0;
}

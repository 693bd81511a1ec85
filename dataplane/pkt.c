/*
 * The packet parser of vnb-dataplane: see pkt.h for what it promises.
 *
 * It runs once for every packet the dataplane receives, so it walks the
 * headers once from front to back, checks each length against the bytes
 * left before it reads, and loops only over VLAN tags and IPv6 extension
 * headers, both bounded.  Fields wider than a byte are read with byte
 * shifts, which the compiler turns into a load and a byte swap and which
 * cannot fault on an unaligned address.
 */
#include <stdint.h>
#include <string.h>

#include "pkt.h"

#define ETHER_ADDR_LEN		6
#define ETHER_HDR_LEN		14
#define ETHER_TAG_LEN		4
#define ETHERTYPE_IPV4		0x0800
#define ETHERTYPE_IPV6		0x86dd
#define ETHERTYPE_VLAN		0x8100
#define ETHERTYPE_QINQ		0x88a8
#define PKT_MAX_TAGS		2
#define PKT_VLAN_MASK		0x0fff

#define IPV4_HDR_LEN		20
#define IPV4_MF			0x2000
#define IPV4_OFFMASK		0x1fff
#define IPV6_HDR_LEN		40
#define IPV6_FRAG_LEN		8
#define IPV6_OFFMASK		0xfff8

/*
 * Eight is more than any sane packet carries.  It also keeps l4_offset
 * within 16 bits: each header is at most 2048 bytes.
 */
#define PKT_MAX_EXTHDRS		8

#define IPPROTO_HOPOPTS_	0
#define IPPROTO_ICMP_		1
#define IPPROTO_TCP_		6
#define IPPROTO_UDP_		17
#define IPPROTO_ROUTING_	43
#define IPPROTO_FRAGMENT_	44
#define IPPROTO_AH_		51
#define IPPROTO_ICMPV6_		58
#define IPPROTO_NONE_		59
#define IPPROTO_DSTOPTS_	60
#define IPPROTO_SCTP_		132

#define TCP_HDR_LEN		20
#define UDP_HDR_LEN		8
#define SCTP_HDR_LEN		12
#define ICMP_HDR_LEN		8	/* as every ICMP message has */

static const char *const pkt_error_names[PKT_ERR_MAX] = {
	[PKT_OK] = "ok",
	[PKT_ERR_SHORT] = "short",
	[PKT_ERR_TAGS] = "tags",
	[PKT_ERR_IPV4] = "ipv4",
	[PKT_ERR_IPV6] = "ipv6",
	[PKT_ERR_EXTHDR] = "exthdr",
	[PKT_ERR_L4] = "l4"
};

const char *
pkt_error_name(enum pkt_error e)
{
	if ((unsigned int)e >= PKT_ERR_MAX)
		return "unknown";
	return pkt_error_names[e];
}

static inline uint16_t
pkt_get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

/*
 * Ports, TCP flags or ICMP type and code of the upper-layer header at off,
 * which the datagram ends at end.  A protocol the parser does not know is
 * fine: its header is where l4_offset says.
 */
static inline enum pkt_error
pkt_parse_l4(const uint8_t *data, uint32_t off, uint32_t end,
    struct vnb_pkt_info *info)
{
	const uint8_t	*l4 = data + off;
	uint32_t	 room = end - off, hlen;
	uint16_t	 ulen;

	switch (info->proto) {
	case IPPROTO_TCP_:
		if (room < TCP_HDR_LEN)
			return PKT_ERR_L4;
		hlen = (l4[12] >> 4) * 4;
		if (hlen < TCP_HDR_LEN || hlen > room)
			return PKT_ERR_L4;
		info->tcp_flags = l4[13];
		info->flags |= VNB_PKT_TCP;
		break;
	case IPPROTO_UDP_:
		if (room < UDP_HDR_LEN)
			return PKT_ERR_L4;
		/*
		 * A first fragment's UDP length counts the whole datagram,
		 * which the other fragments bring.
		 */
		ulen = pkt_get16(l4 + 4);
		if (!(info->flags & VNB_PKT_FRAGMENT) &&
		    (ulen < UDP_HDR_LEN || ulen > room))
			return PKT_ERR_L4;
		break;
	case IPPROTO_SCTP_:
		if (room < SCTP_HDR_LEN)
			return PKT_ERR_L4;
		break;
	case IPPROTO_ICMP_:
	case IPPROTO_ICMPV6_:
		/* Each family has its own ICMP; the other's number is not. */
		if ((info->proto == IPPROTO_ICMP_) ==
		    (info->family == VNB_FAMILY_IPV4)) {
			if (room < ICMP_HDR_LEN)
				return PKT_ERR_L4;
			info->icmp_type = l4[0];
			info->icmp_code = l4[1];
			info->flags |= VNB_PKT_ICMP;
		}
		info->l4_offset = off;
		return PKT_OK;
	default:
		info->l4_offset = off;
		return PKT_OK;
	}

	/* TCP, UDP and SCTP all start with the two ports. */
	info->sport = pkt_get16(l4);
	info->dport = pkt_get16(l4 + 2);
	info->flags |= VNB_PKT_PORTS;
	info->l4_offset = off;
	return PKT_OK;
}

/*
 * The header checksum is not verified: the dataplane sees mirrored
 * traffic, which it classifies and counts as it was sent, and a frame
 * with a bad checksum is still one that crossed the wire.
 */
static inline enum pkt_error
pkt_parse_ipv4(const uint8_t *data, uint32_t len, uint32_t off,
    struct vnb_pkt_info *info)
{
	const uint8_t	*ip = data + off;
	uint32_t	 room = len - off, hlen, tot;
	uint16_t	 frag;

	if (room < IPV4_HDR_LEN || ip[0] >> 4 != 4)
		return PKT_ERR_IPV4;
	hlen = (ip[0] & 0x0f) * 4;
	tot = pkt_get16(ip + 2);
	if (hlen < IPV4_HDR_LEN || tot < hlen || tot > room)
		return PKT_ERR_IPV4;

	info->family = VNB_FAMILY_IPV4;
	info->l3_offset = off;
	info->ip_len = tot;
	info->tos = ip[1];
	info->ttl = ip[8];
	info->proto = ip[9];
	memcpy(info->src, ip + 12, 4);
	memcpy(info->dst, ip + 16, 4);

	/* Only the first fragment has the upper-layer header. */
	frag = pkt_get16(ip + 6);
	if (frag & (IPV4_MF | IPV4_OFFMASK)) {
		info->flags |= VNB_PKT_FRAGMENT;
		if (frag & IPV4_OFFMASK) {
			info->flags |= VNB_PKT_LATER_FRAGMENT;
			return PKT_OK;
		}
	}
	return pkt_parse_l4(data, off + hlen, off + tot, info);
}

/*
 * Walk the extension headers from off to the upper-layer header, whose
 * number ends up in proto.  ESP (50) and any number not listed here end
 * the walk as an upper layer; no next header (59) ends it with none.
 */
static inline enum pkt_error
pkt_parse_ipv6_ext(const uint8_t *data, uint32_t off, uint32_t end,
    struct vnb_pkt_info *info)
{
	const uint8_t	*ext;
	uint32_t	 hlen;
	int		 n;

	for (n = 0; ; n++) {
		switch (info->proto) {
		case IPPROTO_HOPOPTS_:
		case IPPROTO_ROUTING_:
		case IPPROTO_DSTOPTS_:
		case IPPROTO_AH_:
		case IPPROTO_FRAGMENT_:
			break;
		case IPPROTO_NONE_:
			return PKT_OK;
		default:
			return pkt_parse_l4(data, off, end, info);
		}

		/* No extension header is shorter than 8 bytes, AH included. */
		ext = data + off;
		if (n == PKT_MAX_EXTHDRS || end - off < 8)
			return PKT_ERR_EXTHDR;
		if (info->proto == IPPROTO_FRAGMENT_) {
			info->flags |= VNB_PKT_FRAGMENT;
			info->proto = ext[0];
			if (pkt_get16(ext + 2) & IPV6_OFFMASK) {
				info->flags |= VNB_PKT_LATER_FRAGMENT;
				return PKT_OK;
			}
			hlen = IPV6_FRAG_LEN;
		} else if (info->proto == IPPROTO_AH_)
			hlen = (ext[1] + 2) * 4;
		else
			hlen = (ext[1] + 1) * 8;
		if (hlen > end - off)
			return PKT_ERR_EXTHDR;
		info->proto = ext[0];
		off += hlen;
	}
}

static inline enum pkt_error
pkt_parse_ipv6(const uint8_t *data, uint32_t len, uint32_t off,
    struct vnb_pkt_info *info)
{
	const uint8_t	*ip = data + off;
	uint32_t	 room = len - off, plen;

	if (room < IPV6_HDR_LEN || ip[0] >> 4 != 6)
		return PKT_ERR_IPV6;
	plen = pkt_get16(ip + 4);
	if (plen > room - IPV6_HDR_LEN)
		return PKT_ERR_IPV6;

	info->family = VNB_FAMILY_IPV6;
	info->l3_offset = off;
	info->ip_len = IPV6_HDR_LEN + plen;
	info->tos = (ip[0] & 0x0f) << 4 | ip[1] >> 4;
	info->ttl = ip[7];
	info->proto = ip[6];
	memcpy(info->src, ip + 8, 16);
	memcpy(info->dst, ip + 24, 16);

	return pkt_parse_ipv6_ext(data, off + IPV6_HDR_LEN,
	    off + IPV6_HDR_LEN + plen, info);
}

/*
 * Skip up to two VLAN tags and leave in *offp where the payload starts.
 * Either TPID is taken for a tag at either place, so that a frame with
 * 0x88a8 inside is counted as the QinQ frame it meant to be.
 */
static inline enum pkt_error
pkt_parse_tags(const uint8_t *data, uint32_t len, uint32_t *offp,
    struct vnb_pkt_info *info)
{
	uint32_t	off = ETHER_HDR_LEN - 2;
	uint16_t	type = pkt_get16(data + off);
	int		n;

	for (n = 0; type == ETHERTYPE_VLAN || type == ETHERTYPE_QINQ; n++) {
		if (n == PKT_MAX_TAGS)
			return PKT_ERR_TAGS;
		if (len - off < ETHER_TAG_LEN + 2)
			return PKT_ERR_SHORT;
		if (n == 0) {
			info->vlan = pkt_get16(data + off + 2) & PKT_VLAN_MASK;
			info->flags |= VNB_PKT_VLAN;
		} else {
			info->inner_vlan = pkt_get16(data + off + 2) &
			    PKT_VLAN_MASK;
			info->flags |= VNB_PKT_QINQ;
		}
		off += ETHER_TAG_LEN;
		type = pkt_get16(data + off);
	}

	info->ethertype = type;
	*offp = off + 2;
	return PKT_OK;
}

/*
 * Clearing the whole structure first costs a few vector stores and means
 * that no path can leave a field undefined.
 */
enum pkt_error
pkt_parse(const uint8_t *data, uint32_t len, struct vnb_pkt_info *info)
{
	enum pkt_error	e;
	uint32_t	off;

	memset(info, 0, sizeof(*info));
	if (len < ETHER_HDR_LEN)
		return PKT_ERR_SHORT;
	memcpy(info->dmac, data, ETHER_ADDR_LEN);
	memcpy(info->smac, data + ETHER_ADDR_LEN, ETHER_ADDR_LEN);

	if ((e = pkt_parse_tags(data, len, &off, info)) != PKT_OK)
		return e;
	if (info->ethertype == ETHERTYPE_IPV4)
		return pkt_parse_ipv4(data, len, off, info);
	if (info->ethertype == ETHERTYPE_IPV6)
		return pkt_parse_ipv6(data, len, off, info);
	return PKT_OK;
}

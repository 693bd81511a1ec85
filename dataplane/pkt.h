/*
 * Parsing a frame into the vnb_pkt_info that the classifier and the
 * plugins read: Ethernet, 802.1Q and QinQ tags, IPv4 with options, IPv6 with its
 * extension headers, TCP, UDP, SCTP, ICMP and ICMPv6, and fragments (a
 * fragment other than the first has no ports).
 *
 * The parser never reads past len.  It needs nothing from DPDK, so that
 * it can be tested and fuzzed on its own.
 */
#ifndef VNB_DP_PKT_H
#define VNB_DP_PKT_H

#include <stdint.h>

#include "vnb/plugin.h"

/* Why a frame is malformed, for the per-reason counters. */
enum pkt_error {
	PKT_OK = 0,
	PKT_ERR_SHORT,		/* shorter than its Ethernet header and tags */
	PKT_ERR_TAGS,		/* more VLAN tags than 2 */
	PKT_ERR_IPV4,		/* bad version, header length or total length */
	PKT_ERR_IPV6,		/* bad version or payload length */
	PKT_ERR_EXTHDR,		/* IPv6 extension headers cut short or too many */
	PKT_ERR_L4,		/* TCP, UDP, SCTP or ICMP header cut short, or
				   UDP length below 8 or past the datagram */
	PKT_ERR_MAX
};

const char	*pkt_error_name(enum pkt_error);

/*
 * Fill info from the frame at data, len bytes long.  Returns PKT_OK, or
 * the reason the frame is malformed; info then holds what was parsed
 * before the problem, and the frame must not be classified.  Every field
 * is set either way: what the frame does not have is zero.
 *
 * Either TPID, 0x8100 or 0x88a8, makes a tag in either place; vlan is the
 * outer tag's ID.  Bytes after the IP datagram are Ethernet padding, and
 * the upper-layer header must fit in the datagram.  l4_offset is also set
 * for a protocol the parser does not look into (GRE, ESP), but not after
 * IPv6's no next header or in a fragment other than the first.  Checksums
 * are not verified.
 */
enum pkt_error	 pkt_parse(const uint8_t *data, uint32_t len,
		    struct vnb_pkt_info *info);

#endif

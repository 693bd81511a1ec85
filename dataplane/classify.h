/*
 * Classification: which rule of a policy a packet matches first.
 *
 * A classifier is built once per policy and generation, on the control
 * thread, from the policy's rules in match order (the first that matches
 * wins).  Workers then classify bursts of parsed packets against it
 * without locks.  Building is slow and classifying is fast: the cost per
 * packet stays almost flat from 10 to 10,000 rules.
 */
#ifndef VNB_DP_CLASSIFY_H
#define VNB_DP_CLASSIFY_H

#include <stddef.h>
#include <stdint.h>

#include "parse.h"		/* libvnb: prefixes, MACs, port ranges */
#include "pkt.h"

/* One rule's match; any field left at its "any" value matches all. */
struct cls_rule {
	int			family;		/* 0 (any), AF_INET, AF_INET6 */
	struct vnb_prefix	src;		/* family 0: any */
	struct vnb_prefix	dst;
	struct vnb_mac		smac;		/* .any: any */
	struct vnb_mac		dmac;
	struct vnb_port_range	sport;		/* 0-65535: any */
	struct vnb_port_range	dport;
	int			proto;		/* PARSE_PROTO_ANY: any */
	uint16_t		vlan;		/* 0: any */
};

struct classifier;

/*
 * Build a classifier over rules[0..n-1], in match order.  name must be
 * unique among the classifiers that exist at once (it names DPDK
 * objects).  socket is the NUMA socket to allocate on, or -1 for any.
 * Returns NULL with a message in err.
 */
struct classifier	*cls_build(const char *name,
			    const struct cls_rule *rules, size_t n, int socket,
			    char *err, size_t errlen);
void			 cls_free(struct classifier *);

/*
 * Whether every packet gets the same result from the classifier, which
 * *result then holds: a policy whose first rule matches anything, or
 * that has no rules at all.  Such a policy needs no classifying.
 */
int			 cls_constant(const struct classifier *,
			    uint32_t *result);

/*
 * For each of the n packets, results[i] is the index of the first rule
 * pkts[i] matches plus one, or 0 if none does.  Safe to call from any
 * number of threads at once.
 */
void			 cls_classify(const struct classifier *,
			    const struct vnb_pkt_info *const *pkts,
			    uint32_t *results, unsigned int n);

/*
 * A kind of packet (IPv4, IPv6, not IP) that at most this many of a
 * policy's rules can match is classified rule by rule, not by DPDK's ACL
 * library, and one whose first rule matches any packet of the kind is
 * not classified at all.  Tests and benchmarks set it to 0 to use only
 * the library.
 */
#define CLS_LINEAR_MAX		8
extern unsigned int		 cls_linear_max;

/* Bytes the classifier takes, for the logs. */
size_t			 cls_memory(const struct classifier *);

#endif

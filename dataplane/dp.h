/*
 * vnb-dataplane's internals: a generation (everything the workers read,
 * built from one configuration document), the plugins, and the counters.
 *
 * The control thread builds a generation beside the running one and
 * publishes it with one atomic store; each worker picks it up between two
 * bursts and reports a quiescent state after every burst, so that the
 * control thread knows when no worker can still see the old generation
 * and frees it (RCU, with rte_rcu_qsbr).
 */
#ifndef VNB_DP_H
#define VNB_DP_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "classify.h"
#include "pkt.h"
#include "vnb/plugin.h"

#define DP_BURST		32
#define DP_MAX_WORKERS		64
#define DP_MAX_PORTS		32

enum dp_plugin_id {
	DP_NETFLOW,
	DP_SFLOW,
	DP_RAWFORWARD,
	DP_NPLUGINS
};

extern const char *const dp_plugin_names[DP_NPLUGINS];

/* A loaded plugin: the shared object, and what it needs from us. */
struct dp_plugin {
	const char		*name;
	char			*path;
	char			*args;		/* JSON object text */
	void			*handle;	/* dlopen */
	const struct vnb_plugin	*ops;
	struct vnb_plugin_host	 host;
};

struct dp_rule {
	char		*name;
	char		*classification;
	uint32_t	 truncate;	/* 0: the whole packet */
	uint8_t		 drop;
	uint32_t	 stat;		/* index in the generation's rule counters */
};

struct dp_policy {
	char			*name;
	struct classifier	*cls;
	struct dp_rule		*rules;		/* in match order */
	size_t			 nrules;
	int			 constant;	/* see cls_constant() */
	uint32_t		 result;	/* what cls gives, if constant */
};

/*
 * A slot of the generation's hash of sources by MAC: the MAC as a 48-bit
 * integer, and the sources that have it, sources[first] on.
 */
struct dp_mac_slot {
	uint64_t	key;		/* DP_MAC_EMPTY: a free slot */
	uint32_t	first;
	uint32_t	n;
	/*
	 * The association of the MAC's one source when that source has
	 * one, on any VLAN and port (the usual case), and its directions;
	 * else DP_ASSOC_NONE, and the sources say.
	 */
	uint32_t	assoc;
	uint8_t		directions;
};

#define DP_ASSOC_NONE		UINT32_MAX

/* No MAC has bits above the 48th. */
#define DP_MAC_EMPTY		UINT64_MAX

struct dp_source {
	char		*name;
	uint8_t		 mac[6];
	uint16_t	 vlan;		/* 0: any */
	int		 port;		/* -1: any */
};

struct dp_assoc {
	char			*name;
	enum dp_plugin_id	 plugin;
	uint32_t		 index;		/* among the plugin's associations */
	uint32_t		 source;
	uint8_t			 directions;	/* VNB_DIR_* bits */
	struct dp_policy	*policy;
};

/*
 * One of a source's associations, with its directions beside it: the
 * workers look at the directions of every association of a packet's
 * sources, and need the association only where they fit.
 */
struct dp_src_assoc {
	uint32_t	assoc;
	uint8_t		directions;	/* VNB_DIR_* bits */
};

/* Per rule, per worker; summed for display. */
struct dp_rule_count {
	uint64_t	hits;
	uint64_t	bytes;
};

/* One generation's per-worker counters. */
struct dp_gen_count {
	uint64_t	packets;	/* classified by this generation */
	uint64_t	matched;	/* by some rule of some association */
	uint64_t	forwarded;	/* handed to a plugin */
	uint64_t	dropped;	/* by a drop rule */
	uint64_t	plugin[DP_NPLUGINS];
} __attribute__((aligned(64)));

/*
 * What a worker needs per burst, sized for the generation: the packets of
 * each association, and of each plugin.
 */
struct dp_scratch {
	uint16_t	*assoc_pkts;	/* [nassocs][DP_BURST] */
	uint8_t		*assoc_dir;	/* [nassocs][DP_BURST] */
	uint16_t	*assoc_n;	/* [nassocs] */
	uint32_t	*touched;	/* associations with packets */
	uint32_t	 ntouched;
};

struct dp_gen {
	long			 generation;
	char			*scope;
	char			*hash;

	struct dp_source	*sources;
	size_t			 nsources;
	/* Sources by MAC: an open hash, at most half full. */
	struct dp_mac_slot	*mac_slots;
	uint32_t		 mac_mask;
	/* The associations of each source: src_assocs[src_first[s]...]. */
	uint32_t		*src_first;	/* [nsources + 1] */
	struct dp_src_assoc	*src_assocs;

	struct dp_assoc		*assocs;
	size_t			 nassocs;
	uint8_t			 directions;	/* of any association */
	struct dp_policy	*policies;
	size_t			 npolicies;
	size_t			 nrules;	/* over all policies */

	struct dp_plugin	*plugins[DP_NPLUGINS];	/* NULL: not used */
	void			*inst[DP_NPLUGINS];	/* their instances */

	unsigned int		 nworkers;
	struct dp_gen_count	*count;		/* [nworkers] */
	struct dp_rule_count	*rule_count;	/* [nworkers][nrules] */
	struct dp_scratch	*scratch;	/* [nworkers] */
};

/* config.c */
struct dp_gen	*dp_gen_load(const char *, const struct dp_gen *,
		    struct dp_plugin **, unsigned int, char *, size_t);
void		 dp_gen_free(struct dp_gen *, const struct dp_gen *);

/* A MAC as the key of the generation's hash of sources. */
static inline uint64_t
dp_mac_key(const uint8_t *mac)
{
	uint32_t	hi;
	uint16_t	lo;

	memcpy(&hi, mac, sizeof(hi));
	memcpy(&lo, mac + 4, sizeof(lo));
	return (uint64_t)hi | (uint64_t)lo << 32;
}

/* Fibonacci hashing: the high bits of the product mix every MAC bit. */
static inline uint32_t
dp_mac_hash(uint64_t key)
{
	return (uint32_t)((key * 0x9e3779b97f4a7c15ull) >> 40);
}

/*
 * The slot of MAC mac, which has its first source and how many in a row
 * have it; NULL if none.  On the workers, twice a packet: it has to be
 * cheap.
 */
static inline const struct dp_mac_slot *
dp_gen_slot(const struct dp_gen *g, const uint8_t *mac)
{
	const struct dp_mac_slot	*ms;
	uint64_t			 key = dp_mac_key(mac);
	uint32_t			 slot;

	for (slot = dp_mac_hash(key) & g->mac_mask;;
	    slot = (slot + 1) & g->mac_mask) {
		ms = &g->mac_slots[slot];
		if (ms->key == key)
			return ms;
		if (ms->key == DP_MAC_EMPTY)
			return NULL;
	}
}

/* main.c: the egress port, for vnb_plugin_host.send(). */
int		 dp_egress_send(unsigned int, const void *, size_t);
/* main.c: the mbuf field of capture times (us), or -1, and its flag. */
extern int	 dp_time_offset;
extern uint64_t	 dp_time_flag;

/* plugin.c */
uint64_t	 dp_now_ns(void);
struct dp_plugin *dp_plugin_open(const char *, const char *, const char *,
		    unsigned int, char *, size_t);
void		 dp_plugin_close(struct dp_plugin *);

/* worker.c */
struct rte_mbuf;

struct dp_worker_count {
	uint64_t	rx_packets;
	uint64_t	rx_bytes;
	uint64_t	malformed[PKT_ERR_MAX];
	uint64_t	no_source;	/* belongs to no source */
	uint64_t	plugin_errors;
} __attribute__((aligned(64)));

void	dp_process(struct dp_gen *, unsigned int, uint16_t,
	    struct rte_mbuf **, uint16_t, struct dp_worker_count *, uint64_t);

#endif

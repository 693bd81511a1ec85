/*
 * The VNB dataplane plugin interface.
 *
 * vnb-dataplane classifies every packet against the policies of its
 * scope and hands the packets a rule forwards to a plugin: rawforward,
 * netflow, sflow, or one of your own.  A plugin is a shared object that
 * the dataplane loads with dlopen(3); it exports one symbol,
 *
 *	const struct vnb_plugin vnb_plugin = { ... };
 *
 * and needs nothing but this header: no DPDK, no VNB library.  This file
 * is installed as <vnb/plugin.h>.
 *
 * Threads.  The dataplane has one control thread and one or more
 * workers, each on its own lcore.  init(), reload(), counters() and fini()
 * run on the control thread; handle() and tick() run on the workers and
 * must never block.  A worker w only ever calls handle(w) and tick(w), so
 * state kept per worker needs no locks.
 *
 * Generations.  Each configuration the dataplane loads is a generation.
 * A plugin makes one instance per generation: init() for the first,
 * reload() for each later one, built beside the running instance while
 * the workers go on using it.  The workers then move to the new instance
 * between two bursts, each at its own moment, and once none uses the old
 * instance any more it is given to fini().  Since a worker uses exactly
 * one instance at a time, per-worker state (a flow cache, a sequence
 * number) can be handed from the old instance to the new one.
 *
 * Compatibility.  The dataplane refuses a plugin whose abi_version is not
 * VNB_PLUGIN_ABI_VERSION.  Within one version, fields are only appended
 * to the structures the dataplane fills in (and size says how large they
 * are), so a plugin built against an older header of the same version
 * keeps working.
 */
#ifndef VNB_PLUGIN_H
#define VNB_PLUGIN_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define VNB_PLUGIN_ABI_VERSION	1

/* vnb_pkt_info.family */
#define VNB_FAMILY_NONE		0	/* not IP */
#define VNB_FAMILY_IPV4		4
#define VNB_FAMILY_IPV6		6

/* vnb_pkt_info.flags */
#define VNB_PKT_VLAN		0x0001	/* vlan is set */
#define VNB_PKT_QINQ		0x0002	/* inner_vlan is set too */
#define VNB_PKT_PORTS		0x0004	/* sport and dport are set */
#define VNB_PKT_FRAGMENT	0x0008	/* an IP fragment */
#define VNB_PKT_LATER_FRAGMENT	0x0010	/* a fragment other than the first */
#define VNB_PKT_ICMP		0x0020	/* icmp_type and icmp_code are set */
#define VNB_PKT_TCP		0x0040	/* tcp_flags is set */

/*
 * What the dataplane parsed of a packet.  Offsets count from the start of
 * the frame; addresses are in network byte order, everything else in host
 * byte order.  An IPv4 address takes the first 4 bytes of its field.
 * What a packet does not have is zero, whatever the flags say of it.
 */
struct vnb_pkt_info {
	uint8_t		dmac[6];
	uint8_t		smac[6];
	uint16_t	vlan;		/* outer VLAN ID */
	uint16_t	inner_vlan;	/* QinQ: the inner VLAN ID */
	uint16_t	ethertype;	/* of the payload, after the tags */
	uint16_t	flags;		/* VNB_PKT_* */
	uint8_t		family;		/* VNB_FAMILY_* */
	uint8_t		proto;		/* IP protocol, after IPv6 ext. headers */
	uint8_t		tos;		/* IPv4 TOS, IPv6 traffic class */
	uint8_t		ttl;		/* TTL or hop limit */
	uint8_t		tcp_flags;	/* FIN 0x01 ... CWR 0x80 */
	uint8_t		icmp_type;
	uint8_t		icmp_code;
	uint8_t		pad0;
	uint16_t	sport;
	uint16_t	dport;
	uint16_t	l3_offset;
	uint16_t	l4_offset;	/* 0: no L4 header */
	uint32_t	ip_len;		/* IP datagram length from its header */
	uint8_t		src[16];
	uint8_t		dst[16];
};

/* vnb_pkt.direction */
#define VNB_DIR_INGRESS		1	/* sent by the source */
#define VNB_DIR_EGRESS		2	/* sent to the source */

/*
 * A packet handed to a plugin: a match of one of the plugin's
 * associations.  It is valid only during the handle() call.  Packets of a
 * capture file replayed once have the time they were captured at as
 * time_ns, so that time in a plugin passes as it did on the wire.
 */
struct vnb_pkt {
	const uint8_t		*data;		/* the frame */
	uint32_t		 len;		/* bytes at data, after truncation */
	uint32_t		 wire_len;	/* the frame's length */
	uint64_t		 time_ns;	/* received, ns since the epoch */
	uint16_t		 port;		/* dataplane port it came in on */
	uint8_t			 direction;	/* VNB_DIR_* */
	uint8_t			 pad0;
	uint32_t		 association;	/* index in the config's list */
	uint32_t		 rule;		/* index in its policy's rules */
	const struct vnb_pkt_info *info;
	void			*mbuf;		/* the struct rte_mbuf */
};

/* Log levels for vnb_plugin_host.log(). */
#define VNB_LOG_WARN		0
#define VNB_LOG_INFO		1
#define VNB_LOG_DEBUG		2

/*
 * What the dataplane offers a plugin.  It lives as long as the dataplane;
 * a plugin keeps the pointer init() gets.
 */
struct vnb_plugin_host {
	size_t		 size;		/* sizeof(struct vnb_plugin_host) */
	unsigned int	 nworkers;	/* workers are numbered 0 to n-1 */
	/*
	 * Send a frame (Ethernet, with a valid IP checksum) out of the
	 * dataplane's egress port from worker w, or from the control thread
	 * with w = nworkers.  Returns 0, or -1 if there is no egress port or
	 * its queue is full: the frame is then dropped and counted.
	 */
	int		(*send)(const struct vnb_plugin_host *, unsigned int w,
			    const void *frame, size_t len);
	void		(*log)(const struct vnb_plugin_host *, int level,
			    const char *fmt, ...)
			    __attribute__((format(printf, 3, 4)));
	uint64_t	(*now_ns)(void);	/* CLOCK_REALTIME, cheap */
	const char	*name;		/* the plugin's name: "netflow" */
	void		*priv;		/* the dataplane's */
};

/* Called by counters() once per counter. */
typedef void	vnb_counter_fn(void *arg, const char *name, uint64_t value);

struct vnb_plugin {
	uint32_t	 abi_version;	/* VNB_PLUGIN_ABI_VERSION */
	const char	*name;
	const char	*description;

	/*
	 * Make the instance for the first generation.  config is a JSON
	 * object (see "PLUGINS" in vnb-dataplane(8)):
	 *
	 *   {"scope": "...", "generation": N,
	 *    "settings": {...},        the plugin's section of the document
	 *    "args": {"key": "value"}, from --plugin NAME=PATH,key=value
	 *    "associations": [...]}    the plugin's associations, in the
	 *                              order vnb_pkt.association counts
	 *
	 * Returns the instance, or NULL with a message in err.
	 */
	void	*(*init)(const struct vnb_plugin_host *host,
		    const char *config, char *err, size_t errlen);

	/*
	 * Make the instance for a new generation beside running, which the
	 * workers keep using until they move to the new one.  Returns the new
	 * instance, or NULL with a message in err: the dataplane then keeps
	 * running the old generation.  NULL here means every reload calls
	 * fini() on the old instance and init() for the new one.
	 */
	void	*(*reload)(void *running, const char *config, char *err,
		    size_t errlen);

	/*
	 * Worker w's matched packets, a burst at a time, in arrival order.
	 */
	void	 (*handle)(void *inst, unsigned int w,
		    struct vnb_pkt *const *pkts, unsigned int n);

	/*
	 * Called on worker w about every millisecond, with packets or
	 * without: time for timeouts and for sending what is batched.  May
	 * be NULL.
	 */
	void	 (*tick)(void *inst, unsigned int w, uint64_t now_ns);

	/*
	 * Report the instance's counters with emit(arg, name, value).
	 * Called on the control thread while the workers run: read
	 * per-worker counters without locks, as the dataplane sums them for
	 * display.  May be NULL.
	 */
	void	 (*counters)(void *inst, vnb_counter_fn *emit, void *arg);

	/*
	 * Free an instance no worker uses any more.  next is the instance
	 * that carries on: the one of the generation that replaced it, or,
	 * when a new generation could not be built, the running instance the
	 * failed one was made beside.  next is NULL when the dataplane stops
	 * or the plugin is no longer used: then send or write out whatever
	 * is still held.
	 */
	void	 (*fini)(void *inst, void *next);
};

#ifdef __cplusplus
}
#endif

#endif

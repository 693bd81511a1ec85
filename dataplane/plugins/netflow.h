/*
 * The netflow plugin's internals: the flow cache each worker keeps, the
 * collectors flows are exported to, and the layouts of the records.
 *
 * netflow.c is the plugin (settings, associations, the cache, expiry);
 * nf_export.c encodes NetFlow v5, v9 and IPFIX datagrams and sends them.
 */
#ifndef VNB_NETFLOW_H
#define VNB_NETFLOW_H

#include <sys/socket.h>
#include <stddef.h>
#include <stdint.h>

#include <vnb/plugin.h>

#define NF_NIL			UINT32_MAX
#define NF_MTU_MIN		576
#define NF_MTU_MAX		9000
#define NF_MAX_FIELDS		24
#define NF_TMPL_V4		256
#define NF_TMPL_V6		257
#define NF_V5_MAX_RECORDS	30

enum nf_version {
	NF_V5 = 5,
	NF_V9 = 9,
	NF_IPFIX = 10
};

/* Key fields: the netflow-monitor's match. */
#define NF_K_SRC		0x0001
#define NF_K_DST		0x0002
#define NF_K_SPORT		0x0004
#define NF_K_DPORT		0x0008
#define NF_K_PROTO		0x0010
#define NF_K_TOS		0x0020
#define NF_K_IFACE		0x0040
#define NF_K_MAC		0x0080
#define NF_K_VLAN		0x0100

/* Collected fields: the netflow-monitor's collect. */
#define NF_C_COUNTERS		0x0001
#define NF_C_TIMES		0x0002
#define NF_C_TCPFLAGS		0x0004
#define NF_C_MASKS		0x0008
#define NF_C_MAC		0x0010
#define NF_C_VLAN		0x0020

/* Why a flow was exported, for the counters. */
enum nf_reason {
	NF_ACTIVE,
	NF_INACTIVE,
	NF_FIN,
	NF_PRESSURE,
	NF_FINAL,
	NF_NREASONS
};

enum nf_algo {
	NF_RR,
	NF_WRR,
	NF_SESSION
};

enum nf_transport {
	NF_SOCKET,
	NF_EGRESS
};

/*
 * A flow's key, as the exporter reads it: the packet's fields that the
 * monitor matches on, the others zero, and the MAC addresses of its first
 * packet.  Flows of different associations are different flows, as they
 * go to different collectors.
 */
struct nf_key {
	uint8_t		src[16];
	uint8_t		dst[16];
	uint8_t		smac[6];
	uint8_t		dmac[6];
	uint16_t	sport;
	uint16_t	dport;	/* ICMP: type << 8 | code */
	uint16_t	vlan;
	uint16_t	port;
	uint32_t	assoc;
	uint8_t		family;
	uint8_t		proto;
	uint8_t		tos;
};

/*
 * The same key packed in eight words, as the cache keeps it: a[] has all
 * of an IPv4 key, b[] the rest of an IPv6 one and the MAC addresses (a
 * part of the key only when the monitor matches on them).
 *
 *	a[0]	IPv4: source | destination << 32; IPv6: source bytes 0-7
 *	a[1]	source port | destination port << 16 | VLAN << 32 |
 *		input port << 48
 *	a[2]	association | family << 32 | protocol << 40 | TOS << 48
 *	b[0]	IPv6 source bytes 8-15
 *	b[1]	IPv6 destination bytes 0-7
 *	b[2]	IPv6 destination bytes 8-15
 *	b[3]	source MAC | destination MAC bytes 0-1 << 48
 *	b[4]	destination MAC bytes 2-5
 */
struct nf_pkey {
	uint64_t	a[3];
	uint64_t	b[5];
};

/*
 * A flow: in its first cache line what every packet of it reads and
 * writes, IPv4 keys and the bucket chain included; in the second the
 * rest, so that most packets cost one cache line, fetched ahead.
 */
struct nf_flow {
	uint64_t	a[3];
	uint64_t	packets;
	uint64_t	bytes;
	uint64_t	first;		/* ns */
	uint64_t	last;
	uint32_t	hnext;		/* bucket chain, or the free list */
	uint8_t		tcp_flags;
	uint8_t		direction;	/* VNB_DIR_*; 0: a free entry */
	uint8_t		pad[2];
	uint64_t	b[5];
	uint32_t	prev;		/* the list in order of creation */
	uint32_t	next;
	uint16_t	vlan;		/* of the first packet */
	uint8_t		smask;
	uint8_t		dmask;
} __attribute__((aligned(64)));

/*
 * A packet that the plugin took and will count at its next call: what
 * counting it needs, its key and the key's hash.  Counting waits a call
 * so that the flow it goes to is fetched from memory meanwhile.
 */
struct nf_pend {
	struct nf_pkey	k;
	uint64_t	t;		/* ns */
	uint64_t	macs[2];	/* as b[3] and b[4] of the key */
	uint32_t	h;
	uint32_t	ip_len;
	uint32_t	rule;
	uint16_t	vlan;
	uint8_t		direction;
	uint8_t		tcp_flags;	/* 0 for a packet that is not TCP */
};

#define NF_BATCH	32	/* packets taken and counted together */

/*
 * One worker's flows.  The cache outlives instances when a reload keeps
 * the flow key and the associations, so that no flow is cut by a reload;
 * its pending packets go with it.
 */
struct nf_cache {
	struct nf_flow	*flows;		/* [cap] */
	uint32_t	*buckets;	/* [mask + 1], flow index or NF_NIL */
	size_t		 flows_len;	/* bytes mapped */
	size_t		 buckets_len;
	uint32_t	 cap;
	uint32_t	 mask;
	uint32_t	 n;
	uint32_t	 free;
	uint32_t	 head;		/* the oldest flow */
	uint32_t	 tail;
	uint32_t	 scan;		/* where the timeout scan goes on */
	uint32_t	 used;		/* entries below this have been used */
	uint8_t		 moved;		/* packets moved the clock */
	uint8_t		 mac_key;	/* the MACs are part of the key */
	uint64_t	 clock;		/* ns: packet time, then wall time on */
	uint64_t	 clock_wall;	/* wall time when clock was set */
	uint64_t	 boot;		/* ns: sysUptime 0 */
	unsigned int	 npend;		/* pending packets, in pend[side] */
	unsigned int	 side;
	struct nf_pend	 pend[2][NF_BATCH];
};

/* Counters, per worker and one for the control thread. */
struct nf_stats {
	uint64_t	packets;
	uint64_t	not_ip;
	uint64_t	created;
	uint64_t	exported[NF_NREASONS];
	uint64_t	records;
	uint64_t	templates;
	uint64_t	datagrams;
	uint64_t	send_errors;
	uint64_t	v5_skipped;	/* IPv6 flows v5 cannot carry */
	uint64_t	unpaced;	/* sent over the pacing budget */
} __attribute__((aligned(64)));

/* A template: the fields of one record, and its length. */
struct nf_field {
	uint16_t	id;
	uint16_t	len;
};

struct nf_layout {
	struct nf_field	f[2][NF_MAX_FIELDS];	/* [0] IPv4, [1] IPv6 */
	unsigned int	nf[2];
	unsigned int	reclen[2];
	uint32_t	serial;		/* changes with the fields */
};

/*
 * What a worker is writing to one collector: the datagram being filled
 * (its header and templates, and apart, the records of each family, so
 * that each family's make one set), the sequence number and when
 * templates were last sent.  It lives with the collector, across reloads.
 */
struct nf_out {
	uint8_t		buf[NF_MTU_MAX];
	size_t		len;		/* 0: no datagram started */
	/* The data of each family, until the datagram is sent. */
	uint8_t		recs[2][NF_MTU_MAX];
	size_t		recs_len[2];
	unsigned int	count;		/* records in the datagram */
	unsigned int	data;		/* data records in the datagram */
	uint32_t	seq;
	uint32_t	since_tmpl;	/* datagrams since the templates */
	uint64_t	tmpl_ns;	/* wall time of the templates */
	uint32_t	layout;		/* serial the templates were of */
	uint64_t	boot;		/* of the cache the records came from */
	uint64_t	clock;		/* the latest of their clocks */
	uint8_t		tmpl_sent;
	uint8_t		version;	/* of the datagram being filled */
} __attribute__((aligned(64)));

/* A collector, shared by the instances that export to it. */
struct nf_collector {
	struct nf_collector	*next;
	unsigned int		 refs;
	struct sockaddr_storage	 sa;
	socklen_t		 salen;
	char			 name[96];	/* ADDRESS:PORT */
	unsigned int		 route_mtu;	/* the kernel's; 0: unknown */
	struct nf_out		*out;		/* [nworkers + 1] */
};

struct nf_member {
	struct nf_collector	*c;
	uint32_t		 weight;
};

struct nf_assoc {
	char		*name;
	char		*set;		/* the collector set, or NULL */
	unsigned int	 slot;		/* its balancing state, per set */
	struct nf_member *members;
	unsigned int	 nmembers;
	enum nf_algo	 algo;
	uint32_t	 total_weight;
	uint8_t		(*masks)[2];	/* per rule: source, destination */
	unsigned int	 nrules;
};

/* What one worker of one instance sends with. */
struct nf_worker {
	int		 fd4;
	int		 fd6;
	uint32_t	*rr;		/* [slot]: the next member */
	int64_t		*credit;	/* [slot * max_members + i]: WRR */
	double		 tokens;	/* datagrams it may send now */
	uint64_t	 tokens_ns;
	uint8_t		 frame[NF_MTU_MAX + 64];
} __attribute__((aligned(64)));

struct nf_inst {
	const struct vnb_plugin_host	*host;
	long				 generation;
	enum nf_version			 version;
	uint64_t			 active_ns;
	uint64_t			 inactive_ns;
	uint32_t			 refresh;	/* datagrams */
	uint64_t			 refresh_ns;
	uint32_t			 max_flows;
	uint32_t			 domain;
	unsigned int			 match;		/* NF_K_* */
	uint64_t			 kmask[3];	/* match, as a[] */
	unsigned int			 collect;	/* NF_C_* */
	enum nf_transport		 transport;
	struct sockaddr_storage		 src;		/* family 0: any */
	uint16_t			 src_port;
	unsigned int			 mtu;
	double				 pacing;	/* datagrams/s */
	uint8_t				 src_mac[6];
	uint8_t				 gw_mac[6];

	struct nf_assoc			*assocs;
	unsigned int			 nassocs;
	struct nf_collector		**cols;
	unsigned int			 ncols;
	unsigned int			 max_members;	/* of a set */
	struct nf_layout		 layout;

	unsigned int			 nworkers;
	struct nf_cache			**cache;	/* [nworkers] */
	struct nf_worker		*w;		/* [nworkers + 1] */
	struct nf_stats			*stats;		/* [nworkers + 1] */
	int				 draining;	/* on the control thread */
};

/* nf_export.c */
void	nf_layout_build(struct nf_layout *, enum nf_version, unsigned int,
	    unsigned int);
int	nf_socket_open(const struct nf_inst *, int, char *, size_t);
unsigned int nf_route_mtu(const struct nf_inst *, const struct nf_collector *);
void	nf_export_flow(struct nf_inst *, unsigned int, struct nf_collector *,
	    const struct nf_flow *, const struct nf_cache *, uint64_t);
void	nf_key_unpack(const struct nf_flow *, struct nf_key *);
void	nf_export_flush(struct nf_inst *, unsigned int, struct nf_collector *,
	    const struct nf_cache *, uint64_t);
void	nf_export_templates(struct nf_inst *, unsigned int,
	    struct nf_collector *, const struct nf_cache *, uint64_t);
int	nf_pace_ok(struct nf_inst *, unsigned int);
int	nf_templates_due(const struct nf_inst *, const struct nf_out *,
	    uint64_t);

#endif

/*
 * netflow: the vnb-dataplane plugin that turns the packets its
 * associations match into flows and exports them to NetFlow v5, v9 and
 * IPFIX collectors (see NETFLOW in vnb-dataplane(8)).
 *
 * Each worker keeps its own flow cache, preallocated for its share of
 * max-flows: a chained hash over an array of flows, with the flows also
 * in a list by age, so that the oldest goes first when the cache is full.
 * A flow ends at its active or inactive timeout, at a TCP FIN or RST, when
 * the cache needs room, or when the plugin stops; it is then written to
 * one of its association's collectors, chosen by the collector set's
 * algorithm.
 */
#include <sys/mman.h>
#include <sys/socket.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <inttypes.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "netflow.h"

#define NF_TCP_FIN	0x01
#define NF_TCP_RST	0x04
#define NF_SCAN_MS	1000	/* the timeout scan covers the cache in this */

_Static_assert(sizeof(struct nf_pkey) == 64, "key_make() writes 8 words");
_Static_assert(offsetof(struct nf_flow, b) == 64, "a flow's second line");
_Static_assert(sizeof(struct nf_flow) == 128, "a flow is two cache lines");
#if __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "key_make() builds keys for a little-endian machine"
#endif

static const char *const reason_names[NF_NREASONS] = {
	"exported-active", "exported-inactive", "exported-fin-rst",
	"exported-pressure", "exported-final"
};

/* The collectors every instance shares, so that their state survives. */
static struct nf_collector	*collectors;
/* The counters, which the instances share too, and how many use them. */
static struct nf_stats		*stats;
static unsigned int		 stats_users;

static void	inst_free(struct nf_inst *);
static void	cache_free(struct nf_cache *);

/* --- settings ---------------------------------------------------- */

static const char *
jstr(const json_t *o, const char *key)
{
	const char	*s = json_string_value(json_object_get(o, key));

	return s != NULL ? s : "";
}

static int
jint(const json_t *o, const char *key, long long min, long long max,
    long long def, long long *v, char *err, size_t errlen)
{
	json_t	*j = json_object_get(o, key);

	if (j == NULL) {
		*v = def;
		return 0;
	}
	if (!json_is_integer(j) || json_integer_value(j) < min ||
	    json_integer_value(j) > max) {
		snprintf(err, errlen, "settings: %s: want an integer from %lld "
		    "to %lld", key, min, max);
		return -1;
	}
	*v = json_integer_value(j);
	return 0;
}

/* A list of names as a bit mask, with names[i] for bit i. */
static int
names_mask(const json_t *list, const char *key, const char *const *names,
    unsigned int *mask, char *err, size_t errlen)
{
	const json_t	*v;
	size_t		 i, k;

	*mask = 0;
	json_array_foreach(list, i, v) {
		for (k = 0; names[k] != NULL; k++)
			if (strcmp(json_string_value(v) ? json_string_value(v) :
			    "", names[k]) == 0)
				break;
		if (names[k] == NULL) {
			snprintf(err, errlen, "settings: %s: unknown field '%s'",
			    key, json_string_value(v) ? json_string_value(v) :
			    "?");
			return -1;
		}
		*mask |= 1u << k;
	}
	return 0;
}

static const char *const match_names[] = { "source-address",
    "destination-address", "source-port", "destination-port", "protocol",
    "tos", "input-interface", "mac-address", "vlan", NULL };
static const char *const collect_names[] = { "counters", "timestamps",
    "tcp-flags", "subnet-masks", "mac-address", "vlan", NULL };

static int
parse_mac(const char *s, uint8_t *mac)
{
	unsigned int	b[6];
	int		i;

	if (sscanf(s, "%x:%x:%x:%x:%x:%x", &b[0], &b[1], &b[2], &b[3], &b[4],
	    &b[5]) != 6)
		return -1;
	for (i = 0; i < 6; i++) {
		if (b[i] > 255)
			return -1;
		mac[i] = (uint8_t)b[i];
	}
	return 0;
}

static int
parse_addr(const char *s, uint16_t port, struct sockaddr_storage *ss,
    socklen_t *len)
{
	struct sockaddr_in	*s4 = (struct sockaddr_in *)ss;
	struct sockaddr_in6	*s6 = (struct sockaddr_in6 *)ss;

	memset(ss, 0, sizeof(*ss));
	if (inet_pton(AF_INET, s, &s4->sin_addr) == 1) {
		s4->sin_family = AF_INET;
		s4->sin_port = htons(port);
		*len = sizeof(*s4);
		return 0;
	}
	if (inet_pton(AF_INET6, s, &s6->sin6_addr) == 1) {
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons(port);
		*len = sizeof(*s6);
		return 0;
	}
	return -1;
}

static int
settings_times(struct nf_inst *in, const json_t *s, char *err, size_t errlen)
{
	long long	v;

	if (jint(s, "active-timeout", 1, 86400, 60, &v, err, errlen) == -1)
		return -1;
	in->active_ns = (uint64_t)v * 1000000000ull;
	if (jint(s, "inactive-timeout", 1, 86400, 15, &v, err, errlen) == -1)
		return -1;
	in->inactive_ns = (uint64_t)v * 1000000000ull;
	if (jint(s, "refresh-rate", 1, 1000000, 20, &v, err, errlen) == -1)
		return -1;
	in->refresh = (uint32_t)v;
	if (jint(s, "timeout-rate", 1, 86400, 1800, &v, err, errlen) == -1)
		return -1;
	in->refresh_ns = (uint64_t)v * 1000000000ull;
	if (jint(s, "max-flows", 1, 16777216, 65536, &v, err, errlen) == -1)
		return -1;
	in->max_flows = (uint32_t)v;
	if (jint(s, "observation-domain", 0, 4294967295LL, 0, &v, err,
	    errlen) == -1)
		return -1;
	in->domain = (uint32_t)v;
	return 0;
}

static int
settings_transport(struct nf_inst *in, const json_t *s, const json_t *args,
    char *err, size_t errlen)
{
	const char	*t = jstr(s, "transport"), *a;
	long long	 v;
	socklen_t	 len;

	in->transport = strcmp(t, "egress") == 0 ? NF_EGRESS : NF_SOCKET;
	if (*t != '\0' && strcmp(t, "egress") != 0 && strcmp(t, "socket") != 0) {
		snprintf(err, errlen, "settings: transport: '%s' is not socket "
		    "or egress", t);
		return -1;
	}
	if (jint(s, "source-port", 0, 65535, 0, &v, err, errlen) == -1)
		return -1;
	in->src_port = (uint16_t)v;
	if (jint(s, "mtu", NF_MTU_MIN, NF_MTU_MAX, 1500, &v, err, errlen) == -1)
		return -1;
	in->mtu = (unsigned int)v;
	if (jint(s, "pacing-rate", 0, 10000000, 20000, &v, err, errlen) == -1)
		return -1;
	in->pacing = (double)v;
	a = jstr(s, "source-address");
	if (*a != '\0' && parse_addr(a, 0, &in->src, &len) == -1) {
		snprintf(err, errlen, "settings: source-address: '%s' is not "
		    "an address", a);
		return -1;
	}
	if (in->transport != NF_EGRESS)
		return 0;
	if (in->src.ss_family == 0 || in->src_port == 0) {
		snprintf(err, errlen, "settings: transport egress needs a "
		    "source-address and a source-port");
		return -1;
	}
	if (parse_mac(jstr(args, "gateway-mac"), in->gw_mac) == -1 ||
	    parse_mac(jstr(args, "source-mac"), in->src_mac) == -1) {
		snprintf(err, errlen, "transport egress needs the plugin "
		    "arguments gateway-mac=MAC and source-mac=MAC");
		return -1;
	}
	return 0;
}

/*
 * The bits of a key's first three words (a[] of struct nf_pkey) that the
 * match keeps, so that a packet's key is its fields, masked; the first
 * word's mask is for IPv4 addresses only.  The association and the
 * family are always part of the key.
 */
static void
key_masks(struct nf_inst *in)
{
	const uint64_t	f16 = 0xffff, f32 = 0xffffffff;
	unsigned int	m = in->match;

	in->kmask[0] = (m & NF_K_SRC ? f32 : 0) | (m & NF_K_DST ? f32 << 32 :
	    0);
	in->kmask[1] = (m & NF_K_SPORT ? f16 : 0) |
	    (m & NF_K_DPORT ? f16 << 16 : 0) | (m & NF_K_VLAN ? f16 << 32 : 0) |
	    (m & NF_K_IFACE ? f16 << 48 : 0);
	in->kmask[2] = f32 | 0xffull << 32 | (m & NF_K_PROTO ? 0xffull << 40 :
	    0) | (m & NF_K_TOS ? 0xffull << 48 : 0);
}

static int
settings_load(struct nf_inst *in, const json_t *s, const json_t *args,
    char *err, size_t errlen)
{
	const char	*v = jstr(s, "version");
	json_t		*m;

	if (!json_is_object(s)) {
		snprintf(err, errlen, "the document has no netflow settings");
		return -1;
	}
	if (strcmp(v, "v5") == 0)
		in->version = NF_V5;
	else if (strcmp(v, "v9") == 0 || *v == '\0')
		in->version = NF_V9;
	else if (strcmp(v, "ipfix") == 0)
		in->version = NF_IPFIX;
	else {
		snprintf(err, errlen, "settings: version: '%s' is not v5, v9 "
		    "or ipfix", v);
		return -1;
	}
	if (settings_times(in, s, err, errlen) == -1 ||
	    settings_transport(in, s, args, err, errlen) == -1)
		return -1;
	if ((m = json_object_get(s, "match")) == NULL)
		in->match = 0x7f;
	else if (names_mask(m, "match", match_names, &in->match, err,
	    errlen) == -1)
		return -1;
	if ((m = json_object_get(s, "collect")) == NULL)
		in->collect = NF_C_COUNTERS | NF_C_TIMES | NF_C_TCPFLAGS;
	else if (names_mask(m, "collect", collect_names, &in->collect, err,
	    errlen) == -1)
		return -1;
	nf_layout_build(&in->layout, in->version, in->match, in->collect);
	key_masks(in);
	return 0;
}

/* --- collectors and associations --------------------------------- */

static struct nf_collector *
collector_get(struct nf_inst *in, const json_t *m, char *err, size_t errlen)
{
	struct sockaddr_storage	 ss;
	struct nf_collector	*c;
	socklen_t		 len;
	long long		 port;
	unsigned int		 i;

	if (jint(m, "port", 1, 65535, 2055, &port, err, errlen) == -1)
		return NULL;
	if (parse_addr(jstr(m, "address"), (uint16_t)port, &ss, &len) == -1) {
		snprintf(err, errlen, "collector '%s': '%s' is not an address",
		    jstr(m, "name"), jstr(m, "address"));
		return NULL;
	}
	for (i = 0; i < in->ncols; i++)
		if (in->cols[i]->salen == len &&
		    memcmp(&in->cols[i]->sa, &ss, len) == 0)
			return in->cols[i];
	for (c = collectors; c != NULL; c = c->next)
		if (c->salen == len && memcmp(&c->sa, &ss, len) == 0)
			break;
	if (c == NULL) {
		if ((c = calloc(1, sizeof(*c))) == NULL ||
		    posix_memalign((void **)&c->out, 64, (in->nworkers + 1) *
		    sizeof(*c->out)) != 0) {
			free(c);
			snprintf(err, errlen, "out of memory");
			return NULL;
		}
		memset(c->out, 0, (in->nworkers + 1) * sizeof(*c->out));
		c->sa = ss;
		c->salen = len;
		snprintf(c->name, sizeof(c->name), "%s:%lld",
		    jstr(m, "address"), port);
		c->next = collectors;
		collectors = c;
	}
	c->refs++;
	in->cols[in->ncols++] = c;
	return c;
}

static void
collector_put(struct nf_collector *c)
{
	struct nf_collector	**pp;

	if (--c->refs > 0)
		return;
	for (pp = &collectors; *pp != NULL; pp = &(*pp)->next)
		if (*pp == c) {
			*pp = c->next;
			break;
		}
	free(c->out);
	free(c);
}

static unsigned int
prefix_len(const char *p)
{
	const char	*slash = strchr(p, '/');

	if (strcmp(p, "any") == 0 || *p == '\0')
		return 0;
	if (slash == NULL)
		return strchr(p, ':') != NULL ? 128 : 32;
	return (unsigned int)strtoul(slash + 1, NULL, 10);
}

/* Each rule's prefix lengths: the flows' subnet masks. */
static int
assoc_masks(struct nf_assoc *as, const json_t *a)
{
	const json_t	*rules, *r, *cls;
	size_t		 i;

	rules = json_object_get(json_object_get(a, "policy"), "rules");
	as->nrules = (unsigned int)json_array_size(rules);
	if ((as->masks = calloc(as->nrules + 1, sizeof(*as->masks))) == NULL)
		return -1;
	json_array_foreach(rules, i, r) {
		cls = json_object_get(r, "classification");
		as->masks[i][0] = (uint8_t)prefix_len(jstr(cls, "source-ip"));
		as->masks[i][1] = (uint8_t)prefix_len(jstr(cls,
		    "destination-ip"));
	}
	return 0;
}

static int
assoc_load(struct nf_inst *in, struct nf_assoc *as, const json_t *a,
    char *err, size_t errlen)
{
	const json_t	*cols = json_object_get(a, "collectors"), *m;
	const char	*algo = jstr(cols, "algorithm");
	long long	 w;
	size_t		 i;

	as->name = strdup(jstr(a, "name"));
	/* Associations of one set share its turns. */
	as->slot = (unsigned int)(as - in->assocs);
	if (json_object_get(cols, "set") != NULL) {
		as->set = strdup(jstr(cols, "set"));
		for (i = 0; as->set != NULL && &in->assocs[i] < as; i++)
			if (in->assocs[i].set != NULL &&
			    strcmp(in->assocs[i].set, as->set) == 0) {
				as->slot = in->assocs[i].slot;
				break;
			}
	}
	as->algo = strcmp(algo, "weighted-round-robin") == 0 ? NF_WRR :
	    strcmp(algo, "session") == 0 ? NF_SESSION : NF_RR;
	as->nmembers = (unsigned int)json_array_size(json_object_get(cols,
	    "members"));
	as->members = calloc(as->nmembers + 1, sizeof(*as->members));
	if (as->name == NULL || as->members == NULL || assoc_masks(as, a) ==
	    -1) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	if (as->nmembers > in->max_members)
		in->max_members = as->nmembers;
	if (as->nmembers == 0) {
		snprintf(err, errlen, "association '%s' has no collector",
		    as->name);
		return -1;
	}
	json_array_foreach(json_object_get(cols, "members"), i, m) {
		if ((as->members[i].c = collector_get(in, m, err, errlen)) ==
		    NULL)
			return -1;
		if (jint(m, "weight", 1, 1000000, 1, &w, err, errlen) == -1)
			return -1;
		as->members[i].weight = (uint32_t)w;
		as->total_weight += (uint32_t)w;
	}
	return 0;
}

static int
assocs_load(struct nf_inst *in, const json_t *list, char *err, size_t errlen)
{
	const json_t	*a;
	size_t		 i, nmembers = 0;

	in->nassocs = (unsigned int)json_array_size(list);
	json_array_foreach(list, i, a)
		nmembers += json_array_size(json_object_get(json_object_get(a,
		    "collectors"), "members"));
	in->assocs = calloc(in->nassocs + 1, sizeof(*in->assocs));
	in->cols = calloc(nmembers + 1, sizeof(*in->cols));
	if (in->assocs == NULL || in->cols == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	json_array_foreach(list, i, a)
		if (assoc_load(in, &in->assocs[i], a, err, errlen) == -1)
			return -1;
	return 0;
}

/* --- the flow cache ---------------------------------------------- */

/*
 * Memory for a cache: zeroed, and in huge pages where the kernel has
 * them, since random lookups over many megabytes of small pages spend
 * more time walking page tables than reading flows.
 */
static void *
cache_map(size_t *len)
{
	const size_t	 huge = 2 << 20;
	uint8_t		*p, *start;
	size_t		 head;

	/* Whole huge pages, aligned: the bucket array is smaller than one. */
	*len = (*len + huge - 1) / huge * huge;
	p = mmap(NULL, *len + huge, PROT_READ | PROT_WRITE, MAP_PRIVATE |
	    MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		return NULL;
	start = (uint8_t *)(((uintptr_t)p + huge - 1) & ~(uintptr_t)(huge - 1));
	head = (size_t)(start - p);
	if (head > 0)
		munmap(p, head);
	munmap(start + *len, huge - head);
	madvise(start, *len, MADV_HUGEPAGE);
	return start;
}

static struct nf_cache *
cache_new(uint32_t cap, int mac_key)
{
	struct nf_cache	*c;
	uint32_t	 i, size = 16;

	/*
	 * Eight buckets a flow: only the flow a bucket points to first is
	 * fetched ahead, and with two a flow, one lookup in six walked on
	 * to a flow that had not been fetched.
	 */
	while (size < cap * 8)
		size <<= 1;
	if ((c = calloc(1, sizeof(*c))) == NULL)
		return NULL;
	c->flows_len = (size_t)cap * sizeof(*c->flows);
	c->buckets_len = (size_t)size * sizeof(*c->buckets);
	c->flows = cache_map(&c->flows_len);
	c->buckets = cache_map(&c->buckets_len);
	if (c->flows == NULL || c->buckets == NULL) {
		cache_free(c);
		return NULL;
	}
	memset(c->buckets, 0xff, c->buckets_len);
	c->cap = cap;
	c->mask = size - 1;
	c->mac_key = mac_key;
	for (i = 0; i < cap; i++)
		c->flows[i].hnext = i + 1 < cap ? i + 1 : NF_NIL;
	c->free = 0;
	c->head = c->tail = NF_NIL;
	return c;
}

static void
cache_free(struct nf_cache *c)
{
	if (c == NULL)
		return;
	if (c->flows != NULL)
		munmap(c->flows, c->flows_len);
	if (c->buckets != NULL)
		munmap(c->buckets, c->buckets_len);
	free(c);
}

/*
 * A hash of the key's 64 bytes: each word times its own odd constant,
 * summed, then mixed.  The products do not wait for each other, which
 * makes it several times faster than a chained hash, and the distinct
 * constants keep a flow and its reverse apart.
 */
static inline uint64_t
words_sum3(const uint64_t *p)
{
	return (p[0] * 0x9e3779b97f4a7c15ull + p[1] * 0xc2b2ae3d27d4eb4full) +
	    p[2] * 0x165667b19e3779f9ull;
}

static inline uint64_t
words_sum5(const uint64_t *p)
{
	return (p[0] * 0xd6e8feb86659fd93ull + p[1] * 0xff51afd7ed558ccdull) +
	    (p[2] * 0xc4ceb9fe1a85ec53ull + p[3] * 0x94d049bb133111ebull) +
	    p[4] * 0xbf58476d1ce4e5b9ull;
}

static inline uint32_t
hash_mix(uint64_t h)
{
	h ^= h >> 29;
	h *= 0xbf58476d1ce4e5b9ull;
	return (uint32_t)(h ^ (h >> 32));
}

static inline uint32_t
words_hash(const uint64_t *p)
{
	return hash_mix(words_sum3(p) + words_sum5(p + 3));
}

/* The hash of flow f's key, as key_make() made it for its packets. */
static uint32_t
flow_hash(const struct nf_cache *c, const struct nf_flow *f)
{
	uint64_t	w[8];

	memcpy(w, f->a, sizeof(f->a));
	memcpy(w + 3, f->b, sizeof(f->b));
	if (!c->mac_key)
		w[6] = w[7] = 0;
	return words_hash(w);
}

static void
cache_unlink(struct nf_cache *c, uint32_t i)
{
	struct nf_flow	*f = &c->flows[i];
	uint32_t	*pp = &c->buckets[flow_hash(c, f) & c->mask];

	while (*pp != i)
		pp = &c->flows[*pp].hnext;
	*pp = f->hnext;
	if (f->prev != NF_NIL)
		c->flows[f->prev].next = f->next;
	else
		c->head = f->next;
	if (f->next != NF_NIL)
		c->flows[f->next].prev = f->prev;
	else
		c->tail = f->prev;
	f->direction = 0;
	f->hnext = c->free;
	c->free = i;
	c->n--;
}

/* The member of as that flow f goes to. */
static struct nf_collector *
assoc_pick(struct nf_inst *in, unsigned int w, const struct nf_cache *c,
    unsigned int a, const struct nf_flow *f)
{
	struct nf_assoc		*as = &in->assocs[a];
	struct nf_worker	*wk = &in->w[w];
	int64_t			*cr;
	unsigned int		 i, best = 0;

	if (as->nmembers == 1)
		return as->members[0].c;
	switch (as->algo) {
	case NF_SESSION:
		return as->members[flow_hash(c, f) % as->nmembers].c;
	case NF_WRR:
		/* Smooth weighted round-robin, as nginx spreads its peers. */
		cr = &wk->credit[(size_t)as->slot * in->max_members];
		for (i = 0; i < as->nmembers; i++) {
			cr[i] += as->members[i].weight;
			if (cr[i] > cr[best])
				best = i;
		}
		cr[best] -= as->total_weight;
		return as->members[best].c;
	case NF_RR:
	default:
		i = wk->rr[as->slot]++ % as->nmembers;
		return as->members[i].c;
	}
}

static void
flow_export(struct nf_inst *in, unsigned int w, struct nf_cache *c,
    uint32_t i, enum nf_reason why, uint64_t wall)
{
	struct nf_flow	*f = &c->flows[i];

	in->stats[w].exported[why]++;
	if ((uint32_t)f->a[2] < in->nassocs)
		nf_export_flow(in, w, assoc_pick(in, w, c, (uint32_t)f->a[2],
		    f), f, c, wall);
	cache_unlink(c, i);
}

static inline uint64_t
load64(const void *p)
{
	uint64_t	v;

	memcpy(&v, p, sizeof(v));
	return v;
}

static inline uint32_t
load32(const void *p)
{
	uint32_t	v;

	memcpy(&v, p, sizeof(v));
	return v;
}

static inline uint16_t
load16(const void *p)
{
	uint16_t	v;

	memcpy(&v, p, sizeof(v));
	return v;
}

/*
 * The key of packet p, packed as struct nf_pkey describes, and its hash.
 * The parser zeroes what a packet does not have (ports, ICMP type and
 * code, VLAN), so the words are its fields side by side, masked to the
 * match.  An IPv4 key without MACs is all in a[]: the rest is neither
 * stored nor hashed, as words_hash() of zero words adds nothing.
 */
static inline uint32_t
key_make(const struct nf_inst *in, const struct nf_cache *c,
    const struct vnb_pkt *p, struct nf_pkey *k)
{
	const struct vnb_pkt_info	*pi = p->info;
	const uint64_t			 mac48 = 0xffffffffffffull;
	unsigned int			 m = in->match;
	uint64_t			 a0, smac, dmac;
	uint32_t			 ports, icmp;

	/* ICMP type and code go where the destination port would. */
	icmp = __builtin_bswap16(load16(&pi->icmp_type));
	ports = load32(&pi->sport) | icmp << 16;
	k->a[1] = (ports | (uint64_t)pi->vlan << 32 |
	    (uint64_t)p->port << 48) & in->kmask[1];
	k->a[2] = (p->association | (uint64_t)(load32(&pi->family) &
	    0xffffff) << 32) & in->kmask[2];
	if (pi->family != VNB_FAMILY_IPV6) {
		a0 = (load32(pi->src) | (uint64_t)load32(pi->dst) << 32) &
		    in->kmask[0];
		k->a[0] = a0;
		if (!c->mac_key)
			return hash_mix(words_sum3(k->a));
		k->b[0] = k->b[1] = k->b[2] = 0;
	} else {
		k->a[0] = m & NF_K_SRC ? load64(pi->src) : 0;
		k->b[0] = m & NF_K_SRC ? load64(pi->src + 8) : 0;
		k->b[1] = m & NF_K_DST ? load64(pi->dst) : 0;
		k->b[2] = m & NF_K_DST ? load64(pi->dst + 8) : 0;
	}
	k->b[3] = k->b[4] = 0;
	if (c->mac_key) {
		smac = load64(pi->smac) & mac48;
		dmac = load64(pi->dmac) & mac48;
		k->b[3] = smac | dmac << 48;
		k->b[4] = dmac >> 16;
	}
	return hash_mix(words_sum3(k->a) + words_sum5(k->b));
}

/* A new flow for packet q: the oldest makes room if the cache is full. */
static uint32_t
flow_create(struct nf_inst *in, unsigned int w, struct nf_cache *c,
    const struct nf_pend *q, uint64_t t)
{
	const struct nf_assoc	*as = &in->assocs[(uint32_t)q->k.a[2]];
	struct nf_flow		*f;
	uint32_t		 i;

	if (c->free == NF_NIL)
		flow_export(in, w, c, c->head, NF_PRESSURE, t);
	i = c->free;
	f = &c->flows[i];
	c->free = f->hnext;
	if (i >= c->used)
		c->used = i + 1;
	memset(f, 0, sizeof(*f));
	memcpy(f->a, q->k.a, sizeof(f->a));
	/* An IPv4 key has no more words unless the MACs are part of it. */
	if (c->mac_key || (uint8_t)(q->k.a[2] >> 32) == VNB_FAMILY_IPV6)
		memcpy(f->b, q->k.b, sizeof(f->b));
	if (!c->mac_key) {
		/* The first packet's MACs, collected, not matched on. */
		f->b[3] = q->macs[0];
		f->b[4] = q->macs[1];
	}
	f->first = t;
	f->hnext = c->buckets[q->h & c->mask];
	c->buckets[q->h & c->mask] = i;
	f->prev = c->tail;
	f->next = NF_NIL;
	if (c->tail != NF_NIL)
		c->flows[c->tail].next = i;
	else
		c->head = i;
	c->tail = i;
	c->n++;
	f->vlan = q->vlan;
	f->direction = q->direction;
	if (q->rule < as->nrules) {
		f->smask = as->masks[q->rule][0];
		f->dmask = as->masks[q->rule][1];
	}
	in->stats[w].created++;
	return i;
}

/*
 * The flow with key k: an IPv4 key is all in the first words, the rest
 * is looked at only for IPv6 and when the MACs are part of the key.
 */
static inline __attribute__((always_inline)) uint32_t
flow_find(const struct nf_cache *c, const struct nf_pkey *k, uint32_t h)
{
	const struct nf_flow	*f;
	uint32_t		 i;
	int			 v6 = (uint8_t)(k->a[2] >> 32) ==
				    VNB_FAMILY_IPV6;

	for (i = c->buckets[h & c->mask]; i != NF_NIL; i = f->hnext) {
		f = &c->flows[i];
		if (f->a[0] != k->a[0] || f->a[1] != k->a[1] ||
		    f->a[2] != k->a[2])
			continue;
		if (v6 && (f->b[0] != k->b[0] || f->b[1] != k->b[1] ||
		    f->b[2] != k->b[2]))
			continue;
		if (c->mac_key && (f->b[3] != k->b[3] || f->b[4] != k->b[4]))
			continue;
		return i;
	}
	return NF_NIL;
}

/*
 * The cache's clock: the packets' times while they come (capture files
 * replay with their own), and wall time on from the last one.
 */
static uint64_t
cache_now(struct nf_cache *c, uint64_t wall)
{
	if (c->clock_wall == 0)
		return wall;
	return c->clock + (wall > c->clock_wall ? wall - c->clock_wall : 0);
}

/*
 * The flow for pending packet q at time t, when the flow found for it
 * (i, or NF_NIL) cannot take it: it has timed out, or a v5 byte count
 * would overflow.  Kept out of line, as most packets do not come here.
 */
static __attribute__((noinline)) uint32_t
pend_renew(struct nf_inst *in, unsigned int w, struct nf_cache *c,
    const struct nf_pend *q, uint32_t i, uint64_t t)
{
	if (i != NF_NIL)
		flow_export(in, w, c, i, t - c->flows[i].last >=
		    in->inactive_ns ? NF_INACTIVE : NF_ACTIVE, t);
	return flow_create(in, w, c, q, t);
}

/*
 * Count pending packet q in its flow, on the cache's clock: a packet
 * older than the clock counts as of the clock, so that time never runs
 * backwards.
 */
static inline __attribute__((always_inline)) void
pend_count(struct nf_inst *in, unsigned int w, struct nf_cache *c,
    const struct nf_pend *q)
{
	struct nf_flow	*f;
	uint64_t	 t = q->t;
	uint32_t	 i;

	if (t < c->clock)
		t = c->clock;
	if (c->boot == 0)
		c->boot = t / 1000000000 * 1000000000 - 1000000000;
	c->clock = t;

	i = flow_find(c, &q->k, q->h);
	if (i == NF_NIL || t - c->flows[i].last >= in->inactive_ns ||
	    t - c->flows[i].first >= in->active_ns ||
	    (in->version == NF_V5 && c->flows[i].bytes + q->ip_len >
	    UINT32_MAX))
		i = pend_renew(in, w, c, q, i, t);
	f = &c->flows[i];
	f->packets++;
	f->bytes += q->ip_len;
	f->last = t;
	f->tcp_flags |= q->tcp_flags;
	if (q->tcp_flags & (NF_TCP_FIN | NF_TCP_RST))
		flow_export(in, w, c, i, NF_FIN, t);
}

/* Count every pending packet of cache c, from slot w. */
static void
pend_flush(struct nf_inst *in, unsigned int w, struct nf_cache *c)
{
	unsigned int	i;

	for (i = 0; i < c->npend; i++)
		pend_count(in, w, c, &c->pend[c->side][i]);
	c->npend = 0;
}

/* Pending packet q for packet p. */
static inline void
pend_make(const struct nf_inst *in, const struct nf_cache *c,
    const struct vnb_pkt *p, struct nf_pend *q)
{
	const struct vnb_pkt_info	*pi = p->info;
	const uint64_t			 mac48 = 0xffffffffffffull;
	uint64_t			 smac, dmac;

	q->h = key_make(in, c, p, &q->k);
	q->t = p->time_ns;
	q->ip_len = pi->ip_len;
	q->rule = p->rule;
	q->vlan = pi->vlan;
	q->direction = p->direction;
	q->tcp_flags = pi->flags & VNB_PKT_TCP ? pi->tcp_flags : 0;
	if (!c->mac_key) {
		smac = load64(pi->smac) & mac48;
		dmac = load64(pi->dmac) & mac48;
		q->macs[0] = smac | dmac << 48;
		q->macs[1] = dmac >> 16;
	}
}

/*
 * The flow q's bucket points to: its second line only if it is needed.
 * Always inlined: GCC takes a function that only reads and prefetches
 * for a pure one, and drops calls to it, as their result is unused.
 */
static inline __attribute__((always_inline)) void
flow_prefetch(const struct nf_cache *c, const struct nf_pend *q)
{
	uint32_t	b = c->buckets[q->h & c->mask];

	if (b == NF_NIL)
		return;
	__builtin_prefetch(&c->flows[b].a, 1);
	if (c->mac_key || (uint8_t)(q->k.a[2] >> 32) == VNB_FAMILY_IPV6)
		__builtin_prefetch(&c->flows[b].b);
}

/*
 * The packets of a call are counted at the next one (or at the next
 * tick, whichever comes first), so that the memory they need is fetched
 * while the dataplane receives: a call makes the keys of its packets and
 * fetches their buckets, counts the packets the previous call left, and
 * meanwhile fetches the flows the new buckets point to.
 */
static void
nf_handle(void *inst, unsigned int w, struct vnb_pkt *const *pkts,
    unsigned int n)
{
	struct nf_inst	*in = inst;
	struct nf_cache	*c = in->cache[w];
	struct nf_pend	*q, *old;
	unsigned int	 i, j, m, nq, nold;

	for (i = 0; i < n; i += m) {
		m = n - i > NF_BATCH ? NF_BATCH : n - i;
		q = c->pend[c->side ^ 1];
		for (j = nq = 0; j < m; j++) {
			if (pkts[i + j]->info->family == VNB_FAMILY_NONE) {
				in->stats[w].not_ip++;
				continue;
			}
			pend_make(in, c, pkts[i + j], &q[nq]);
			__builtin_prefetch(&c->buckets[q[nq].h & c->mask]);
			nq++;
		}
		old = c->pend[c->side];
		nold = c->npend;
		for (j = 0; j < nq || j < nold; j++) {
			if (j < nq)
				flow_prefetch(c, &q[j]);
			if (j < nold)
				pend_count(in, w, c, &old[j]);
		}
		c->side ^= 1;
		c->npend = nq;
	}
	in->stats[w].packets += n;
	/* The next tick notes the wall time of this clock. */
	c->moved |= n > 0;
}

/*
 * Expire what has timed out in a slice of the cache, so that the whole
 * cache is looked at every NF_SCAN_MS, and as far as pacing allows.
 */
static void
cache_scan(struct nf_inst *in, unsigned int w, struct nf_cache *c,
    uint64_t now, uint64_t wall)
{
	struct nf_flow	*f;
	uint32_t	 k, slice = c->used / NF_SCAN_MS + 1;

	if (!nf_pace_ok(in, w))
		return;
	for (k = 0; k < slice && c->n > 0; k++) {
		f = &c->flows[c->scan];
		if (f->direction && now - f->last >= in->inactive_ns)
			flow_export(in, w, c, c->scan, NF_INACTIVE, wall);
		else if (f->direction && now - f->first >= in->active_ns)
			flow_export(in, w, c, c->scan, NF_ACTIVE, wall);
		if (++c->scan >= c->used)
			c->scan = 0;
	}
}

static void
nf_tick(void *inst, unsigned int w, uint64_t wall)
{
	struct nf_inst	*in = inst;
	struct nf_cache	*c = in->cache[w];
	struct nf_collector *col;
	uint64_t	 now;
	unsigned int	 i;

	pend_flush(in, w, c);
	if (c->moved) {
		c->clock_wall = wall;
		c->moved = 0;
	}
	now = cache_now(c, wall);

	/* Before the first packet, the clock waits for its time. */
	if (c->clock_wall != 0)
		cache_scan(in, w, c, now, wall);
	for (i = 0; i < in->ncols; i++) {
		col = in->cols[i];
		if (col->out[w].len > 0)
			nf_export_flush(in, w, col, c, wall);
		else if (nf_templates_due(in, &col->out[w], wall))
			nf_export_templates(in, w, col, c, wall);
	}
}

/* --- instances --------------------------------------------------- */

/*
 * The MTU of the route to each collector, which datagrams through the
 * kernel keep under when it is smaller than the configured one, so that
 * the kernel does not fragment them.  Read again at every reload.
 */
static void
routes_measure(struct nf_inst *in)
{
	struct nf_collector	*c;
	unsigned int		 i, mtu;

	for (i = 0; i < in->ncols; i++) {
		c = in->cols[i];
		mtu = nf_route_mtu(in, c);
		if (mtu != 0 && mtu < in->mtu &&
		    mtu != __atomic_load_n(&c->route_mtu, __ATOMIC_RELAXED))
			in->host->log(in->host, VNB_LOG_INFO, "collector %s: "
			    "datagrams of at most %u bytes, the MTU of the "
			    "route to it", c->name,
			    mtu > NF_MTU_MIN ? mtu : NF_MTU_MIN);
		__atomic_store_n(&c->route_mtu, mtu, __ATOMIC_RELAXED);
	}
}

static int
workers_setup(struct nf_inst *in, char *err, size_t errlen)
{
	unsigned int	w;

	if (posix_memalign((void **)&in->w, 64, (in->nworkers + 1) *
	    sizeof(*in->w)) != 0) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	memset(in->w, 0, (in->nworkers + 1) * sizeof(*in->w));
	for (w = 0; w <= in->nworkers; w++)
		in->w[w].fd4 = in->w[w].fd6 = -1;
	for (w = 0; w <= in->nworkers; w++) {
		in->w[w].rr = calloc(in->nassocs + 1, sizeof(uint32_t));
		in->w[w].credit = calloc((size_t)(in->nassocs + 1) *
		    (in->max_members + 1), sizeof(int64_t));
		if (in->w[w].rr == NULL || in->w[w].credit == NULL) {
			snprintf(err, errlen, "out of memory");
			return -1;
		}
		in->w[w].tokens_ns = in->host->now_ns();
		if (in->transport == NF_EGRESS)
			continue;
		if ((in->w[w].fd4 = nf_socket_open(in, AF_INET, err,
		    errlen)) == -1)
			return -1;
		/* A host without IPv6 still exports to IPv4 collectors. */
		in->w[w].fd6 = nf_socket_open(in, AF_INET6, err, errlen);
		err[0] = '\0';
	}
	if (in->transport == NF_SOCKET)
		routes_measure(in);
	return 0;
}

static int
stats_get(struct nf_inst *in, char *err, size_t errlen)
{
	if (stats == NULL) {
		if (posix_memalign((void **)&stats, 64, (in->nworkers + 1) *
		    sizeof(*stats)) != 0) {
			snprintf(err, errlen, "out of memory");
			return -1;
		}
		memset(stats, 0, (in->nworkers + 1) * sizeof(*stats));
	}
	stats_users++;
	in->stats = stats;
	return 0;
}

/* Can the new instance go on with the old one's flows? */
static int
caches_fit(const struct nf_inst *old, const struct nf_inst *in)
{
	unsigned int	i;

	if (old->match != in->match || old->max_flows != in->max_flows ||
	    old->nassocs != in->nassocs)
		return 0;
	for (i = 0; i < in->nassocs; i++)
		if (strcmp(old->assocs[i].name, in->assocs[i].name) != 0)
			return 0;
	return 1;
}

static struct nf_inst *
inst_new(const struct vnb_plugin_host *host, const struct nf_inst *old,
    const char *config, char *err, size_t errlen)
{
	struct nf_inst	*in;
	json_t		*cfg;
	json_error_t	 jerr;
	unsigned int	 w;
	uint32_t	 cap;

	if ((cfg = json_loads(config, 0, &jerr)) == NULL) {
		snprintf(err, errlen, "configuration: %s", jerr.text);
		return NULL;
	}
	if ((in = calloc(1, sizeof(*in))) == NULL) {
		json_decref(cfg);
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	in->host = host;
	in->nworkers = host->nworkers;
	in->generation = (long)json_integer_value(json_object_get(cfg,
	    "generation"));
	if (stats_get(in, err, errlen) == -1 ||
	    settings_load(in, json_object_get(cfg, "settings"),
	    json_object_get(cfg, "args"), err, errlen) == -1 ||
	    assocs_load(in, json_object_get(cfg, "associations"), err,
	    errlen) == -1 || workers_setup(in, err, errlen) == -1)
		goto fail;
	if ((in->cache = calloc(in->nworkers, sizeof(*in->cache))) == NULL)
		goto oom;
	cap = (in->max_flows + in->nworkers - 1) / in->nworkers;
	for (w = 0; w < in->nworkers; w++) {
		if (old != NULL && caches_fit(old, in))
			in->cache[w] = old->cache[w];
		else if ((in->cache[w] = cache_new(cap, (in->match &
		    NF_K_MAC) != 0)) == NULL)
			goto oom;
	}
	json_decref(cfg);
	return in;
 oom:
	snprintf(err, errlen, "out of memory for %u flows", in->max_flows);
 fail:
	json_decref(cfg);
	inst_free(in);
	return NULL;
}

static void *
nf_init(const struct vnb_plugin_host *host, const char *config, char *err,
    size_t errlen)
{
	struct nf_inst	*in;

	if ((in = inst_new(host, NULL, config, err, errlen)) == NULL)
		return NULL;
	host->log(host, VNB_LOG_INFO, "NetFlow %s, %u associations, %u "
	    "collectors, %u flows", in->version == NF_V5 ? "v5" :
	    in->version == NF_V9 ? "v9" : "IPFIX", in->nassocs, in->ncols,
	    in->max_flows);
	return in;
}

static void *
nf_reload(void *running, const char *config, char *err, size_t errlen)
{
	struct nf_inst	*old = running;

	return inst_new(old->host, old, config, err, errlen);
}

static void
inst_free(struct nf_inst *in)
{
	unsigned int	i, w;

	for (i = 0; i < in->nassocs && in->assocs != NULL; i++) {
		free(in->assocs[i].name);
		free(in->assocs[i].set);
		free(in->assocs[i].members);
		free(in->assocs[i].masks);
	}
	for (i = 0; i < in->ncols; i++)
		collector_put(in->cols[i]);
	for (w = 0; in->w != NULL && w <= in->nworkers; w++) {
		if (in->w[w].fd4 != -1)
			close(in->w[w].fd4);
		if (in->w[w].fd6 != -1)
			close(in->w[w].fd6);
		free(in->w[w].rr);
		free(in->w[w].credit);
	}
	if (in->stats != NULL && --stats_users == 0) {
		free(stats);
		stats = NULL;
	}
	free(in->w);
	free(in->cache);
	free(in->assocs);
	free(in->cols);
	free(in);
}

/*
 * Export every flow of cache c from slot w: a worker's own when the
 * workers are done, the control thread's (w = nworkers) while they run.
 * This runs on the control thread, which may wait for the pacing.
 */
static void
cache_drain(struct nf_inst *in, unsigned int w, struct nf_cache *c)
{
	uint64_t	wall = in->host->now_ns();
	unsigned int	i;

	pend_flush(in, w, c);
	c->clock = cache_now(c, wall);
	in->draining = 1;
	while (c->head != NF_NIL)
		flow_export(in, w, c, c->head, NF_FINAL, wall);
	for (i = 0; i < in->ncols; i++)
		nf_export_flush(in, w, in->cols[i], c, wall);
	in->draining = 0;
}

static void
nf_fini(void *inst, void *nextp)
{
	struct nf_inst	*in = inst, *next = nextp;
	uint64_t	 final, sent;
	unsigned int	 w;

	for (w = 0; w < in->nworkers && in->cache != NULL; w++) {
		if (in->cache[w] == NULL || (next != NULL &&
		    next->cache[w] == in->cache[w]))
			continue;
		cache_drain(in, next != NULL ? in->nworkers : w, in->cache[w]);
		cache_free(in->cache[w]);
	}
	if (next == NULL) {
		for (w = 0, final = 0, sent = 0; w <= in->nworkers; w++) {
			final += in->stats[w].exported[NF_FINAL];
			sent += in->stats[w].datagrams;
		}
		in->host->log(in->host, VNB_LOG_INFO, "stopped: %" PRIu64
		    " flows exported at the end, %" PRIu64 " datagrams in all",
		    final, sent);
	}
	inst_free(in);
}

static void
nf_counters(void *inst, vnb_counter_fn *emit, void *arg)
{
	struct nf_inst	*in = inst;
	struct nf_stats	 sum;
	unsigned int	 w, r, n = 0;

	memset(&sum, 0, sizeof(sum));
	for (w = 0; w <= in->nworkers; w++) {
		sum.packets += in->stats[w].packets;
		sum.not_ip += in->stats[w].not_ip;
		sum.created += in->stats[w].created;
		for (r = 0; r < NF_NREASONS; r++)
			sum.exported[r] += in->stats[w].exported[r];
		sum.records += in->stats[w].records;
		sum.templates += in->stats[w].templates;
		sum.datagrams += in->stats[w].datagrams;
		sum.send_errors += in->stats[w].send_errors;
		sum.v5_skipped += in->stats[w].v5_skipped;
		sum.unpaced += in->stats[w].unpaced;
		if (w < in->nworkers)
			n += in->cache[w]->n;
	}
	emit(arg, "packets", sum.packets);
	emit(arg, "not-ip", sum.not_ip);
	emit(arg, "flows-created", sum.created);
	emit(arg, "flows-active", n);
	for (r = 0; r < NF_NREASONS; r++)
		emit(arg, reason_names[r], sum.exported[r]);
	emit(arg, "records", sum.records);
	emit(arg, "templates", sum.templates);
	emit(arg, "datagrams", sum.datagrams);
	emit(arg, "send-errors", sum.send_errors);
	emit(arg, "v5-skipped-ipv6", sum.v5_skipped);
	emit(arg, "unpaced", sum.unpaced);
}

__attribute__((visibility("default")))
const struct vnb_plugin vnb_plugin = {
	.abi_version = VNB_PLUGIN_ABI_VERSION,
	.name = "netflow",
	.description = "export flows as NetFlow v5, v9 or IPFIX",
	.init = nf_init,
	.reload = nf_reload,
	.handle = nf_handle,
	.tick = nf_tick,
	.counters = nf_counters,
	.fini = nf_fini,
};

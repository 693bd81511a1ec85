/*
 * The per-policy classifier: a policy's rules compiled into DPDK ACL
 * contexts for three kinds of packet, IPv4, IPv6 and not IP, built only
 * for the kinds that some rule can match.  A rule of family 0 goes into
 * every kind it can match.  The rule at index i gets priority n - i, so
 * that the first rule in match order wins, and i + 1 as its result, so
 * that 0 stays "no match".
 *
 * Each packet becomes a key, struct cls_key, which all kinds share: IPv4
 * rules leave the last 12 bytes of each address wild, the rules for
 * frames that are not IP everything but the VLAN and the MACs.  rte_acl
 * drops an input group that every rule of a context leaves wild, so a
 * context pays only for the fields its rules use.
 *
 * A kind with few rules skips rte_acl: each rule becomes masks over the
 * key's words, built from the very fields rte_acl would be given, and
 * the rules are tried in match order.  A kind whose first rule masks
 * nothing (a catch-all) needs neither: its packets all match that rule.
 */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_acl.h>
#include <rte_byteorder.h>
#include <rte_errno.h>
#include <rte_malloc.h>

#include "classify.h"

/* Packets whose keys are built on the worker's stack at a time. */
#define CLS_BURST		64

/* The key as words, for the rules matched one by one. */
#define CLS_WORDS		7

/* cls_key.flags */
#define CLS_KEY_PORTS		0x01	/* VNB_PKT_PORTS */

/*
 * The key, in network byte order, as rte_acl wants its input: it compares
 * the first byte of a field with the most significant byte of the rule's
 * value, which is in host byte order.  After the one-byte protocol, which
 * rte_acl requires first, the fields come in groups of four bytes, one
 * group per input index, in the order in which the tries test them:
 *
 *	 0  proto, 3 unused bytes
 *	 4  vlan, flags, 1 unused byte
 *	 8  dmac[0-3]
 *	12  dmac[4-5], smac[0-1]
 *	16  smac[2-5]
 *	20  dst: 4 groups (IPv4: the first)
 *	36  src: 4 groups
 *	52  sport, dport
 *
 * The order keeps tries small.  A rule that leaves a field wild is
 * copied into every branch that the other rules make at that field, so
 * the fields that take few distinct values (VLANs, MACs) come first, and
 * the destination, which most rules give, before the source, which many
 * leave wild.  With the benchmark's 10,000 rules, dst before src takes
 * about a quarter of the memory and a third of the build time.
 */
struct cls_key {
	uint8_t		proto;
	uint8_t		pad0[3];
	uint16_t	vlan;
	uint8_t		flags;
	uint8_t		pad1;
	uint8_t		mac[12];	/* dmac, then smac */
	uint8_t		dst[16];
	uint8_t		src[16];
	uint16_t	sport;
	uint16_t	dport;
};

_Static_assert(sizeof(struct cls_key) == 56, "cls_key has holes");
_Static_assert(sizeof(struct cls_key) == CLS_WORDS * 8, "cls_key in words");
_Static_assert(offsetof(struct cls_key, dst) == 20, "cls_key layout");
_Static_assert(offsetof(struct cls_key, sport) == 52, "cls_key layout");

enum cls_field {
	CLS_F_PROTO,
	CLS_F_VLAN, CLS_F_FLAGS, CLS_F_PAD,
	CLS_F_DMAC_HI, CLS_F_DMAC_LO, CLS_F_SMAC_HI, CLS_F_SMAC_LO,
	CLS_F_DST0, CLS_F_DST1, CLS_F_DST2, CLS_F_DST3,
	CLS_F_SRC0, CLS_F_SRC1, CLS_F_SRC2, CLS_F_SRC3,
	CLS_F_SPORT, CLS_F_DPORT,
	CLS_F_MAX
};

_Static_assert(CLS_F_MAX <= RTE_ACL_MAX_FIELDS, "too many ACL fields");

RTE_ACL_RULE_DEF(cls_acl_rule, CLS_F_MAX);

#define CLS_FIELD(type, size, field, input, offset) \
	{ RTE_ACL_FIELD_TYPE_##type, size, field, input, offset }
#define CLS_OFF(member)	offsetof(struct cls_key, member)
#define CLS_MAC(n)	(CLS_OFF(mac) + (n))
#define CLS_DST(n)	(CLS_OFF(dst) + 4 * (n))
#define CLS_SRC(n)	(CLS_OFF(src) + 4 * (n))

static const struct rte_acl_field_def cls_fields[CLS_F_MAX] = {
	CLS_FIELD(BITMASK, 1, CLS_F_PROTO, 0, CLS_OFF(proto)),
	CLS_FIELD(BITMASK, 2, CLS_F_VLAN, 1, CLS_OFF(vlan)),
	CLS_FIELD(BITMASK, 1, CLS_F_FLAGS, 1, CLS_OFF(flags)),
	CLS_FIELD(BITMASK, 1, CLS_F_PAD, 1, CLS_OFF(pad1)),
	CLS_FIELD(MASK, 4, CLS_F_DMAC_HI, 2, CLS_MAC(0)),
	CLS_FIELD(BITMASK, 2, CLS_F_DMAC_LO, 3, CLS_MAC(4)),
	CLS_FIELD(BITMASK, 2, CLS_F_SMAC_HI, 3, CLS_MAC(6)),
	CLS_FIELD(MASK, 4, CLS_F_SMAC_LO, 4, CLS_MAC(8)),
	CLS_FIELD(MASK, 4, CLS_F_DST0, 5, CLS_DST(0)),
	CLS_FIELD(MASK, 4, CLS_F_DST1, 6, CLS_DST(1)),
	CLS_FIELD(MASK, 4, CLS_F_DST2, 7, CLS_DST(2)),
	CLS_FIELD(MASK, 4, CLS_F_DST3, 8, CLS_DST(3)),
	CLS_FIELD(MASK, 4, CLS_F_SRC0, 9, CLS_SRC(0)),
	CLS_FIELD(MASK, 4, CLS_F_SRC1, 10, CLS_SRC(1)),
	CLS_FIELD(MASK, 4, CLS_F_SRC2, 11, CLS_SRC(2)),
	CLS_FIELD(MASK, 4, CLS_F_SRC3, 12, CLS_SRC(3)),
	CLS_FIELD(RANGE, 2, CLS_F_SPORT, 13, CLS_OFF(sport)),
	CLS_FIELD(RANGE, 2, CLS_F_DPORT, 13, CLS_OFF(dport)),
};

/* The kinds of packet, each with contexts of its own, named by a digit. */
enum cls_kind {
	CLS_V4,
	CLS_V6,
	CLS_L2,
	CLS_KINDS
};

static const char	cls_kind_name[CLS_KINDS] = { '4', '6', '2' };

/*
 * rte_acl puts a context's rules into at most 8 tries and fails when they
 * need more, as many wildcards, ranges and MACs in one policy can make
 * them.  A kind's rules are then split in halves, in match order, into
 * contexts of their own, and a packet goes on to the next context only if
 * it matched nothing in the ones before.
 */
#define CLS_SPLIT_MAX		16

/* Context names are the classifier's name and "-4.0" up to "-2.15". */
#define CLS_SUFFIX_LEN		(sizeof("-4.15") - 1)

/*
 * A rule matched on its own, as rte_acl would match it: of each key word
 * word[i] that its bitmask and prefix fields test, the bits in mask[i]
 * must be those of value[i], and the ports be in its ranges.
 */
struct cls_linear {
	uint64_t	mask[CLS_WORDS];
	uint64_t	value[CLS_WORDS];
	uint8_t		word[CLS_WORDS];
	uint8_t		nwords;
	uint8_t		ports;		/* the ranges are not 0-65535 */
	uint16_t	sport_min, sport_max;
	uint16_t	dport_min, dport_max;
	uint32_t	result;
};

/*
 * rte_acl's cost per packet has a floor, which a handful of rules tested
 * in a row stays under: make bench-classify prints both.
 */
unsigned int	cls_linear_max = CLS_LINEAR_MAX;

struct classifier {
	struct rte_acl_ctx	*acl[CLS_KINDS][CLS_SPLIT_MAX];
	unsigned int		 nacl[CLS_KINDS];
	struct cls_linear	*linear[CLS_KINDS];
	unsigned int		 nlinear[CLS_KINDS];
	uint32_t		 any[CLS_KINDS];	/* see cls_build() */
	size_t			 memory;
};

/* What building a kind's contexts needs. */
struct cls_builder {
	struct classifier		*cls;
	const char			*name;
	const struct cls_acl_rule	*acl;	/* every rule */
	const size_t			*idx;	/* the kind's, in acl */
	int				 socket;
	char				*err;
	size_t				 errlen;
};

static int
cls_port_any(const struct vnb_port_range *r)
{
	return r->min == 0 && r->max == UINT16_MAX;
}

static int
cls_prefix_check(const struct vnb_prefix *p, size_t i, const char *what,
    char *err, size_t errlen)
{
	unsigned int	max;

	switch (p->addr.family) {
	case AF_UNSPEC:
		return 0;
	case AF_INET:
		max = 32;
		break;
	case AF_INET6:
		max = 128;
		break;
	default:
		snprintf(err, errlen, "rule %zu: %s prefix has unknown "
		    "family %d", i, what, p->addr.family);
		return -1;
	}
	if (p->len > max) {
		snprintf(err, errlen, "rule %zu: %s prefix length %u exceeds "
		    "%u", i, what, p->len, max);
		return -1;
	}
	return 0;
}

static int
cls_range_check(const struct vnb_port_range *r, size_t i, const char *what,
    char *err, size_t errlen)
{
	if (r->min > r->max) {
		snprintf(err, errlen, "rule %zu: %s port range %u-%u is empty",
		    i, what, r->min, r->max);
		return -1;
	}
	return 0;
}

static int
cls_rule_check(const struct cls_rule *r, size_t i, char *err, size_t errlen)
{
	if (r->family != AF_UNSPEC && r->family != AF_INET &&
	    r->family != AF_INET6) {
		snprintf(err, errlen, "rule %zu: unknown family %d", i,
		    r->family);
		return -1;
	}
	if (r->proto < PARSE_PROTO_ANY || r->proto > UINT8_MAX) {
		snprintf(err, errlen, "rule %zu: protocol %d is out of range "
		    "0-255", i, r->proto);
		return -1;
	}
	if (cls_prefix_check(&r->src, i, "source", err, errlen) == -1 ||
	    cls_prefix_check(&r->dst, i, "destination", err, errlen) == -1 ||
	    cls_range_check(&r->sport, i, "source", err, errlen) == -1 ||
	    cls_range_check(&r->dport, i, "destination", err, errlen) == -1)
		return -1;
	return 0;
}

/*
 * The kinds of packet a rule can match, as a bit mask; none if its family
 * and its prefixes disagree.
 */
static unsigned int
cls_rule_kinds(const struct cls_rule *r)
{
	const struct vnb_prefix	*p[2] = { &r->src, &r->dst };
	int			 family = r->family, ip;
	size_t			 i;

	for (i = 0; i < 2; i++) {
		if (p[i]->addr.family == AF_UNSPEC)
			continue;
		if (family != AF_UNSPEC && family != p[i]->addr.family)
			return 0;
		family = p[i]->addr.family;
	}
	if (family == AF_INET)
		return 1U << CLS_V4;
	if (family == AF_INET6)
		return 1U << CLS_V6;

	ip = r->proto != PARSE_PROTO_ANY || !cls_port_any(&r->sport) ||
	    !cls_port_any(&r->dport);
	return 1U << CLS_V4 | 1U << CLS_V6 | (ip ? 0 : 1U << CLS_L2);
}

/* An IPv4 prefix fills the first of f[0-3], an IPv6 prefix all four. */
static void
cls_acl_prefix(const struct vnb_prefix *p, struct rte_acl_field *f)
{
	unsigned int	len = p->len, bits, n, w;
	uint32_t	word;

	n = p->addr.family == AF_INET ? 1 : p->addr.family == AF_INET6 ? 4 : 0;
	for (w = 0; w < n; w++) {
		bits = len > 32 ? 32 : len;
		len -= bits;
		memcpy(&word, p->addr.u.bytes + 4 * w, sizeof(word));
		f[w].value.u32 = rte_be_to_cpu_32(word);
		f[w].mask_range.u32 = bits;
	}
}

static void
cls_acl_range(const struct vnb_port_range *r, struct rte_acl_field *f)
{
	f->value.u16 = r->min;
	f->mask_range.u16 = r->max;
}

static uint32_t
cls_be32(const uint8_t *b)
{
	return (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 |
	    (uint32_t)b[2] << 8 | b[3];
}

static uint16_t
cls_be16(const uint8_t *b)
{
	return (uint16_t)(b[0] << 8 | b[1]);
}

static void
cls_acl_macs(const struct cls_rule *r, struct cls_acl_rule *a)
{
	if (!r->dmac.any) {
		a->field[CLS_F_DMAC_HI].value.u32 = cls_be32(r->dmac.bytes);
		a->field[CLS_F_DMAC_HI].mask_range.u32 = 32;
		a->field[CLS_F_DMAC_LO].value.u16 = cls_be16(r->dmac.bytes + 4);
		a->field[CLS_F_DMAC_LO].mask_range.u16 = UINT16_MAX;
	}
	if (!r->smac.any) {
		a->field[CLS_F_SMAC_HI].value.u16 = cls_be16(r->smac.bytes);
		a->field[CLS_F_SMAC_HI].mask_range.u16 = UINT16_MAX;
		a->field[CLS_F_SMAC_LO].value.u32 = cls_be32(r->smac.bytes + 2);
		a->field[CLS_F_SMAC_LO].mask_range.u32 = 32;
	}
}

/*
 * Rule i of n as rte_acl takes it.  A packet without ports has ports 0 in
 * its key, which a range starting at 0 would match: such a range also
 * asks for the CLS_KEY_PORTS flag, which the packet lacks.  Other rules
 * leave the flag wild, so that the flags' group costs nothing unless a
 * rule needs it.
 */
static void
cls_acl_rule(const struct cls_rule *r, size_t i, size_t n,
    struct cls_acl_rule *a)
{
	memset(a, 0, sizeof(*a));
	a->data.category_mask = 1;
	a->data.priority = (int32_t)(n - i);
	a->data.userdata = (uint32_t)(i + 1);

	if (r->proto != PARSE_PROTO_ANY) {
		a->field[CLS_F_PROTO].value.u8 = (uint8_t)r->proto;
		a->field[CLS_F_PROTO].mask_range.u8 = UINT8_MAX;
	}
	cls_acl_prefix(&r->src, &a->field[CLS_F_SRC0]);
	cls_acl_prefix(&r->dst, &a->field[CLS_F_DST0]);
	cls_acl_range(&r->sport, &a->field[CLS_F_SPORT]);
	cls_acl_range(&r->dport, &a->field[CLS_F_DPORT]);
	if ((r->sport.min == 0 && !cls_port_any(&r->sport)) ||
	    (r->dport.min == 0 && !cls_port_any(&r->dport))) {
		a->field[CLS_F_FLAGS].value.u8 = CLS_KEY_PORTS;
		a->field[CLS_F_FLAGS].mask_range.u8 = CLS_KEY_PORTS;
	}
	if (r->vlan != 0) {
		a->field[CLS_F_VLAN].value.u16 = r->vlan;
		a->field[CLS_F_VLAN].mask_range.u16 = UINT16_MAX;
	}
	cls_acl_macs(r, a);
}

/* Bytes allocated from DPDK's heaps, on every socket. */
static size_t
cls_heap_used(void)
{
	struct rte_malloc_socket_stats	st;
	unsigned int			i;
	size_t				sum = 0;

	for (i = 0; i < rte_socket_count(); i++)
		if (rte_malloc_get_socket_stats(rte_socket_id_by_idx(i),
		    &st) == 0)
			sum += st.heap_allocsz_bytes;
	return sum;
}

/*
 * A context of the kind's rules lo to hi - 1, built.  *rc is rte_acl's
 * error if building it failed, else 0.
 */
static struct rte_acl_ctx *
cls_ctx_new(const struct cls_builder *b, enum cls_kind k, size_t lo,
    size_t hi, int *rc)
{
	struct rte_acl_param	 param;
	struct rte_acl_config	 cfg;
	struct rte_acl_ctx	*ctx;
	char			 ctxname[RTE_ACL_NAMESIZE];
	size_t			 i;

	*rc = 0;
	snprintf(ctxname, sizeof(ctxname), "%s-%c.%u", b->name,
	    cls_kind_name[k], b->cls->nacl[k]);
	if (rte_acl_find_existing(ctxname) != NULL) {
		snprintf(b->err, b->errlen, "ACL context '%s' exists", ctxname);
		return NULL;
	}
	memset(&param, 0, sizeof(param));
	param.name = ctxname;
	param.socket_id = b->socket;
	param.rule_size = RTE_ACL_RULE_SZ(CLS_F_MAX);
	param.max_rule_num = (uint32_t)(hi - lo);
	/* rte_acl_create() leaves rte_errno alone when out of memory. */
	rte_errno = ENOMEM;
	if ((ctx = rte_acl_create(&param)) == NULL) {
		snprintf(b->err, b->errlen, "ACL context '%s': %s", ctxname,
		    rte_strerror(rte_errno));
		return NULL;
	}

	for (i = lo; i < hi; i++) {
		if (rte_acl_add_rules(ctx, (const struct rte_acl_rule *)
		    &b->acl[b->idx[i]], 1) != 0) {
			snprintf(b->err, b->errlen, "ACL context '%s': cannot "
			    "add rule %zu", ctxname, b->idx[i]);
			goto fail;
		}
	}

	memset(&cfg, 0, sizeof(cfg));
	cfg.num_categories = 1;
	cfg.num_fields = CLS_F_MAX;
	memcpy(cfg.defs, cls_fields, sizeof(cls_fields));
	if ((*rc = rte_acl_build(ctx, &cfg)) != 0) {
		snprintf(b->err, b->errlen, "ACL context '%s': building %zu "
		    "rules: %s", ctxname, hi - lo, rte_strerror(-*rc));
		goto fail;
	}
	return ctx;

fail:
	rte_acl_free(ctx);
	return NULL;
}

/* Contexts for the kind's rules lo to hi - 1, split as they need. */
static int
cls_kind_build(const struct cls_builder *b, enum cls_kind k, size_t lo,
    size_t hi)
{
	struct classifier	*cls = b->cls;
	struct rte_acl_ctx	*ctx;
	size_t			 mid;
	int			 rc;

	if (cls->nacl[k] == CLS_SPLIT_MAX) {
		snprintf(b->err, b->errlen, "classifier '%s': the rules need "
		    "more than %d ACL contexts", b->name, CLS_SPLIT_MAX);
		return -1;
	}
	if ((ctx = cls_ctx_new(b, k, lo, hi, &rc)) != NULL) {
		cls->acl[k][cls->nacl[k]++] = ctx;
		return 0;
	}
	if ((rc != -ENOMEM && rc != -ERANGE) || hi - lo < 2)
		return -1;

	mid = lo + (hi - lo) / 2;
	if (cls_kind_build(b, k, lo, mid) == -1)
		return -1;
	return cls_kind_build(b, k, mid, hi);
}

/* The field's value or mask, of its size, as rte_acl_field holds it. */
static uint32_t
cls_field_get(const union rte_acl_field_types *v, uint8_t size)
{
	return size == 1 ? v->u8 : size == 2 ? v->u16 : v->u32;
}

/* Rule a, compiled to be matched on its own. */
static void
cls_linear_rule(const struct cls_acl_rule *a, struct cls_linear *l)
{
	const struct rte_acl_field_def	*d;
	const struct rte_acl_field	*f;
	uint8_t				 mask[CLS_WORDS * 8] = { 0 };
	uint8_t				 value[CLS_WORDS * 8] = { 0 };
	uint32_t			 m, all, bits;
	unsigned int			 i, b;

	for (i = 0; i < CLS_F_MAX; i++) {
		d = &cls_fields[i];
		f = &a->field[d->field_index];
		all = d->size == 4 ? UINT32_MAX : (1U << 8 * d->size) - 1;
		switch (d->type) {
		case RTE_ACL_FIELD_TYPE_RANGE:
			if (d->field_index == CLS_F_SPORT) {
				l->sport_min = f->value.u16;
				l->sport_max = f->mask_range.u16;
			} else {
				l->dport_min = f->value.u16;
				l->dport_max = f->mask_range.u16;
			}
			continue;
		case RTE_ACL_FIELD_TYPE_MASK:
			/* A prefix: its length in bits. */
			bits = cls_field_get(&f->mask_range, d->size);
			m = bits == 0 ? 0 : all << (8 * d->size - bits) & all;
			break;
		default:
			m = cls_field_get(&f->mask_range, d->size);
			break;
		}
		/* The key is in network byte order, the rule in host order. */
		for (b = 0; b < d->size; b++) {
			mask[d->offset + b] = (uint8_t)(m >>
			    8 * (d->size - 1 - b));
			value[d->offset + b] = (uint8_t)((cls_field_get(
			    &f->value, d->size) & m) >> 8 * (d->size - 1 - b));
		}
	}
	for (i = 0; i < CLS_WORDS; i++) {
		memcpy(&l->mask[l->nwords], mask + 8 * i, 8);
		memcpy(&l->value[l->nwords], value + 8 * i, 8);
		if (l->mask[l->nwords] != 0)
			l->word[l->nwords++] = (uint8_t)i;
	}
	l->ports = l->sport_min != 0 || l->sport_max != UINT16_MAX ||
	    l->dport_min != 0 || l->dport_max != UINT16_MAX;
	l->result = a->data.userdata;
}

/* Whether rule a matches every packet of the kinds it is built for. */
static int
cls_linear_wild(const struct cls_acl_rule *a)
{
	struct cls_linear	l;

	memset(&l, 0, sizeof(l));
	cls_linear_rule(a, &l);
	return l.nwords == 0 && !l.ports;
}

/* The kind's rules, to be matched one by one. */
static int
cls_linear_build(const struct cls_builder *b, enum cls_kind k, size_t n)
{
	struct cls_linear	*l;
	size_t			 i;

	l = rte_zmalloc_socket(b->name, n * sizeof(*l), 0, b->socket);
	if (l == NULL) {
		snprintf(b->err, b->errlen, "classifier '%s': out of memory",
		    b->name);
		return -1;
	}
	for (i = 0; i < n; i++)
		cls_linear_rule(&b->acl[b->idx[i]], &l[i]);
	b->cls->linear[k] = l;
	b->cls->nlinear[k] = (unsigned int)n;
	return 0;
}

static int
cls_check(const char *name, const struct cls_rule *rules, size_t n,
    char *err, size_t errlen)
{
	size_t	i;

	if (strlen(name) + CLS_SUFFIX_LEN >= RTE_ACL_NAMESIZE) {
		snprintf(err, errlen, "classifier name '%s' is longer than %zu",
		    name, RTE_ACL_NAMESIZE - CLS_SUFFIX_LEN - 1);
		return -1;
	}
	if (n >= RTE_ACL_MAX_PRIORITY) {
		snprintf(err, errlen, "%zu rules: at most %d", n,
		    RTE_ACL_MAX_PRIORITY - 1);
		return -1;
	}
	for (i = 0; i < n; i++)
		if (cls_rule_check(&rules[i], i, err, errlen) == -1)
			return -1;
	return 0;
}

struct classifier *
cls_build(const char *name, const struct cls_rule *rules, size_t n,
    int socket, char *err, size_t errlen)
{
	struct cls_builder	 b;
	struct cls_acl_rule	*acl = NULL;
	unsigned char		*kinds = NULL;
	size_t			*idx = NULL, before, i, count;
	int			 k;

	if (cls_check(name, rules, n, err, errlen) == -1)
		return NULL;

	memset(&b, 0, sizeof(b));
	before = cls_heap_used();
	b.cls = rte_zmalloc_socket(name, sizeof(*b.cls), 0, socket);
	acl = calloc(n ? n : 1, sizeof(*acl));
	kinds = calloc(n ? n : 1, sizeof(*kinds));
	idx = calloc(n ? n : 1, sizeof(*idx));
	if (b.cls == NULL || acl == NULL || kinds == NULL || idx == NULL) {
		snprintf(err, errlen, "classifier '%s': out of memory", name);
		goto fail;
	}
	b.name = name;
	b.acl = acl;
	b.idx = idx;
	b.socket = socket;
	b.err = err;
	b.errlen = errlen;

	for (i = 0; i < n; i++) {
		cls_acl_rule(&rules[i], i, n, &acl[i]);
		kinds[i] = (unsigned char)cls_rule_kinds(&rules[i]);
	}
	for (k = 0; k < CLS_KINDS; k++) {
		for (i = count = 0; i < n; i++)
			if (kinds[i] & 1U << k)
				idx[count++] = i;
		if (count == 0)
			continue;
		/*
		 * A first rule that tests nothing a packet of the kind could
		 * fail shadows the rest: the kind's packets need no key.
		 */
		if (cls_linear_max > 0 && cls_linear_wild(&acl[idx[0]])) {
			b.cls->any[k] = acl[idx[0]].data.userdata;
			continue;
		}
		if (count <= cls_linear_max) {
			if (cls_linear_build(&b, k, count) == -1)
				goto fail;
		} else if (cls_kind_build(&b, k, 0, count) == -1)
			goto fail;
	}

	/*
	 * Exact as long as no other thread allocates from DPDK's heap
	 * meanwhile: classifiers are built on the control thread, and the
	 * workers do not allocate.
	 */
	i = cls_heap_used();
	b.cls->memory = i > before ? i - before : 0;
	free(acl);
	free(kinds);
	free(idx);
	return b.cls;

fail:
	cls_free(b.cls);
	free(acl);
	free(kinds);
	free(idx);
	return NULL;
}

void
cls_free(struct classifier *cls)
{
	unsigned int	j;
	int		k;

	if (cls == NULL)
		return;
	for (k = 0; k < CLS_KINDS; k++) {
		for (j = 0; j < cls->nacl[k]; j++)
			rte_acl_free(cls->acl[k][j]);
		rte_free(cls->linear[k]);
	}
	rte_free(cls);
}

size_t
cls_memory(const struct classifier *cls)
{
	return cls->memory;
}

static enum cls_kind
cls_pkt_kind(const struct vnb_pkt_info *pi)
{
	if (pi->family == VNB_FAMILY_IPV4)
		return CLS_V4;
	if (pi->family == VNB_FAMILY_IPV6)
		return CLS_V6;
	return CLS_L2;
}

static void
cls_key_fill(struct cls_key *key, const struct vnb_pkt_info *pi)
{
	memset(key, 0, sizeof(*key));
	memcpy(key->mac, pi->dmac, sizeof(pi->dmac));
	memcpy(key->mac + sizeof(pi->dmac), pi->smac, sizeof(pi->smac));
	if (pi->flags & VNB_PKT_VLAN)
		key->vlan = rte_cpu_to_be_16(pi->vlan);

	if (pi->family == VNB_FAMILY_IPV4) {
		memcpy(key->src, pi->src, 4);
		memcpy(key->dst, pi->dst, 4);
	} else if (pi->family == VNB_FAMILY_IPV6) {
		memcpy(key->src, pi->src, sizeof(key->src));
		memcpy(key->dst, pi->dst, sizeof(key->dst));
	} else
		return;
	key->proto = pi->proto;
	if (pi->flags & VNB_PKT_PORTS) {
		key->sport = rte_cpu_to_be_16(pi->sport);
		key->dport = rte_cpu_to_be_16(pi->dport);
		key->flags = CLS_KEY_PORTS;
	}
}

/* The first of the n rules at l that key matches, or 0. */
static inline uint32_t
cls_linear_match(const struct cls_linear *l, unsigned int n,
    const struct cls_key *key)
{
	const uint8_t	*w = (const uint8_t *)key;
	uint64_t	 d, v;
	uint16_t	 sport, dport;
	unsigned int	 i, j;

	for (i = 0; i < n; i++, l++) {
		for (j = 0, d = 0; j < l->nwords; j++) {
			memcpy(&v, w + 8 * l->word[j], sizeof(v));
			d |= (v & l->mask[j]) ^ l->value[j];
		}
		if (d != 0)
			continue;
		if (l->ports) {
			sport = rte_be_to_cpu_16(key->sport);
			dport = rte_be_to_cpu_16(key->dport);
			if (sport < l->sport_min || sport > l->sport_max ||
			    dport < l->dport_min || dport > l->dport_max)
				continue;
		}
		return l->result;
	}
	return 0;
}

/*
 * The count keys at data[] through the kind's contexts, each packet only
 * until one matches; results for key i go to results[idx[i]].
 */
static void
cls_classify_kind(const struct classifier *cls, enum cls_kind k,
    const uint8_t **data, uint8_t *idx, unsigned int count,
    uint32_t *results)
{
	uint32_t	res[CLS_BURST];
	unsigned int	i, j, left;

	if (cls->nlinear[k] > 0) {
		for (i = 0; i < count; i++)
			results[idx[i]] = cls_linear_match(cls->linear[k],
			    cls->nlinear[k], (const struct cls_key *)data[i]);
		return;
	}
	for (j = 0; j < cls->nacl[k] && count > 0; j++) {
		if (rte_acl_classify(cls->acl[k][j], data, res, count, 1) != 0)
			return;
		for (i = left = 0; i < count; i++) {
			if (res[i] != 0)
				results[idx[i]] = res[i];
			else {
				data[left] = data[i];
				idx[left++] = idx[i];
			}
		}
		count = left;
	}
}

static void
cls_classify_burst(const struct classifier *cls,
    const struct vnb_pkt_info *const *pkts, uint32_t *results,
    unsigned int n)
{
	struct cls_key		 keys[CLS_BURST];
	const uint8_t		*data[CLS_KINDS][CLS_BURST];
	uint8_t			 idx[CLS_KINDS][CLS_BURST];
	unsigned int		 count[CLS_KINDS] = { 0 }, i;
	enum cls_kind		 k;

	for (i = 0; i < n; i++) {
		k = cls_pkt_kind(pkts[i]);
		results[i] = cls->any[k];
		if (cls->nacl[k] == 0 && cls->nlinear[k] == 0)
			continue;
		cls_key_fill(&keys[i], pkts[i]);
		data[k][count[k]] = (const uint8_t *)&keys[i];
		idx[k][count[k]++] = (uint8_t)i;
	}
	for (k = 0; k < CLS_KINDS; k++)
		if (count[k] > 0)
			cls_classify_kind(cls, k, data[k], idx[k], count[k],
			    results);
}

int
cls_constant(const struct classifier *cls, uint32_t *result)
{
	int	k;

	for (k = 0; k < CLS_KINDS; k++)
		if (cls->nacl[k] != 0 || cls->nlinear[k] != 0 ||
		    cls->any[k] != cls->any[0])
			return 0;
	*result = cls->any[0];
	return 1;
}

void
cls_classify(const struct classifier *cls,
    const struct vnb_pkt_info *const *pkts, uint32_t *results,
    unsigned int n)
{
	unsigned int	off, len;

	for (off = 0; off < n; off += len) {
		len = n - off < CLS_BURST ? n - off : CLS_BURST;
		cls_classify_burst(cls, pkts + off, results + off, len);
	}
}

/*
 * The tunnels of the IPsec configuration: see tunnel.h.
 *
 * Loading reads every IPsec object once and turns the enforcers into an
 * array, with the members of each group and site as lists of indexes, so
 * that the walk's inner loop only copies pointers.
 *
 * What a bind means:
 * - group-to-group: every member of left with every member of right.  An
 *   end carries the CIDRs of its enforcer's local site, or, without one,
 *   its tunnel address alone; in transport mode always the address.
 * - localsite-to-localsite: every enforcer of left with every enforcer of
 *   right, each end carrying its site's CIDRs.
 * - localsite-to-remotesite: every enforcer of the local site with the
 *   remote site's gateway, which carries the remote site's CIDRs.
 * Without an enforcer to look from, the bind's first side is left; from
 * an enforcer, that enforcer is always left.
 *
 * XXX(#7): a pair whose tunnel addresses are of different IP versions
 * cannot talk IKE, yet is listed like any other; nothing warns of it.
 */
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>

#include "kind.h"
#include "tunnel.h"

enum tunnel_kind {
	TK_ENFORCER,
	TK_GROUP,
	TK_LOCAL,
	TK_REMOTE,
	TK_IKE,
	TK_IPSEC,
	TK_G2G,
	TK_L2L,
	TK_L2R,
	TK_MAX
};

static const char *const tunnel_kinds[TK_MAX] = {
	[TK_ENFORCER] = "enforcer",
	[TK_GROUP] = "endpoint-group",
	[TK_LOCAL] = "local-site",
	[TK_REMOTE] = "remote-site",
	[TK_IKE] = "ike-policy",
	[TK_IPSEC] = "ipsec-policy",
	[TK_G2G] = "group-to-group",
	[TK_L2L] = "localsite-to-localsite",
	[TK_L2R] = "localsite-to-remotesite",
};

struct tunnel_node {
	const char	*name;
	const char	*address;
	const char	*group;
	const char	*site;
	const json_t	*site_cidrs;	/* NULL: not in a local site */
	json_t		*host;		/* [address/32] or [address/128] */
};

struct tunnel_members {
	size_t		*idx;
	size_t		 n;
};

struct tunnel_set {
	json_t			*objs[TK_MAX];	/* as listed by the store */
	json_t			*index;		/* "kind\x1fname": object */
	struct tunnel_node	*nodes;
	size_t			 nnodes;
	json_t			*node_index;	/* name: index in nodes */
	json_t			*member_index;	/* "kind\x1fname": slot */
	struct tunnel_members	*members;
	size_t			 nmembers;
};

/* The constant parts of one bind's tunnels while they are walked. */
struct tunnel_walk {
	const struct tunnel_set	*ts;
	struct tunnel		 t;
	ssize_t			 self;		/* -1: every enforcer */
	int			 host_only;
	const char		*lcert;
	const char		*rcert;
	tunnel_fn		*fn;
	void			*arg;
};

static const char *
str(const json_t *obj, const char *field)
{
	return json_string_value(json_object_get(obj, field));
}

static const json_t *
tunnel_obj(const struct tunnel_set *ts, enum tunnel_kind k, const char *name)
{
	const json_t	*o;
	char		*key;

	if (name == NULL)
		return NULL;
	key = xasprintf("%s\x1f%s", tunnel_kinds[k], name);
	o = json_object_get(ts->index, key);
	free(key);
	return o;
}

static struct tunnel_members *
tunnel_members(const struct tunnel_set *ts, enum tunnel_kind k,
    const char *name)
{
	json_t	*slot;
	char	*key;

	key = xasprintf("%s\x1f%s", tunnel_kinds[k], name);
	slot = json_object_get(ts->member_index, key);
	free(key);
	return slot ? &ts->members[json_integer_value(slot)] : NULL;
}

static void
tunnel_add_member(struct tunnel_set *ts, enum tunnel_kind k,
    const char *name, size_t node)
{
	struct tunnel_members	*m;
	char			*key;

	if ((m = tunnel_members(ts, k, name)) == NULL) {
		ts->members = xreallocarray(ts->members, ts->nmembers + 1,
		    sizeof(*ts->members));
		m = &ts->members[ts->nmembers];
		memset(m, 0, sizeof(*m));
		key = xasprintf("%s\x1f%s", tunnel_kinds[k], name);
		json_object_set_new(ts->member_index, key,
		    json_integer((json_int_t)ts->nmembers++));
		free(key);
	}
	m->idx = xreallocarray(m->idx, m->n + 1, sizeof(*m->idx));
	m->idx[m->n++] = node;
}

static void
tunnel_load_nodes(struct tunnel_set *ts)
{
	struct tunnel_node	*n;
	const json_t		*site;
	json_t			*o;
	size_t			 i;

	ts->nnodes = json_array_size(ts->objs[TK_ENFORCER]);
	ts->nodes = xcalloc(ts->nnodes + 1, sizeof(*ts->nodes));
	json_array_foreach(ts->objs[TK_ENFORCER], i, o) {
		n = &ts->nodes[i];
		n->name = str(o, "name");
		n->address = str(o, "tunnel-address");
		n->group = str(o, "endpoint-group");
		n->site = str(o, "local-site");
		site = tunnel_obj(ts, TK_LOCAL, n->site);
		n->site_cidrs = site ? json_object_get(site, "cidrs") : NULL;
		n->host = json_pack("[s+]", n->address,
		    strchr(n->address, ':') ? "/128" : "/32");
		json_object_set_new(ts->node_index, n->name,
		    json_integer((json_int_t)i));
		if (n->group != NULL)
			tunnel_add_member(ts, TK_GROUP, n->group, i);
		if (n->site != NULL)
			tunnel_add_member(ts, TK_LOCAL, n->site, i);
	}
}

struct tunnel_set *
tunnel_set_load(struct store *s, struct vnb_error *err)
{
	struct tunnel_set	*ts;
	const struct kind	*k;
	json_t			*o;
	char			*key;
	size_t			 i, j;

	ts = xcalloc(1, sizeof(*ts));
	ts->index = json_object();
	ts->node_index = json_object();
	ts->member_index = json_object();
	for (i = 0; i < TK_MAX; i++) {
		if ((k = kind_find(tunnel_kinds[i])) == NULL) {
			vnb_error_set(err, "unknown kind '%s'",
			    tunnel_kinds[i]);
			goto fail;
		}
		if ((ts->objs[i] = store_list(s, k, NULL, err)) == NULL)
			goto fail;
		json_array_foreach(ts->objs[i], j, o) {
			key = xasprintf("%s\x1f%s", k->name, str(o, "name"));
			json_object_set(ts->index, key, o);
			free(key);
		}
	}
	tunnel_load_nodes(ts);
	return ts;
 fail:
	tunnel_set_free(ts);
	return NULL;
}

void
tunnel_set_free(struct tunnel_set *ts)
{
	size_t	i;

	if (ts == NULL)
		return;
	for (i = 0; i < ts->nnodes; i++)
		json_decref(ts->nodes[i].host);
	for (i = 0; i < ts->nmembers; i++)
		free(ts->members[i].idx);
	for (i = 0; i < TK_MAX; i++)
		json_decref(ts->objs[i]);
	free(ts->nodes);
	free(ts->members);
	json_decref(ts->index);
	json_decref(ts->node_index);
	json_decref(ts->member_index);
	free(ts);
}

int
tunnel_set_has_enforcer(const struct tunnel_set *ts, const char *name)
{
	return json_object_get(ts->node_index, name) != NULL;
}

static void
tunnel_end_node(struct tunnel_walk *w, struct tunnel_end *e, size_t i,
    const char *cert)
{
	const struct tunnel_node	*n = &w->ts->nodes[i];

	e->enforcer = n->name;
	e->group = n->group;
	e->site = n->site;
	e->address = n->address;
	e->selectors = w->host_only || n->site_cidrs == NULL ? n->host :
	    n->site_cidrs;
	e->id = NULL;
	e->certificate = cert;
	e->ca = NULL;
}

/* Every member of a with every member of b, or self's tunnels among them. */
static int
tunnel_pairs(struct tunnel_walk *w, const struct tunnel_members *a,
    const struct tunnel_members *b, int self_in_a, int self_in_b)
{
	size_t	i, j;
	int	rc;

	if (a == NULL || b == NULL)
		return 0;
	if (w->self < 0) {
		for (i = 0; i < a->n; i++) {
			tunnel_end_node(w, &w->t.left, a->idx[i], w->lcert);
			for (j = 0; j < b->n; j++) {
				tunnel_end_node(w, &w->t.right, b->idx[j],
				    w->rcert);
				if ((rc = w->fn(&w->t, w->arg)) != 0)
					return rc;
			}
		}
		return 0;
	}
	if (self_in_a) {
		tunnel_end_node(w, &w->t.left, w->self, w->lcert);
		for (j = 0; j < b->n; j++) {
			tunnel_end_node(w, &w->t.right, b->idx[j], w->rcert);
			if ((rc = w->fn(&w->t, w->arg)) != 0)
				return rc;
		}
	}
	if (self_in_b) {
		tunnel_end_node(w, &w->t.left, w->self, w->rcert);
		for (i = 0; i < a->n; i++) {
			tunnel_end_node(w, &w->t.right, a->idx[i], w->lcert);
			if ((rc = w->fn(&w->t, w->arg)) != 0)
				return rc;
		}
	}
	return 0;
}

/* The parts of a bind's tunnels that do not depend on the enforcers. */
static void
tunnel_bind(struct tunnel_walk *w, enum tunnel_kind k, const json_t *bind)
{
	const json_t	*ipsec;

	memset(&w->t, 0, sizeof(w->t));
	w->t.kind = tunnel_kinds[k];
	w->t.bind = str(bind, "name");
	w->t.bind_obj = bind;
	w->t.ike_policy = tunnel_obj(w->ts, TK_IKE, str(bind, "ike-policy"));
	ipsec = tunnel_obj(w->ts, TK_IPSEC, str(bind, "ipsec-policy"));
	w->t.ipsec_policy = ipsec;
	w->t.authentication = str(bind, "authentication");
	w->host_only = ipsec != NULL && strcmp(str(ipsec,
	    "encapsulation-mode"), "transport") == 0;
	w->lcert = w->rcert = NULL;
}

static const char *
tunnel_cert(struct tunnel_walk *w, enum tunnel_kind k, const char *name)
{
	if (strcmp(w->t.authentication, "certificate") != 0)
		return NULL;
	return str(tunnel_obj(w->ts, k, name), "certificate");
}

static int
is_member(const char *member_of, const char *name)
{
	return member_of != NULL && strcmp(member_of, name) == 0;
}

static int
tunnel_walk_g2g(struct tunnel_walk *w, const json_t *bind)
{
	const char			*l = str(bind, "left");
	const char			*r = str(bind, "right");
	const struct tunnel_node	*self = NULL;

	tunnel_bind(w, TK_G2G, bind);
	w->lcert = tunnel_cert(w, TK_GROUP, l);
	w->rcert = tunnel_cert(w, TK_GROUP, r);
	if (w->self >= 0)
		self = &w->ts->nodes[w->self];
	return tunnel_pairs(w, tunnel_members(w->ts, TK_GROUP, l),
	    tunnel_members(w->ts, TK_GROUP, r),
	    self && is_member(self->group, l),
	    self && is_member(self->group, r));
}

static int
tunnel_walk_l2l(struct tunnel_walk *w, const json_t *bind)
{
	const char			*l = str(bind, "left");
	const char			*r = str(bind, "right");
	const struct tunnel_node	*self = NULL;

	tunnel_bind(w, TK_L2L, bind);
	w->host_only = 0;
	w->lcert = tunnel_cert(w, TK_LOCAL, l);
	w->rcert = tunnel_cert(w, TK_LOCAL, r);
	if (w->self >= 0)
		self = &w->ts->nodes[w->self];
	return tunnel_pairs(w, tunnel_members(w->ts, TK_LOCAL, l),
	    tunnel_members(w->ts, TK_LOCAL, r),
	    self && is_member(self->site, l),
	    self && is_member(self->site, r));
}

static int
tunnel_walk_l2r(struct tunnel_walk *w, const json_t *bind)
{
	const struct tunnel_members	*m;
	const json_t			*remote;
	const char			*l = str(bind, "local-site");
	size_t				 i;
	int				 rc;

	tunnel_bind(w, TK_L2R, bind);
	w->host_only = 0;
	remote = tunnel_obj(w->ts, TK_REMOTE, str(bind, "remote-site"));
	if (remote == NULL ||
	    (m = tunnel_members(w->ts, TK_LOCAL, l)) == NULL)
		return 0;
	w->lcert = tunnel_cert(w, TK_LOCAL, l);
	w->t.right.site = str(remote, "name");
	w->t.right.address = str(remote, "peer-address");
	w->t.right.selectors = json_object_get(remote, "peer-cidrs");
	w->t.right.id = str(remote, "peer-id");
	w->t.right.ca = str(remote, "ca");

	for (i = 0; i < m->n; i++) {
		if (w->self >= 0 && (size_t)w->self != m->idx[i])
			continue;
		tunnel_end_node(w, &w->t.left, m->idx[i], w->lcert);
		if ((rc = w->fn(&w->t, w->arg)) != 0)
			return rc;
	}
	return 0;
}

/*
 * Call fn for every tunnel, or for every tunnel of the enforcer called
 * enforcer (NULL: all), binds in kind and name order.  Returns 0, or the
 * first non-zero value fn returned, or -1 for an unknown enforcer.
 */
int
tunnel_walk(const struct tunnel_set *ts, const char *enforcer,
    tunnel_fn *fn, void *arg)
{
	struct tunnel_walk	 w;
	json_t			*b, *slot;
	size_t			 i;
	int			 rc;

	memset(&w, 0, sizeof(w));
	w.ts = ts;
	w.fn = fn;
	w.arg = arg;
	w.self = -1;
	if (enforcer != NULL) {
		if ((slot = json_object_get(ts->node_index, enforcer)) == NULL)
			return -1;
		w.self = (ssize_t)json_integer_value(slot);
	}
	json_array_foreach(ts->objs[TK_G2G], i, b)
		if ((rc = tunnel_walk_g2g(&w, b)) != 0)
			return rc;
	json_array_foreach(ts->objs[TK_L2L], i, b)
		if ((rc = tunnel_walk_l2l(&w, b)) != 0)
			return rc;
	json_array_foreach(ts->objs[TK_L2R], i, b)
		if ((rc = tunnel_walk_l2r(&w, b)) != 0)
			return rc;
	return 0;
}

static json_t *
tunnel_end_json(const struct tunnel_end *e)
{
	json_t	*o = json_object();

	if (e->enforcer != NULL)
		json_object_set_new(o, "enforcer", json_string(e->enforcer));
	if (e->group != NULL)
		json_object_set_new(o, "endpoint-group",
		    json_string(e->group));
	if (e->site != NULL)
		json_object_set_new(o, e->enforcer ? "local-site" :
		    "remote-site", json_string(e->site));
	json_object_set_new(o, "address", json_string(e->address));
	json_object_set(o, "selectors", (json_t *)e->selectors);
	if (e->id != NULL)
		json_object_set_new(o, "id", json_string(e->id));
	if (e->certificate != NULL)
		json_object_set_new(o, "certificate",
		    json_string(e->certificate));
	if (e->ca != NULL)
		json_object_set_new(o, "ca", json_string(e->ca));
	return o;
}

/* A tunnel as ipsecctl shows it: no secret, only names of policies. */
json_t *
tunnel_json(const struct tunnel *t)
{
	return json_pack("{s:s,s:s,s:o,s:o,s:s?,s:s?,s:s}",
	    "bind", t->bind, "bind-kind", t->kind,
	    "left", tunnel_end_json(&t->left),
	    "right", tunnel_end_json(&t->right),
	    "ike-policy", str(t->ike_policy, "name"),
	    "ipsec-policy", str(t->ipsec_policy, "name"),
	    "authentication", t->authentication);
}

/* A DOT string, quoted: names cannot hold quotes, but text may. */
static void
dot_quote(struct buf *b, const char *prefix, const char *s)
{
	buf_puts(b, "\"");
	if (prefix != NULL)
		buf_printf(b, "%s:", prefix);
	for (; *s != '\0'; s++) {
		if (*s == '\n') {
			buf_puts(b, "\\n");
			continue;
		}
		if (*s == '"' || *s == '\\')
			buf_puts(b, "\\");
		buf_add(b, s, 1);
	}
	buf_puts(b, "\"");
}

static void
dot_node(struct buf *b, const char *indent, const char *kind,
    const char *name, const char *shape, const char *detail)
{
	char	*label;

	label = detail ? xasprintf("%s\n%s", name, detail) : xstrdup(name);
	buf_puts(b, indent);
	dot_quote(b, kind, name);
	buf_printf(b, " [shape=%s, label=", shape);
	dot_quote(b, NULL, label);
	buf_puts(b, "];\n");
	free(label);
}

static void
dot_enforcers(const struct tunnel_set *ts, struct buf *b, const char *group,
    const char *indent)
{
	size_t	i;

	for (i = 0; i < ts->nnodes; i++) {
		if (group == NULL ? ts->nodes[i].group != NULL :
		    !is_member(ts->nodes[i].group, group))
			continue;
		dot_node(b, indent, "enforcer", ts->nodes[i].name, "box",
		    ts->nodes[i].address);
	}
}

/* A list's values, one a line, for a label. */
static char *
dot_lines(const json_t *list, const char *first_line)
{
	struct buf	 b;
	json_t		*x;
	size_t		 i;

	buf_init(&b);
	if (first_line != NULL)
		buf_puts(&b, first_line);
	json_array_foreach(list, i, x)
		buf_printf(&b, "%s%s", b.len ? "\n" : "",
		    json_string_value(x));
	return buf_release(&b);
}

static void
dot_sites(const struct tunnel_set *ts, struct buf *b)
{
	json_t	*o;
	char	*detail;
	size_t	 i;

	json_array_foreach(ts->objs[TK_LOCAL], i, o) {
		detail = dot_lines(json_object_get(o, "cidrs"), NULL);
		dot_node(b, "\t", "local-site", str(o, "name"), "house",
		    detail);
		free(detail);
	}
	json_array_foreach(ts->objs[TK_REMOTE], i, o) {
		detail = dot_lines(json_object_get(o, "peer-cidrs"),
		    str(o, "peer-address"));
		dot_node(b, "\t", "remote-site", str(o, "name"),
		    "doubleoctagon", detail);
		free(detail);
	}
	for (i = 0; i < ts->nnodes; i++) {
		if (ts->nodes[i].site == NULL)
			continue;
		buf_puts(b, "\t");
		dot_quote(b, "enforcer", ts->nodes[i].name);
		buf_puts(b, " -- ");
		dot_quote(b, "local-site", ts->nodes[i].site);
		buf_puts(b, " [style=dashed];\n");
	}
}

static size_t
dot_count(const struct tunnel_set *ts, enum tunnel_kind k, const char *name)
{
	const struct tunnel_members	*m = tunnel_members(ts, k, name);

	return m ? m->n : 0;
}

static void
dot_binds(const struct tunnel_set *ts, struct buf *b, enum tunnel_kind k,
    enum tunnel_kind lk, const char *lf, enum tunnel_kind rk, const char *rf)
{
	json_t	*o;
	char	*label;
	size_t	 i, n;

	json_array_foreach(ts->objs[k], i, o) {
		n = dot_count(ts, lk, str(o, lf));
		if (rk != TK_REMOTE)
			n *= dot_count(ts, rk, str(o, rf));
		label = xasprintf("%s\n%zu tunnel%s", str(o, "name"), n,
		    n == 1 ? "" : "s");
		buf_puts(b, "\t");
		dot_quote(b, tunnel_kinds[lk], str(o, lf));
		buf_puts(b, " -- ");
		dot_quote(b, tunnel_kinds[rk], str(o, rf));
		buf_puts(b, " [penwidth=2, label=");
		dot_quote(b, NULL, label);
		buf_puts(b, "];\n");
		free(label);
	}
}

/*
 * The configuration as a Graphviz graph: each endpoint group a cluster of
 * its enforcers, sites as nodes with their CIDRs, enforcers joined to
 * their local sites by dashed lines, and each bind an edge labelled with
 * the number of tunnels it makes.
 */
void
tunnel_set_dot(const struct tunnel_set *ts, struct buf *b)
{
	json_t	*g;
	char	*label;
	size_t	 i;

	buf_puts(b, "graph ipsec {\n");
	buf_puts(b, "\tgraph [rankdir=LR];\n");
	buf_puts(b, "\tnode [fontsize=10];\n");
	buf_puts(b, "\tedge [fontsize=9];\n");
	json_array_foreach(ts->objs[TK_GROUP], i, g) {
		label = xasprintf("endpoint-group %s", str(g, "name"));
		buf_puts(b, "\tsubgraph ");
		dot_quote(b, "cluster_endpoint-group", str(g, "name"));
		buf_puts(b, " {\n\t\tlabel=");
		dot_quote(b, NULL, label);
		buf_puts(b, ";\n");
		free(label);
		dot_node(b, "\t\t", "endpoint-group", str(g, "name"), "folder",
		    NULL);
		dot_enforcers(ts, b, str(g, "name"), "\t\t");
		buf_puts(b, "\t}\n");
	}
	dot_enforcers(ts, b, NULL, "\t");
	dot_sites(ts, b);
	dot_binds(ts, b, TK_G2G, TK_GROUP, "left", TK_GROUP, "right");
	dot_binds(ts, b, TK_L2L, TK_LOCAL, "left", TK_LOCAL, "right");
	dot_binds(ts, b, TK_L2R, TK_LOCAL, "local-site", TK_REMOTE,
	    "remote-site");
	buf_puts(b, "}\n");
}

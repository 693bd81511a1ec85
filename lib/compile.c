/*
 * Compiling a scope into its dataplane document: see compile.h.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <openssl/evp.h>

#include "compile.h"
#include "file.h"
#include "kind.h"
#include "parse.h"
#include "util.h"
#include "yaml.h"

/* Overlapping rules reported per policy before the rest are counted. */
#define COMPILE_OVERLAPS_SHOWN	10

static const char *const plugins[] = { "netflow", "sflow", "rawforward" };

/* A scope's objects of one kind, by name. */
struct objects {
	const struct kind	*kind;
	json_t			*byname;
};

struct compile {
	struct store	*store;
	const char	*scope;
	struct diag	*diag;
	int		 failed;	/* the store could not be read */
};

static void
compile_error(struct compile *c, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void
compile_warn(struct compile *c, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
compile_msg(struct compile *c, int warning, const char *fmt, va_list ap)
{
	char	*text;

	if (vasprintf(&text, fmt, ap) == -1)
		abort();
	if (warning)
		diag_warn(c->diag, NULL, "scope '%s': %s", c->scope, text);
	else
		diag_error(c->diag, NULL, "scope '%s': %s", c->scope, text);
	free(text);
}

static void
compile_error(struct compile *c, const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	compile_msg(c, 0, fmt, ap);
	va_end(ap);
}

static void
compile_warn(struct compile *c, const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	compile_msg(c, 1, fmt, ap);
	va_end(ap);
}

/* Every object of kind name in the scope, keyed by name. */
static json_t *
compile_load(struct compile *c, const char *name)
{
	struct vnb_error	 err;
	const struct kind	*k = kind_find(name);
	json_t			*list, *byname, *o;
	size_t			 i;

	byname = json_object();
	if ((list = store_list(c->store, k, c->scope, &err)) == NULL) {
		diag_error(c->diag, NULL, "%s", err.msg);
		c->failed = 1;
		return byname;
	}
	json_array_foreach(list, i, o)
		json_object_set(byname, json_string_value(json_object_get(o,
		    "name")), o);
	json_decref(list);
	return byname;
}

/* The only object of a per-scope kind, or NULL. */
static json_t *
compile_one(struct compile *c, const char *name)
{
	json_t		*all = compile_load(c, name), *o = NULL;
	void		*it;

	if ((it = json_object_iter(all)) != NULL)
		o = json_incref(json_object_iter_value(it));
	json_decref(all);
	return o;
}

/* Durations become whole seconds; the document has no units to parse. */
static json_t *
seconds(const json_t *v)
{
	uint64_t	ms = 0;

	parse_duration(json_string_value(v), &ms, NULL);
	return json_integer((json_int_t)(ms / 1000));
}

/*
 * The fields of o that a dataplane needs, in the kind's order: metadata,
 * descriptions and the fields listed in skip are left out, durations
 * become seconds.
 */
static json_t *
compile_fields(const json_t *o, const char *const *skip)
{
	const struct kind	*k;
	const struct field	*f;
	const char *const	*s;
	json_t			*out, *v;

	k = kind_find(json_string_value(json_object_get(o, "kind")));
	out = json_object();
	for (f = k->fields; f->name != NULL; f++) {
		if (strcmp(f->name, "description") == 0 ||
		    (v = json_object_get(o, f->name)) == NULL)
			continue;
		for (s = skip; s != NULL && *s != NULL; s++)
			if (strcmp(*s, f->name) == 0)
				break;
		if (s != NULL && *s != NULL)
			continue;
		if (f->type == FT_DURATION)
			json_object_set_new(out, f->name, seconds(v));
		else
			json_object_set(out, f->name, v);
	}
	return out;
}

static json_t *
named(const char *name, json_t *fields)
{
	json_t	*out = json_pack("{s:s}", "name", name);

	json_object_update(out, fields);
	json_decref(fields);
	return out;
}

static const char *
name_of(const json_t *o)
{
	return json_string_value(json_object_get(o, "name"));
}

static int
enabled(const json_t *scope, const char *plugin)
{
	const char	*v = json_string_value(json_object_get(scope, plugin));

	return v != NULL && strcmp(v, "enable") == 0;
}

/* An object of kind name with every field at its default. */
static json_t *
defaults(const char *name, const char *scope)
{
	struct diag	 d;
	json_t		*in, *out;

	diag_init(&d);
	in = json_pack("{s:s,s:s,s:s}", "kind", name, "scope", scope, "name",
	    scope);
	out = kind_validate(kind_find(name), in, NULL, &d);
	json_decref(in);
	diag_free(&d);
	return out;
}

/* The plugins section: each enabled plugin's settings. */
static json_t *
compile_plugins(struct compile *c, const json_t *scope)
{
	json_t	*out = json_object(), *cfg, *mon, *nf;

	if (enabled(scope, "netflow")) {
		cfg = compile_one(c, "netflow-config");
		if ((mon = compile_one(c, "netflow-monitor")) == NULL)
			mon = defaults("netflow-monitor", c->scope);
		if (cfg == NULL)
			compile_error(c, "netflow is enabled but the scope has "
			    "no netflow-config");
		else if (mon != NULL) {
			nf = compile_fields(cfg, NULL);
			json_object_update_new(nf, compile_fields(mon, NULL));
			json_object_set_new(out, "netflow", nf);
		}
		json_decref(cfg);
		json_decref(mon);
	}
	if (enabled(scope, "sflow")) {
		if ((cfg = compile_one(c, "sflow-config")) == NULL)
			compile_error(c, "sflow is enabled but the scope has "
			    "no sflow-config");
		else
			json_object_set_new(out, "sflow",
			    compile_fields(cfg, NULL));
		json_decref(cfg);
	}
	if (enabled(scope, "rawforward"))
		json_object_set_new(out, "rawforward", json_object());
	return out;
}

/* A classification's match, parsed, to compare with others. */
struct match {
	const char		*rule;
	long			 priority;
	size_t			 pos;		/* in the policy's list */
	int			 family;	/* 0: any */
	struct vnb_prefix	 src, dst;
	struct vnb_mac		 smac, dmac;
	struct vnb_port_range	 sport, dport;
	int			 proto;
	long			 vlan;		/* 0: any */
};

static const char *
str(const json_t *o, const char *field)
{
	const char	*v = json_string_value(json_object_get(o, field));

	return v != NULL ? v : "any";
}

static void
match_parse(const json_t *cls, struct match *m)
{
	const char	*fam = str(cls, "family");

	m->family = strcmp(fam, "ipv4") == 0 ? AF_INET :
	    strcmp(fam, "ipv6") == 0 ? AF_INET6 : 0;
	parse_prefix(str(cls, "source-ip"), AF_UNSPEC, PARSE_PREFIX_ANY |
	    PARSE_PREFIX_HOST, &m->src, NULL);
	parse_prefix(str(cls, "destination-ip"), AF_UNSPEC, PARSE_PREFIX_ANY |
	    PARSE_PREFIX_HOST, &m->dst, NULL);
	parse_mac(str(cls, "source-mac"), 1, &m->smac, NULL);
	parse_mac(str(cls, "destination-mac"), 1, &m->dmac, NULL);
	parse_port_range(str(cls, "source-port"), &m->sport, NULL);
	parse_port_range(str(cls, "destination-port"), &m->dport, NULL);
	parse_protocol(str(cls, "protocol"), &m->proto, NULL);
	m->vlan = json_integer_value(json_object_get(cls, "vlan"));
	if (m->family == 0)
		m->family = m->src.addr.family ? m->src.addr.family :
		    m->dst.addr.family;
}

static int
mac_overlap(const struct vnb_mac *a, const struct vnb_mac *b)
{
	return a->any || b->any || memcmp(a->bytes, b->bytes, 6) == 0;
}

static int
ports_overlap(const struct vnb_port_range *a, const struct vnb_port_range *b)
{
	return a->min <= b->max && b->min <= a->max;
}

/* Could one packet match both? */
static int
match_overlap(const struct match *a, const struct match *b)
{
	return (!a->family || !b->family || a->family == b->family) &&
	    prefix_overlap(&a->src, &b->src) &&
	    prefix_overlap(&a->dst, &b->dst) &&
	    mac_overlap(&a->smac, &b->smac) &&
	    mac_overlap(&a->dmac, &b->dmac) &&
	    ports_overlap(&a->sport, &b->sport) &&
	    ports_overlap(&a->dport, &b->dport) &&
	    (a->proto == PARSE_PROTO_ANY || b->proto == PARSE_PROTO_ANY ||
	    a->proto == b->proto) &&
	    (!a->vlan || !b->vlan || a->vlan == b->vlan);
}

static int
match_cmp(const void *a, const void *b)
{
	const struct match	*x = a, *y = b;

	if (x->priority != y->priority)
		return x->priority < y->priority ? -1 : 1;
	return (x->pos > y->pos) - (x->pos < y->pos);
}

/*
 * Rules of equal priority that can match the same packet: the one listed
 * first in the policy wins, which is easy to get wrong, so say so.
 */
static void
compile_overlaps(struct compile *c, const char *policy, struct match *m,
    size_t n)
{
	size_t	i, j, start, found = 0;

	for (start = 0; start < n; start = i) {
		for (i = start + 1; i < n && m[i].priority ==
		    m[start].priority; i++)
			;
		for (j = start; j < i; j++) {
			for (size_t k = j + 1; k < i; k++) {
				if (!match_overlap(&m[j], &m[k]))
					continue;
				if (found++ < COMPILE_OVERLAPS_SHOWN)
					compile_warn(c, "policy '%s': rules "
					    "'%s' and '%s' have priority %ld "
					    "and overlap; '%s' is listed first "
					    "and wins", policy, m[j].rule,
					    m[k].rule, m[j].priority,
					    m[j].rule);
			}
		}
	}
	if (found > COMPILE_OVERLAPS_SHOWN)
		compile_warn(c, "policy '%s': %zu more pairs of overlapping "
		    "rules", policy, found - COMPILE_OVERLAPS_SHOWN);
}

/*
 * A policy with its rules in match order: by priority, and in the order
 * the policy lists them where priorities are equal.
 */
static json_t *
compile_policy(struct compile *c, const char *name, json_t *policies,
    json_t *rules, json_t *classes, json_t *done)
{
	json_t		*p, *list, *r, *cls, *out, *arr, *rule;
	struct match	*m;
	size_t		 i, n;
	const char	*rn;

	if ((out = json_object_get(done, name)) != NULL)
		return json_incref(out);
	if ((p = json_object_get(policies, name)) == NULL) {
		compile_error(c, "no policy '%s'", name);
		return NULL;
	}
	list = json_object_get(p, "rules");
	n = json_array_size(list);
	m = xcalloc(n ? n : 1, sizeof(*m));
	for (i = 0; i < n; i++) {
		rn = json_string_value(json_array_get(list, i));
		r = json_object_get(rules, rn);
		cls = r ? json_object_get(classes, str(r, "classification")) :
		    NULL;
		if (r == NULL || cls == NULL) {
			compile_error(c, "policy '%s': rule '%s' %s", name, rn,
			    r == NULL ? "does not exist" :
			    "has no classification");
			free(m);
			return NULL;
		}
		match_parse(cls, &m[i]);
		m[i].rule = rn;
		m[i].pos = i;
		m[i].priority = json_integer_value(json_object_get(r,
		    "priority"));
	}
	qsort(m, n, sizeof(*m), match_cmp);
	compile_overlaps(c, name, m, n);

	arr = json_array();
	for (i = 0; i < n; i++) {
		r = json_object_get(rules, m[i].rule);
		cls = json_object_get(classes, str(r, "classification"));
		rule = named(m[i].rule, compile_fields(r,
		    (const char *const[]){ "classification", NULL }));
		json_object_set_new(rule, "classification", named(
		    json_string_value(json_object_get(cls, "name")),
		    compile_fields(cls, NULL)));
		json_array_append_new(arr, rule);
	}
	free(m);
	out = json_pack("{s:s,s:o}", "name", name, "rules", arr);
	json_object_set(done, name, out);
	return out;
}

/* A collector as the plugin needs it, with its weight in a set. */
static json_t *
compile_member(struct compile *c, const char *plugin, const char *name,
    json_int_t weight, json_t *collectors)
{
	json_t	*col;

	if ((col = json_object_get(collectors, name)) == NULL) {
		compile_error(c, "no %s-collector '%s'", plugin, name);
		return NULL;
	}
	col = named(name, compile_fields(col, NULL));
	json_object_set_new(col, "weight", json_integer(weight));
	return col;
}

/* Where an association's packets go: one collector, or a set's members. */
static json_t *
compile_collectors(struct compile *c, const char *plugin, const json_t *a,
    json_t *collectors, json_t *sets)
{
	const char	*one, *setname;
	json_t		*set, *members, *m, *col;
	size_t		 i;

	members = json_array();
	if ((one = json_string_value(json_object_get(a, "collector"))) !=
	    NULL) {
		if ((col = compile_member(c, plugin, one, 1, collectors)) ==
		    NULL) {
			json_decref(members);
			return NULL;
		}
		json_array_append_new(members, col);
		return json_pack("{s:s,s:o}", "algorithm", "round-robin",
		    "members", members);
	}
	setname = str(a, "collector-set");
	if ((set = json_object_get(sets, setname)) == NULL) {
		compile_error(c, "%s-association '%s' has no collector or "
		    "collector-set", plugin, str(a, "name"));
		json_decref(members);
		return NULL;
	}
	json_array_foreach(json_object_get(set, "members"), i, m) {
		col = compile_member(c, plugin, str(m, "name"),
		    json_integer_value(json_object_get(m, "weight")),
		    collectors);
		if (col == NULL) {
			json_decref(members);
			return NULL;
		}
		json_array_append_new(members, col);
	}
	return json_pack("{s:s,s:O,s:o}", "set", setname, "algorithm",
	    json_object_get(set, "algorithm"), "members", members);
}

struct scope_objects {
	json_t	*sources, *rules, *classes, *policies, *done;
};

/* The associations of one plugin, each with everything it refers to. */
static void
compile_associations(struct compile *c, const char *plugin, int on,
    struct scope_objects *so, json_t *out)
{
	char		 kname[64];
	json_t		*assocs, *collectors, *sets, *a, *src, *pol, *cols;
	const char	*name;
	int		 n = 0;

	snprintf(kname, sizeof(kname), "%s-association", plugin);
	assocs = compile_load(c, kname);
	snprintf(kname, sizeof(kname), "%s-collector", plugin);
	collectors = compile_load(c, kname);
	snprintf(kname, sizeof(kname), "%s-collector-set", plugin);
	sets = compile_load(c, kname);

	json_object_foreach(assocs, name, a) {
		if (!on) {
			compile_warn(c, "%s-association '%s' is left out: %s "
			    "is disabled in the scope", plugin, name, plugin);
			continue;
		}
		n++;
		if ((src = json_object_get(so->sources, str(a, "source"))) ==
		    NULL) {
			compile_error(c, "%s-association '%s': no source "
			    "'%s'", plugin, name, str(a, "source"));
			continue;
		}
		pol = compile_policy(c, str(a, "policy"), so->policies,
		    so->rules, so->classes, so->done);
		cols = compile_collectors(c, plugin, a, collectors, sets);
		if (pol != NULL && cols != NULL)
			json_array_append_new(out, json_pack("{s:s,s:s,s:o,"
			    "s:O,s:O,s:O}", "name", name, "plugin", plugin,
			    "source", named(name_of(src), compile_fields(src,
			    NULL)), "direction", json_object_get(a,
			    "direction"), "policy", pol, "collectors", cols));
		json_decref(pol);
		json_decref(cols);
	}
	if (on && n == 0)
		compile_warn(c, "%s is enabled but no %s-association uses it",
		    plugin, plugin);
	json_decref(assocs);
	json_decref(collectors);
	json_decref(sets);
}

/*
 * Check the scope as a whole and compile it.  Every problem goes to diag;
 * the document is returned only if there was no error.
 */
json_t *
compile_scope(struct store *s, const char *scope, struct diag *diag)
{
	struct compile		 c = { s, scope, diag, 0 };
	struct scope_objects	 so;
	struct vnb_error	 err;
	json_t			*sc, *doc, *assocs;
	size_t			 i;
	int			 errors = diag->errors;

	if ((sc = store_get(s, kind_find("scope"), NULL, scope, &err)) ==
	    NULL) {
		diag_error(diag, NULL, "%s", err.msg);
		return NULL;
	}
	so.sources = compile_load(&c, "source");
	so.rules = compile_load(&c, "rule");
	so.classes = compile_load(&c, "classification");
	so.policies = compile_load(&c, "policy");
	so.done = json_object();

	doc = json_object();
	json_object_set_new(doc, "plugins", compile_plugins(&c, sc));
	assocs = json_array();
	for (i = 0; i < nitems(plugins); i++)
		compile_associations(&c, plugins[i], enabled(sc, plugins[i]),
		    &so, assocs);
	json_object_set_new(doc, "associations", assocs);

	json_decref(so.sources);
	json_decref(so.rules);
	json_decref(so.classes);
	json_decref(so.policies);
	json_decref(so.done);
	json_decref(sc);
	if (diag->errors > errors || c.failed) {
		json_decref(doc);
		return NULL;
	}
	return doc;
}

/* The document as text, exactly as it is hashed and stored. */
char *
compile_text(const json_t *doc)
{
	struct buf	b;

	buf_init(&b);
	yaml_emit(&b, doc);
	buf_add(&b, "", 1);
	return buf_release(&b);
}

void
compile_hash(const char *text, char *out)
{
	unsigned char	md[EVP_MAX_MD_SIZE];
	unsigned int	len = 0, i;

	EVP_Digest(text, strlen(text), md, &len, EVP_sha256(), NULL);
	strlcpy(out, "sha256:", COMPILE_HASHLEN);
	for (i = 0; i < len && i < 32; i++)
		snprintf(out + 7 + 2 * i, 3, "%02x", md[i]);
}

/*
 * The dataplane file of generation g (a generation record of the store):
 * a comment, the header, then the document's keys at the same level.
 */
char *
compile_file(const json_t *g, size_t *lenp)
{
	struct buf	 b;
	json_t		*hdr;
	const char	*doc, *body;

	hdr = json_pack("{s:i,s:O,s:O,s:O,s:O,s:O,s:O}", "format",
	    COMPILE_FORMAT, "scope", json_object_get(g, "scope"),
	    "generation", json_object_get(g, "generation"), "hash",
	    json_object_get(g, "hash"), "time", json_object_get(g, "time"),
	    "user", json_object_get(g, "user"), "origin",
	    json_object_get(g, "origin"));
	buf_init(&b);
	buf_printf(&b, "# VNB dataplane configuration, written by vnb-flush."
	    "  Do not edit:\n# change the store and flush the scope.  See "
	    "vnb.yaml(5).\n");
	yaml_emit(&b, hdr);
	json_decref(hdr);
	/* The document is a mapping too: its keys follow the header's. */
	doc = json_string_value(json_object_get(g, "document"));
	body = strncmp(doc, "---\n", 4) == 0 ? doc + 4 : doc;
	buf_puts(&b, body);
	*lenp = b.len;
	buf_add(&b, "", 1);
	return buf_release(&b);
}

/*
 * The generation and hash in the header of the dataplane file at path:
 * 1 if found, 0 if there is no file, -1 if it is not a dataplane file.
 * Only the header is read, so that a cron job looking at a large file
 * stays cheap.
 */
int
compile_file_generation(const char *path, long *gen, char *hash)
{
	FILE		*fp;
	char		 line[256];
	int		 lines, have = 0;
	long		 g;

	if ((fp = fopen(path, "r")) == NULL)
		return errno == ENOENT ? 0 : -1;
	for (lines = 0; lines < 16 && fgets(line, sizeof(line), fp) != NULL;
	    lines++) {
		line[strcspn(line, "\n")] = '\0';
		if (sscanf(line, "generation: %ld", &g) == 1 && g > 0) {
			*gen = g;
			have |= 1;
		} else if (strncmp(line, "hash: sha256:", 13) == 0 &&
		    strlen(line + 6) == COMPILE_HASHLEN - 1) {
			strlcpy(hash, line + 6, COMPILE_HASHLEN);
			have |= 2;
		}
	}
	fclose(fp);
	return have == 3 ? 1 : -1;
}

/*
 * Building a generation from the document vnb-flush wrote (see "THE
 * DATAPLANE DOCUMENT" in vnb.yaml(5)): sources, policies with their
 * classifiers, associations, and one plugin instance per plugin, all
 * beside the generation that runs.  Nothing here runs on a worker.
 */
#include <sys/socket.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "compile.h"
#include "diag.h"
#include "dp.h"
#include "log.h"
#include "parse.h"
#include "util.h"
#include "yaml.h"

const char *const dp_plugin_names[DP_NPLUGINS] = {
	[DP_NETFLOW] = "netflow",
	[DP_SFLOW] = "sflow",
	[DP_RAWFORWARD] = "rawforward",
};

/* Classifiers of every generation alive at once need distinct names. */
static unsigned long	cls_serial;

struct load {
	struct dp_gen	*gen;
	char		*err;
	size_t		 errlen;
	int		 failed;
};

static void
load_error(struct load *l, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
load_error(struct load *l, const char *fmt, ...)
{
	va_list	ap;

	if (l->failed++)
		return;
	va_start(ap, fmt);
	vsnprintf(l->err, l->errlen, fmt, ap);
	va_end(ap);
}

static const char *
jstr(const json_t *o, const char *key)
{
	const char	*s = json_string_value(json_object_get(o, key));

	return s != NULL ? s : "";
}

static const char *header_keys[] = { "format", "scope", "generation",
    "hash", "time", "user", "origin", NULL };

/*
 * The document's header and its hash: a file edited by hand, or cut
 * short, is refused before anything is built from it.
 */
static json_t *
load_document(struct load *l, const char *path)
{
	struct ydoc_set	 set;
	struct diag	 d;
	json_t		*root = NULL, *body;
	const char	**k;
	char		*text, hash[COMPILE_HASHLEN];

	ydoc_set_init(&set);
	set.typed = 1;
	diag_init(&d);
	if (yaml_load_file(&set, path, &d) == -1 || d.errors) {
		if (d.n > 0 && d.msgs[0].loc.line > 0)
			load_error(l, "line %d: %s", d.msgs[0].loc.line,
			    d.msgs[0].text);
		else
			load_error(l, "%s", d.n > 0 ? d.msgs[0].text :
			    "cannot load");
		goto out;
	}
	if (set.n != 1 || !json_is_object(set.docs[0].root)) {
		load_error(l, "not one YAML mapping");
		goto out;
	}
	root = json_incref(set.docs[0].root);
	if (json_integer_value(json_object_get(root, "format")) !=
	    COMPILE_FORMAT) {
		load_error(l, "not a dataplane document of format %d",
		    COMPILE_FORMAT);
		goto bad;
	}
	body = json_deep_copy(root);
	for (k = header_keys; *k != NULL; k++)
		json_object_del(body, *k);
	text = compile_text(body);
	compile_hash(text, hash);
	free(text);
	json_decref(body);
	if (strcmp(hash, jstr(root, "hash")) != 0) {
		load_error(l, "the document does not match its hash (was it "
		    "edited?)");
		goto bad;
	}
	goto out;
 bad:
	json_decref(root);
	root = NULL;
 out:
	diag_free(&d);
	ydoc_set_free(&set);
	return root;
}

static void
load_rule_match(struct load *l, const json_t *c, struct cls_rule *r)
{
	struct vnb_error	 err;
	const char		*fam = jstr(c, "family");
	int			 bad = 0;

	memset(r, 0, sizeof(*r));
	r->family = strcmp(fam, "ipv4") == 0 ? AF_INET :
	    strcmp(fam, "ipv6") == 0 ? AF_INET6 : 0;
	bad |= parse_prefix(jstr(c, "source-ip"), AF_UNSPEC,
	    PARSE_PREFIX_ANY | PARSE_PREFIX_HOST, &r->src, &err);
	bad |= parse_prefix(jstr(c, "destination-ip"), AF_UNSPEC,
	    PARSE_PREFIX_ANY | PARSE_PREFIX_HOST, &r->dst, &err);
	bad |= parse_mac(jstr(c, "source-mac"), 1, &r->smac, &err);
	bad |= parse_mac(jstr(c, "destination-mac"), 1, &r->dmac, &err);
	bad |= parse_port_range(jstr(c, "source-port"), &r->sport, &err);
	bad |= parse_port_range(jstr(c, "destination-port"), &r->dport, &err);
	bad |= parse_protocol(jstr(c, "protocol"), &r->proto, &err);
	r->vlan = (uint16_t)json_integer_value(json_object_get(c, "vlan"));
	if (bad)
		load_error(l, "classification '%s': %s", jstr(c, "name"),
		    err.msg);
}

static struct dp_policy *
load_policy(struct load *l, const json_t *p, int socket)
{
	struct dp_gen		*g = l->gen;
	struct dp_policy	*pol;
	struct cls_rule		*match;
	const json_t		*rules, *r;
	char			 name[64];
	size_t			 i;

	for (i = 0; i < g->npolicies; i++)
		if (strcmp(g->policies[i].name, jstr(p, "name")) == 0)
			return &g->policies[i];
	pol = &g->policies[g->npolicies++];
	pol->name = xstrdup(jstr(p, "name"));
	rules = json_object_get(p, "rules");
	pol->nrules = json_array_size(rules);
	pol->rules = xcalloc(pol->nrules ? pol->nrules : 1,
	    sizeof(*pol->rules));
	match = xcalloc(pol->nrules ? pol->nrules : 1, sizeof(*match));
	json_array_foreach(rules, i, r) {
		pol->rules[i].name = xstrdup(jstr(r, "name"));
		pol->rules[i].classification = xstrdup(jstr(json_object_get(r,
		    "classification"), "name"));
		pol->rules[i].truncate = (uint32_t)json_integer_value(
		    json_object_get(r, "truncate"));
		pol->rules[i].drop = strcmp(jstr(r, "action"), "drop") == 0;
		pol->rules[i].stat = (uint32_t)g->nrules++;
		load_rule_match(l, json_object_get(r, "classification"),
		    &match[i]);
	}
	if (!l->failed) {
		snprintf(name, sizeof(name), "vnbc%lu", cls_serial++);
		pol->cls = cls_build(name, match, pol->nrules, socket, l->err,
		    l->errlen);
		if (pol->cls == NULL)
			l->failed++;
		else
			pol->constant = cls_constant(pol->cls, &pol->result);
	}
	free(match);
	return pol;
}

static uint32_t
load_source(struct load *l, const json_t *s)
{
	struct dp_gen		*g = l->gen;
	struct dp_source	*src;
	struct vnb_mac		 mac;
	struct vnb_error	 err;
	uint32_t		 i;

	for (i = 0; i < g->nsources; i++)
		if (strcmp(g->sources[i].name, jstr(s, "name")) == 0)
			return i;
	src = &g->sources[g->nsources];
	src->name = xstrdup(jstr(s, "name"));
	if (parse_mac(jstr(s, "mac"), 0, &mac, &err) == -1)
		load_error(l, "source '%s': %s", src->name, err.msg);
	memcpy(src->mac, mac.bytes, 6);
	src->vlan = (uint16_t)json_integer_value(json_object_get(s, "vlan"));
	src->port = json_object_get(s, "port") != NULL ?
	    (int)json_integer_value(json_object_get(s, "port")) : -1;
	return (uint32_t)g->nsources++;
}

/* Orders indices into the sources by their sources' MACs. */
static int
source_cmp(const void *a, const void *b, void *arg)
{
	const struct dp_source	*src = arg;
	uint32_t		 i = *(const uint32_t *)a;
	uint32_t		 j = *(const uint32_t *)b;
	int			 c;

	if ((c = memcmp(src[i].mac, src[j].mac, 6)) != 0)
		return c;
	return (i > j) - (i < j);
}

/*
 * Index the sources by MAC: sources with one MAC (on several VLANs or
 * ports) sit next to each other, and one slot of the hash holds the
 * first and how many there are.  remap[i] is where source i went.
 */
static void
index_sources(struct dp_gen *g, uint32_t *remap)
{
	struct dp_source	*sorted;
	struct dp_mac_slot	*ms = NULL;
	uint32_t		*order, i, size = 16, slot;
	uint64_t		 key;

	order = xcalloc(g->nsources ? g->nsources : 1, sizeof(*order));
	for (i = 0; i < g->nsources; i++)
		order[i] = i;
	qsort_r(order, g->nsources, sizeof(*order), source_cmp, g->sources);
	sorted = xcalloc(g->nsources ? g->nsources : 1, sizeof(*sorted));
	for (i = 0; i < g->nsources; i++) {
		sorted[i] = g->sources[order[i]];
		remap[order[i]] = i;
	}
	free(order);
	free(g->sources);
	g->sources = sorted;

	while (size < g->nsources * 2)
		size <<= 1;
	g->mac_mask = size - 1;
	g->mac_slots = xcalloc(size, sizeof(*g->mac_slots));
	for (slot = 0; slot < size; slot++)
		g->mac_slots[slot].key = DP_MAC_EMPTY;
	for (i = 0; i < g->nsources; i++) {
		key = dp_mac_key(g->sources[i].mac);
		if (ms != NULL && ms->key == key) {
			ms->n++;
			continue;
		}
		for (slot = dp_mac_hash(key) & g->mac_mask;
		    g->mac_slots[slot].key != DP_MAC_EMPTY;
		    slot = (slot + 1) & g->mac_mask)
			;
		ms = &g->mac_slots[slot];
		ms->key = key;
		ms->first = i;
		ms->n = 1;
	}
}

/*
 * The associations of each source, for the workers' lookups, and the one
 * association of a MAC where there is only one, so that a packet from or
 * to it needs no look at its source.
 */
static void
index_assocs(struct dp_gen *g)
{
	struct dp_mac_slot	*ms;
	struct dp_src_assoc	*sa;
	size_t			 i;
	uint32_t		 s, *fill;

	g->src_first = xcalloc(g->nsources + 1, sizeof(*g->src_first));
	g->src_assocs = xcalloc(g->nassocs ? g->nassocs : 1,
	    sizeof(*g->src_assocs));
	for (i = 0; i < g->nassocs; i++)
		g->src_first[g->assocs[i].source + 1]++;
	for (s = 0; s < g->nsources; s++)
		g->src_first[s + 1] += g->src_first[s];
	fill = xcalloc(g->nsources + 1, sizeof(*fill));
	for (i = 0; i < g->nassocs; i++) {
		s = g->assocs[i].source;
		sa = &g->src_assocs[g->src_first[s] + fill[s]++];
		sa->assoc = (uint32_t)i;
		sa->directions = g->assocs[i].directions;
		g->directions |= sa->directions;
	}
	free(fill);

	for (i = 0; i <= g->mac_mask; i++) {
		ms = &g->mac_slots[i];
		ms->assoc = DP_ASSOC_NONE;
		if (ms->key == DP_MAC_EMPTY || ms->n != 1)
			continue;
		s = ms->first;
		if (g->sources[s].vlan != 0 || g->sources[s].port >= 0 ||
		    g->src_first[s + 1] - g->src_first[s] != 1)
			continue;
		sa = &g->src_assocs[g->src_first[s]];
		ms->assoc = sa->assoc;
		ms->directions = sa->directions;
	}
}

static uint8_t
directions(const char *d)
{
	if (strcmp(d, "ingress") == 0)
		return VNB_DIR_INGRESS;
	if (strcmp(d, "egress") == 0)
		return VNB_DIR_EGRESS;
	return VNB_DIR_INGRESS | VNB_DIR_EGRESS;
}

/* The JSON each plugin instance is made from; see <vnb/plugin.h>. */
static char *
plugin_config(const json_t *doc, const struct dp_plugin *p,
    const json_t *assocs)
{
	json_t	*cfg, *args;
	char	*text;

	args = json_loads(p->args ? p->args : "{}", 0, NULL);
	cfg = json_pack("{s:O,s:O,s:O,s:o,s:O}",
	    "scope", json_object_get(doc, "scope"),
	    "generation", json_object_get(doc, "generation"),
	    "settings", json_object_get(json_object_get(doc, "plugins"),
	    p->name),
	    "args", args ? args : json_object(),
	    "associations", assocs);
	text = json_dumps(cfg, JSON_COMPACT);
	json_decref(cfg);
	return text;
}

static void
load_plugins(struct load *l, const json_t *doc, json_t **assocs,
    struct dp_plugin **plugins, const struct dp_gen *running)
{
	struct dp_gen		*g = l->gen;
	const struct vnb_plugin	*ops;
	char			*cfg;
	int			 p;

	for (p = 0; p < DP_NPLUGINS && !l->failed; p++) {
		if (json_object_get(json_object_get(doc, "plugins"),
		    dp_plugin_names[p]) == NULL || plugins[p] == NULL)
			continue;
		ops = plugins[p]->ops;
		cfg = plugin_config(doc, plugins[p], assocs[p]);
		if (running != NULL && running->inst[p] != NULL &&
		    ops->reload != NULL)
			g->inst[p] = ops->reload(running->inst[p], cfg, l->err,
			    l->errlen);
		else
			g->inst[p] = ops->init(&plugins[p]->host, cfg, l->err,
			    l->errlen);
		free(cfg);
		if (g->inst[p] == NULL) {
			l->failed++;
			snprintf(l->err + strlen(l->err), l->errlen -
			    strlen(l->err), " (plugin %s)", dp_plugin_names[p]);
			return;
		}
		g->plugins[p] = plugins[p];
	}
}

static void
alloc_counters(struct dp_gen *g, unsigned int nworkers)
{
	unsigned int	w;
	size_t		n = g->nassocs ? g->nassocs : 1;

	g->nworkers = nworkers;
	if (posix_memalign((void **)&g->count, 64, nworkers *
	    sizeof(*g->count)) != 0)
		fatal("posix_memalign");
	memset(g->count, 0, nworkers * sizeof(*g->count));
	g->rule_count = xcalloc((size_t)nworkers * (g->nrules ? g->nrules : 1),
	    sizeof(*g->rule_count));
	g->scratch = xcalloc(nworkers, sizeof(*g->scratch));
	for (w = 0; w < nworkers; w++) {
		g->scratch[w].assoc_pkts = xcalloc(n * DP_BURST,
		    sizeof(uint16_t));
		g->scratch[w].assoc_dir = xcalloc(n * DP_BURST, 1);
		g->scratch[w].assoc_n = xcalloc(n, sizeof(uint16_t));
		g->scratch[w].touched = xcalloc(n, sizeof(uint32_t));
	}
}

/*
 * Build the generation in the document at path, beside running (NULL for
 * the first).  plugins are the loaded plugins by id (NULL where none could
 * be loaded: that plugin's associations are left out with a warning).
 * Returns NULL with a message in err; running is left as it was.
 */
struct dp_gen *
dp_gen_load(const char *path, const struct dp_gen *running,
    struct dp_plugin **plugins, unsigned int nworkers, char *err,
    size_t errlen)
{
	struct load	 l = { NULL, err, errlen, 0 };
	struct dp_gen	*g;
	json_t		*doc, *list, *a, *assocs[DP_NPLUGINS];
	uint32_t	*remap;
	size_t		 i, n;
	int		 p;

	err[0] = '\0';
	if ((doc = load_document(&l, path)) == NULL)
		return NULL;
	g = l.gen = xcalloc(1, sizeof(*g));
	g->generation = (long)json_integer_value(json_object_get(doc,
	    "generation"));
	g->scope = xstrdup(jstr(doc, "scope"));
	g->hash = xstrdup(jstr(doc, "hash"));

	list = json_object_get(doc, "associations");
	n = json_array_size(list);
	g->sources = xcalloc(n ? n : 1, sizeof(*g->sources));
	g->policies = xcalloc(n ? n : 1, sizeof(*g->policies));
	g->assocs = xcalloc(n ? n : 1, sizeof(*g->assocs));
	for (p = 0; p < DP_NPLUGINS; p++)
		assocs[p] = json_array();

	json_array_foreach(list, i, a) {
		struct dp_assoc	*as;

		for (p = 0; p < DP_NPLUGINS; p++)
			if (strcmp(jstr(a, "plugin"), dp_plugin_names[p]) == 0)
				break;
		if (p == DP_NPLUGINS) {
			load_error(&l, "association '%s': unknown plugin '%s'",
			    jstr(a, "name"), jstr(a, "plugin"));
			break;
		}
		if (plugins[p] == NULL) {
			log_warnx("association '%s' is left out: the %s plugin "
			    "is not available", jstr(a, "name"),
			    dp_plugin_names[p]);
			continue;
		}
		as = &g->assocs[g->nassocs++];
		as->name = xstrdup(jstr(a, "name"));
		as->plugin = (enum dp_plugin_id)p;
		as->index = (uint32_t)json_array_size(assocs[p]);
		as->directions = directions(jstr(a, "direction"));
		as->source = load_source(&l, json_object_get(a, "source"));
		as->policy = load_policy(&l, json_object_get(a, "policy"), -1);
		json_array_append(assocs[p], a);
		if (l.failed)
			break;
	}
	if (!l.failed) {
		remap = xcalloc(g->nsources ? g->nsources : 1,
		    sizeof(*remap));
		index_sources(g, remap);
		for (i = 0; i < g->nassocs; i++)
			g->assocs[i].source = remap[g->assocs[i].source];
		free(remap);
		index_assocs(g);
		alloc_counters(g, nworkers);
		load_plugins(&l, doc, assocs, plugins, running);
	}
	for (p = 0; p < DP_NPLUGINS; p++)
		json_decref(assocs[p]);
	json_decref(doc);
	if (l.failed) {
		dp_gen_free(g, running);
		return NULL;
	}
	return g;
}

/*
 * Free a generation no worker uses.  Its plugin instances are finished
 * with the instances of next that carry on, or NULL.
 */
void
dp_gen_free(struct dp_gen *g, const struct dp_gen *next)
{
	size_t		i, j;
	unsigned int	w;
	int		p;

	if (g == NULL)
		return;
	for (p = 0; p < DP_NPLUGINS; p++)
		if (g->inst[p] != NULL)
			g->plugins[p]->ops->fini(g->inst[p], next != NULL ?
			    next->inst[p] : NULL);
	for (i = 0; i < g->npolicies; i++) {
		cls_free(g->policies[i].cls);
		for (j = 0; j < g->policies[i].nrules; j++) {
			free(g->policies[i].rules[j].name);
			free(g->policies[i].rules[j].classification);
		}
		free(g->policies[i].rules);
		free(g->policies[i].name);
	}
	for (i = 0; i < g->nsources; i++)
		free(g->sources[i].name);
	for (i = 0; i < g->nassocs; i++)
		free(g->assocs[i].name);
	for (w = 0; g->scratch != NULL && w < g->nworkers; w++) {
		free(g->scratch[w].assoc_pkts);
		free(g->scratch[w].assoc_dir);
		free(g->scratch[w].assoc_n);
		free(g->scratch[w].touched);
	}
	free(g->scratch);
	free(g->count);
	free(g->rule_count);
	free(g->policies);
	free(g->sources);
	free(g->assocs);
	free(g->mac_slots);
	free(g->src_first);
	free(g->src_assocs);
	free(g->scope);
	free(g->hash);
	free(g);
}

/*
 * ipsecctl: manage the IPsec configuration (IKE and IPsec policies,
 * certificates, endpoint groups, sites, enforcers and binds) in a VNB
 * store, and show the tunnels it makes, as a list or as a graph.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl.h"
#include "log.h"
#include "tunnel.h"
#include "util.h"

static int	ipsecctl_tunnels(struct ctl *);
static int	ipsecctl_graph(struct ctl *);

static const struct ctl_verb ipsecctl_verbs[] = {
	{ "tunnels", ipsecctl_tunnels, 0, 0, CTL_ENFORCER | CTL_COUNT,
	  "tunnels [--enforcer NAME] [--count]" },
	{ "graph", ipsecctl_graph, 0, 0, 0, "graph" },
	{ NULL, NULL, 0, 0, 0, NULL }
};

static const struct ctl_tool ipsecctl = {
	.prog = "ipsecctl",
	.kinds = "ipsec",
	.verbs = ipsecctl_verbs,
};

static const char *const tunnel_headers[] = {
	"BIND", "LEFT", "LEFT-ADDRESS", "LEFT-SELECTORS", "RIGHT",
	"RIGHT-ADDRESS", "RIGHT-SELECTORS", "IKE-POLICY", "IPSEC-POLICY",
	"AUTH", NULL
};

struct tunnels_out {
	size_t			 count;
	json_t			*rows;		/* table: every row */
	struct output_stream	 st;		/* yaml, json: as they come */
};

static int
tunnels_count(const struct tunnel *t, void *arg)
{
	struct tunnels_out	*out = arg;

	out->count++;
	return 0;
}

static json_t *
tunnels_row(const struct tunnel *t)
{
	char	*ls, *rs;
	json_t	*row;

	ls = kind_value_text(t->left.selectors);
	rs = kind_value_text(t->right.selectors);
	row = json_pack("[s,s,s,s,s,s,s,s,s,s]", t->bind, t->left.enforcer,
	    t->left.address, ls, t->right.enforcer ? t->right.enforcer :
	    t->right.site, t->right.address, rs,
	    json_string_value(json_object_get(t->ike_policy, "name")),
	    json_string_value(json_object_get(t->ipsec_policy, "name")),
	    t->authentication);
	free(ls);
	free(rs);
	return row;
}

static int
tunnels_show(const struct tunnel *t, void *arg)
{
	struct tunnels_out	*out = arg;
	json_t			*j;

	out->count++;
	if (out->rows != NULL) {
		json_array_append_new(out->rows, tunnels_row(t));
		return 0;
	}
	j = tunnel_json(t);
	output_stream_item(&out->st, j);
	json_decref(j);
	return 0;
}

static struct tunnel_set *
ipsecctl_load(struct ctl *c)
{
	struct vnb_error	 err;
	struct tunnel_set	*ts;

	if (ctl_open_store(c, 0) == -1)
		return NULL;
	if ((ts = tunnel_set_load(c->store, &err)) == NULL)
		log_warnx("%s", err.msg);
	return ts;
}

/*
 * Every tunnel, or one enforcer's.  --count walks them without showing
 * them; yaml and json are written as they come, never held.
 */
static int
ipsecctl_tunnels(struct ctl *c)
{
	struct tunnel_set	*ts;
	struct tunnels_out	 out;

	if ((ts = ipsecctl_load(c)) == NULL)
		return 1;
	if (c->enforcer != NULL && !tunnel_set_has_enforcer(ts, c->enforcer)) {
		log_warnx("no enforcer '%s'", c->enforcer);
		tunnel_set_free(ts);
		return 1;
	}
	memset(&out, 0, sizeof(out));
	if (c->count) {
		tunnel_walk(ts, c->enforcer, tunnels_count, &out);
		printf("%zu\n", out.count);
	} else if (c->fmt == OUTPUT_TABLE) {
		out.rows = json_array();
		tunnel_walk(ts, c->enforcer, tunnels_show, &out);
		output_table(stdout, tunnel_headers, out.rows);
		json_decref(out.rows);
	} else {
		output_stream_begin(&out.st, stdout, c->fmt);
		tunnel_walk(ts, c->enforcer, tunnels_show, &out);
		output_stream_end(&out.st);
	}
	tunnel_set_free(ts);
	return 0;
}

static int
ipsecctl_graph(struct ctl *c)
{
	struct tunnel_set	*ts;
	struct buf		 b;

	if ((ts = ipsecctl_load(c)) == NULL)
		return 1;
	buf_init(&b);
	tunnel_set_dot(ts, &b);
	fwrite(b.data, 1, b.len, stdout);
	buf_free(&b);
	tunnel_set_free(ts);
	return 0;
}

int
main(int argc, char **argv)
{
	return ctl_main(&ipsecctl, argc, argv);
}

/*
 * The shared command line of secmonctl and ipsecctl: see ctl.h.
 *
 * Options may come before or after the verb.  For create and set, every
 * "--FIELD VALUE" names a field of the kind; lists are written with
 * commas ("--rules a,b") and weighted members as NAME:WEIGHT.
 */
#include "config.h"

#include <errno.h>
#include <fnmatch.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "apply.h"
#include "ctl.h"
#include "diag.h"
#include "log.h"
#include "parse.h"
#include "util.h"
#include "yaml.h"

#define CTL_EXIT_USAGE	2

static int	ctl_init(struct ctl *);
static int	ctl_apply(struct ctl *);
static int	ctl_export(struct ctl *);
static int	ctl_list(struct ctl *);
static int	ctl_get(struct ctl *);
static int	ctl_create(struct ctl *);
static int	ctl_set(struct ctl *);
static int	ctl_delete(struct ctl *);
static int	ctl_history(struct ctl *);
static int	ctl_kinds(struct ctl *);

static const struct ctl_verb ctl_verbs[] = {
	{ "init", ctl_init, 0, 0, 0, "init" },
	{ "apply", ctl_apply, 0, -1, CTL_FILE | CTL_DRY_RUN | CTL_PRUNE,
	  "apply [--dry-run] [--prune] -f FILE..." },
	{ "export", ctl_export, 0, 0, CTL_SCOPE | CTL_SECRETS,
	  "export [--scope SCOPE] [--with-secrets]" },
	{ "list", ctl_list, 1, 2, CTL_SCOPE | CTL_SECRETS,
	  "list KIND [PATTERN] [--scope SCOPE]" },
	{ "get", ctl_get, 2, 2, CTL_SCOPE | CTL_SECRETS,
	  "get KIND NAME [--scope SCOPE] [--with-secrets]" },
	{ "create", ctl_create, 2, 2, CTL_SCOPE | CTL_FIELDS,
	  "create KIND NAME [--scope SCOPE] [--FIELD VALUE ...]" },
	{ "set", ctl_set, 2, 2, CTL_SCOPE | CTL_FIELDS | CTL_UNSET,
	  "set KIND NAME [--scope SCOPE] [--FIELD VALUE ...] "
	  "[--unset FIELD]" },
	{ "delete", ctl_delete, 2, 2, CTL_SCOPE | CTL_CASCADE,
	  "delete KIND NAME [--scope SCOPE] [--cascade]" },
	{ "history", ctl_history, 0, 2, CTL_LIMIT,
	  "history [--limit N] [KIND [NAME]]" },
	{ "kinds", ctl_kinds, 0, 1, 0, "kinds [KIND]" },
	{ NULL, NULL, 0, 0, 0, NULL }
};

static void
ctl_usage(const struct ctl_tool *tool, FILE *fp)
{
	const struct ctl_verb	*v;

	fprintf(fp, "usage: %s [-hVv] [--store PATH|URL] "
	    "[-o table|yaml|json] COMMAND [ARGS]\n", tool->prog);
	fprintf(fp, "commands:\n");
	for (v = ctl_verbs; v->name != NULL; v++)
		fprintf(fp, "    %s\n", v->usage);
	for (v = tool->verbs; v != NULL && v->name != NULL; v++)
		fprintf(fp, "    %s\n", v->usage);
}

static int
ctl_bad_usage(struct ctl *c, const char *fmt, const char *arg)
{
	fprintf(stderr, "%s: ", c->tool->prog);
	fprintf(stderr, fmt, arg);
	fputc('\n', stderr);
	if (c->verb != NULL)
		fprintf(stderr, "usage: %s %s\n", c->tool->prog,
		    c->verb->usage);
	else
		ctl_usage(c->tool, stderr);
	return CTL_EXIT_USAGE;
}

static const struct ctl_verb *
ctl_find_verb(const struct ctl_tool *tool, const char *name)
{
	const struct ctl_verb	*v;

	for (v = ctl_verbs; v->name != NULL; v++)
		if (strcmp(v->name, name) == 0)
			return v;
	for (v = tool->verbs; v != NULL && v->name != NULL; v++)
		if (strcmp(v->name, name) == 0)
			return v;
	return NULL;
}

struct ctl_flag {
	const char	*name;
	unsigned	 opt;
	int		 takes_value;
};

static const struct ctl_flag ctl_flags[] = {
	{ "dry-run", CTL_DRY_RUN, 0 },
	{ "prune", CTL_PRUNE, 0 },
	{ "file", CTL_FILE, 1 },
	{ "scope", CTL_SCOPE, 1 },
	{ "cascade", CTL_CASCADE, 0 },
	{ "with-secrets", CTL_SECRETS, 0 },
	{ "limit", CTL_LIMIT, 1 },
	{ "unset", CTL_UNSET, 1 },
	{ "count", CTL_COUNT, 0 },
	{ "enforcer", CTL_ENFORCER, 1 },
	{ NULL, 0, 0 }
};

static int
ctl_set_flag(struct ctl *c, const struct ctl_flag *fl, const char *value)
{
	uint64_t		n;
	struct vnb_error	err;

	switch (fl->opt) {
	case CTL_DRY_RUN:
		c->dry_run = 1;
		break;
	case CTL_PRUNE:
		c->prune = 1;
		break;
	case CTL_FILE:
		c->files = xreallocarray(c->files, c->nfiles + 1,
		    sizeof(*c->files));
		c->files[c->nfiles++] = (char *)value;
		break;
	case CTL_SCOPE:
		c->scope = value;
		break;
	case CTL_CASCADE:
		c->cascade = 1;
		break;
	case CTL_SECRETS:
		c->with_secrets = 1;
		break;
	case CTL_LIMIT:
		if (parse_uint(value, 1, 1000000000, &n, &err) == -1)
			return ctl_bad_usage(c, "--limit: %s", err.msg);
		c->limit = (long)n;
		break;
	case CTL_UNSET:
		json_array_append_new(c->unset, json_string(value));
		break;
	case CTL_COUNT:
		c->count = 1;
		break;
	case CTL_ENFORCER:
		c->enforcer = value;
		break;
	}
	return 0;
}

/*
 * Whether name is a field of the kind being created or set, such as a
 * netflow-config's "version", rather than a global option.
 */
static int
ctl_is_field(struct ctl *c, const char *name)
{
	const struct kind	*k;

	if (c->verb == NULL || !(c->verb->opts & CTL_FIELDS) ||
	    c->nargs == 0)
		return 0;
	k = kind_find_tool(c->tool->kinds, c->args[0]);
	return k != NULL && kind_field(k, name) != NULL;
}

/* One "--name[=value]" argument; *i moves past a separate value. */
static int
ctl_long_option(struct ctl *c, int argc, char **argv, int *i)
{
	const struct ctl_flag	*fl;
	char			*name = argv[*i] + 2, *eq;
	const char		*value = NULL;

	if ((eq = strchr(name, '=')) != NULL) {
		*eq = '\0';
		value = eq + 1;
	}
	if ((strcmp(name, "store") == 0 || strcmp(name, "output") == 0 ||
	    strcmp(name, "help") == 0 || strcmp(name, "version") == 0 ||
	    strcmp(name, "verbose") == 0) && !ctl_is_field(c, name)) {
		if (eq != NULL)
			*eq = '=';
		return -1;	/* handled with the short options */
	}

	for (fl = ctl_flags; fl->name != NULL; fl++)
		if (strcmp(fl->name, name) == 0)
			break;
	if (fl->name != NULL && fl->takes_value && value == NULL) {
		if (*i + 1 >= argc)
			return ctl_bad_usage(c, "--%s needs a value", name);
		value = argv[++*i];
	} else if (fl->name == NULL && value == NULL) {
		if (*i + 1 >= argc)
			return ctl_bad_usage(c, "--%s needs a value", name);
		value = argv[++*i];
	}
	if (fl->name != NULL) {
		if (!fl->takes_value && value != NULL)
			return ctl_bad_usage(c, "--%s takes no value", name);
		return ctl_set_flag(c, fl, value);
	}
	json_object_set_new(c->fields, name, json_string(value));
	return 0;
}

static int
ctl_global_option(struct ctl *c, int argc, char **argv, int *i)
{
	const char	*a = argv[*i], *value;

	if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
		ctl_usage(c->tool, stdout);
		exit(0);
	}
	if (strcmp(a, "-V") == 0 || strcmp(a, "--version") == 0) {
		printf("%s (vnb) %s\n", c->tool->prog, PACKAGE_VERSION);
		exit(0);
	}
	if (strcmp(a, "-v") == 0 || strcmp(a, "--verbose") == 0) {
		c->verbose++;
		return 0;
	}
	if (strcmp(a, "-vv") == 0) {
		c->verbose += 2;
		return 0;
	}
	if (strcmp(a, "-o") == 0 || strcmp(a, "--output") == 0 ||
	    strcmp(a, "--store") == 0 || strcmp(a, "-f") == 0) {
		if (*i + 1 >= argc)
			return ctl_bad_usage(c, "%s needs a value", a);
		value = argv[++*i];
	} else if (strncmp(a, "--store=", 8) == 0)
		value = a + 8;
	else if (strncmp(a, "--output=", 9) == 0)
		value = a + 9;
	else
		return ctl_bad_usage(c, "unknown option '%s'", a);

	if (strcmp(a, "-f") == 0)
		return ctl_set_flag(c, &ctl_flags[2], value);
	if (a[1] == 'o' || strncmp(a, "--output", 8) == 0) {
		if (output_parse_format(value, &c->fmt) == -1)
			return ctl_bad_usage(c, "unknown output format '%s' "
			    "(table, yaml or json)", value);
		c->fmt_given = 1;
		return 0;
	}
	c->store_path = value;
	return 0;
}

static int
ctl_parse(struct ctl *c, int argc, char **argv)
{
	const char	*a;
	int		 i, rc;

	for (i = 1; i < argc; i++) {
		a = argv[i];
		if (strcmp(a, "--") == 0) {
			for (i++; i < argc; i++)
				c->args[c->nargs++] = argv[i];
			break;
		}
		if (a[0] == '-' && a[1] == '-' && a[2] != '\0') {
			rc = ctl_long_option(c, argc, argv, &i);
			if (rc == -1)
				rc = ctl_global_option(c, argc, argv, &i);
			if (rc != 0)
				return rc;
		} else if (a[0] == '-' && a[1] != '\0') {
			if ((rc = ctl_global_option(c, argc, argv, &i)) != 0)
				return rc;
		} else if (c->verb == NULL) {
			if ((c->verb = ctl_find_verb(c->tool, a)) == NULL)
				return ctl_bad_usage(c, "unknown command "
				    "'%s'", a);
		} else
			c->args[c->nargs++] = (char *)a;
	}
	return 0;
}

/* Every option given must be one the verb takes. */
static int
ctl_check_options(struct ctl *c)
{
	const struct ctl_verb	*v = c->verb;
	int			 n = (int)c->nargs;

	if ((c->dry_run && !(v->opts & CTL_DRY_RUN)) ||
	    (c->prune && !(v->opts & CTL_PRUNE)) ||
	    (c->nfiles && !(v->opts & CTL_FILE)) ||
	    (c->scope && !(v->opts & CTL_SCOPE)) ||
	    (c->cascade && !(v->opts & CTL_CASCADE)) ||
	    (c->with_secrets && !(v->opts & CTL_SECRETS)) ||
	    (c->limit && !(v->opts & CTL_LIMIT)) ||
	    (c->count && !(v->opts & CTL_COUNT)) ||
	    (c->enforcer && !(v->opts & CTL_ENFORCER)) ||
	    (json_array_size(c->unset) && !(v->opts & CTL_UNSET)))
		return ctl_bad_usage(c, "an option does not go with "
		    "'%s'", v->name);
	if (json_object_size(c->fields) && !(v->opts & CTL_FIELDS)) {
		const char	*key = json_object_iter_key(
				    json_object_iter(c->fields));

		return ctl_bad_usage(c, "unknown option '--%s'", key);
	}
	if (n < v->minargs || (v->maxargs >= 0 && n > v->maxargs))
		return ctl_bad_usage(c, "wrong number of arguments for "
		    "'%s'", v->name);
	return 0;
}

int
ctl_open_store(struct ctl *c, int flags)
{
	struct vnb_error	err;

	if ((c->store = store_open(c->store_path, flags, &err)) == NULL) {
		log_warnx("%s", err.msg);
		return -1;
	}
	return 0;
}

const struct kind *
ctl_kind(struct ctl *c, const char *name)
{
	const struct kind	*k;

	if ((k = kind_find_tool(c->tool->kinds, name)) != NULL)
		return k;
	if ((k = kind_find(name)) != NULL)
		log_warnx("kind '%s' is managed by %sctl", name, k->tool);
	else
		log_warnx("unknown kind '%s' (see '%s kinds')", name,
		    c->tool->prog);
	return NULL;
}

int
ctl_main(const struct ctl_tool *tool, int argc, char **argv)
{
	struct ctl	c;
	int		rc;

	memset(&c, 0, sizeof(c));
	c.tool = tool;
	c.store_path = store_default_path();
	c.fmt = OUTPUT_TABLE;
	c.args = xcalloc(argc + 1, sizeof(*c.args));
	c.fields = json_object();
	c.unset = json_array();
	c.looked_up = json_object();
	log_init(tool->prog, 1, 0);

	if ((rc = ctl_parse(&c, argc, argv)) != 0)
		goto out;
	log_setverbose(c.verbose);
	if (c.verb == NULL) {
		rc = ctl_bad_usage(&c, "no command given%s", "");
		goto out;
	}
	if ((rc = ctl_check_options(&c)) != 0)
		goto out;
	rc = c.verb->fn(&c);
 out:
	store_close(c.store);
	json_decref(c.fields);
	json_decref(c.unset);
	json_decref(c.looked_up);
	free(c.args);
	free(c.files);
	free(c.scope_found);
	return rc;
}

static int
ctl_init(struct ctl *c)
{
	if (ctl_open_store(c, STORE_CREATE) == -1)
		return 1;
	printf("store '%s' is ready (schema version %d)\n", c->store_path,
	    store_schema_version(c->store));
	return 0;
}

static const char *
ctl_where(const char *scope, char *buf, size_t size)
{
	if (scope != NULL && *scope != '\0')
		snprintf(buf, size, " in scope '%s'", scope);
	else
		buf[0] = '\0';
	return buf;
}

static void
ctl_print_changes(struct ctl *c, const struct apply_result *r, int dry)
{
	json_t		*ch;
	size_t		 i;
	char		 where[300];
	const char	*action;

	if (c->fmt != OUTPUT_TABLE) {
		output_data(stdout, c->fmt, r->changes);
		return;
	}
	json_array_foreach(r->changes, i, ch) {
		action = json_string_value(json_object_get(ch, "action"));
		printf("%s%s%s %s '%s'%s\n", dry ? "would " : "", action,
		    dry ? "" : "d", json_string_value(json_object_get(ch,
		    "kind")), json_string_value(json_object_get(ch, "name")),
		    ctl_where(json_string_value(json_object_get(ch, "scope")),
		    where, sizeof(where)));
	}
	printf("%s%d created, %d updated, %d deleted, %d unchanged\n",
	    dry ? "dry run: " : "", r->created, r->updated, r->deleted,
	    r->unchanged);
}

static int
ctl_apply(struct ctl *c)
{
	struct ydoc_set		set;
	struct diag		diag;
	struct apply_result	r;
	size_t			i;
	int			rc = 1, flags = 0;

	for (i = 0; i < c->nargs; i++)
		ctl_set_flag(c, &ctl_flags[2], c->args[i]);
	if (c->nfiles == 0)
		return ctl_bad_usage(c, "no file given (-f FILE, or -f - "
		    "for standard input)%s", "");
	ydoc_set_init(&set);
	diag_init(&diag);
	for (i = 0; i < c->nfiles; i++)
		yaml_load_file(&set, c->files[i], &diag);
	if (diag.errors > 0)
		goto out;
	if (ctl_open_store(c, 0) == -1)
		goto out;

	if (c->dry_run)
		flags |= APPLY_DRY_RUN;
	if (c->prune)
		flags |= APPLY_PRUNE;
	if (apply_docs(c->store, c->tool->kinds, &set, flags, &r,
	    &diag) == 0) {
		diag_print(&diag, stderr);
		diag_free(&diag);
		ctl_print_changes(c, &r, c->dry_run);
		rc = 0;
	}
	apply_result_free(&r);
 out:
	diag_print(&diag, stderr);
	diag_free(&diag);
	ydoc_set_free(&set);
	return rc;
}

static int
ctl_export(struct ctl *c)
{
	struct vnb_error	 err;
	json_t			*docs;

	if (ctl_open_store(c, 0) == -1)
		return 1;
	if (c->scope != NULL && !store_exists(c->store, kind_find("scope"),
	    NULL, c->scope)) {
		log_warnx("no scope '%s'", c->scope);
		return 1;
	}
	if ((docs = export_docs(c->store, c->tool->kinds, c->scope,
	    c->with_secrets, &err)) == NULL) {
		log_warnx("%s", err.msg);
		return 1;
	}
	output_data(stdout, c->fmt == OUTPUT_JSON ? OUTPUT_JSON : OUTPUT_YAML,
	    docs);
	json_decref(docs);
	return 0;
}

/* The guide's search boxes: a glob, or else a substring, of the name. */
static int
ctl_name_matches(const char *pattern, const char *name)
{
	if (pattern == NULL)
		return 1;
	if (strpbrk(pattern, "*?[") != NULL)
		return fnmatch(pattern, name, FNM_CASEFOLD) == 0;
	return strcasestr(name, pattern) != NULL;
}

static int
ctl_list(struct ctl *c)
{
	const struct kind	*k;
	struct vnb_error	 err;
	json_t			*all, *out, *o;
	size_t			 i;

	if ((k = ctl_kind(c, c->args[0])) == NULL)
		return 1;
	if (ctl_open_store(c, 0) == -1)
		return 1;
	if ((all = store_list(c->store, k, c->scope, &err)) == NULL) {
		log_warnx("%s", err.msg);
		return 1;
	}
	out = json_array();
	json_array_foreach(all, i, o) {
		if (!ctl_name_matches(c->nargs > 1 ? c->args[1] : NULL,
		    json_string_value(json_object_get(o, "name"))))
			continue;
		json_array_append_new(out, c->with_secrets ? json_incref(o) :
		    kind_strip_secrets(k, o));
	}
	output_objects(stdout, c->fmt, k, out);
	json_decref(out);
	json_decref(all);
	return 0;
}

/*
 * The scope of a scoped object named on the command line: --scope, or the
 * only scope that has such an object.
 */
static int
ctl_resolve_scope(struct ctl *c, const struct kind *k, const char *name,
    const char **scope)
{
	struct vnb_error	 err;
	json_t			*scopes;
	char			*list;
	size_t			 n;

	*scope = NULL;
	if (!(k->flags & K_SCOPED))
		return 0;
	if (c->scope != NULL) {
		*scope = c->scope;
		return 0;
	}
	if ((scopes = store_scopes_of(c->store, k, name, &err)) == NULL) {
		log_warnx("%s", err.msg);
		return -1;
	}
	n = json_array_size(scopes);
	if (n == 1) {
		free(c->scope_found);
		c->scope_found = xstrdup(json_string_value(json_array_get(
		    scopes, 0)));
		*scope = c->scope_found;
	}
	else if (n == 0)
		log_warnx("no %s '%s'", k->name, name);
	else {
		list = kind_value_text(scopes);
		log_warnx("%s '%s' is in several scopes (%s): give --scope",
		    k->name, name, list);
		free(list);
	}
	json_decref(scopes);
	return n == 1 ? 0 : -1;
}

static int
ctl_get(struct ctl *c)
{
	const struct kind	*k;
	struct vnb_error	 err;
	const char		*scope;
	json_t			*o, *shown;

	if ((k = ctl_kind(c, c->args[0])) == NULL)
		return 1;
	if (ctl_open_store(c, 0) == -1 ||
	    ctl_resolve_scope(c, k, c->args[1], &scope) == -1)
		return 1;
	if ((o = store_get(c->store, k, scope, c->args[1], &err)) == NULL) {
		log_warnx("%s", err.msg);
		return 1;
	}
	shown = c->with_secrets ? json_incref(o) : kind_strip_secrets(k, o);
	output_object(stdout, c->fmt, k, shown);
	json_decref(shown);
	json_decref(o);
	return 0;
}

/*
 * The fields given as --FIELD VALUE, as a document for kind_validate():
 * lists split at commas.
 */
static int
ctl_fields_into(struct ctl *c, const struct kind *k, json_t *doc)
{
	const struct field	*f;
	const char		*key, *hint, *p, *end;
	json_t			*v, *arr;

	json_object_foreach(c->fields, key, v) {
		if ((f = kind_field(k, key)) == NULL || kind_is_meta(key)) {
			hint = kind_suggest(k, key);
			log_warnx("unknown option '--%s' for a %s%s%s%s", key,
			    k->name, hint ? " (did you mean '--" : "",
			    hint ? hint : "", hint ? "'?)" : "");
			return -1;
		}
		if (f->flags & F_READONLY) {
			log_warnx("--%s is read-only: VNB sets it", key);
			return -1;
		}
		if (!(f->flags & F_LIST)) {
			json_object_set(doc, key, v);
			continue;
		}
		arr = json_array();
		for (p = json_string_value(v); *p != '\0';
		    p = *end ? end + 1 : end) {
			end = strchr(p, ',');
			if (end == NULL)
				end = p + strlen(p);
			json_array_append_new(arr, json_stringn(p, end - p));
		}
		json_object_set_new(doc, key, arr);
	}
	return 0;
}

/* An object of the store, for checks that span objects. */
static const json_t *
ctl_lookup(void *arg, const struct kind *k, const char *scope,
    const char *name)
{
	struct ctl	*c = arg;
	json_t		*o;
	char		*key;

	key = xasprintf("%s\x1f%s\x1f%s", k->name, scope ? scope : "", name);
	if ((o = json_object_get(c->looked_up, key)) == NULL &&
	    (o = store_get(c->store, k, scope, name, NULL)) != NULL)
		json_object_set_new(c->looked_up, key, o);
	free(key);
	return o;
}

/*
 * The checks against other objects, and the fields kept from the stored
 * object or generated: inside the transaction that writes obj.
 */
static int
ctl_complete(struct ctl *c, const struct kind *k, json_t *obj,
    const json_t *doc, struct diag *diag)
{
	struct kind_lookup	 lookup = { ctl_lookup, c };
	struct vnb_error	 err;
	json_t			*stored;
	const char		*scope;
	int			 before = diag->errors;

	if (!kind_needs_stored(k))
		return 0;
	scope = json_string_value(json_object_get(obj, "scope"));
	stored = store_get(c->store, k, scope, c->args[1], NULL);
	kind_check_refs(k, obj, doc, NULL, stored, &lookup, diag);
	if (diag->errors == before &&
	    kind_complete(k, obj, stored, &err) == -1)
		diag_error(diag, NULL, "%s", err.msg);
	json_decref(stored);
	return diag->errors == before ? 0 : -1;
}

static int
ctl_put(struct ctl *c, const struct kind *k, json_t *doc, int create)
{
	struct vnb_error	 err;
	struct diag		 diag;
	enum store_change	 ch;
	json_t			*obj;
	const char		*scope;
	char			 where[300];
	int			 rc = 1;

	diag_init(&diag);
	if ((obj = kind_validate(k, doc, NULL, &diag)) == NULL)
		goto out;
	scope = json_string_value(json_object_get(obj, "scope"));
	if (store_begin(c->store, &err) == -1) {
		diag_error(&diag, NULL, "%s", err.msg);
		goto out;
	}
	if (create && store_exists(c->store, k, scope, c->args[1])) {
		store_rollback(c->store);
		diag_error(&diag, NULL, "%s '%s' already exists%s", k->name,
		    c->args[1], ctl_where(scope, where, sizeof(where)));
		goto out;
	}
	if (ctl_complete(c, k, obj, doc, &diag) == -1) {
		store_rollback(c->store);
		goto out;
	}
	if (store_put(c->store, k, obj, &ch, NULL, &err) == -1 ||
	    store_commit(c->store, &err) == -1) {
		store_rollback(c->store);
		diag_error(&diag, NULL, "%s", err.msg);
		goto out;
	}
	printf("%s %s '%s'%s\n", ch == STORE_CREATED ? "created" :
	    ch == STORE_UPDATED ? "updated" : "unchanged", k->name,
	    c->args[1], ctl_where(scope, where, sizeof(where)));
	rc = 0;
 out:
	diag_print(&diag, stderr);
	diag_free(&diag);
	json_decref(obj);
	return rc;
}

static int
ctl_create(struct ctl *c)
{
	const struct kind	*k;
	json_t			*doc;
	int			 rc = 1;

	if ((k = ctl_kind(c, c->args[0])) == NULL)
		return 1;
	if (k->flags & K_SCOPED && c->scope == NULL)
		return ctl_bad_usage(c, "a %s needs --scope", k->name);
	if (!(k->flags & K_SCOPED) && c->scope != NULL)
		return ctl_bad_usage(c, "a %s does not belong to a scope",
		    k->name);
	if (ctl_open_store(c, 0) == -1)
		return 1;
	doc = json_pack("{s:s,s:s}", "kind", k->name, "name", c->args[1]);
	if (c->scope != NULL)
		json_object_set_new(doc, "scope", json_string(c->scope));
	if (ctl_fields_into(c, k, doc) == 0)
		rc = ctl_put(c, k, doc, 1);
	json_decref(doc);
	return rc;
}

static int
ctl_set(struct ctl *c)
{
	const struct kind	*k;
	const struct field	*f;
	struct vnb_error	 err;
	const char		*scope;
	json_t			*doc, *u;
	size_t			 i;
	int			 rc = 1;

	if ((k = ctl_kind(c, c->args[0])) == NULL)
		return 1;
	if (json_object_size(c->fields) == 0 &&
	    json_array_size(c->unset) == 0)
		return ctl_bad_usage(c, "nothing to set%s", "");
	if (ctl_open_store(c, 0) == -1 ||
	    ctl_resolve_scope(c, k, c->args[1], &scope) == -1)
		return 1;
	if ((doc = store_get(c->store, k, scope, c->args[1], &err)) == NULL) {
		log_warnx("%s", err.msg);
		return 1;
	}
	json_object_del(doc, "created");
	json_object_del(doc, "updated");
	json_array_foreach(c->unset, i, u) {
		f = kind_field(k, json_string_value(u));
		if (f == NULL) {
			log_warnx("--unset: a %s has no field '%s'", k->name,
			    json_string_value(u));
			goto out;
		}
		json_object_del(doc, f->name);
	}
	if (ctl_fields_into(c, k, doc) == 0)
		rc = ctl_put(c, k, doc, 0);
 out:
	json_decref(doc);
	return rc;
}

static int
ctl_delete(struct ctl *c)
{
	const struct kind	*k;
	struct vnb_error	 err;
	const char		*scope;
	json_t			*deleted, *d;
	char			 where[300];
	size_t			 i;

	if ((k = ctl_kind(c, c->args[0])) == NULL)
		return 1;
	if (ctl_open_store(c, 0) == -1 ||
	    ctl_resolve_scope(c, k, c->args[1], &scope) == -1)
		return 1;
	deleted = json_array();
	if (store_begin(c->store, &err) == -1 ||
	    store_delete(c->store, k, scope, c->args[1], c->cascade, deleted,
	    &err) == -1 || store_commit(c->store, &err) == -1) {
		store_rollback(c->store);
		log_warnx("%s", err.msg);
		json_decref(deleted);
		return 1;
	}
	json_array_foreach(deleted, i, d)
		printf("deleted %s '%s'%s\n",
		    json_string_value(json_object_get(d, "kind")),
		    json_string_value(json_object_get(d, "name")),
		    ctl_where(json_string_value(json_object_get(d, "scope")),
		    where, sizeof(where)));
	json_decref(deleted);
	return 0;
}

static char *
ctl_changes_text(json_t *changes)
{
	struct buf	 b;
	const char	*key;
	json_t		*pair;
	char		*from, *to;

	buf_init(&b);
	json_object_foreach(changes, key, pair) {
		from = kind_value_text(json_array_get(pair, 0));
		to = kind_value_text(json_array_get(pair, 1));
		buf_printf(&b, "%s%s: %s -> %s", b.len ? "; " : "", key,
		    *from ? from : "-", *to ? to : "-");
		free(from);
		free(to);
	}
	return buf_release(&b);
}

static int
ctl_history(struct ctl *c)
{
	static const char *const headers[] = { "TXN", "TIME", "USER",
	    "ACTION", "KIND", "SCOPE", "NAME", "CHANGES", NULL };
	const struct kind	*k = NULL;
	struct vnb_error	 err;
	json_t			*hist, *rows, *h;
	char			*changes, txn[32];
	size_t			 i;

	if (c->nargs > 0 && (k = ctl_kind(c, c->args[0])) == NULL)
		return 1;
	if (ctl_open_store(c, 0) == -1)
		return 1;
	if ((hist = store_history(c->store, c->limit, k,
	    c->nargs > 1 ? c->args[1] : NULL, &err)) == NULL) {
		log_warnx("%s", err.msg);
		return 1;
	}
	if (c->fmt != OUTPUT_TABLE) {
		output_data(stdout, c->fmt, hist);
		json_decref(hist);
		return 0;
	}
	rows = json_array();
	json_array_foreach(hist, i, h) {
		snprintf(txn, sizeof(txn), "%" JSON_INTEGER_FORMAT,
		    json_integer_value(json_object_get(h, "txn")));
		changes = ctl_changes_text(json_object_get(h, "changes"));
		json_array_append_new(rows, json_pack("[s,O,O,O,O,O,O,s]",
		    txn, json_object_get(h, "time"),
		    json_object_get(h, "user"), json_object_get(h, "action"),
		    json_object_get(h, "kind"), json_object_get(h, "scope"),
		    json_object_get(h, "name"), changes));
		free(changes);
	}
	output_table(stdout, headers, rows);
	json_decref(rows);
	json_decref(hist);
	return 0;
}

static const char *const ctl_type_names[] = {
	[FT_STRING] = "string", [FT_TEXT] = "text", [FT_INT] = "integer",
	[FT_BOOL] = "boolean", [FT_ENUM] = "enum", [FT_ADDR] = "address",
	[FT_PREFIX] = "prefix", [FT_MAC] = "mac", [FT_PORT] = "port",
	[FT_PORTRANGE] = "port-range", [FT_PROTOCOL] = "protocol",
	[FT_DURATION] = "duration", [FT_SIZE] = "size", [FT_REF] = "reference",
};

static json_t *
ctl_field_row(const struct field *f)
{
	struct buf	 type;
	const char	*const *v;
	json_t		*row;

	buf_init(&type);
	if (f->type == FT_REF)
		buf_printf(&type, "%s", f->ref);
	else if (f->type == FT_ENUM) {
		for (v = f->values; *v != NULL; v++)
			buf_printf(&type, "%s%.*s", type.len ? "|" : "",
			    (int)strcspn(*v, "="), *v);
	} else if (f->type == FT_INT)
		buf_printf(&type, "%" PRId64 "-%" PRId64, f->min, f->max);
	else
		buf_puts(&type, ctl_type_names[f->type]);
	if (f->flags & F_WEIGHT)
		buf_puts(&type, ":weight");
	if (f->flags & F_LIST)
		buf_puts(&type, ",...");
	row = json_pack("[s,s,s,s]", f->name, type.data ? type.data : "",
	    f->flags & F_READONLY ? "read-only" :
	    f->flags & F_GENERATED ? "generated" :
	    f->flags & F_REQUIRED ? "required" : f->def ? f->def : "",
	    f->doc ? f->doc : "");
	buf_free(&type);
	return row;
}

/* The kinds this tool manages, or one kind's fields. */
static int
ctl_kinds(struct ctl *c)
{
	static const char *const kh[] = { "KIND", "DESCRIPTION", NULL };
	static const char *const fh[] = { "FIELD", "VALUES", "DEFAULT",
	    "DESCRIPTION", NULL };
	const struct kind	*k;
	const struct field	*f;
	json_t			*rows, *row;
	size_t			 i;

	rows = json_array();
	if (c->nargs == 0) {
		for (i = 0; kinds[i] != NULL; i++)
			if (strcmp(kinds[i]->tool, c->tool->kinds) == 0)
				json_array_append_new(rows, json_pack("[s,s]",
				    kinds[i]->name, kinds[i]->doc));
		output_table(stdout, kh, rows);
	} else {
		if ((k = ctl_kind(c, c->args[0])) == NULL) {
			json_decref(rows);
			return 1;
		}
		if (k->flags & K_SCOPED)
			json_array_append_new(rows, json_pack("[s,s,s,s]",
			    "scope", "scope", "required",
			    "the scope it lives in"));
		for (f = k->fields; f->name != NULL; f++) {
			row = ctl_field_row(f);
			json_array_append_new(rows, row);
		}
		output_table(stdout, fh, rows);
	}
	json_decref(rows);
	return 0;
}

/*
 * Apply and export: see apply.h.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "apply.h"
#include "kind.h"
#include "util.h"

struct apply_item {
	const struct kind	*kind;
	const struct ydoc	*doc;
	const json_t		*root;		/* the object as written */
	json_t			*obj;		/* canonical */
	json_t			*stored;	/* as stored, if it matters */
	const char		*scope;
	const char		*name;
};

struct apply_batch {
	struct apply_item	*items;
	size_t			 n;
	json_t			*index;		/* "kind\x1fscope\x1fname" */
	json_t			*scopes;	/* scope names in the batch */
	json_t			*looked_up;	/* store objects, by key */
};

static char *
batch_key(const char *kind, const char *scope, const char *name)
{
	return xasprintf("%s\x1f%s\x1f%s", kind, scope ? scope : "", name);
}

static void
batch_free(struct apply_batch *b)
{
	size_t	i;

	for (i = 0; i < b->n; i++) {
		json_decref(b->items[i].obj);
		json_decref(b->items[i].stored);
	}
	free(b->items);
	json_decref(b->index);
	json_decref(b->scopes);
	json_decref(b->looked_up);
}

/*
 * A document that failed validation still names an object, so that the
 * references to it are not reported as missing too.
 */
static void
batch_note_invalid(struct apply_batch *b, const struct kind *k,
    const json_t *root)
{
	const char	*scope, *name;
	char		*key;

	scope = json_string_value(json_object_get(root, "scope"));
	name = json_string_value(json_object_get(root, "name"));
	if (name == NULL && k->flags & K_PER_SCOPE)
		name = scope;
	if (name == NULL)
		return;
	key = batch_key(k->name, k->flags & K_SCOPED ? scope : NULL, name);
	json_object_set_new(b->index, key, json_null());
	free(key);
}

/* Validate one document and add it to the batch. */
static void
batch_add(struct apply_batch *b, const char *tool, const struct ydoc *doc,
    const json_t *root, struct diag *diag)
{
	const struct kind	*k;
	const char		*kname;
	json_t			*obj, *prev;
	struct apply_item	*it;
	struct loc		 loc;
	char			*key;

	ydoc_locate(doc, root, NULL, &loc);
	if (!json_is_object(root)) {
		diag_error(diag, &loc, "a document must be a mapping with "
		    "'kind' and 'name'");
		return;
	}
	ydoc_locate(doc, root, "kind", &loc);
	if ((kname = json_string_value(json_object_get(root,
	    "kind"))) == NULL) {
		diag_error(diag, &loc, "'kind' is missing");
		return;
	}
	if ((k = kind_find(kname)) == NULL) {
		diag_error(diag, &loc, "unknown kind '%s'", kname);
		return;
	}
	if (tool != NULL && strcmp(k->tool, tool) != 0) {
		diag_error(diag, &loc, "kind '%s' is managed by %sctl", kname,
		    k->tool);
		return;
	}
	if ((obj = kind_validate(k, root, doc, diag)) == NULL) {
		batch_note_invalid(b, k, root);
		return;
	}

	it = &b->items[b->n];
	it->kind = k;
	it->doc = doc;
	it->root = root;
	it->obj = obj;
	it->scope = json_string_value(json_object_get(obj, "scope"));
	it->name = json_string_value(json_object_get(obj, "name"));
	key = batch_key(k->name, it->scope, it->name);
	if ((prev = json_object_get(b->index, key)) != NULL &&
	    json_is_integer(prev)) {
		struct loc	other;

		ydoc_locate(b->items[json_integer_value(prev)].doc,
		    b->items[json_integer_value(prev)].root, NULL, &other);
		ydoc_locate(doc, root, "name", &loc);
		diag_error(diag, &loc, "%s '%s' is also defined at %s:%d",
		    k->name, it->name, other.file, other.line);
		json_decref(obj);
		free(key);
		return;
	}
	json_object_set_new(b->index, key, json_integer(b->n));
	free(key);
	if (strcmp(k->name, "scope") == 0)
		json_array_append_new(b->scopes, json_string(it->name));
	b->n++;
}

/*
 * A document is one object, or a sequence of objects: the JSON form that
 * export -o json writes.
 */
static void
batch_add_doc(struct apply_batch *b, const char *tool, const struct ydoc *doc,
    struct diag *diag)
{
	json_t		*item;
	struct loc	 loc;
	char		 slot[32];
	size_t		 i;

	if (!json_is_array(doc->root)) {
		batch_add(b, tool, doc, doc->root, diag);
		return;
	}
	json_array_foreach(doc->root, i, item) {
		if (json_is_object(item)) {
			batch_add(b, tool, doc, item, diag);
			continue;
		}
		/* A scalar has no place of its own; its slot in the list has. */
		snprintf(slot, sizeof(slot), "#%zu", i);
		ydoc_locate(doc, doc->root, slot, &loc);
		diag_error(diag, &loc, "a document must be a mapping with "
		    "'kind' and 'name'");
	}
}

struct resolve_ctx {
	struct apply_batch	*b;
	struct store		*s;
	struct apply_item	*it;
	struct diag		*diag;
};

static int
batch_has(struct apply_batch *b, const char *kind, const char *scope,
    const char *name)
{
	char	*key = batch_key(kind, scope, name);
	int	 found = json_object_get(b->index, key) != NULL;

	free(key);
	return found;
}

static void
resolve_one(struct resolve_ctx *rc, const char *field, const struct kind *to,
    const char *name)
{
	struct kind_ctx	 kc;
	const char	*scope = to->flags & K_SCOPED ? rc->it->scope : NULL;

	if (batch_has(rc->b, to->name, scope, name) ||
	    store_exists(rc->s, to, scope, name))
		return;
	memset(&kc, 0, sizeof(kc));
	kc.kind = rc->it->kind;
	kc.in = rc->it->root;
	kc.doc = rc->it->doc;
	kc.diag = rc->diag;
	kc.name = rc->it->name;
	if (scope != NULL)
		kind_error(&kc, field, "no %s '%s' in scope '%s'", to->name,
		    name, scope);
	else
		kind_error(&kc, field, "no %s '%s'", to->name, name);
}

static void
resolve_cb(const struct field *f, const char *name, void *arg)
{
	const struct kind	*to = kind_find(f->ref);

	if (to != NULL)
		resolve_one(arg, f->name, to, name);
}

/* Every reference must name an object of the batch or of the store. */
static void
batch_resolve(struct apply_batch *b, struct store *s, struct diag *diag)
{
	struct resolve_ctx	rc = { b, s, NULL, diag };
	size_t			i;

	for (i = 0; i < b->n; i++) {
		rc.it = &b->items[i];
		if (rc.it->kind->flags & K_SCOPED)
			resolve_one(&rc, "scope", kind_find("scope"),
			    rc.it->scope);
		kind_refs(rc.it->kind, rc.it->obj, resolve_cb, &rc);
	}
}

struct lookup_ctx {
	struct apply_batch	*b;
	struct store		*s;
};

/* An object of the batch, or else of the store: see kind_lookup(). */
static const json_t *
batch_lookup(void *arg, const struct kind *k, const char *scope,
    const char *name)
{
	struct lookup_ctx	*lc = arg;
	json_t			*v, *o;
	char			*key;

	key = batch_key(k->name, scope, name);
	if ((v = json_object_get(lc->b->index, key)) != NULL) {
		free(key);
		return json_is_integer(v) ?
		    lc->b->items[json_integer_value(v)].obj : NULL;
	}
	if ((o = json_object_get(lc->b->looked_up, key)) == NULL &&
	    (o = store_get(lc->s, k, scope, name, NULL)) != NULL)
		json_object_set_new(lc->b->looked_up, key, o);
	free(key);
	return o;
}

/*
 * The checks that span objects, now that every reference resolves; and
 * the stored form of the objects whose kinds keep fields from it.
 */
static void
batch_check_refs(struct apply_batch *b, struct store *s, struct diag *diag)
{
	struct lookup_ctx	 lc = { b, s };
	struct kind_lookup	 lookup = { batch_lookup, &lc };
	struct apply_item	*it;
	size_t			 i;

	for (i = 0; i < b->n; i++) {
		it = &b->items[i];
		if (!kind_needs_stored(it->kind))
			continue;
		it->stored = store_get(s, it->kind, it->scope, it->name, NULL);
		kind_check_refs(it->kind, it->obj, it->root, it->doc,
		    it->stored, &lookup, diag);
	}
}

static int
item_compare(const void *a, const void *b)
{
	const struct apply_item	*x = a, *y = b;

	return kind_order(x->kind) - kind_order(y->kind);
}

static void
result_add(struct apply_result *r, const char *action, const char *kind,
    const char *scope, const char *name)
{
	json_array_append_new(r->changes, json_pack("{s:s,s:s,s:s,s:s}",
	    "action", action, "kind", kind, "scope", scope ? scope : "",
	    "name", name));
}

static int
batch_write(struct apply_batch *b, struct store *s, struct apply_result *r,
    struct diag *diag)
{
	struct vnb_error	 err;
	enum store_change	 ch;
	struct apply_item	*it;
	struct loc		 loc;
	size_t			 i;

	qsort(b->items, b->n, sizeof(*b->items), item_compare);
	for (i = 0; i < b->n; i++) {
		it = &b->items[i];
		if (kind_complete(it->kind, it->obj, it->stored,
		    &err) == -1 ||
		    store_put(s, it->kind, it->obj, &ch, NULL, &err) == -1) {
			ydoc_locate(it->doc, it->root, NULL, &loc);
			diag_error(diag, &loc, "%s", err.msg);
			return -1;
		}
		if (ch == STORE_CREATED) {
			r->created++;
			result_add(r, "create", it->kind->name, it->scope,
			    it->name);
		} else if (ch == STORE_UPDATED) {
			r->updated++;
			result_add(r, "update", it->kind->name, it->scope,
			    it->name);
		} else
			r->unchanged++;
	}
	return 0;
}

/*
 * Delete, from every scope the documents define, the objects the
 * documents do not contain: users before what they use.
 */
static int
batch_prune(struct apply_batch *b, struct store *s, const char *tool,
    struct apply_result *r, struct diag *diag)
{
	struct vnb_error	 err;
	const struct kind	*k;
	json_t			*all, *o, *sc, *deleted, *d, **v;
	const char		*scope, *name;
	size_t			 i, j, m;
	int			 rc = 0;

	json_array_foreach(b->scopes, i, sc) {
		scope = json_string_value(sc);
		if ((all = store_list(s, NULL, scope, &err)) == NULL) {
			diag_error(diag, NULL, "%s", err.msg);
			return -1;
		}

		/*
		 * The store lists kinds by name; kind order puts every user
		 * after what it uses, so walking it backwards deletes users
		 * first.
		 */
		v = xcalloc(json_array_size(all) + 1, sizeof(*v));
		json_array_foreach(all, j, o)
			v[j] = o;
		qsort(v, json_array_size(all), sizeof(*v), export_compare);
		for (j = json_array_size(all); j-- > 0 && rc == 0; ) {
			o = v[j];
			k = kind_find(json_string_value(json_object_get(o,
			    "kind")));
			name = json_string_value(json_object_get(o, "name"));
			if (k == NULL || !(k->flags & K_SCOPED) ||
			    (tool && strcmp(k->tool, tool) != 0) ||
			    batch_has(b, k->name, scope, name) ||
			    !store_exists(s, k, scope, name))
				continue;
			deleted = json_array();
			rc = store_delete(s, k, scope, name, 0, deleted, &err);
			if (rc == -1)
				diag_error(diag, NULL, "prune: %s", err.msg);
			json_array_foreach(deleted, m, d) {
				r->deleted++;
				result_add(r, "delete", json_string_value(
				    json_object_get(d, "kind")), scope,
				    json_string_value(json_object_get(d,
				    "name")));
			}
			json_decref(deleted);
		}
		free(v);
		json_decref(all);
	}
	return rc;
}

/*
 * Apply the documents of set to the store as one transaction.  tool limits
 * the kinds to one CLI's (NULL: any).  Returns -1 with every problem in
 * diag and the store untouched, or 0 with the changes in r.
 */
int
apply_docs(struct store *s, const char *tool, struct ydoc_set *set,
    int flags, struct apply_result *r, struct diag *diag)
{
	struct apply_batch	b;
	struct vnb_error	err;
	size_t			i, total = 0;
	int			rc = -1;

	memset(r, 0, sizeof(*r));
	r->changes = json_array();
	memset(&b, 0, sizeof(b));
	for (i = 0; i < set->n; i++)
		total += json_is_array(set->docs[i].root) ?
		    json_array_size(set->docs[i].root) : 1;
	b.items = xcalloc(total ? total : 1, sizeof(*b.items));
	b.index = json_object();
	b.scopes = json_array();
	b.looked_up = json_object();

	for (i = 0; i < set->n; i++)
		batch_add_doc(&b, tool, &set->docs[i], diag);
	batch_resolve(&b, s, diag);
	if (diag->errors > 0)
		goto out;

	if (store_begin(s, &err) == -1) {
		diag_error(diag, NULL, "%s", err.msg);
		goto out;
	}

	/* In the transaction, so that what is checked is what is written. */
	batch_check_refs(&b, s, diag);
	if (diag->errors > 0 || batch_write(&b, s, r, diag) == -1 ||
	    (flags & APPLY_PRUNE && batch_prune(&b, s, tool, r, diag) == -1)) {
		store_rollback(s);
		goto out;
	}
	if (flags & APPLY_DRY_RUN)
		store_rollback(s);
	else if (store_commit(s, &err) == -1) {
		diag_error(diag, NULL, "%s", err.msg);
		goto out;
	}
	rc = 0;
 out:
	batch_free(&b);
	return rc;
}

void
apply_result_free(struct apply_result *r)
{
	json_decref(r->changes);
	r->changes = NULL;
}

/* Kind order, then scope, then name: the order export writes. */
int
export_compare(const void *a, const void *b)
{
	const json_t		*x = *(const json_t *const *)a;
	const json_t		*y = *(const json_t *const *)b;
	const struct kind	*kx, *ky;
	const char		*sx, *sy;
	int			 c;

	kx = kind_find(json_string_value(json_object_get(x, "kind")));
	ky = kind_find(json_string_value(json_object_get(y, "kind")));
	if ((c = kind_order(kx) - kind_order(ky)) != 0)
		return c;
	sx = json_string_value(json_object_get(x, "scope"));
	sy = json_string_value(json_object_get(y, "scope"));
	if ((c = strcmp(sx ? sx : "", sy ? sy : "")) != 0)
		return c;
	return strcmp(json_string_value(json_object_get(x, "name")),
	    json_string_value(json_object_get(y, "name")));
}

/*
 * The documents that apply takes back unchanged: every object of tool's
 * kinds (in scope, if given), without metadata, in a stable order, and
 * without secrets unless with_secrets.
 */
json_t *
export_docs(struct store *s, const char *tool, const char *scope,
    int with_secrets, struct vnb_error *err)
{
	const struct kind	*k;
	json_t			*all, *out, *o, *doc, *fields, *stripped, **v;
	size_t			 i, n = 0;

	if ((all = store_list(s, NULL, scope, err)) == NULL)
		return NULL;
	v = xcalloc(json_array_size(all) + 1, sizeof(*v));
	json_array_foreach(all, i, o) {
		k = kind_find(json_string_value(json_object_get(o, "kind")));
		if (k != NULL && (tool == NULL || strcmp(k->tool, tool) == 0))
			v[n++] = o;
	}
	qsort(v, n, sizeof(*v), export_compare);

	out = json_array();
	for (i = 0; i < n; i++) {
		k = kind_find(json_string_value(json_object_get(v[i],
		    "kind")));
		doc = json_object();
		json_object_set(doc, "kind", json_object_get(v[i], "kind"));
		if (k->flags & K_SCOPED)
			json_object_set(doc, "scope",
			    json_object_get(v[i], "scope"));
		json_object_set(doc, "name", json_object_get(v[i], "name"));
		fields = kind_fields_only(k, v[i]);
		if (!with_secrets) {
			stripped = kind_strip_secrets(k, fields);
			json_decref(fields);
			fields = stripped;
		}
		json_object_update(doc, fields);
		json_decref(fields);
		json_array_append_new(out, doc);
	}
	free(v);
	json_decref(all);
	return out;
}

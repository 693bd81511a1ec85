/*
 * YAML in and out, through libyaml.
 *
 * Scalars load as JSON strings (or null for an empty or "~" plain
 * scalar); what a string means is decided later by the field it is given
 * for, so "yes" is never silently a boolean and "010" never octal.
 * Mappings keep the order of their keys.  Aliases are expanded with a
 * budget, so that a small file cannot expand into a huge one.
 */
#include <errno.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <yaml.h>

#include "file.h"
#include "log.h"
#include "util.h"
#include "yaml.h"

#define YAML_MAX_DEPTH		64
#define YAML_MAX_NODES		(4 * 1024 * 1024)
#define YAML_MAX_FILE		(256 * 1024 * 1024)

struct yload {
	int		 typed;		/* see ydoc_set.typed */
	yaml_document_t	*ydoc;
	struct ydoc	*doc;
	struct diag	*diag;
	size_t		 budget;
	int		 failed;
};

void
ydoc_set_init(struct ydoc_set *set)
{
	memset(set, 0, sizeof(*set));
}

void
ydoc_set_free(struct ydoc_set *set)
{
	size_t	i, j;

	for (i = 0; i < set->n; i++) {
		json_decref(set->docs[i].root);
		for (j = 0; j < set->docs[i].nlocs; j++)
			free(set->docs[i].locs[j].key);
		free(set->docs[i].locs);
	}
	for (i = 0; i < set->nfiles; i++)
		free(set->files[i]);
	free(set->docs);
	free(set->files);
	ydoc_set_init(set);
}

static void
ydoc_add_loc(struct ydoc *doc, const json_t *node, const char *key,
    const yaml_mark_t *mark)
{
	struct yloc	*l;

	if (doc->nlocs == doc->caplocs) {
		doc->caplocs = doc->caplocs ? doc->caplocs * 2 : 64;
		doc->locs = xreallocarray(doc->locs, doc->caplocs,
		    sizeof(*doc->locs));
	}
	l = &doc->locs[doc->nlocs++];
	l->node = node;
	l->key = key != NULL ? xstrdup(key) : NULL;
	l->line = (int)mark->line + 1;
	l->col = (int)mark->column + 1;
}

/*
 * Where key of node (or node itself, key NULL) was written.  What cannot
 * be found falls back to the node, then to the start of the document.
 */
void
ydoc_locate(const struct ydoc *doc, const json_t *node, const char *key,
    struct loc *loc)
{
	const struct yloc	*l, *self = NULL;
	size_t			 i;

	loc->file = doc->file;
	loc->line = doc->line;
	loc->col = doc->col;
	for (i = 0; i < doc->nlocs; i++) {
		l = &doc->locs[i];
		if (l->node != node)
			continue;
		if (l->key == NULL)
			self = l;
		else if (key != NULL && strcmp(l->key, key) == 0) {
			loc->line = l->line;
			loc->col = l->col;
			return;
		}
	}
	if (self != NULL) {
		loc->line = self->line;
		loc->col = self->col;
	}
}

static void
yload_error(struct yload *yl, const yaml_mark_t *mark, const char *fmt,
    const char *arg)
{
	struct loc	loc;

	loc.file = yl->doc->file;
	loc.line = (int)mark->line + 1;
	loc.col = (int)mark->column + 1;
	diag_error(yl->diag, &loc, fmt, arg);
	yl->failed = 1;
}

static json_t	*yload_node(struct yload *, yaml_node_t *, int);

/*
 * A plain scalar that yaml_emit() writes for a JSON integer: digits, with
 * an optional minus, no leading zero.
 */
static int
yload_is_integer(const char *v, size_t len)
{
	size_t	i = v[0] == '-';

	if (len <= i || len - i > 18 || (v[i] == '0' && len - i > 1))
		return 0;
	for (; i < len; i++)
		if (v[i] < '0' || v[i] > '9')
			return 0;
	return 1;
}

static json_t *
yload_scalar(struct yload *yl, yaml_node_t *node)
{
	const char	*v = (const char *)node->data.scalar.value;
	size_t		 len = node->data.scalar.length;
	int		 plain = node->data.scalar.style ==
			    YAML_PLAIN_SCALAR_STYLE;

	if (plain && (len == 0 || strcmp(v, "~") == 0 ||
	    strcmp(v, "null") == 0 || strcmp(v, "Null") == 0 ||
	    strcmp(v, "NULL") == 0))
		return json_null();
	if (plain && yl->typed) {
		if (yload_is_integer(v, len))
			return json_integer(strtoll(v, NULL, 10));
		if (strcmp(v, "true") == 0 || strcmp(v, "false") == 0)
			return json_boolean(v[0] == 't');
	}
	return json_stringn(v, len);
}

static json_t *
yload_sequence(struct yload *yl, yaml_node_t *node, int depth)
{
	yaml_node_item_t	*item;
	yaml_node_t		*child;
	json_t			*arr, *v;
	char			 key[32];
	size_t			 i = 0;

	arr = json_array();
	ydoc_add_loc(yl->doc, arr, NULL, &node->start_mark);
	for (item = node->data.sequence.items.start;
	    item < node->data.sequence.items.top; item++, i++) {
		child = yaml_document_get_node(yl->ydoc, *item);
		snprintf(key, sizeof(key), "#%zu", i);
		ydoc_add_loc(yl->doc, arr, key, &child->start_mark);
		if ((v = yload_node(yl, child, depth + 1)) != NULL)
			json_array_append_new(arr, v);
	}
	return arr;
}

static json_t *
yload_mapping(struct yload *yl, yaml_node_t *node, int depth)
{
	yaml_node_pair_t	*pair;
	yaml_node_t		*k, *val;
	json_t			*obj, *v;
	const char		*key;

	obj = json_object();
	ydoc_add_loc(yl->doc, obj, NULL, &node->start_mark);
	for (pair = node->data.mapping.pairs.start;
	    pair < node->data.mapping.pairs.top; pair++) {
		k = yaml_document_get_node(yl->ydoc, pair->key);
		val = yaml_document_get_node(yl->ydoc, pair->value);
		if (k->type != YAML_SCALAR_NODE) {
			yload_error(yl, &k->start_mark,
			    "a key must be a plain string%s", "");
			continue;
		}
		key = (const char *)k->data.scalar.value;
		if (strlen(key) != k->data.scalar.length) {
			yload_error(yl, &k->start_mark,
			    "a key must not contain NUL bytes%s", "");
			continue;
		}
		if (json_object_get(obj, key) != NULL) {
			yload_error(yl, &k->start_mark, "duplicate key '%s'",
			    key);
			continue;
		}
		ydoc_add_loc(yl->doc, obj, key, &val->start_mark);
		if ((v = yload_node(yl, val, depth + 1)) != NULL)
			json_object_set_new(obj, key, v);
	}
	return obj;
}

static json_t *
yload_node(struct yload *yl, yaml_node_t *node, int depth)
{
	if (depth > YAML_MAX_DEPTH) {
		yload_error(yl, &node->start_mark,
		    "nested more than %s levels deep", "64");
		return NULL;
	}
	if (yl->budget == 0) {
		if (!yl->failed)
			yload_error(yl, &node->start_mark,
			    "document expands to too many nodes%s", "");
		return NULL;
	}
	yl->budget--;

	switch (node->type) {
	case YAML_SCALAR_NODE:
		return yload_scalar(yl, node);
	case YAML_SEQUENCE_NODE:
		return yload_sequence(yl, node, depth);
	case YAML_MAPPING_NODE:
		return yload_mapping(yl, node, depth);
	default:
		yload_error(yl, &node->start_mark, "empty node%s", "");
		return NULL;
	}
}

static struct ydoc *
ydoc_set_add(struct ydoc_set *set, const char *file)
{
	struct ydoc	*doc;

	if (set->n == set->cap) {
		set->cap = set->cap ? set->cap * 2 : 16;
		set->docs = xreallocarray(set->docs, set->cap,
		    sizeof(*set->docs));
	}
	doc = &set->docs[set->n++];
	memset(doc, 0, sizeof(*doc));
	doc->file = file;
	return doc;
}

static void
yaml_parser_diag(yaml_parser_t *p, const char *file, struct diag *diag)
{
	struct loc	loc;

	loc.file = file;
	loc.line = (int)p->problem_mark.line + 1;
	loc.col = (int)p->problem_mark.column + 1;
	if (p->context != NULL)
		diag_error(diag, &loc, "%s %s", p->problem, p->context);
	else
		diag_error(diag, &loc, "%s",
		    p->problem ? p->problem : "invalid YAML");
}

/*
 * Load every document of text into set.  Documents that are empty (a
 * stray "---" at the end, say) are skipped.  Returns -1 if any error was
 * added to diag; the documents loaded before it stay in set.
 */
int
yaml_load_string(struct ydoc_set *set, const char *name, const char *text,
    size_t len, struct diag *diag)
{
	yaml_parser_t	 parser;
	yaml_document_t	 ydoc;
	yaml_node_t	*root;
	struct yload	 yl;
	struct ydoc	*doc;
	const char	*file;
	int		 failed = 0;

	set->files = xreallocarray(set->files, set->nfiles + 1,
	    sizeof(*set->files));
	file = set->files[set->nfiles++] = xstrdup(name);

	yaml_parser_initialize(&parser);
	yaml_parser_set_input_string(&parser, (const unsigned char *)text,
	    len);
	memset(&yl, 0, sizeof(yl));
	yl.diag = diag;
	yl.budget = YAML_MAX_NODES;
	yl.typed = set->typed;
	for (;;) {
		if (!yaml_parser_load(&parser, &ydoc)) {
			yaml_parser_diag(&parser, file, diag);
			failed = 1;
			break;
		}
		if ((root = yaml_document_get_root_node(&ydoc)) == NULL) {
			yaml_document_delete(&ydoc);
			break;
		}
		if (root->type == YAML_SCALAR_NODE &&
		    root->data.scalar.length == 0) {
			yaml_document_delete(&ydoc);
			continue;
		}
		doc = ydoc_set_add(set, file);
		doc->line = (int)root->start_mark.line + 1;
		doc->col = (int)root->start_mark.column + 1;
		yl.ydoc = &ydoc;
		yl.doc = doc;
		doc->root = yload_node(&yl, root, 0);
		yaml_document_delete(&ydoc);
		if (yl.failed)
			failed = 1;
	}
	yaml_parser_delete(&parser);
	return failed ? -1 : 0;
}

int
yaml_load_file(struct ydoc_set *set, const char *path, struct diag *diag)
{
	struct vnb_error	 err;
	struct loc		 loc;
	char			*text;
	size_t			 len;
	int			 rc;

	if ((text = file_read(path, YAML_MAX_FILE, &len, &err)) == NULL) {
		loc.file = NULL;
		diag_error(diag, &loc, "%s", err.msg);
		return -1;
	}
	if (memchr(text, '\0', len) != NULL) {
		loc.file = strcmp(path, "-") == 0 ? "<stdin>" : path;
		loc.line = 0;
		diag_error(diag, &loc, "binary data (a NUL byte) in YAML");
		free(text);
		return -1;
	}
	rc = yaml_load_string(set, strcmp(path, "-") == 0 ? "<stdin>" : path,
	    text, len, diag);
	free(text);
	return rc;
}

/*
 * Whether a string written plain would be read back by a YAML 1.1 reader
 * as something other than a string (a number, a boolean, null), so that
 * it must be quoted for tools other than ours.
 */
static int
yaml_needs_quotes(const char *s)
{
	static const char *const words[] = {
		"y", "n", "yes", "no", "true", "false", "on", "off",
		"null", "~", ".inf", "-.inf", "+.inf", ".nan",
	};
	static const char *const numeric =
	    "^([-+]?(0b[01_]+|0x[0-9a-fA-F_]+|[0-9][0-9_]*"
	    "(:[0-5]?[0-9])*|([0-9][0-9_]*)?\\.[0-9_]*([eE][-+]?[0-9]+)?|"
	    "[0-9][0-9_]*[eE][-+]?[0-9]+)|<<|=)$";
	static regex_t	re;
	static int	compiled;
	size_t		i;

	if (*s == '\0')
		return 1;
	for (i = 0; i < nitems(words); i++)
		if (strcasecmp(s, words[i]) == 0)
			return 1;
	if (!compiled) {
		if (regcomp(&re, numeric, REG_EXTENDED | REG_NOSUB) != 0)
			return 1;
		compiled = 1;
	}
	return regexec(&re, s, 0, NULL, 0) == 0;
}

static int
yaml_write(void *data, unsigned char *bytes, size_t len)
{
	buf_add(data, bytes, len);
	return 1;
}

static void
yemit(yaml_emitter_t *em, yaml_event_t *ev)
{
	if (!yaml_emitter_emit(em, ev))
		fatalx("yaml emitter: %s", em->problem ? em->problem : "error");
}

static void
yemit_scalar(yaml_emitter_t *em, const char *s, int quoted)
{
	yaml_event_t		ev;
	yaml_scalar_style_t	style = YAML_PLAIN_SCALAR_STYLE;

	if (strchr(s, '\n') != NULL)
		style = YAML_LITERAL_SCALAR_STYLE;
	else if (quoted)
		style = YAML_DOUBLE_QUOTED_SCALAR_STYLE;
	yaml_scalar_event_initialize(&ev, NULL, NULL, (yaml_char_t *)s,
	    (int)strlen(s), 1, 1, style);
	yemit(em, &ev);
}

static void
yemit_value(yaml_emitter_t *em, const json_t *v)
{
	yaml_event_t	 ev;
	const char	*key;
	json_t		*child;
	size_t		 i;
	char		 num[32];

	switch (json_typeof(v)) {
	case JSON_OBJECT:
		yaml_mapping_start_event_initialize(&ev, NULL, NULL, 1,
		    YAML_BLOCK_MAPPING_STYLE);
		yemit(em, &ev);
		json_object_foreach((json_t *)v, key, child) {
			yemit_scalar(em, key, yaml_needs_quotes(key));
			yemit_value(em, child);
		}
		yaml_mapping_end_event_initialize(&ev);
		yemit(em, &ev);
		break;
	case JSON_ARRAY:
		yaml_sequence_start_event_initialize(&ev, NULL, NULL, 1,
		    YAML_BLOCK_SEQUENCE_STYLE);
		yemit(em, &ev);
		json_array_foreach(v, i, child)
			yemit_value(em, child);
		yaml_sequence_end_event_initialize(&ev);
		yemit(em, &ev);
		break;
	case JSON_STRING:
		yemit_scalar(em, json_string_value(v),
		    yaml_needs_quotes(json_string_value(v)));
		break;
	case JSON_INTEGER:
		snprintf(num, sizeof(num), "%" JSON_INTEGER_FORMAT,
		    json_integer_value(v));
		yemit_scalar(em, num, 0);
		break;
	case JSON_REAL:
		snprintf(num, sizeof(num), "%.17g", json_real_value(v));
		yemit_scalar(em, num, 0);
		break;
	case JSON_TRUE:
		yemit_scalar(em, "true", 0);
		break;
	case JSON_FALSE:
		yemit_scalar(em, "false", 0);
		break;
	case JSON_NULL:
		yemit_scalar(em, "~", 0);
		break;
	}
}

/*
 * Append docs to out as a YAML stream: a JSON array is one document per
 * element, anything else one document.  Every document starts with
 * "---", so that the output of several runs can be concatenated.
 */
void
yaml_emit(struct buf *out, const json_t *docs)
{
	yaml_emitter_t	 em;
	yaml_event_t	 ev;
	json_t		*doc;
	size_t		 i, n;

	yaml_emitter_initialize(&em);
	yaml_emitter_set_output(&em, yaml_write, out);
	yaml_emitter_set_unicode(&em, 1);
	yaml_emitter_set_width(&em, -1);
	yaml_emitter_set_indent(&em, 2);
	yaml_stream_start_event_initialize(&ev, YAML_UTF8_ENCODING);
	yemit(&em, &ev);

	n = json_is_array(docs) ? json_array_size(docs) : 1;
	for (i = 0; i < n; i++) {
		doc = json_is_array(docs) ? json_array_get(docs, i) :
		    (json_t *)docs;
		yaml_document_start_event_initialize(&ev, NULL, NULL, NULL, 0);
		yemit(&em, &ev);
		yemit_value(&em, doc);
		yaml_document_end_event_initialize(&ev, 1);
		yemit(&em, &ev);
	}
	yaml_stream_end_event_initialize(&ev);
	yemit(&em, &ev);
	yaml_emitter_delete(&em);
}

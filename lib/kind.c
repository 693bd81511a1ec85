/*
 * Validation and canonical form of objects, driven by the kind tables in
 * kinds_*.c: see kind.h.
 */
#include <ctype.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kind.h"
#include "parse.h"
#include "util.h"
#include "vnbuuid.h"
#include "yaml.h"

#define KIND_NAME_MAX		128
#define KIND_STRING_MAX		1024
#define KIND_TEXT_MAX		(1024 * 1024)
#define KIND_WEIGHT_MAX		1000

static const char *const kind_meta[] = {
	"kind", "scope", "name", "uuid", "created", "updated", NULL
};

const struct kind *
kind_find(const char *name)
{
	size_t	i;

	for (i = 0; kinds[i] != NULL; i++)
		if (strcmp(kinds[i]->name, name) == 0)
			return kinds[i];
	return NULL;
}

/* A kind managed by tool ("secmon", "ipsec"), or any kind if tool is NULL. */
const struct kind *
kind_find_tool(const char *tool, const char *name)
{
	const struct kind	*k;

	if ((k = kind_find(name)) == NULL)
		return NULL;
	if (tool != NULL && strcmp(k->tool, tool) != 0)
		return NULL;
	return k;
}

/* Position in kinds[], which lists referents before their users. */
int
kind_order(const struct kind *k)
{
	int	i;

	for (i = 0; kinds[i] != NULL; i++)
		if (kinds[i] == k)
			return i;
	return i;
}

const struct field *
kind_field(const struct kind *k, const char *name)
{
	const struct field	*f;

	for (f = k->fields; f->name != NULL; f++)
		if (strcmp(f->name, name) == 0)
			return f;
	return NULL;
}

int
kind_is_meta(const char *key)
{
	size_t	i;

	for (i = 0; kind_meta[i] != NULL; i++)
		if (strcmp(kind_meta[i], key) == 0)
			return 1;
	return 0;
}

static size_t
edit_distance(const char *a, const char *b)
{
	size_t	la = strlen(a), lb = strlen(b), i, j, prev, cur, best;
	size_t	row[64];

	if (lb >= nitems(row))
		return 99;
	for (j = 0; j <= lb; j++)
		row[j] = j;
	for (i = 1; i <= la; i++) {
		prev = row[0];
		row[0] = i;
		for (j = 1; j <= lb; j++) {
			cur = row[j];
			best = prev + (tolower((unsigned char)a[i - 1]) !=
			    tolower((unsigned char)b[j - 1]));
			if (row[j] + 1 < best)
				best = row[j] + 1;
			if (row[j - 1] + 1 < best)
				best = row[j - 1] + 1;
			row[j] = best;
			prev = cur;
		}
	}
	return row[lb];
}

/* The field name closest to a misspelt one, or NULL if none is close. */
const char *
kind_suggest(const struct kind *k, const char *typo)
{
	const struct field	*f;
	const char		*best = NULL;
	size_t			 d, bestd = 3;

	for (f = k->fields; f->name != NULL; f++) {
		d = edit_distance(typo, f->name);
		if (d < bestd) {
			bestd = d;
			best = f->name;
		}
	}
	for (d = 0; kind_meta[d] != NULL; d++)
		if (edit_distance(typo, kind_meta[d]) < bestd)
			return kind_meta[d];
	return best;
}

/*
 * The canonical name of an enum value: values[] entries are written
 * "canonical=alias=alias", so that the guide's numeric codes and older
 * spellings are accepted but only one form is stored.
 */
const char *
kind_enum_canonical(const struct field *f, const char *given)
{
	static char	 canon[64];
	const char	*const *v;
	const char	*p, *end;
	size_t		 len;

	for (v = f->values; *v != NULL; v++) {
		for (p = *v; *p != '\0'; p = *end ? end + 1 : end) {
			end = strchr(p, '=');
			if (end == NULL)
				end = p + strlen(p);
			len = end - p;
			if (strlen(given) == len &&
			    strncasecmp(p, given, len) == 0) {
				len = strcspn(*v, "=");
				if (len >= sizeof(canon))
					len = sizeof(canon) - 1;
				memcpy(canon, *v, len);
				canon[len] = '\0';
				return canon;
			}
		}
	}
	return NULL;
}

static void
kind_vmsg(struct kind_ctx *ctx, int warning, const char *field,
    const char *fmt, va_list ap)
{
	struct loc	 loc, *lp = NULL;
	char		 text[1024];
	char		 who[300];
	const json_t	*node = ctx->in;
	const char	*key = field;
	const char	*dot;
	char		 top[64];

	vsnprintf(text, sizeof(text), fmt, ap);
	if (ctx->name != NULL)
		snprintf(who, sizeof(who), "%s '%s'", ctx->kind->name,
		    ctx->name);
	else
		snprintf(who, sizeof(who), "%s", ctx->kind->name);

	/* "rules#2" names item 2 of the list under "rules". */
	if (field != NULL && (dot = strchr(field, '#')) != NULL &&
	    (size_t)(dot - field) < sizeof(top)) {
		memcpy(top, field, dot - field);
		top[dot - field] = '\0';
		node = json_object_get(ctx->in, top);
		key = dot;
	}
	if (ctx->doc != NULL) {
		ydoc_locate(ctx->doc, node != NULL ? node : ctx->in, key, &loc);
		lp = &loc;
	}
	if (field != NULL && warning)
		diag_warn(ctx->diag, lp, "%s: %s: %s", who, field, text);
	else if (field != NULL)
		diag_error(ctx->diag, lp, "%s: %s: %s", who, field, text);
	else if (warning)
		diag_warn(ctx->diag, lp, "%s: %s", who, text);
	else
		diag_error(ctx->diag, lp, "%s: %s", who, text);
}

void
kind_error(struct kind_ctx *ctx, const char *field, const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	kind_vmsg(ctx, 0, field, fmt, ap);
	va_end(ap);
}

void
kind_warn(struct kind_ctx *ctx, const char *field, const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	kind_vmsg(ctx, 1, field, fmt, ap);
	va_end(ap);
}

/*
 * Object names: printable, no slash (they appear in REST paths and file
 * names), no leading or trailing blank.
 */
static int
kind_name_ok(const char *s, struct vnb_error *err)
{
	size_t	len = strlen(s), i;

	if (len == 0 || len > KIND_NAME_MAX) {
		vnb_error_set(err, "must be 1-%d characters", KIND_NAME_MAX);
		return 0;
	}
	if (s[0] == ' ' || s[len - 1] == ' ') {
		vnb_error_set(err, "'%s' starts or ends with a blank", s);
		return 0;
	}
	for (i = 0; i < len; i++) {
		if (!isalnum((unsigned char)s[i]) &&
		    strchr(" _.@+-", s[i]) == NULL) {
			vnb_error_set(err, "'%s': character '%c' is not "
			    "allowed (use letters, digits, blank and _.@+-)",
			    s, s[i]);
			return 0;
		}
	}
	return 1;
}

/* Scalars may be given as strings or as JSON numbers and booleans. */
static const char *
scalar_text(const json_t *v, char *buf, size_t size)
{
	if (json_is_string(v))
		return json_string_value(v);
	if (json_is_integer(v)) {
		snprintf(buf, size, "%" JSON_INTEGER_FORMAT,
		    json_integer_value(v));
		return buf;
	}
	if (json_is_boolean(v))
		return json_is_true(v) ? "true" : "false";
	return NULL;
}

static json_t *
value_string(const struct field *f, const char *s, struct vnb_error *err)
{
	size_t	max = f->max > 0 ? (size_t)f->max :
		    f->type == FT_TEXT ? KIND_TEXT_MAX : KIND_STRING_MAX;
	size_t	i, len = strlen(s);

	if (len > max) {
		vnb_error_set(err, "longer than %zu characters", max);
		return NULL;
	}
	for (i = 0; i < len; i++) {
		if ((unsigned char)s[i] < 0x20 && s[i] != '\t' &&
		    !(f->type == FT_TEXT && (s[i] == '\n' || s[i] == '\r'))) {
			vnb_error_set(err, "control character at offset %zu",
			    i);
			return NULL;
		}
	}
	return json_string(s);
}

static json_t *
value_enum(const struct field *f, const char *s, struct vnb_error *err)
{
	const char	*canon, *const *v;
	struct buf	 b;

	if ((canon = kind_enum_canonical(f, s)) != NULL)
		return json_string(canon);
	buf_init(&b);
	for (v = f->values; *v != NULL; v++)
		buf_printf(&b, "%s%.*s", b.len ? ", " : "",
		    (int)strcspn(*v, "="), *v);
	vnb_error_set(err, "'%s' is not one of %s", s, b.data);
	buf_free(&b);
	return NULL;
}

static json_t *
value_duration(const struct field *f, const char *s, struct vnb_error *err)
{
	char		buf[PARSE_STRLEN], lo[PARSE_STRLEN], hi[PARSE_STRLEN];
	uint64_t	ms;

	if (parse_duration(s, &ms, err) == -1)
		return NULL;
	if (ms < (uint64_t)f->min * 1000 || ms > (uint64_t)f->max * 1000) {
		vnb_error_set(err, "'%s' is out of range %s-%s", s,
		    fmt_duration((uint64_t)f->min * 1000, lo, sizeof(lo)),
		    fmt_duration((uint64_t)f->max * 1000, hi, sizeof(hi)));
		return NULL;
	}
	return json_string(fmt_duration(ms, buf, sizeof(buf)));
}

static json_t *
value_size(const struct field *f, const char *s, struct vnb_error *err)
{
	char		lo[PARSE_STRLEN], hi[PARSE_STRLEN];
	uint64_t	v;

	if (parse_size(s, &v, err) == -1)
		return NULL;
	if (v < (uint64_t)f->min || v > (uint64_t)f->max) {
		vnb_error_set(err, "'%s' is out of range %s-%s bytes", s,
		    fmt_size((uint64_t)f->min, lo, sizeof(lo)),
		    fmt_size((uint64_t)f->max, hi, sizeof(hi)));
		return NULL;
	}
	return json_integer((json_int_t)v);
}

/* One scalar value of field f in canonical form, or NULL and err. */
static json_t *
value_scalar(const struct field *f, const json_t *v, struct vnb_error *err)
{
	char			 tmp[32], out[PARSE_STRLEN];
	const char		*s;
	struct vnb_addr		 addr;
	struct vnb_prefix	 prefix;
	struct vnb_mac		 mac;
	struct vnb_port_range	 range;
	int64_t			 i;
	uint16_t		 port;
	int			 b, proto;

	if ((s = scalar_text(v, tmp, sizeof(tmp))) == NULL) {
		vnb_error_set(err, "expected a single value");
		return NULL;
	}
	switch (f->type) {
	case FT_STRING:
	case FT_TEXT:
		return value_string(f, s, err);
	case FT_INT:
		if (parse_int(s, f->min, f->max, &i, err) == -1)
			return NULL;
		return json_integer(i);
	case FT_BOOL:
		if (parse_bool(s, &b, err) == -1)
			return NULL;
		return json_boolean(b);
	case FT_ENUM:
		return value_enum(f, s, err);
	case FT_ADDR:
		if (parse_addr(s, AF_UNSPEC, &addr, err) == -1)
			return NULL;
		return json_string(fmt_addr(&addr, out, sizeof(out)));
	case FT_PREFIX:
		if (parse_prefix(s, AF_UNSPEC, PARSE_PREFIX_STRICT |
		    PARSE_PREFIX_HOST | (f->flags & F_ANY ? PARSE_PREFIX_ANY : 0),
		    &prefix, err) == -1)
			return NULL;
		return json_string(fmt_prefix(&prefix, out, sizeof(out)));
	case FT_MAC:
		if (parse_mac(s, (f->flags & F_ANY) != 0, &mac, err) == -1)
			return NULL;
		return json_string(fmt_mac(&mac, out, sizeof(out)));
	case FT_PORT:
		if (parse_port(s, &port, err) == -1)
			return NULL;
		return json_integer(port);
	case FT_PORTRANGE:
		if (parse_port_range(s, &range, err) == -1)
			return NULL;
		return json_string(fmt_port_range(&range, out, sizeof(out)));
	case FT_PROTOCOL:
		if (parse_protocol(s, &proto, err) == -1)
			return NULL;
		return json_string(fmt_protocol(proto, out, sizeof(out)));
	case FT_DURATION:
		return value_duration(f, s, err);
	case FT_SIZE:
		return value_size(f, s, err);
	case FT_REF:
		if (!kind_name_ok(s, err))
			return NULL;
		return json_string(s);
	}
	vnb_error_set(err, "unknown field type");
	return NULL;
}

/*
 * A member of a weighted list: {name: N, weight: W}, or "N:W" and plain
 * "N" (weight 1) as shorthands.
 */
static json_t *
value_member(const struct field *f, const json_t *v, struct vnb_error *err)
{
	const json_t	*jn, *jw;
	json_t		*name;
	char		 tmp[32], *copy, *colon;
	const char	*ws = "1";
	int64_t		 w;

	if (json_is_object(v)) {
		jn = json_object_get(v, "name");
		jw = json_object_get(v, "weight");
		if (jn == NULL || json_object_size(v) > (jw ? 2U : 1U)) {
			vnb_error_set(err, "a member has only 'name' and "
			    "'weight'");
			return NULL;
		}
		if ((name = value_scalar(f, jn, err)) == NULL)
			return NULL;
		if (jw != NULL && (ws = scalar_text(jw, tmp,
		    sizeof(tmp))) == NULL) {
			json_decref(name);
			vnb_error_set(err, "weight: expected a number");
			return NULL;
		}
	} else if (json_is_string(v)) {
		copy = xstrdup(json_string_value(v));
		if ((colon = strrchr(copy, ':')) != NULL) {
			*colon = '\0';
			snprintf(tmp, sizeof(tmp), "%.31s", colon + 1);
			ws = tmp;
		}
		jn = json_string(copy);
		free(copy);
		name = value_scalar(f, jn, err);
		json_decref((json_t *)jn);
		if (name == NULL)
			return NULL;
	} else {
		vnb_error_set(err, "expected a member name and weight");
		return NULL;
	}
	if (parse_int(ws, 1, KIND_WEIGHT_MAX, &w, err) == -1) {
		json_decref(name);
		vnb_error_prefix(err, "weight");
		return NULL;
	}
	return json_pack("{s:o,s:I}", "name", name, "weight", (json_int_t)w);
}

static const char *
member_name(const json_t *v)
{
	if (json_is_object(v))
		return json_string_value(json_object_get(v, "name"));
	return json_string_value(v);
}

static json_t *
value_list(struct kind_ctx *ctx, const struct field *f, const json_t *v)
{
	struct vnb_error	 err;
	json_t			*out, *item, *x, *y;
	const json_t		*in;
	char			 where[80];
	size_t			 i, j;
	int			 bad = 0;

	if (json_is_array(v))
		in = v;
	else
		in = NULL;
	out = json_array();
	for (i = 0; i < (in ? json_array_size(in) : 1); i++) {
		x = in ? json_array_get(in, i) : (json_t *)v;
		snprintf(where, sizeof(where), "%s#%zu", f->name, i);
		if (f->flags & F_WEIGHT)
			item = value_member(f, x, &err);
		else
			item = value_scalar(f, x, &err);
		if (item == NULL) {
			kind_error(ctx, in ? where : f->name, "%s", err.msg);
			bad = 1;
			continue;
		}
		json_array_foreach(out, j, y) {
			if (json_equal(y, item) || (f->flags & F_WEIGHT &&
			    strcmp(member_name(y), member_name(item)) == 0)) {
				kind_error(ctx, where, "'%s' is listed twice",
				    member_name(item) ? member_name(item) :
				    json_string_value(item));
				bad = 1;
			}
		}
		json_array_append_new(out, item);
	}
	if (!bad && f->flags & F_REQUIRED && json_array_size(out) == 0) {
		kind_error(ctx, f->name, "must list at least one value");
		bad = 1;
	}
	if (bad) {
		json_decref(out);
		return NULL;
	}
	return out;
}

/* The canonical value of field f given as v; NULL after an error. */
static json_t *
kind_value(struct kind_ctx *ctx, const struct field *f, const json_t *v)
{
	struct vnb_error	 err;
	json_t			*out;

	if (f->flags & F_LIST)
		return value_list(ctx, f, v);
	if ((out = value_scalar(f, v, &err)) == NULL)
		kind_error(ctx, f->name, "%s", err.msg);
	return out;
}

/* A field's default as if given: lists are written "a,b,c". */
static json_t *
kind_default(const struct field *f)
{
	json_t		*arr;
	const char	*p, *end;

	if (!(f->flags & F_LIST))
		return json_string(f->def);
	arr = json_array();
	for (p = f->def; *p != '\0'; p = *end ? end + 1 : end) {
		end = strchr(p, ',');
		if (end == NULL)
			end = p + strlen(p);
		json_array_append_new(arr, json_stringn(p, end - p));
	}
	return arr;
}

static int
kind_check_meta(struct kind_ctx *ctx, json_t *out)
{
	const struct kind	*k = ctx->kind;
	const json_t		*scope, *name, *uuid;
	struct vnb_error	 err;
	int			 ok = 1;

	scope = json_object_get(ctx->in, "scope");
	name = json_object_get(ctx->in, "name");
	uuid = json_object_get(ctx->in, "uuid");

	if (k->flags & K_SCOPED) {
		if (!json_is_string(scope)) {
			kind_error(ctx, "scope", "is required");
			ok = 0;
		} else if (!kind_name_ok(json_string_value(scope), &err)) {
			kind_error(ctx, "scope", "%s", err.msg);
			ok = 0;
		} else
			ctx->scope = json_string_value(scope);
	} else if (scope != NULL && !json_is_null(scope)) {
		kind_error(ctx, "scope", "a %s does not belong to a scope",
		    k->name);
		ok = 0;
	}

	if (name == NULL && k->flags & K_PER_SCOPE && ctx->scope != NULL)
		ctx->name = ctx->scope;
	else if (!json_is_string(name)) {
		kind_error(ctx, "name", "is required");
		ok = 0;
	} else if (!kind_name_ok(json_string_value(name), &err)) {
		kind_error(ctx, "name", "%s", err.msg);
		ok = 0;
	}

	if (uuid != NULL && (!json_is_string(uuid) ||
	    !vnb_uuid_valid(json_string_value(uuid)))) {
		kind_error(ctx, "uuid", "not a UUID");
		ok = 0;
	}
	if (!ok)
		return -1;

	json_object_set_new(out, "kind", json_string(k->name));
	if (ctx->scope != NULL)
		json_object_set_new(out, "scope", json_string(ctx->scope));
	json_object_set_new(out, "name", json_string(ctx->name));
	if (uuid != NULL)
		json_object_set(out, "uuid", (json_t *)uuid);
	return 0;
}

static void
kind_check_unknown(struct kind_ctx *ctx)
{
	const char	*key, *hint;
	json_t		*v;

	json_object_foreach((json_t *)ctx->in, key, v) {
		if (kind_is_meta(key) || kind_field(ctx->kind, key) != NULL)
			continue;
		if ((hint = kind_suggest(ctx->kind, key)) != NULL)
			kind_error(ctx, key, "unknown field (did you mean "
			    "'%s'?)", hint);
		else
			kind_error(ctx, key, "unknown field for a %s",
			    ctx->kind->name);
	}
}

/*
 * Validate in as an object of kind k and return it in canonical form,
 * with defaults filled in, or NULL after adding every problem to diag.
 * Fields the kind generates (a PSK, say) that are not given stay absent;
 * kind_complete() fills them in before the object is stored.  Read-only
 * fields are the tools' to set: export writes them, so a document may
 * hold them, but their values are ignored.
 */
json_t *
kind_validate(const struct kind *k, const json_t *in, const struct ydoc *doc,
    struct diag *diag)
{
	struct kind_ctx		 ctx;
	const struct field	*f;
	const json_t		*v;
	json_t			*out, *val, *dflt;
	int			 before = diag->errors;

	memset(&ctx, 0, sizeof(ctx));
	ctx.kind = k;
	ctx.in = in;
	ctx.doc = doc;
	ctx.diag = diag;
	if (json_is_string(json_object_get(in, "name")))
		ctx.name = json_string_value(json_object_get(in, "name"));

	out = json_object();
	if (kind_check_meta(&ctx, out) == -1) {
		json_decref(out);
		return NULL;
	}
	kind_check_unknown(&ctx);

	for (f = k->fields; f->name != NULL; f++) {
		if (f->flags & F_READONLY)
			continue;
		v = json_object_get(in, f->name);
		if (v == NULL || json_is_null(v)) {
			if (f->def == NULL) {
				if (f->flags & F_REQUIRED &&
				    !(f->flags & F_GENERATED))
					kind_error(&ctx, f->name,
					    "is required");
				continue;
			}
			dflt = kind_default(f);
			val = kind_value(&ctx, f, dflt);
			json_decref(dflt);
		} else
			val = kind_value(&ctx, f, v);
		if (val != NULL)
			json_object_set_new(out, f->name, val);
	}
	if (diag->errors == before && k->check != NULL)
		k->check(&ctx, out);
	if (diag->errors != before) {
		json_decref(out);
		return NULL;
	}
	return out;
}

/* A value as one line of text, for tables: lists joined with commas. */
char *
kind_value_text(const json_t *v)
{
	struct buf	 b;
	json_t		*x;
	size_t		 i;

	buf_init(&b);
	if (v == NULL)
		return buf_release(&b);
	switch (json_typeof(v)) {
	case JSON_STRING:
		buf_puts(&b, json_string_value(v));
		break;
	case JSON_INTEGER:
		buf_printf(&b, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
		break;
	case JSON_TRUE:
		buf_puts(&b, "yes");
		break;
	case JSON_FALSE:
		buf_puts(&b, "no");
		break;
	case JSON_ARRAY:
		json_array_foreach(v, i, x) {
			char	*s;

			if (json_is_object(x))
				s = xasprintf("%s:%" JSON_INTEGER_FORMAT,
				    member_name(x), json_integer_value(
				    json_object_get(x, "weight")));
			else
				s = kind_value_text(x);
			buf_printf(&b, "%s%s", i ? "," : "", s);
			free(s);
		}
		break;
	default:
		break;
	}
	return buf_release(&b);
}

/* A copy of obj without its secret fields. */
json_t *
kind_strip_secrets(const struct kind *k, const json_t *obj)
{
	const struct field	*f;
	json_t			*out = json_copy((json_t *)obj);

	for (f = k->fields; f->name != NULL; f++)
		if (f->flags & F_SECRET)
			json_object_del(out, f->name);
	return out;
}

/* A copy of obj with only its fields, in the kind's order. */
json_t *
kind_fields_only(const struct kind *k, const json_t *obj)
{
	const struct field	*f;
	json_t			*out = json_object(), *v;

	for (f = k->fields; f->name != NULL; f++)
		if ((v = json_object_get(obj, f->name)) != NULL)
			json_object_set(out, f->name, v);
	return out;
}

/* Call fn for every object name that obj refers to. */
int
kind_refs(const struct kind *k, const json_t *obj,
    void (*fn)(const struct field *, const char *, void *), void *arg)
{
	const struct field	*f;
	const json_t		*v, *x;
	size_t			 i;
	int			 n = 0;

	for (f = k->fields; f->name != NULL; f++) {
		if (f->type != FT_REF ||
		    (v = json_object_get(obj, f->name)) == NULL)
			continue;
		if (json_is_array(v)) {
			json_array_foreach(v, i, x) {
				fn(f, member_name(x), arg);
				n++;
			}
		} else {
			fn(f, json_string_value(v), arg);
			n++;
		}
	}
	return n;
}

/*
 * Whether the object as stored matters before an object of kind k is
 * written: for checks against other objects, and to keep the fields the
 * tools set or generated.
 */
int
kind_needs_stored(const struct kind *k)
{
	const struct field	*f;

	if (k->check_refs != NULL || k->generate != NULL)
		return 1;
	for (f = k->fields; f->name != NULL; f++)
		if (f->flags & (F_READONLY | F_GENERATED))
			return 1;
	return 0;
}

/*
 * Run the kind's checks against other objects on obj, canonical and with
 * every reference resolved.  root and doc are where obj came from (NULL
 * doc: the command line), stored is the object as stored (NULL: new).
 */
void
kind_check_refs(const struct kind *k, json_t *obj, const json_t *root,
    const struct ydoc *doc, const json_t *stored,
    const struct kind_lookup *lookup, struct diag *diag)
{
	struct kind_ctx	ctx;

	if (k->check_refs == NULL)
		return;
	memset(&ctx, 0, sizeof(ctx));
	ctx.kind = k;
	ctx.in = root;
	ctx.doc = doc;
	ctx.diag = diag;
	ctx.scope = json_string_value(json_object_get(obj, "scope"));
	ctx.name = json_string_value(json_object_get(obj, "name"));
	ctx.stored = stored;
	ctx.lookup = lookup;
	k->check_refs(&ctx, obj);
}

/* An object that the object being checked may refer to, or NULL. */
const json_t *
kind_lookup(struct kind_ctx *ctx, const char *kind, const char *name)
{
	const struct kind	*k;

	if (ctx->lookup == NULL || name == NULL ||
	    (k = kind_find(kind)) == NULL)
		return NULL;
	return ctx->lookup->get(ctx->lookup->arg, k,
	    k->flags & K_SCOPED ? ctx->scope : NULL, name);
}

/*
 * Make obj ready to store over stored (NULL: a new object): read-only
 * and secret fields it lacks keep their stored values, and generated
 * fields that are neither given nor stored are generated.
 */
int
kind_complete(const struct kind *k, json_t *obj, const json_t *stored,
    struct vnb_error *err)
{
	const struct field	*f;
	json_t			*v;

	for (f = k->fields; f->name != NULL; f++) {
		if (json_object_get(obj, f->name) != NULL)
			continue;
		if (f->flags & (F_READONLY | F_SECRET) && stored != NULL &&
		    (v = json_object_get(stored, f->name)) != NULL) {
			json_object_set(obj, f->name, v);
			continue;
		}
		if (f->flags & F_GENERATED && k->generate != NULL &&
		    k->generate(k, f, obj, err) == -1) {
			vnb_error_prefix(err, "%s '%s': %s", k->name,
			    json_string_value(json_object_get(obj, "name")),
			    f->name);
			return -1;
		}
	}
	return 0;
}

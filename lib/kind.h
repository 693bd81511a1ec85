/*
 * Object kinds.
 *
 * Each kind of object VNB keeps (scope, rule, ike-policy, ...) is
 * described once, by a struct kind and its table of fields.  That one
 * description drives everything else: validation and canonical values,
 * the YAML and JSON forms, the CLI's --field options and table columns,
 * the store's references and integrity checks, and the man page's field
 * lists.  Adding a kind is adding an entry to a kinds_*.c table.
 *
 * In memory an object is a jansson object holding its fields under their
 * names, in canonical form (addresses, prefixes and ranges as strings in
 * the form the parsers print, numbers as integers).  The metadata that
 * every object has, "kind", "scope", "name", "uuid", "created" and
 * "updated", sits beside the fields under those names.
 */
#ifndef VNB_KIND_H
#define VNB_KIND_H

#include <stdint.h>
#include <jansson.h>

#include "diag.h"
#include "error.h"

enum field_type {
	FT_STRING,		/* free text on one line */
	FT_TEXT,		/* free text, several lines (PEM) */
	FT_INT,			/* integer within min-max */
	FT_BOOL,
	FT_ENUM,		/* one of values[] */
	FT_ADDR,		/* IPv4 or IPv6 address */
	FT_PREFIX,		/* CIDR prefix, host bits zero, or "any" */
	FT_MAC,			/* MAC address, or "any" */
	FT_PORT,		/* 1-65535 */
	FT_PORTRANGE,		/* N, N-M or "any" */
	FT_PROTOCOL,		/* name, number or "any" */
	FT_DURATION,		/* canonical "1h30m"; min-max in seconds */
	FT_SIZE,		/* bytes; min-max */
	FT_REF,			/* the name of an object of kind ref */
};

/* Field flags. */
#define F_REQUIRED	0x0001	/* must be given */
#define F_LIST		0x0002	/* a sequence of values */
#define F_SECRET	0x0004	/* never shown without --with-secrets */
#define F_WEIGHT	0x0008	/* F_LIST of FT_REF: members with weights */
#define F_GENERATED	0x0010	/* filled in by the kind when not given */
#define F_COLUMN	0x0020	/* shown as a column by "list" */
#define F_READONLY	0x0040	/* set by the tools; ignored in input */
#define F_ANY		0x0080	/* FT_PREFIX, FT_MAC: "any" is allowed */
#define F_VOLATILE	0x0100	/* F_READONLY status: not in the history */

struct field {
	const char		*name;
	enum field_type		 type;
	unsigned		 flags;
	int64_t			 min;
	int64_t			 max;
	const char		*ref;		/* FT_REF: the kind referred to */
	const char *const	*values;	/* FT_ENUM: canonical names */
	const char		*def;		/* default, in text form */
	const char		*doc;		/* one line for help and man */
};

/* Enum values may have aliases: "name=alias1=alias2". */

/* Kind flags. */
#define K_SCOPED	0x0001	/* lives in a scope; names unique per scope */
#define K_PER_SCOPE	0x0002	/* at most one per scope; name defaults */

struct kind;
struct ydoc;

/*
 * What validation works on: the kind, the object as given (a document
 * from a file, or the fields of a CLI command), where it came from, and
 * where problems go.  Messages name the object and the field.
 */
struct kind_ctx {
	const struct kind	*kind;
	const json_t		*in;
	const struct ydoc	*doc;		/* NULL: not from a file */
	struct diag		*diag;
	const char		*scope;
	const char		*name;
	const json_t		*stored;	/* check_refs: NULL if new */
	const struct kind_lookup *lookup;	/* check_refs only */
};

/*
 * How checks that span objects find the objects they need: those of the
 * batch being applied first, then those of the store.  get returns a
 * borrowed reference, or NULL if there is no such object.
 */
struct kind_lookup {
	const json_t	*(*get)(void *, const struct kind *, const char *,
			    const char *);
	void		*arg;
};

/*
 * Checks that span fields: the object has passed the per-field checks
 * and holds canonical values.  A kind's check_refs runs later, once every
 * reference is known to resolve, and may look the referents up.
 */
typedef void	kind_check_fn(struct kind_ctx *, json_t *);

/* Fill in one F_GENERATED field that is neither given nor stored. */
typedef int	kind_generate_fn(const struct kind *, const struct field *,
		    json_t *, struct vnb_error *);

struct kind {
	const char		*name;		/* "classification" */
	const char		*tool;		/* "secmon" or "ipsec" */
	unsigned		 flags;
	const char		*doc;
	const struct field	*fields;	/* ends with FIELD_END */
	kind_check_fn		*check;
	kind_check_fn		*check_refs;
	kind_generate_fn	*generate;
};

#define FIELD_END	{ .name = NULL }

/* Every kind, referents before the kinds that refer to them. */
extern const struct kind *const	 kinds[];

const struct kind	*kind_find(const char *);
const struct kind	*kind_find_tool(const char *, const char *);
const struct field	*kind_field(const struct kind *, const char *);
int			 kind_is_meta(const char *);
int			 kind_order(const struct kind *);
const char		*kind_enum_canonical(const struct field *,
			    const char *);
const char		*kind_suggest(const struct kind *, const char *);

json_t	*kind_validate(const struct kind *, const json_t *,
	    const struct ydoc *, struct diag *);
void	 kind_error(struct kind_ctx *, const char *, const char *, ...)
	    __attribute__((format(printf, 3, 4)));
void	 kind_warn(struct kind_ctx *, const char *, const char *, ...)
	    __attribute__((format(printf, 3, 4)));
char	*kind_value_text(const json_t *);
json_t	*kind_strip_secrets(const struct kind *, const json_t *);
json_t	*kind_fields_only(const struct kind *, const json_t *);
int	 kind_refs(const struct kind *, const json_t *,
	    void (*)(const struct field *, const char *, void *), void *);

int	 kind_needs_stored(const struct kind *);
void	 kind_check_refs(const struct kind *, json_t *, const json_t *,
	    const struct ydoc *, const json_t *, const struct kind_lookup *,
	    struct diag *);
const json_t *kind_lookup(struct kind_ctx *, const char *, const char *);
int	 kind_complete(const struct kind *, json_t *, const json_t *,
	    struct vnb_error *);

#endif

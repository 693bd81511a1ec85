/*
 * The command line shared by secmonctl and ipsecctl: global options, the
 * verbs every kind has (init, apply, export, list, get, create, set,
 * delete, history, kinds), and room for a tool's own verbs.
 */
#ifndef VNB_CTL_H
#define VNB_CTL_H

#include <jansson.h>

#include "output.h"
#include "store.h"

/* Options a verb takes besides the global ones. */
#define CTL_DRY_RUN	0x0001
#define CTL_PRUNE	0x0002
#define CTL_FILE	0x0004
#define CTL_SCOPE	0x0008
#define CTL_CASCADE	0x0010
#define CTL_SECRETS	0x0020
#define CTL_LIMIT	0x0040
#define CTL_FIELDS	0x0080
#define CTL_UNSET	0x0100
#define CTL_COUNT	0x0200
#define CTL_ENFORCER	0x0400

struct ctl {
	const struct ctl_tool	*tool;
	const struct ctl_verb	*verb;
	const char		*store_path;
	enum output_format	 fmt;
	int			 fmt_given;
	int			 verbose;
	int			 dry_run;
	int			 prune;
	int			 cascade;
	int			 with_secrets;
	int			 count;
	long			 limit;
	const char		*scope;
	char			*scope_found;	/* scope looked up by name */
	const char		*enforcer;
	char			**files;
	size_t			 nfiles;
	char			**args;
	size_t			 nargs;
	json_t			*fields;	/* {"field": "value"} */
	json_t			*unset;		/* ["field"] */
	json_t			*looked_up;	/* objects read for checks */
	struct store		*store;
};

struct ctl_verb {
	const char	*name;
	int		(*fn)(struct ctl *);
	int		 minargs;
	int		 maxargs;
	unsigned	 opts;
	const char	*usage;
};

struct ctl_tool {
	const char		*prog;		/* "secmonctl" */
	const char		*kinds;		/* "secmon" */
	const struct ctl_verb	*verbs;		/* the tool's own, or NULL */
};

int	ctl_main(const struct ctl_tool *, int, char **);
int	ctl_open_store(struct ctl *, int);
const struct kind *ctl_kind(struct ctl *, const char *);

#endif

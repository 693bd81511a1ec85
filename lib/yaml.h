/*
 * YAML documents: loading a multi-document stream into jansson values
 * with the place of every key kept for error messages, and emitting
 * jansson values back as YAML that loads to the same values.
 */
#ifndef VNB_YAML_H
#define VNB_YAML_H

#include <stddef.h>
#include <jansson.h>

#include "diag.h"
#include "util.h"

struct yloc {
	const json_t	*node;		/* a mapping or a sequence */
	char		*key;		/* key, "#N" for item N, NULL: itself */
	int		 line;
	int		 col;
};

struct ydoc {
	json_t		*root;
	const char	*file;		/* owned by the ydoc_set */
	int		 line;		/* where the document starts */
	int		 col;
	struct yloc	*locs;
	size_t		 nlocs;
	size_t		 caplocs;
};

struct ydoc_set {
	/*
	 * Load plain integers and true/false as JSON numbers and booleans:
	 * for documents the tools wrote themselves with yaml_emit(), which
	 * reload to the same values.  Off, every scalar is a string.
	 */
	int		 typed;
	struct ydoc	*docs;
	size_t		 n;
	size_t		 cap;
	char		**files;
	size_t		 nfiles;
};

void	ydoc_set_init(struct ydoc_set *);
void	ydoc_set_free(struct ydoc_set *);
int	yaml_load_file(struct ydoc_set *, const char *, struct diag *);
int	yaml_load_string(struct ydoc_set *, const char *, const char *,
	    size_t, struct diag *);
void	ydoc_locate(const struct ydoc *, const json_t *, const char *,
	    struct loc *);

void	yaml_emit(struct buf *, const json_t *);

#endif

/*
 * Compiling a scope: the monitoring configuration of one scope, checked
 * as a whole and turned into the self-contained document a dataplane
 * runs on (see "THE DATAPLANE DOCUMENT" in vnb.yaml(5)).
 *
 * The document has no references left: each association carries its
 * source, its policy's rules in match order with their classifications,
 * and its collectors.  Descriptions are left out, so that editing one
 * does not make a new generation.
 *
 * A dataplane file is a generation's header (format, scope, generation,
 * hash, time, user, origin) followed by the document.  The hash covers
 * the document alone, as compile_text() prints it.
 */
#ifndef VNB_COMPILE_H
#define VNB_COMPILE_H

#include <stddef.h>
#include <jansson.h>

#include "diag.h"
#include "store.h"

#define COMPILE_FORMAT		1
#define COMPILE_HASHLEN		(7 + 64 + 1)	/* "sha256:" hex NUL */

json_t	*compile_scope(struct store *, const char *, struct diag *);
char	*compile_text(const json_t *);
void	 compile_hash(const char *, char *);
char	*compile_file(const json_t *, size_t *);
int	 compile_file_generation(const char *, long *, char *);

#endif

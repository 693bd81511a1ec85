/*
 * Applying YAML documents to the store, all or nothing: every document is
 * validated and every reference resolved before anything is written, and
 * the writes happen in one transaction.  The CLIs' "apply" and the REST
 * server's bulk endpoint share this code.
 */
#ifndef VNB_APPLY_H
#define VNB_APPLY_H

#include <jansson.h>

#include "diag.h"
#include "store.h"
#include "yaml.h"

#define APPLY_DRY_RUN	0x01	/* roll back instead of committing */
#define APPLY_PRUNE	0x02	/* delete what the documents' scopes lack */

struct apply_result {
	json_t	*changes;	/* [{action, kind, scope, name, diff}] */
	int	 created;
	int	 updated;
	int	 deleted;
	int	 unchanged;
};

int	apply_docs(struct store *, const char *, struct ydoc_set *, int,
	    struct apply_result *, struct diag *);
void	apply_result_free(struct apply_result *);

json_t	*export_docs(struct store *, const char *, const char *, int,
	    struct vnb_error *);
int	 export_compare(const void *, const void *);

#endif

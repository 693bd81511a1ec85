/*
 * The store: every object of every kind, their references, and the
 * history of changes, in one SQLite file.
 *
 * Objects go in and out in the canonical form of kind.h.  References
 * between objects are kept as rows the database checks, so that nothing
 * can point at an object that is gone.  Changes happen inside
 * store_begin() and store_commit(); every change is recorded in the
 * history with the transaction, the time and the user.
 */
#ifndef VNB_STORE_H
#define VNB_STORE_H

#include <jansson.h>

#include "error.h"
#include "kind.h"

#define STORE_CREATE	0x01	/* create the file and schema if missing */

enum store_change {
	STORE_UNCHANGED,
	STORE_CREATED,
	STORE_UPDATED,
	STORE_DELETED,
};

struct store;

const char	*store_default_path(void);
struct store	*store_open(const char *, int, struct vnb_error *);
void		 store_close(struct store *);
void		 store_set_user(struct store *, const char *);
int		 store_schema_version(struct store *);

int	 store_begin(struct store *, struct vnb_error *);
int	 store_commit(struct store *, struct vnb_error *);
void	 store_rollback(struct store *);

json_t	*store_get(struct store *, const struct kind *, const char *,
	    const char *, struct vnb_error *);
json_t	*store_list(struct store *, const struct kind *, const char *,
	    struct vnb_error *);
json_t	*store_scopes_of(struct store *, const struct kind *, const char *,
	    struct vnb_error *);
int	 store_exists(struct store *, const struct kind *, const char *,
	    const char *);
int	 store_put(struct store *, const struct kind *, const json_t *,
	    enum store_change *, json_t **, struct vnb_error *);
int	 store_delete(struct store *, const struct kind *, const char *,
	    const char *, int, json_t *, struct vnb_error *);
json_t	*store_users(struct store *, const struct kind *, const char *,
	    const char *, struct vnb_error *);
json_t	*store_history(struct store *, long, const struct kind *,
	    const char *, struct vnb_error *);

/*
 * Generations: the documents vnb-flush compiled from a scope, numbered
 * from 1 in each scope; the newest is the active one.  A generation is a
 * JSON object {scope, generation, time, user, hash, origin, state,
 * deadline, document}; state is "confirmed", "pending" (until deadline),
 * "expired" (not confirmed in time) or "superseded" (replaced while
 * pending).  Adding a generation or changing its state is a change
 * like any other: it needs store_begin() and is recorded in the history.
 */
json_t	*store_generations(struct store *, const char *, int,
	    struct vnb_error *);
int	 store_generation(struct store *, const char *, long, json_t **,
	    struct vnb_error *);
long	 store_generation_add(struct store *, const char *, const char *,
	    const char *, const char *, const char *, struct vnb_error *);
int	 store_generation_set_state(struct store *, const char *, long,
	    const char *, struct vnb_error *);

#endif

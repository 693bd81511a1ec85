/*
 * The tunnels that the IPsec configuration makes: each bind joins the
 * enforcers of two endpoint groups, of two local sites, or of a local
 * site and a remote site's gateway, every one on one side with every one
 * on the other.
 *
 * A tunnel_set holds the configuration read from the store once; the
 * tunnels themselves are never built all at once, but handed one at a
 * time to a callback, so that counting a mesh of 250,000 tunnels or
 * rendering one host's few costs no more memory than the configuration.
 * ipsecctl lists and counts them; vnb-enforce renders one enforcer's.
 */
#ifndef VNB_TUNNEL_H
#define VNB_TUNNEL_H

#include <jansson.h>

#include "error.h"
#include "store.h"
#include "util.h"

struct tunnel_end {
	const char	*enforcer;	/* NULL: a remote site's gateway */
	const char	*group;		/* its endpoint group, or NULL */
	const char	*site;		/* its local or remote site, or NULL */
	const char	*address;	/* where IKE and ESP go */
	const json_t	*selectors;	/* prefixes whose traffic it carries */
	const char	*id;		/* IKE identity, NULL: the address */
	const char	*certificate;	/* certificate it presents, or NULL */
	const char	*ca;		/* remote: CA of its certificate */
};

struct tunnel {
	const char	*kind;		/* the bind's kind */
	const char	*bind;		/* and name */
	const json_t	*bind_obj;	/* with its PSK and DPD settings */
	const json_t	*ike_policy;
	const json_t	*ipsec_policy;
	const char	*authentication;
	struct tunnel_end left;
	struct tunnel_end right;
};

/* Called for each tunnel; a non-zero return stops the walk with it. */
typedef int	tunnel_fn(const struct tunnel *, void *);

struct tunnel_set;

struct tunnel_set *tunnel_set_load(struct store *, struct vnb_error *);
void		 tunnel_set_free(struct tunnel_set *);
int		 tunnel_set_has_enforcer(const struct tunnel_set *,
		    const char *);
int		 tunnel_walk(const struct tunnel_set *, const char *,
		    tunnel_fn *, void *);
json_t		*tunnel_json(const struct tunnel *);
void		 tunnel_set_dot(const struct tunnel_set *, struct buf *);

#endif

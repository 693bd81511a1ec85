/*
 * The strongSwan configuration of one enforcer, rendered from the tunnels
 * of the IPsec configuration (tunnel.h): ipsec.conf and ipsec.secrets with
 * their ipsec.d credentials, or swanctl.conf with its swanctl
 * credentials.
 *
 * The tunnels to one peer address share one IKE connection, each
 * tunnel a child of it.  Exactly one end of a tunnel between two
 * enforcers initiates it: the one whose name sorts first.  Toward a
 * remote site the enforcer initiates.  Rendering is a pure function of
 * the store: files, children and names come out sorted, so that the same
 * store gives the same bytes on every host and on every run.
 */
#ifndef VNB_ENFORCE_H
#define VNB_ENFORCE_H

#include <sys/types.h>

#include "compile.h"
#include "error.h"
#include "store.h"
#include "tunnel.h"

enum enforce_format {
	ENFORCE_IPSEC,		/* ipsec.conf, ipsec.secrets, ipsec.d */
	ENFORCE_SWANCTL,	/* swanctl.conf, swanctl/ */
};

/*
 * A file to write, its path relative to the root ("etc/ipsec.conf").
 * The path comes first: files are sorted by it.
 */
struct enforce_file {
	char	*path;
	char	*data;
	size_t	 len;
	mode_t	 mode;
	mode_t	 dir_mode;
};

/*
 * A child as the daemon knows it by name, with the hash of everything
 * that defines it (its connection's settings and secret included) and of
 * its connection alone, so that a reload can tell what changed.
 */
struct enforce_child {
	char	*name;
	char	*conn;
	char	 hash[COMPILE_HASHLEN];
	char	 conn_hash[COMPILE_HASHLEN];
	int	 initiator;
	int	 start;		/* this host brings it up at once */
};

struct enforce_conf {
	enum enforce_format	 format;
	struct enforce_file	*files;
	size_t			 nfiles;
	struct enforce_child	*children;
	size_t			 nchildren;
	char			 hash[COMPILE_HASHLEN];	/* of every file */
};

struct enforce_conf *enforce_render(struct store *, const struct tunnel_set *,
		    const char *, enum enforce_format, struct vnb_error *);
void		 enforce_conf_free(struct enforce_conf *);
char		*enforce_name(const char *);

#endif

/*
 * One enforcer's strongSwan configuration: see enforce.h.
 *
 * The walk of the enforcer's tunnels gathers them by peer address into
 * connections; then each connection is rendered, with the format's words,
 * as a block of IKE settings and a block per child.  The blocks' hashes
 * tell a reload which children changed.  Values come from the store,
 * where the kinds have validated them and named the algorithms as
 * strongSwan does; what the files' syntax could not carry (a quote in an
 * identity) or what strongSwan would quietly change (several algorithms
 * of a kind in one IKEv1 proposal) is refused or spelled out here.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "enforce.h"
#include "kind.h"
#include "parse.h"
#include "util.h"
#include "x509.h"

#define ENFORCE_HEADER	"# Written by vnb-enforce for enforcer '%s' from " \
			"the VNB store.\n# Do not edit: the next run puts " \
			"back what the store says.\n"

/*
 * The enforcers of a group or site present one certificate, so one
 * identity: IKE SAs are told apart by address, and an SA from a second
 * host with the same identity must not replace the first's.  A peer that
 * restarted leaves its old SAs to DPD.
 */
#define ENFORCE_SETUP	"\nconfig setup\n\tuniqueids=never\n"

/* Each of these begins with its name, the key it is sorted by. */
struct enf_child {
	char		*name;
	const char	*bind;
	const json_t	*bind_obj;
	const json_t	*ipsec;
	const json_t	*lts;
	const json_t	*rts;
};

/* One IKE connection: every tunnel to one peer address. */
struct enf_peer {
	char			*name;
	const char		*label;		/* enforcer or remote site */
	const char		*laddr;
	const char		*raddr;
	const json_t		*ike;
	const json_t		*bind_obj;	/* the first bind's */
	const char		*auth;
	const char		*lcert;		/* certificate names */
	const char		*rcert;
	const char		*rid;		/* the peer's identity */
	const char		*rca;		/* ca-certificate name */
	int			 initiator;
	int			 v1;
	struct enf_child	*children;
	size_t			 nchildren;
};

struct enf_render {
	struct store		*store;
	const char		*self;
	enum enforce_format	 format;
	struct enf_peer		*peers;
	size_t			 npeers;
	json_t			*objs;		/* certificates read, by name */
	json_t			*paths;		/* files added, by path */
	struct enforce_conf	*conf;
	struct vnb_error	*err;
	int			 failed;
};

static const char *
str(const json_t *obj, const char *field)
{
	return json_string_value(json_object_get(obj, field));
}

/*
 * A name the daemon can take as a connection, child or file name:
 * letters, digits and '-' stay, every other byte becomes '_' and two hex
 * digits.  Two names never give the same result, and "__" never occurs
 * in one, so that it can join two of them.
 */
char *
enforce_name(const char *s)
{
	struct buf	b;

	buf_init(&b);
	buf_add(&b, "", 0);
	for (; *s != '\0'; s++) {
		if (isalnum((unsigned char)*s) || *s == '-')
			buf_add(&b, s, 1);
		else
			buf_printf(&b, "_%02x", (unsigned char)*s);
	}
	return buf_release(&b);
}

static int
render_fail(struct enf_render *r, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static int
render_fail(struct enf_render *r, const char *fmt, ...)
{
	va_list	ap;
	char	msg[VNB_ERROR_MAX];

	if (!r->failed) {
		va_start(ap, fmt);
		vsnprintf(msg, sizeof(msg), fmt, ap);
		va_end(ap);
		vnb_error_set(r->err, "%s", msg);
	}
	r->failed = 1;
	return -1;
}

/* An object of kind, read once; NULL (and the walk failed) if missing. */
static const json_t *
render_obj(struct enf_render *r, const char *kind, const char *name)
{
	struct vnb_error	 err;
	const json_t		*o;
	json_t			*got;
	char			*key;

	if (name == NULL)
		return NULL;
	key = xasprintf("%s\x1f%s", kind, name);
	if ((o = json_object_get(r->objs, key)) == NULL) {
		got = store_get(r->store, kind_find(kind), NULL, name, &err);
		if (got == NULL)
			render_fail(r, "%s", err.msg);
		else
			json_object_set_new(r->objs, key, got);
		o = got;
	}
	free(key);
	return o;
}

/* Text that goes in a file between quotes, or NULL if it cannot. */
static const char *
quotable(struct enf_render *r, const char *what, const char *s)
{
	const char	*p;

	if (s == NULL)
		return NULL;
	for (p = s; *p != '\0'; p++) {
		if (*p == '"' || *p == '\\' || iscntrl((unsigned char)*p)) {
			render_fail(r, "%s '%s': a quote, backslash or "
			    "control character cannot be written in "
			    "strongSwan's files", what, s);
			return NULL;
		}
	}
	return s;
}

static struct enf_peer *
peer_find(struct enf_render *r, const char *addr)
{
	size_t	i;

	for (i = 0; i < r->npeers; i++)
		if (strcmp(r->peers[i].raddr, addr) == 0)
			return &r->peers[i];
	return NULL;
}

static int
same(const char *a, const char *b)
{
	return a == b || (a != NULL && b != NULL && strcmp(a, b) == 0);
}

/* Whether the IKE connection p can also carry the tunnel t. */
static int
peer_fits(const struct enf_peer *p, const struct enf_peer *q)
{
	const char *const	fields[] = { "psk", "dpd-delay",
	    "dpd-timeout", NULL };
	size_t			i;

	if (p->ike != q->ike || !same(p->auth, q->auth) ||
	    !same(p->lcert, q->lcert) || !same(p->rcert, q->rcert) ||
	    !same(p->rid, q->rid) || !same(p->rca, q->rca))
		return 0;
	for (i = 0; fields[i] != NULL; i++)
		if (!same(str(p->bind_obj, fields[i]),
		    str(q->bind_obj, fields[i])))
			return 0;
	return 1;
}

/* The IKE side of tunnel t, as a connection of its own. */
static void
peer_init(struct enf_render *r, struct enf_peer *p, const struct tunnel *t)
{
	const json_t	*cert;

	memset(p, 0, sizeof(*p));
	p->label = t->right.enforcer ? t->right.enforcer : t->right.site;
	p->laddr = t->left.address;
	p->raddr = t->right.address;
	p->ike = t->ike_policy;
	p->bind_obj = t->bind_obj;
	p->auth = t->authentication;
	p->lcert = t->left.certificate;
	p->rcert = t->right.certificate;
	p->v1 = strcmp(str(p->ike, "version"), "v1") == 0;
	p->initiator = t->right.enforcer == NULL ||
	    strcmp(r->self, t->right.enforcer) < 0;
	if (t->right.enforcer == NULL) {
		p->rid = t->right.id ? t->right.id : t->right.address;
		p->rca = t->right.ca;
	} else if (p->rcert != NULL &&
	    (cert = render_obj(r, "certificate", p->rcert)) != NULL) {
		p->rid = str(cert, "subject");
		p->rca = str(cert, "ca");
	} else
		p->rid = t->right.address;
}

static int
render_tunnel(const struct tunnel *t, void *arg)
{
	struct enf_render	*r = arg;
	struct enf_peer		 np, *p;
	struct enf_child	*c;

	peer_init(r, &np, t);
	if (r->failed)
		return -1;
	if ((p = peer_find(r, t->right.address)) == NULL) {
		r->peers = xreallocarray(r->peers, r->npeers + 1,
		    sizeof(*r->peers));
		p = &r->peers[r->npeers++];
		*p = np;
	} else if (!same(p->label, np.label))
		return render_fail(r, "'%s' and '%s' both have address %s: "
		    "one IKE connection cannot reach both", p->label,
		    np.label, p->raddr);
	else if (!peer_fits(p, &np))
		return render_fail(r, "binds '%s' and '%s' both make tunnels "
		    "to '%s' (%s), with different IKE policies, "
		    "authentication, keys or DPD settings: one IKE "
		    "connection cannot have both", str(p->bind_obj, "name"),
		    t->bind, p->label, p->raddr);
	p->children = xreallocarray(p->children, p->nchildren + 1,
	    sizeof(*p->children));
	c = &p->children[p->nchildren++];
	memset(c, 0, sizeof(*c));
	c->bind = t->bind;
	c->bind_obj = t->bind_obj;
	c->ipsec = t->ipsec_policy;
	c->lts = t->left.selectors;
	c->rts = t->right.selectors;
	return 0;
}

/* For qsort() of peers, children and files: by the name they begin with. */
static int
name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Names for every connection and child, in a sorted order. */
static int
render_sort(struct enf_render *r)
{
	struct enf_peer	*p;
	char		*bind;
	size_t		 i, j;

	for (i = 0; i < r->npeers; i++) {
		p = &r->peers[i];
		p->name = enforce_name(p->label);
		for (j = 0; j < p->nchildren; j++) {
			bind = enforce_name(p->children[j].bind);
			p->children[j].name = xasprintf("%s__%s", p->name,
			    bind);
			free(bind);
		}
		if (p->nchildren > 0)
			qsort(p->children, p->nchildren,
			    sizeof(*p->children), name_cmp);
	}
	if (r->npeers > 0)
		qsort(r->peers, r->npeers, sizeof(*r->peers), name_cmp);
	for (i = 1; i < r->npeers; i++)
		if (strcmp(r->peers[i - 1].name, r->peers[i].name) == 0)
			return render_fail(r, "peers '%s' and '%s' have the "
			    "same name", r->peers[i - 1].label,
			    r->peers[i].label);
	return 0;
}

static unsigned long long
seconds(const char *duration)
{
	uint64_t	ms = 0;

	if (duration != NULL)
		parse_duration(duration, &ms, NULL);
	return (unsigned long long)(ms / 1000);
}

/* Each value of list, as "-prefixvalue". */
static void
prop_add(struct buf *b, const json_t *list, const char *prefix)
{
	json_t	*x;
	size_t	 i;

	json_array_foreach(list, i, x)
		buf_printf(b, "-%s%s", prefix, json_string_value(x));
}

static const json_t *
list_or(const json_t *obj, const char *field, json_t *empty)
{
	const json_t	*v = json_object_get(obj, field);

	return json_is_array(v) && json_array_size(v) > 0 ? v : empty;
}

/*
 * Proposals: in IKEv2 one, with every algorithm of each kind; IKEv1 takes
 * one of each kind per proposal, so there every combination is one.
 * Either list may be empty; a NULL list is the one "none" value.
 */
static char *
proposals(int v1, const json_t *enc, const json_t *integ, const json_t *prf,
    const json_t *dh)
{
	struct buf	 b;
	json_t		*none = json_pack("[s]", "");
	size_t		 i, j, k;
	const char	*e, *g, *d;
	char		*s;

	buf_init(&b);
	if (!v1) {
		prop_add(&b, enc, "");
		prop_add(&b, integ, "");
		prop_add(&b, prf, "prf");
		prop_add(&b, dh, "");
		json_decref(none);
		s = xstrdup(b.len ? b.data + 1 : "");
		buf_free(&b);
		return s;
	}
	if (json_array_size(enc) == 0)
		enc = none;
	if (json_array_size(integ) == 0)
		integ = none;
	if (json_array_size(dh) == 0)
		dh = none;
	for (i = 0; i < json_array_size(enc); i++)
		for (j = 0; j < json_array_size(integ); j++)
			for (k = 0; k < json_array_size(dh); k++) {
				e = json_string_value(json_array_get(enc, i));
				g = json_string_value(json_array_get(integ,
				    j));
				d = json_string_value(json_array_get(dh, k));
				buf_printf(&b, "%s%s%s%s%s%s", b.len ? "," : "",
				    e, *e && *g ? "-" : "", g,
				    (*e || *g) && *d ? "-" : "", d);
			}
	json_decref(none);
	return buf_release(&b);
}

static char *
ike_proposals(const struct enf_peer *p)
{
	json_t	*empty = json_array();
	char	*s;

	s = proposals(p->v1, list_or(p->ike, "encryption", empty),
	    list_or(p->ike, "integrity", empty),
	    list_or(p->ike, "prf", empty), list_or(p->ike, "dh-group", empty));
	json_decref(empty);
	return s;
}

/* The ESP or AH proposals of a child; *ah tells which. */
static char *
child_proposals(const struct enf_peer *p, const struct enf_child *c,
    int *ah)
{
	json_t		*empty = json_array(), *pfs;
	const char	*g = str(c->ipsec, "pfs");
	char		*s;

	*ah = strcmp(str(c->ipsec, "transform-protocol"), "ah") == 0;
	pfs = g == NULL || strcmp(g, "none") == 0 ? json_array() :
	    json_pack("[s]", g);
	s = proposals(p->v1, *ah ? empty : list_or(c->ipsec, "encryption",
	    empty), list_or(c->ipsec, "integrity", empty), empty, pfs);
	json_decref(pfs);
	json_decref(empty);
	return s;
}

static void
ts_list(struct buf *b, const json_t *list)
{
	json_t	*x;
	size_t	 i;

	json_array_foreach(list, i, x)
		buf_printf(b, "%s%s", i ? "," : "", json_string_value(x));
}

/* A PSK as strongSwan reads it: text is given as hex, so never quoted. */
static char *
psk_value(const char *psk)
{
	struct buf	b;

	if (strncmp(psk, "0x", 2) == 0 || strncmp(psk, "0s", 2) == 0)
		return xstrdup(psk);
	buf_init(&b);
	buf_puts(&b, "0x");
	for (; *psk != '\0'; psk++)
		buf_printf(&b, "%02x", (unsigned char)*psk);
	return buf_release(&b);
}

static const char *
start_action(const struct enf_peer *p, const struct enf_child *c)
{
	const char	*a = str(c->bind_obj, "start-action");

	if (!p->initiator || a == NULL)
		return "none";
	return a;
}

/*
 * The responder never restarts a tunnel it lost: the initiator does, and
 * both doing so would make duplicate SAs.
 */
static const char *
dpd_action(const struct enf_peer *p, const struct enf_child *c)
{
	const char	*a = str(c->bind_obj, "dpd-action");

	if (a == NULL)
		return "clear";
	if (!p->initiator && strcmp(a, "restart") == 0)
		return "clear";
	return a;
}

static void
add_file(struct enf_render *r, const char *path, const char *data,
    size_t len, mode_t mode, mode_t dir_mode)
{
	struct enforce_conf	*conf = r->conf;
	struct enforce_file	*f;

	if (json_object_get(r->paths, path) != NULL)
		return;
	json_object_set_new(r->paths, path, json_true());
	conf->files = xreallocarray(conf->files, conf->nfiles + 1,
	    sizeof(*conf->files));
	f = &conf->files[conf->nfiles++];
	f->path = xstrdup(path);
	f->data = xmalloc(len + 1);
	memcpy(f->data, data, len);
	f->data[len] = '\0';
	f->len = len;
	f->mode = mode;
	f->dir_mode = dir_mode;
}

static void
add_child(struct enf_render *r, const struct enf_peer *p,
    const struct enf_child *c, const char *conn_hash, const char *text)
{
	struct enforce_conf	*conf = r->conf;
	struct enforce_child	*ec;
	char			*all;

	conf->children = xreallocarray(conf->children, conf->nchildren + 1,
	    sizeof(*conf->children));
	ec = &conf->children[conf->nchildren++];
	ec->name = xstrdup(c->name);
	ec->conn = xstrdup(p->name);
	strlcpy(ec->conn_hash, conn_hash, sizeof(ec->conn_hash));
	all = xasprintf("%s\n%s", conn_hash, text);
	compile_hash(all, ec->hash);
	free(all);
	ec->initiator = p->initiator;
	ec->start = strcmp(start_action(p, c), "start") == 0;
}

/* The directories of each format, under the root. */
struct enf_dirs {
	const char	*certs;
	const char	*private;
	const char	*cacerts;
};

static const struct enf_dirs enf_dirs[] = {
	[ENFORCE_IPSEC] = { "etc/ipsec.d/certs", "etc/ipsec.d/private",
	    "etc/ipsec.d/cacerts" },
	[ENFORCE_SWANCTL] = { "etc/swanctl/x509", "etc/swanctl/private",
	    "etc/swanctl/x509ca" },
};

/* Write a credential as NAME.pem in dir; returns the file's name. */
static char *
add_pem(struct enf_render *r, const char *dir, const char *name,
    const char *pem, mode_t mode, mode_t dir_mode)
{
	char	*base, *file, *path;

	base = enforce_name(name);
	file = xasprintf("%s.pem", base);
	path = xasprintf("%s/%s", dir, file);
	add_file(r, path, pem, strlen(pem), mode, dir_mode);
	free(path);
	free(base);
	return file;
}

static const char *
ca_subject(struct enf_render *r, const char *ca)
{
	const json_t	*o = render_obj(r, "ca-certificate", ca);
	const char	*pem = str(o, "certificate");
	char		*file;

	if (o == NULL)
		return NULL;
	file = add_pem(r, enf_dirs[r->format].cacerts, ca, pem, 0644, 0755);
	free(file);
	return quotable(r, "CA subject", str(o, "subject"));
}

/*
 * The enforcer's own certificate and key; *keytype is what ipsec.secrets
 * calls the key.  Returns the certificate's file name, or NULL.
 */
static char *
own_cert(struct enf_render *r, const char *name, const char **subject,
    const char **keytype)
{
	struct vnb_error	 err;
	const json_t		*o = render_obj(r, "certificate", name);
	const char		*key = str(o, "private-key");
	EVP_PKEY		*pkey;
	char			*file;

	if (o == NULL)
		return NULL;
	if (key == NULL) {
		render_fail(r, "certificate '%s' has no private key", name);
		return NULL;
	}
	if ((pkey = x509_parse_key(key, &err)) == NULL) {
		render_fail(r, "certificate '%s': %s", name, err.msg);
		return NULL;
	}
	switch (EVP_PKEY_base_id(pkey)) {
	case EVP_PKEY_RSA:
		*keytype = "RSA";
		break;
	case EVP_PKEY_EC:
		*keytype = "ECDSA";
		break;
	default:
		*keytype = NULL;
		break;
	}
	EVP_PKEY_free(pkey);
	if (*keytype == NULL && r->format == ENFORCE_IPSEC) {
		render_fail(r, "certificate '%s': ipsec.secrets takes RSA and "
		    "ECDSA keys only (use --format swanctl)", name);
		return NULL;
	}
	if ((*subject = quotable(r, "certificate subject",
	    str(o, "subject"))) == NULL)
		return NULL;
	file = add_pem(r, enf_dirs[r->format].private, name, key, 0600,
	    0700);
	free(file);
	return add_pem(r, enf_dirs[r->format].certs, name,
	    str(o, "certificate"), 0644, 0755);
}

/* What authenticates a connection, in both formats' terms. */
struct enf_auth {
	char		*cert;		/* our certificate's file, or NULL */
	const char	*subject;	/* and its subject */
	const char	*keytype;
	const char	*rid;
	const char	*rca;		/* subject of the peer's CA */
	char		*rca_file;
};

static int
peer_auth(struct enf_render *r, const struct enf_peer *p,
    struct enf_auth *a)
{
	memset(a, 0, sizeof(*a));
	if ((a->rid = quotable(r, "peer identity", p->rid)) == NULL)
		return -1;
	if (strcmp(p->auth, "certificate") != 0)
		return 0;
	if (p->lcert == NULL)
		return render_fail(r, "certificate authentication toward "
		    "'%s' needs a certificate for this enforcer", p->label);
	if ((a->cert = own_cert(r, p->lcert, &a->subject,
	    &a->keytype)) == NULL)
		return -1;
	if (p->rca != NULL) {
		if ((a->rca = ca_subject(r, p->rca)) == NULL)
			return -1;
		a->rca_file = enforce_name(p->rca);
	}
	return 0;
}

static void
peer_auth_free(struct enf_auth *a)
{
	free(a->cert);
	free(a->rca_file);
}

/* A value for ipsec.conf: quoted if it holds a blank or a comma. */
static void
conf_value(struct buf *b, const char *key, const char *v)
{
	if (strpbrk(v, " ,=#") != NULL)
		buf_printf(b, "\t%s=\"%s\"\n", key, v);
	else
		buf_printf(b, "\t%s=%s\n", key, v);
}

static void
ipsec_peer(struct enf_render *r, const struct enf_peer *p,
    const struct enf_auth *a, struct buf *b)
{
	char	*ike = ike_proposals(p);

	buf_printf(b, "\tkeyexchange=%s\n", p->v1 ? "ikev1" : "ikev2");
	if (p->v1 && strcmp(str(p->ike, "mode"), "aggressive") == 0)
		buf_puts(b, "\taggressive=yes\n");
	buf_printf(b, "\tleft=%s\n", p->laddr);
	buf_printf(b, "\tright=%s\n", p->raddr);
	buf_printf(b, "\tike=%s!\n", ike);
	buf_printf(b, "\tikelifetime=%llus\n", seconds(str(p->ike,
	    "lifetime")));
	if (a->cert != NULL) {
		buf_puts(b, "\tleftauth=pubkey\n\trightauth=pubkey\n");
		buf_printf(b, "\tleftcert=%s\n", a->cert);
		conf_value(b, "leftid", a->subject);
		if (a->rca != NULL)
			conf_value(b, "rightca", a->rca);
	} else {
		buf_puts(b, "\tleftauth=psk\n\trightauth=psk\n");
		buf_printf(b, "\tleftid=%s\n", p->laddr);
	}
	conf_value(b, "rightid", a->rid);
	buf_printf(b, "\tdpddelay=%llus\n", seconds(str(p->bind_obj,
	    "dpd-delay")));
	if (p->v1)
		buf_printf(b, "\tdpdtimeout=%llus\n", seconds(str(p->bind_obj,
		    "dpd-timeout")));
	free(ike);
}

/* An ID in ipsec.secrets: quoted when it holds a blank. */
static void
secrets_id(struct buf *b, const char *id)
{
	buf_printf(b, strchr(id, ' ') ? "\"%s\" " : "%s ", id);
}

static void
ipsec_secret(struct enf_render *r, const struct enf_peer *p,
    const struct enf_auth *a, struct buf *b)
{
	char	*psk, *key;

	if (a->cert != NULL) {
		/* One line for each key, however many peers it serves. */
		key = xasprintf("secret\x1f%s", a->cert);
		if (json_object_get(r->paths, key) == NULL)
			buf_printf(b, ": %s %s\n", a->keytype, a->cert);
		json_object_set_new(r->paths, key, json_true());
		free(key);
		return;
	}
	psk = psk_value(str(p->bind_obj, "psk"));
	secrets_id(b, p->laddr);
	secrets_id(b, a->rid);
	buf_printf(b, ": PSK %s\n", psk);
	free(psk);
}

static void
swanctl_peer(const struct enf_peer *p, const struct enf_auth *a,
    struct buf *b)
{
	char	*ike = ike_proposals(p);

	buf_printf(b, "\t\tversion = %d\n", p->v1 ? 1 : 2);
	if (p->v1 && strcmp(str(p->ike, "mode"), "aggressive") == 0)
		buf_puts(b, "\t\taggressive = yes\n");
	buf_printf(b, "\t\tlocal_addrs = %s\n", p->laddr);
	buf_printf(b, "\t\tremote_addrs = %s\n", p->raddr);
	buf_puts(b, "\t\tunique = never\n");
	buf_printf(b, "\t\tproposals = %s\n", ike);
	buf_printf(b, "\t\t%s = %llus\n", p->v1 ? "reauth_time" :
	    "rekey_time", seconds(str(p->ike, "lifetime")));
	buf_printf(b, "\t\tdpd_delay = %llus\n", seconds(str(p->bind_obj,
	    "dpd-delay")));
	if (p->v1)
		buf_printf(b, "\t\tdpd_timeout = %llus\n",
		    seconds(str(p->bind_obj, "dpd-timeout")));
	buf_puts(b, "\t\tlocal {\n");
	if (a->cert != NULL) {
		buf_puts(b, "\t\t\tauth = pubkey\n");
		buf_printf(b, "\t\t\tcerts = %s\n", a->cert);
		buf_printf(b, "\t\t\tid = \"%s\"\n", a->subject);
	} else {
		buf_puts(b, "\t\t\tauth = psk\n");
		buf_printf(b, "\t\t\tid = %s\n", p->laddr);
	}
	buf_puts(b, "\t\t}\n\t\tremote {\n");
	buf_printf(b, "\t\t\tauth = %s\n", a->cert ? "pubkey" : "psk");
	buf_printf(b, "\t\t\tid = \"%s\"\n", a->rid);
	if (a->rca_file != NULL)
		buf_printf(b, "\t\t\tcacerts = %s.pem\n", a->rca_file);
	buf_puts(b, "\t\t}\n");
	free(ike);
}

/* A child's settings as each format words them. */
struct enf_words {
	const char	*indent;
	const char	*equals;
	const char	*lts;
	const char	*rts;
	const char	*mode;
	const char	*esp;
	const char	*ah;
	const char	*strict;	/* after a proposal: no defaults */
	const char	*lifetime;
	const char	*bytes;
	const char	*dpd;
	const char	*start;
};

static const struct enf_words enf_words[] = {
	[ENFORCE_IPSEC] = { "\t", "=", "leftsubnet", "rightsubnet", "type",
	    "esp", "ah", "!", "lifetime", "lifebytes", "dpdaction", "auto" },
	[ENFORCE_SWANCTL] = { "\t\t\t\t", " = ", "local_ts", "remote_ts",
	    "mode", "esp_proposals", "ah_proposals", "", "rekey_time",
	    "rekey_bytes", "dpd_action", "start_action" },
};

static void
child_key(struct buf *b, const struct enf_words *w, const char *key)
{
	buf_printf(b, "%s%s%s", w->indent, key, w->equals);
}

/* The VNB start and DPD actions in the format's words. */
static const char *
action_word(enum enforce_format format, const char *action)
{
	if (format == ENFORCE_IPSEC && strcmp(action, "trap") == 0)
		return "route";
	if (format == ENFORCE_IPSEC && strcmp(action, "none") == 0)
		return "add";
	if (format == ENFORCE_SWANCTL && strcmp(action, "hold") == 0)
		return "trap";
	return action;
}

static void
render_child(const struct enf_render *r, const struct enf_peer *p,
    const struct enf_child *c, struct buf *b)
{
	const struct enf_words	*w = &enf_words[r->format];
	char			*esp;
	json_int_t		 bytes;
	int			 ah;

	esp = child_proposals(p, c, &ah);
	if (r->format == ENFORCE_SWANCTL)
		buf_printf(b, "\t\t\t%s {\n", c->name);
	child_key(b, w, w->lts);
	ts_list(b, c->lts);
	buf_puts(b, "\n");
	child_key(b, w, w->rts);
	ts_list(b, c->rts);
	buf_puts(b, "\n");
	child_key(b, w, w->mode);
	buf_printf(b, "%s\n", str(c->ipsec, "encapsulation-mode"));
	child_key(b, w, ah ? w->ah : w->esp);
	buf_printf(b, "%s%s\n", esp, w->strict);
	child_key(b, w, w->lifetime);
	buf_printf(b, "%llus\n", seconds(str(c->ipsec, "lifetime")));
	if ((bytes = json_integer_value(json_object_get(c->ipsec,
	    "lifetime-bytes"))) > 0) {
		child_key(b, w, w->bytes);
		buf_printf(b, "%" JSON_INTEGER_FORMAT "\n", bytes);
	}
	child_key(b, w, w->dpd);
	buf_printf(b, "%s\n", action_word(r->format, dpd_action(p, c)));
	child_key(b, w, w->start);
	buf_printf(b, "%s\n", action_word(r->format, start_action(p, c)));
	if (r->format == ENFORCE_SWANCTL)
		buf_puts(b, "\t\t\t}\n");
	free(esp);
}

static void
swanctl_secret(const struct enf_peer *p, const struct enf_auth *a,
    struct buf *b)
{
	char	*psk;

	if (a->cert != NULL)
		return;
	psk = psk_value(str(p->bind_obj, "psk"));
	buf_printf(b, "\tike-%s {\n", p->name);
	buf_printf(b, "\t\tid-1 = %s\n", p->laddr);
	buf_printf(b, "\t\tid-2 = \"%s\"\n", a->rid);
	buf_printf(b, "\t\tsecret = %s\n", psk);
	buf_puts(b, "\t}\n");
	free(psk);
}

/* What strongSwan would refuse, or change without saying so. */
static int
peer_check(struct enf_render *r, const struct enf_peer *p)
{
	size_t	i;

	for (i = 0; i < p->nchildren; i++) {
		if (strcmp(str(p->children[i].ipsec, "transform-protocol"),
		    "ah-esp") == 0)
			return render_fail(r, "bind '%s': strongSwan does not "
			    "negotiate AH and ESP together (ah-esp)",
			    p->children[i].bind);
		if (p->v1 && (json_array_size(p->children[i].lts) > 1 ||
		    json_array_size(p->children[i].rts) > 1))
			return render_fail(r, "bind '%s': IKEv1 negotiates "
			    "one subnet on each side of a child, and the "
			    "tunnel to '%s' has more", p->children[i].bind,
			    p->label);
	}
	return 0;
}

/* One connection into the files' buffers, its children into the conf. */
static int
render_peer(struct enf_render *r, const struct enf_peer *p,
    struct buf *conf, struct buf *secrets)
{
	struct enf_auth	 a;
	struct buf	 pb, cb, sb;
	char		 conn_hash[COMPILE_HASHLEN], *all;
	size_t		 i;

	if (peer_check(r, p) == -1 || peer_auth(r, p, &a) == -1)
		return -1;
	buf_init(&pb);
	buf_init(&sb);
	buf_add(&sb, "", 0);
	if (r->format == ENFORCE_IPSEC) {
		ipsec_peer(r, p, &a, &pb);
		ipsec_secret(r, p, &a, &sb);
	} else {
		swanctl_peer(p, &a, &pb);
		swanctl_secret(p, &a, &sb);
	}
	all = xasprintf("%s\n%s", pb.data, sb.data);
	compile_hash(all, conn_hash);
	free(all);

	if (r->format == ENFORCE_SWANCTL)
		buf_printf(conf, "\t%s {\n%s\t\tchildren {\n", p->name,
		    pb.data);
	for (i = 0; i < p->nchildren; i++) {
		buf_init(&cb);
		render_child(r, p, &p->children[i], &cb);
		if (r->format == ENFORCE_IPSEC)
			buf_printf(conf, "\nconn %s\n%s%s", p->children[i].name,
			    pb.data, cb.data);
		else
			buf_puts(conf, cb.data);
		add_child(r, p, &p->children[i], conn_hash, cb.data);
		buf_free(&cb);
	}
	if (r->format == ENFORCE_SWANCTL)
		buf_puts(conf, "\t\t}\n\t}\n");
	buf_puts(secrets, sb.data);
	buf_free(&pb);
	buf_free(&sb);
	peer_auth_free(&a);
	return 0;
}

/* The hash of the configuration: of every file's path, mode and bytes. */
static void
render_hash(struct enforce_conf *conf)
{
	struct buf	b;
	size_t		i;

	buf_init(&b);
	buf_add(&b, "", 0);
	for (i = 0; i < conf->nfiles; i++) {
		buf_printf(&b, "%s %o %zu\n", conf->files[i].path,
		    (unsigned)conf->files[i].mode, conf->files[i].len);
		buf_add(&b, conf->files[i].data, conf->files[i].len);
	}
	buf_add(&b, "", 1);
	compile_hash(b.data, conf->hash);
	buf_free(&b);
}

static int
render_files(struct enf_render *r)
{
	struct buf	conf, secrets;
	size_t		i;
	int		rc = 0;

	buf_init(&conf);
	buf_init(&secrets);
	buf_add(&secrets, "", 0);
	buf_printf(&conf, ENFORCE_HEADER, r->self);
	if (r->format == ENFORCE_IPSEC) {
		buf_puts(&conf, ENFORCE_SETUP);
		buf_printf(&secrets, ENFORCE_HEADER, r->self);
	} else
		buf_puts(&conf, "\nconnections {\n");
	for (i = 0; i < r->npeers && rc == 0; i++)
		rc = render_peer(r, &r->peers[i], &conf, &secrets);
	if (rc == 0 && r->format == ENFORCE_IPSEC) {
		add_file(r, "etc/ipsec.conf", conf.data, conf.len, 0644, 0755);
		add_file(r, "etc/ipsec.secrets", secrets.data, secrets.len,
		    0600, 0755);
	} else if (rc == 0) {
		buf_printf(&conf, "}\n\nsecrets {\n%s}\n", secrets.data);
		add_file(r, "etc/swanctl/swanctl.conf", conf.data, conf.len,
		    0600, 0755);
	}
	buf_free(&conf);
	buf_free(&secrets);
	return rc;
}

static void
render_free(struct enf_render *r)
{
	size_t	i, j;

	for (i = 0; i < r->npeers; i++) {
		for (j = 0; j < r->peers[i].nchildren; j++)
			free(r->peers[i].children[j].name);
		free(r->peers[i].children);
		free(r->peers[i].name);
	}
	free(r->peers);
	json_decref(r->objs);
	json_decref(r->paths);
}

/*
 * The configuration of enforcer self, from the tunnels of ts; NULL, with
 * err set, if any of it cannot be rendered: nothing is half rendered.
 */
struct enforce_conf *
enforce_render(struct store *s, const struct tunnel_set *ts, const char *self,
    enum enforce_format format, struct vnb_error *err)
{
	struct enf_render	r;
	struct enforce_conf	*conf;

	memset(&r, 0, sizeof(r));
	r.store = s;
	r.self = self;
	r.format = format;
	r.objs = json_object();
	r.paths = json_object();
	r.err = err;
	r.conf = conf = xcalloc(1, sizeof(*conf));
	conf->format = format;

	if (tunnel_walk(ts, self, render_tunnel, &r) != 0 && !r.failed)
		render_fail(&r, "no enforcer '%s'", self);
	if (!r.failed && render_sort(&r) == 0)
		render_files(&r);
	render_free(&r);
	if (r.failed) {
		enforce_conf_free(conf);
		return NULL;
	}
	if (conf->nfiles > 0)
		qsort(conf->files, conf->nfiles, sizeof(*conf->files),
		    name_cmp);
	render_hash(conf);
	return conf;
}

void
enforce_conf_free(struct enforce_conf *conf)
{
	size_t	i;

	if (conf == NULL)
		return;
	for (i = 0; i < conf->nfiles; i++) {
		free(conf->files[i].path);
		free(conf->files[i].data);
	}
	for (i = 0; i < conf->nchildren; i++) {
		free(conf->children[i].name);
		free(conf->children[i].conn);
	}
	free(conf->files);
	free(conf->children);
	free(conf);
}

/*
 * vnb-enforce: turn the central IPsec configuration into strongSwan's
 * files on one host, and optionally into its running daemon.
 *
 * It runs from cron on every host: each run registers the host as an
 * enforcer (its group, site and tunnel address), renders its tunnels
 * (enforce.h), and writes only the files whose bytes changed, each
 * atomically.  It says nothing when nothing changed, and its exit status
 * tells cron which it was.  A state file remembers what the last run
 * wrote, so that files no longer needed are removed and a reload knows
 * which tunnels changed.
 */
#include "config.h"

#include <sys/file.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <ifaddrs.h>
#include <libgen.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "enforce.h"
#include "file.h"
#include "kind.h"
#include "log.h"
#include "parse.h"
#include "store.h"
#include "util.h"

#define EXIT_USAGE	2
#define EXIT_CHANGED	3
#define STATE_MAX	(16 * 1024 * 1024)
#define CMD_ARGS_MAX	32
#define HEAL_WAIT_MS	3000	/* then the daemon goes on alone */
#define DOWN_WAIT_S	"5"	/* a dead peer answers no DELETE */
#define DOWN_WAIT_MS	5000

struct enforce {
	const char		*store_path;
	const char		*name;
	const char		*group;
	const char		*site;
	const char		*ifname;
	const char		*address;
	char			 addrbuf[INET6_ADDRSTRLEN];
	const char		*root;		/* "" for / */
	enum enforce_format	 format;
	int			 reload;
	int			 check;
	int			 dry_run;
	struct store		*store;
	struct enforce_conf	*conf;
	json_t			*state;		/* what the last run wrote */
	int			 lockfd;
};

static void	usage(int) __attribute__((noreturn));

static void
usage(int status)
{
	fprintf(status == 0 ? stdout : stderr,
	    "usage: vnb-enforce [-hVv] [--store PATH|URL] --name HOST "
	    "--group G [--localsite L]\n"
	    "                   {--interface IF | --address A} [--root DIR] "
	    "[--format ipsec|swanctl]\n"
	    "                   [--reload | --check | --dry-run]\n");
	exit(status);
}

static char *
root_path(const struct enforce *e, const char *rel)
{
	return xasprintf("%s/%s", e->root, rel[0] == '/' ? rel + 1 : rel);
}

/*
 * The address of the tunnel interface: its first IPv4 address, or else
 * its first IPv6 address that is not link-local.
 */
static int
interface_address(struct enforce *e)
{
	struct ifaddrs		*ifa, *i;
	const struct sockaddr_in6 *sin6;
	const void		*best = NULL;
	int			 family = 0;

	if (getifaddrs(&ifa) == -1) {
		log_warn("cannot list the interfaces");
		return -1;
	}
	for (i = ifa; i != NULL; i = i->ifa_next) {
		if (i->ifa_addr == NULL || strcmp(i->ifa_name, e->ifname) != 0)
			continue;
		if (i->ifa_addr->sa_family == AF_INET) {
			best = &((struct sockaddr_in *)i->ifa_addr)->sin_addr;
			family = AF_INET;
			break;
		}
		sin6 = (const struct sockaddr_in6 *)i->ifa_addr;
		if (i->ifa_addr->sa_family == AF_INET6 && best == NULL &&
		    !IN6_IS_ADDR_LINKLOCAL(&sin6->sin6_addr)) {
			best = &sin6->sin6_addr;
			family = AF_INET6;
		}
	}
	if (best != NULL)
		inet_ntop(family, best, e->addrbuf, sizeof(e->addrbuf));
	freeifaddrs(ifa);
	if (best == NULL) {
		log_warnx("interface '%s' has no usable address (give "
		    "--address)", e->ifname);
		return -1;
	}
	e->address = e->addrbuf;
	return 0;
}

/*
 * One run at a time: a second one, from a cron job that outlived its
 * interval, goes away at once.
 */
static int
lock_take(struct enforce *e)
{
	struct vnb_error	 err;
	char			*dir, *path;
	int			 rc = -1;

	dir = root_path(e, VNB_RUNDIR);
	path = xasprintf("%s/enforce.lock", dir);
	if (file_mkdirs(dir, 0755, &err) == -1)
		log_warnx("%s", err.msg);
	else if ((e->lockfd = open(path, O_RDWR | O_CREAT | O_CLOEXEC,
	    0644)) == -1)
		log_warn("cannot open lock '%s'", path);
	else if (flock(e->lockfd, LOCK_EX | LOCK_NB) == -1)
		log_warnx("lock '%s': %s", path, errno == EWOULDBLOCK ?
		    "another run holds it" : strerror(errno));
	else
		rc = 0;
	free(path);
	free(dir);
	return rc;
}

static char *
state_path(const struct enforce *e)
{
	char	*dir, *path;

	dir = root_path(e, VNB_STATEDIR);
	path = xasprintf("%s/enforce.json", dir);
	free(dir);
	return path;
}

/* The last run's state; none (an empty one) on the first run. */
static int
state_read(struct enforce *e)
{
	struct vnb_error	 err;
	json_error_t		 jerr;
	char			*path = state_path(e), *text;
	int			 rc = 0;

	if (access(path, F_OK) == -1)
		e->state = json_pack("{s:[],s:{}}", "files", "children");
	else if ((text = file_read(path, STATE_MAX, NULL, &err)) == NULL) {
		log_warnx("%s", err.msg);
		rc = -1;
	} else {
		if ((e->state = json_loads(text, 0, &jerr)) == NULL ||
		    !json_is_array(json_object_get(e->state, "files")) ||
		    !json_is_object(json_object_get(e->state, "children"))) {
			log_warnx("%s: not a state file of vnb-enforce "
			    "(remove it to start afresh)", path);
			rc = -1;
		}
		free(text);
	}
	free(path);
	return rc;
}

static json_t *
state_new(const struct enforce *e)
{
	const struct enforce_conf	*c = e->conf;
	json_t				*files, *children;
	size_t				 i;

	files = json_array();
	for (i = 0; i < c->nfiles; i++)
		json_array_append_new(files, json_string(c->files[i].path));
	children = json_object();
	for (i = 0; i < c->nchildren; i++)
		json_object_set_new(children, c->children[i].name,
		    json_pack("{s:s,s:s,s:s,s:b,s:b}", "conn",
		    c->children[i].conn, "hash", c->children[i].hash,
		    "conn-hash", c->children[i].conn_hash, "initiator",
		    c->children[i].initiator, "start", c->children[i].start));
	return json_pack("{s:s,s:s,s:o,s:o}", "format",
	    c->format == ENFORCE_IPSEC ? "ipsec" : "swanctl", "hash", c->hash,
	    "files", files, "children", children);
}

static int
state_write(struct enforce *e, json_t *state)
{
	struct vnb_error	 err;
	char			*path = state_path(e), *dir, *text;
	int			 rc;

	dir = xstrdup(path);
	text = json_dumps(state, JSON_INDENT(1) | JSON_SORT_KEYS);
	if ((rc = file_mkdirs(dirname(dir), 0755, &err)) == 0)
		rc = file_replace(path, text, strlen(text), 0600, &err);
	if (rc == -1)
		log_warnx("%s", err.msg);
	free(text);
	free(dir);
	free(path);
	return rc;
}

/*
 * Create or refresh this host's enforcer, keeping what the host does not
 * say (its description, its last hash).  The store checks that the group
 * and the site exist.
 */
static int
enforcer_register(struct enforce *e, const char *hash)
{
	const struct kind	*k = kind_find("enforcer");
	struct vnb_error	 err;
	struct diag		 d;
	enum store_change	 change;
	struct timespec		 now;
	json_t			*stored, *in, *obj = NULL;
	char			 seen[40];
	int			 rc = -1;

	stored = store_get(e->store, k, NULL, e->name, NULL);
	in = json_pack("{s:s,s:s,s:s}", "name", e->name, "endpoint-group",
	    e->group, "tunnel-address", e->address);
	if (e->site != NULL)
		json_object_set_new(in, "local-site", json_string(e->site));
	if (stored != NULL && json_object_get(stored, "description"))
		json_object_set(in, "description",
		    json_object_get(stored, "description"));
	diag_init(&d);
	if ((obj = kind_validate(k, in, NULL, &d)) == NULL) {
		diag_print(&d, stderr);
		log_warnx("enforcer '%s' not registered", e->name);
		goto out;
	}
	if (kind_complete(k, obj, stored, &err) == -1)
		goto fail;
	clock_gettime(CLOCK_REALTIME, &now);
	json_object_set_new(obj, "last-seen", json_string(fmt_time(&now,
	    seen, sizeof(seen))));
	if (hash != NULL)
		json_object_set_new(obj, "config-hash", json_string(hash));
	if (store_put(e->store, k, obj, &change, NULL, &err) == -1)
		goto fail;
	rc = 0;
	goto out;
 fail:
	log_warnx("%s", err.msg);
 out:
	diag_free(&d);
	json_decref(in);
	json_decref(obj);
	json_decref(stored);
	return rc;
}

/* Register, and render what the store now says this host must run. */
static int
enforce_fetch(struct enforce *e)
{
	struct vnb_error	 err;
	struct tunnel_set	*ts;

	if ((e->store = store_open(e->store_path, 0, &err)) == NULL) {
		log_warnx("%s", err.msg);
		return -1;
	}
	if (store_begin(e->store, &err) == -1) {
		log_warnx("%s", err.msg);
		return -1;
	}
	if (enforcer_register(e, NULL) == -1)
		return -1;
	if ((ts = tunnel_set_load(e->store, &err)) == NULL) {
		log_warnx("%s", err.msg);
		return -1;
	}
	e->conf = enforce_render(e->store, ts, e->name, e->format, &err);
	tunnel_set_free(ts);
	if (e->conf == NULL) {
		log_warnx("enforcer '%s': %s; nothing written", e->name,
		    err.msg);
		return -1;
	}
	return 0;
}

static int
conf_has_file(const struct enforce_conf *c, const char *path)
{
	size_t	i;

	for (i = 0; i < c->nfiles; i++)
		if (strcmp(c->files[i].path, path) == 0)
			return 1;
	return 0;
}

/*
 * The files the last run wrote that this one does not.  Only paths that
 * a run writes count, so that an edited state file cannot aim elsewhere.
 */
static json_t *
stale_files(const struct enforce *e)
{
	static const char *const ours[] = { "etc/ipsec.conf",
	    "etc/ipsec.secrets", "etc/ipsec.d/", "etc/swanctl/", NULL };
	const char	*p;
	json_t		*stale = json_array(), *x;
	size_t		 i, j, len;

	json_array_foreach(json_object_get(e->state, "files"), i, x) {
		if ((p = json_string_value(x)) == NULL ||
		    conf_has_file(e->conf, p) || strstr(p, "..") != NULL)
			continue;
		for (j = 0; ours[j] != NULL; j++) {
			len = strlen(ours[j]);
			if (ours[j][len - 1] == '/' ?
			    strncmp(p, ours[j], len) == 0 :
			    strcmp(p, ours[j]) == 0)
				break;
		}
		if (ours[j] != NULL)
			json_array_append(stale, x);
	}
	return stale;
}

/* Whether the files on disk differ from the rendered ones (--check). */
static int
enforce_differs(struct enforce *e, int verbose)
{
	const struct enforce_file	*f;
	struct stat			 st;
	json_t				*stale, *x;
	char				*path;
	size_t				 i;
	int				 n = 0;

	for (i = 0; i < e->conf->nfiles; i++) {
		f = &e->conf->files[i];
		path = root_path(e, f->path);
		if (!file_same(path, f->data, f->len) ||
		    stat(path, &st) == -1 || (st.st_mode & 07777) != f->mode) {
			if (verbose)
				printf("differs: %s\n", path);
			n++;
		}
		free(path);
	}
	stale = stale_files(e);
	json_array_foreach(stale, i, x) {
		path = root_path(e, json_string_value(x));
		if (access(path, F_OK) == 0) {
			if (verbose)
				printf("not needed: %s\n", path);
			n++;
		}
		free(path);
	}
	json_decref(stale);
	return n;
}

static int
file_install(struct enforce *e, const struct enforce_file *f, int *changed)
{
	struct vnb_error	 err;
	struct stat		 st;
	char			*path, *dir, *parent;
	int			 rc = -1;

	path = root_path(e, f->path);
	dir = xstrdup(path);
	dirname(dir);
	parent = xstrdup(dir);
	dirname(parent);
	if (file_mkdirs(parent, 0755, &err) == -1)
		goto fail;
	if (mkdir(dir, f->dir_mode) == -1 && errno != EEXIST) {
		vnb_error_set(&err, "cannot create directory '%s': %s", dir,
		    strerror(errno));
		goto fail;
	}
	/* A directory of keys made by someone else is closed too. */
	if (f->dir_mode == 0700 && stat(dir, &st) == 0 &&
	    (st.st_mode & 07777) != f->dir_mode &&
	    chmod(dir, f->dir_mode) == -1) {
		vnb_error_set(&err, "cannot chmod '%s': %s", dir,
		    strerror(errno));
		goto fail;
	}
	if (file_same(path, f->data, f->len) && stat(path, &st) == 0 &&
	    (st.st_mode & 07777) == f->mode) {
		rc = 0;
		goto out;
	}
	if (file_replace(path, f->data, f->len, f->mode, &err) == -1)
		goto fail;
	printf("wrote %s\n", path);
	*changed = 1;
	rc = 0;
	goto out;
 fail:
	log_warnx("%s", err.msg);
 out:
	free(parent);
	free(dir);
	free(path);
	return rc;
}

/* Write what changed, and remove what the last run wrote but is gone. */
static int
enforce_write(struct enforce *e, int *changed)
{
	json_t	*stale, *x;
	char	*path;
	size_t	 i;
	int	 rc = 0;

	for (i = 0; i < e->conf->nfiles; i++)
		if (file_install(e, &e->conf->files[i], changed) == -1)
			return -1;
	stale = stale_files(e);
	json_array_foreach(stale, i, x) {
		path = root_path(e, json_string_value(x));
		if (unlink(path) == 0) {
			printf("removed %s\n", path);
			*changed = 1;
		} else if (errno != ENOENT) {
			log_warn("cannot remove '%s'", path);
			rc = -1;
		}
		free(path);
		if (rc == -1)
			break;
	}
	json_decref(stale);
	return rc;
}

static void
enforce_print(const struct enforce *e)
{
	const struct enforce_file	*f;
	char				*path;
	size_t				 i;

	for (i = 0; i < e->conf->nfiles; i++) {
		f = &e->conf->files[i];
		path = root_path(e, f->path);
		printf("==> %s (mode %04o) <==\n", path, (unsigned)f->mode);
		fwrite(f->data, 1, f->len, stdout);
		if (f->len > 0 && f->data[f->len - 1] != '\n')
			putchar('\n');
		free(path);
	}
}

/* What a control command printed, from the start of its file. */
static char *
control_output(int fd)
{
	struct buf	b;
	char		chunk[4096];
	ssize_t		len;

	buf_init(&b);
	buf_add(&b, "", 0);
	lseek(fd, 0, SEEK_SET);
	while ((len = read(fd, chunk, sizeof(chunk))) > 0)
		buf_add(&b, chunk, len);
	return buf_release(&b);
}

/*
 * Wait for a control command; after timeout_ms (0: never) leave the
 * daemon to finish what it was asked without us, which is not a failure.
 */
static int
control_wait(pid_t pid, int timeout_ms, int *status)
{
	const struct timespec	tick = { 0, 50 * 1000 * 1000 };
	pid_t			r;
	int			waited = 0;

	if (timeout_ms == 0)
		return waitpid(pid, status, 0) == pid ? 0 : -1;
	while ((r = waitpid(pid, status, WNOHANG)) == 0 &&
	    waited < timeout_ms) {
		nanosleep(&tick, NULL);
		waited += 50;
	}
	if (r != 0)
		return r == pid ? 0 : -1;
	kill(-pid, SIGTERM);
	waitpid(pid, status, 0);
	*status = 0;
	return 0;
}

/*
 * Run the daemon's control command: the words of the environment
 * variable env (default def), then args.  Its output goes to ours only
 * when it fails, or with -v; with outp, it is returned there too.
 */
static int
run_control(const char *env, const char *def, const char *const *args,
    int quiet_fail, int timeout_ms, char **outp)
{
	const char	*cmd = getenv(env);
	char		*words, *w, *save, *argv[CMD_ARGS_MAX], *text;
	size_t		 n = 0, i;
	pid_t		 pid;
	int		 status, fd, rc = -1;

	words = xstrdup(cmd != NULL && *cmd != '\0' ? cmd : def);
	for (w = strtok_r(words, " \t", &save); w != NULL &&
	    n < CMD_ARGS_MAX - 1; w = strtok_r(NULL, " \t", &save))
		argv[n++] = w;
	for (; *args != NULL && n < CMD_ARGS_MAX - 1; args++)
		argv[n++] = (char *)*args;
	argv[n] = NULL;
	/* The command's output, in memory: no file to name or remove. */
	if ((fd = memfd_create("vnb-enforce", 0)) == -1) {
		log_warn("memfd_create");
		free(words);
		return -1;
	}
	fflush(NULL);
	if ((pid = fork()) == 0) {
		setpgid(0, 0);
		dup2(fd, STDOUT_FILENO);
		dup2(fd, STDERR_FILENO);
		execvp(argv[0], argv);
		fprintf(stderr, "cannot run '%s': %s\n", argv[0],
		    strerror(errno));
		_exit(127);
	}
	if (pid != -1 && control_wait(pid, timeout_ms, &status) == 0 &&
	    WIFEXITED(status) && WEXITSTATUS(status) == 0)
		rc = 0;
	text = control_output(fd);
	if ((rc == -1 && !quiet_fail) || log_getverbose() > 0) {
		if (rc == -1) {
			fprintf(stderr, "%s: control command failed:",
			    log_procname());
			for (i = 0; i < n; i++)
				fprintf(stderr, " %s", argv[i]);
			fputc('\n', stderr);
		}
		fputs(text, stderr);
	}
	if (outp != NULL)
		*outp = text;
	else
		free(text);
	close(fd);
	free(words);
	return rc;
}

static int
run_ipsec(const char *a, const char *b, int quiet_fail, int timeout_ms)
{
	const char *const	args[] = { a, b, NULL };

	return run_control("VNB_IPSEC", "ipsec", args, quiet_fail,
	    timeout_ms, NULL);
}

static int
run_swanctl(const char *const *args, int quiet_fail)
{
	return run_control("VNB_SWANCTL", "swanctl", args, quiet_fail, 0,
	    NULL);
}

/* Take down a child, or with ike the IKE SAs it belonged to. */
static void
reload_down(const struct enforce *e, const char *child, const char *conn,
    int ike)
{
	const char	*args[8];
	char		*spec;

	if (e->format == ENFORCE_IPSEC) {
		/* Children of one peer share the IKE SA of the first. */
		spec = xasprintf("%s%s", child, ike ? "[*]" : "{*}");
		run_ipsec("down", spec, 1, DOWN_WAIT_MS);
		free(spec);
		return;
	}
	args[0] = "--terminate";
	args[1] = ike ? "--ike" : "--child";
	args[2] = ike ? conn : child;
	args[3] = "--timeout";
	args[4] = DOWN_WAIT_S;
	args[5] = NULL;
	run_swanctl(args, 1);
}

static const char *
child_str(const json_t *child, const char *field)
{
	return json_string_value(json_object_get(child, field));
}

static int
child_same(const json_t *oc, const json_t *nc)
{
	return nc != NULL && strcmp(child_str(oc, "hash"),
	    child_str(nc, "hash")) == 0;
}

/*
 * The connections whose IKE SAs go down with their changed children:
 * those whose own settings changed or that went.  With ipsec.conf also
 * those left with no unchanged child: starter then replaces the whole
 * connection, and the old IKE SA would refuse the new child.
 */
static json_t *
reload_conns(const struct enforce *e, const json_t *old, const json_t *now)
{
	json_t		*down = json_object(), *keep = json_object();
	json_t		*oc, *nc, *v;
	const char	*name, *conn;

	json_object_foreach((json_t *)old, name, oc) {
		nc = json_object_get(now, name);
		conn = child_str(oc, "conn");
		if (child_same(oc, nc))
			json_object_set_new(keep, conn, json_true());
		else if (nc == NULL || strcmp(child_str(oc, "conn-hash"),
		    child_str(nc, "conn-hash")) != 0)
			json_object_set_new(down, conn, json_true());
		else if (e->format == ENFORCE_IPSEC)
			json_object_set_new(down, conn, json_false());
	}
	json_object_foreach(down, name, v)
		if (json_is_false(v) && json_object_get(keep, name) == NULL)
			json_object_set_new(down, name, json_true());
	json_decref(keep);
	return down;
}

/*
 * Take down the children that changed or went since the daemon last
 * took a configuration, and IKE SAs as reload_conns() says; then load the
 * new configuration, which starts the new and changed tunnels this host
 * initiates.  Unchanged children are not touched, so their SAs and SPIs
 * stay.
 */
static int
enforce_reload(struct enforce *e, json_t *new, json_t *touched)
{
	const char *const	 load[] = { "--load-all", NULL };
	json_t			*old, *now, *oc, *nc, *down;
	const char		*name;

	old = json_object_get(json_object_get(e->state, "loaded"),
	    "children");
	now = json_object_get(new, "children");
	down = reload_conns(e, old, now);
	json_object_foreach(old, name, oc) {
		nc = json_object_get(now, name);
		if (child_same(oc, nc))
			continue;
		printf("reload: %s %s\n", nc ? "changed" : "removed", name);
		json_object_set_new(touched, name, json_true());
		reload_down(e, name, child_str(oc, "conn"), 0);
		if (json_is_true(json_object_get(down, child_str(oc, "conn"))))
			reload_down(e, name, child_str(oc, "conn"), 1);
	}
	json_decref(down);
	json_object_foreach(now, name, nc) {
		if (json_object_get(old, name) != NULL)
			continue;
		printf("reload: added %s\n", name);
		json_object_set_new(touched, name, json_true());
	}

	if (e->format == ENFORCE_IPSEC)
		return run_ipsec("rereadall", NULL, 0, 0) == -1 ||
		    run_ipsec("update", NULL, 0, 0) == -1 ? -1 : 0;
	return run_swanctl(load, 0);
}

/*
 * Whether the daemon's list of SAs (swanctl --list-sas, ipsec status)
 * has child name, in any state, or an IKE SA of conn on its way up.
 */
static int
sa_listed(const struct enforce *e, const char *list, const char *name,
    const char *conn)
{
	const char	*line, *p;
	size_t		 n = strlen(name), m = strlen(conn);

	for (line = list; *line != '\0'; line = p + (*p == '\n')) {
		p = line + strcspn(line, "\n");
		if (e->format == ENFORCE_SWANCTL) {
			if (strncmp(line, "  ", 2) == 0 &&
			    strncmp(line + 2, name, n) == 0 &&
			    line[2 + n] == ':')
				return 1;
			if (strncmp(line, conn, m) == 0 &&
			    strncmp(line + m, ": #", 3) == 0 &&
			    memmem(line, p - line, "CONNECTING", 10) != NULL)
				return 1;
			continue;
		}
		line += strspn(line, " ");
		if (strncmp(line, name, n) == 0 && (line[n] == '{' ||
		    (line[n] == '[' && memmem(line, p - line, "CONNECTING",
		    10) != NULL)))
			return 1;
	}
	return 0;
}

/*
 * Bring up the tunnels this host starts that the daemon does not have,
 * leaving out those this run just loaded: an initiator that ran before
 * its peer had loaded its side failed once, and does not try again by
 * itself.  Returns how many it started, or -1 if the daemon cannot say
 * what it has.
 */
static int
enforce_heal(struct enforce *e, const json_t *new, const json_t *touched)
{
	const char *const	 list_sas[] = { "--list-sas", NULL };
	const char *const	 status[] = { "status", NULL };
	const char		*args[8], *name;
	json_t			*c;
	char			*list = NULL;
	int			 n = 0, rc;

	json_object_foreach(json_object_get(new, "children"), name, c) {
		if (!json_is_true(json_object_get(c, "start")) ||
		    json_object_get(touched, name) != NULL)
			continue;
		if (list == NULL && (e->format == ENFORCE_SWANCTL ?
		    run_control("VNB_SWANCTL", "swanctl", list_sas, 0, 0,
		    &list) : run_control("VNB_IPSEC", "ipsec", status, 0, 0,
		    &list)) == -1) {
			n = -1;
			break;
		}
		if (sa_listed(e, list, name, child_str(c, "conn")))
			continue;
		printf("reload: started %s\n", name);
		n++;
		if (e->format == ENFORCE_SWANCTL) {
			args[0] = "--initiate";
			args[1] = "--child";
			args[2] = name;
			args[3] = NULL;
			rc = run_control("VNB_SWANCTL", "swanctl", args, 0,
			    HEAL_WAIT_MS, NULL);
		} else {
			args[0] = "up";
			args[1] = name;
			args[2] = NULL;
			rc = run_control("VNB_IPSEC", "ipsec", args, 0,
			    HEAL_WAIT_MS, NULL);
		}
		if (rc == -1)
			log_warnx("'%s' did not come up", name);
	}
	free(list);
	return n;
}

/*
 * The new state: what this run wrote, and what the daemon runs, which
 * is what it wrote if it reloaded, or else what the daemon had before.
 */
static json_t *
state_next(struct enforce *e, int *reload)
{
	json_t	*new = state_new(e), *loaded;

	loaded = json_object_get(e->state, "loaded");
	*reload = e->reload && !json_equal(json_object_get(loaded, "hash"),
	    json_object_get(new, "hash"));
	if (loaded != NULL)
		json_object_set(new, "loaded", loaded);
	return new;
}

/* The run that writes: files, state, the store's record, the daemon. */
static int
enforce_apply(struct enforce *e)
{
	struct vnb_error	 err;
	json_t			*new, *touched;
	int			 changed = 0, reload, healed = 0, rc = -1;

	if (enforce_write(e, &changed) == -1)
		return -1;
	touched = json_object();
	new = state_next(e, &reload);
	if (!json_equal(new, e->state) && state_write(e, new) == -1)
		goto out;
	err.msg[0] = '\0';
	if (enforcer_register(e, e->conf->hash) == -1 ||
	    store_commit(e->store, &err) == -1) {
		if (err.msg[0] != '\0')
			log_warnx("%s", err.msg);
		goto out;
	}
	if (reload) {
		if (enforce_reload(e, new, touched) == -1) {
			log_warnx("the files are written, but the daemon did "
			    "not take them: run again with --reload");
			goto out;
		}
		json_object_set_new(new, "loaded", json_pack("{s:O,s:O}",
		    "hash", json_object_get(new, "hash"), "children",
		    json_object_get(new, "children")));
		if (state_write(e, new) == -1)
			goto out;
		changed = 1;
	}
	if (e->reload && (healed = enforce_heal(e, new, touched)) == -1)
		goto out;
	rc = changed || healed > 0 ? EXIT_CHANGED : 0;
 out:
	json_decref(touched);
	json_decref(new);
	return rc;
}

static int
enforce_run(struct enforce *e)
{
	int	rc;

	if (!e->dry_run && !e->check && lock_take(e) == -1)
		return 1;
	if (state_read(e) == -1 || enforce_fetch(e) == -1)
		return 1;
	if (e->dry_run || e->check) {
		/* The registration is not kept: nothing is written. */
		store_rollback(e->store);
		if (e->dry_run)
			enforce_print(e);
		return enforce_differs(e, e->check) ? EXIT_CHANGED : 0;
	}
	if ((rc = enforce_apply(e)) == -1) {
		store_rollback(e->store);
		return 1;
	}
	return rc;
}

static int
parse_format(const char *s, enum enforce_format *fmt)
{
	if (strcmp(s, "ipsec") == 0)
		*fmt = ENFORCE_IPSEC;
	else if (strcmp(s, "swanctl") == 0)
		*fmt = ENFORCE_SWANCTL;
	else
		return -1;
	return 0;
}

static void
check_usage(struct enforce *e)
{
	if (e->name == NULL || e->group == NULL) {
		log_warnx("--name and --group are required");
		usage(EXIT_USAGE);
	}
	if (e->ifname == NULL && e->address == NULL) {
		log_warnx("give --interface or --address");
		usage(EXIT_USAGE);
	}
	if (e->check + e->dry_run + e->reload > 1) {
		log_warnx("give only one of --reload, --check and --dry-run");
		usage(EXIT_USAGE);
	}
	if (e->root[0] != '\0' && e->root[0] != '/') {
		log_warnx("--root: '%s' is not an absolute path", e->root);
		usage(EXIT_USAGE);
	}
}

int
main(int argc, char *argv[])
{
	enum {
		OPT_STORE = 256, OPT_NAME, OPT_GROUP, OPT_SITE, OPT_IF,
		OPT_ADDR, OPT_ROOT, OPT_FORMAT, OPT_RELOAD, OPT_CHECK,
		OPT_DRY_RUN,
	};
	static const struct option longopts[] = {
		{ "help",	no_argument,		NULL, 'h' },
		{ "version",	no_argument,		NULL, 'V' },
		{ "verbose",	no_argument,		NULL, 'v' },
		{ "store",	required_argument,	NULL, OPT_STORE },
		{ "name",	required_argument,	NULL, OPT_NAME },
		{ "group",	required_argument,	NULL, OPT_GROUP },
		{ "localsite",	required_argument,	NULL, OPT_SITE },
		{ "interface",	required_argument,	NULL, OPT_IF },
		{ "address",	required_argument,	NULL, OPT_ADDR },
		{ "root",	required_argument,	NULL, OPT_ROOT },
		{ "format",	required_argument,	NULL, OPT_FORMAT },
		{ "reload",	no_argument,		NULL, OPT_RELOAD },
		{ "check",	no_argument,		NULL, OPT_CHECK },
		{ "dry-run",	no_argument,		NULL, OPT_DRY_RUN },
		{ NULL,		0,			NULL, 0 }
	};
	struct enforce	 e;
	char		*root, *dir;
	int		 ch, verbose = 0, rc;

	memset(&e, 0, sizeof(e));
	e.root = "";
	e.format = ENFORCE_IPSEC;
	e.lockfd = -1;
	log_init("vnb-enforce", 1, 0);
	while ((ch = getopt_long(argc, argv, "hVv", longopts, NULL)) != -1) {
		switch (ch) {
		case 'h':
			usage(0);
			break;
		case 'V':
			printf("vnb-enforce (vnb) %s\n", PACKAGE_VERSION);
			return 0;
		case 'v':
			verbose++;
			break;
		case OPT_STORE:
			e.store_path = optarg;
			break;
		case OPT_NAME:
			e.name = optarg;
			break;
		case OPT_GROUP:
			e.group = optarg;
			break;
		case OPT_SITE:
			e.site = optarg;
			break;
		case OPT_IF:
			e.ifname = optarg;
			break;
		case OPT_ADDR:
			e.address = optarg;
			break;
		case OPT_ROOT:
			e.root = optarg;
			break;
		case OPT_FORMAT:
			if (parse_format(optarg, &e.format) == -1) {
				log_warnx("unknown format '%s' (ipsec or "
				    "swanctl)", optarg);
				usage(EXIT_USAGE);
			}
			break;
		case OPT_RELOAD:
			e.reload = 1;
			break;
		case OPT_CHECK:
			e.check = 1;
			break;
		case OPT_DRY_RUN:
			e.dry_run = 1;
			break;
		default:
			usage(EXIT_USAGE);
		}
	}
	if (optind != argc)
		usage(EXIT_USAGE);
	log_setverbose(verbose);
	check_usage(&e);

	/* "/" and "/x/" are "" and "/x": paths add their own slash. */
	root = xstrdup(e.root);
	while (root[0] != '\0' && root[strlen(root) - 1] == '/')
		root[strlen(root) - 1] = '\0';
	e.root = root;
	if (e.store_path == NULL)
		e.store_path = store_default_path();
	if (e.format == ENFORCE_SWANCTL) {
		/* swanctl reads its credentials from beside the file. */
		dir = root_path(&e, "etc/swanctl");
		setenv("SWANCTL_DIR", dir, 1);
		free(dir);
	}
	if (e.address == NULL && interface_address(&e) == -1)
		rc = 1;
	else
		rc = enforce_run(&e);
	store_close(e.store);
	enforce_conf_free(e.conf);
	json_decref(e.state);
	free(root);
	return rc;
}

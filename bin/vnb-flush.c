/*
 * vnb-flush: make a scope's monitoring configuration active.
 *
 * Changes made with secmonctl are staged in the store; a dataplane sees
 * them only when the scope is flushed.  A flush checks the scope as a
 * whole, compiles it into one document (compile.h), records that as the
 * scope's next generation, replaces the dataplane file and sends SIGHUP to
 * the scope's dataplanes.  Older generations can be made active again,
 * and a flush can be made conditional: unless it is confirmed in time, a
 * timer process brings the previous generation back.
 */
#include "config.h"

#include <sys/stat.h>
#include <sys/wait.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <glob.h>
#include <libgen.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "compile.h"
#include "file.h"
#include "log.h"
#include "output.h"
#include "parse.h"
#include "store.h"
#include "util.h"

#define EXIT_USAGE		2
#define CONFIRM_MAX_S		86400
#define DOCUMENT_MODE		0644

enum mode {
	MODE_FLUSH,
	MODE_DIFF,
	MODE_LIST,
	MODE_ROLLBACK,
	MODE_CONFIRMED,
	MODE_FETCH,
};

struct flush {
	enum mode		 mode;
	char			*store_path;
	char			*output;	/* the dataplane file */
	char			*rundir;
	char			**pidfiles;	/* given with --pidfile */
	size_t			 npidfiles;
	uint64_t		 confirm_ms;	/* 0: no confirmation asked */
	enum output_format	 fmt;
	const char		*scope;
	long			 rollback_to;
	struct store		*store;
};

static void	usage(int) __attribute__((noreturn));

static void
usage(int status)
{
	fprintf(status == 0 ? stdout : stderr,
	    "usage: vnb-flush [-hVv] [--store PATH|URL] [-o FILE] "
	    "[--run-dir DIR]\n"
	    "                 [--pidfile FILE]... [--confirm SECONDS] SCOPE\n"
	    "       vnb-flush [options] --diff SCOPE\n"
	    "       vnb-flush [options] --list [--format table|yaml|json] "
	    "[SCOPE]\n"
	    "       vnb-flush [options] --rollback [--confirm SECONDS] "
	    "SCOPE GENERATION\n"
	    "       vnb-flush [options] --confirmed SCOPE\n"
	    "       vnb-flush [options] --fetch -o FILE --pidfile FILE "
	    "SCOPE\n");
	exit(status);
}

/*
 * The pidfiles of the scope's dataplanes: those given with --pidfile, or
 * else every RUNDIR/SCOPE/NAME.pid.
 */
static void
signal_dataplanes(struct flush *f, long gen)
{
	struct vnb_error	 err;
	glob_t			 g;
	char			*pattern;
	char			**paths;
	size_t			 i, n;
	pid_t			 pid;
	int			 sent = 0;

	memset(&g, 0, sizeof(g));
	if (f->npidfiles > 0) {
		paths = f->pidfiles;
		n = f->npidfiles;
	} else {
		pattern = xasprintf("%s/%s/*.pid", f->rundir, f->scope);
		glob(pattern, 0, NULL, &g);
		free(pattern);
		paths = g.gl_pathv;
		n = g.gl_pathc;
	}
	for (i = 0; i < n; i++) {
		if (pidfile_read(paths[i], &pid, &err) == -1) {
			log_warnx("%s", err.msg);
			continue;
		}
		if (kill(pid, SIGHUP) == -1) {
			log_warn("%s: cannot signal pid %ld", paths[i],
			    (long)pid);
			continue;
		}
		log_info("%s: sent SIGHUP to pid %ld", paths[i], (long)pid);
		sent++;
	}
	if (n == 0)
		log_info("scope '%s': no dataplane to signal", f->scope);
	else if (sent > 0)
		log_info("scope '%s': %d dataplane(s) told of generation %ld",
		    f->scope, sent, gen);
	globfree(&g);
}

/* Replace the dataplane file with generation g. */
static int
write_document(struct flush *f, const json_t *g)
{
	struct vnb_error	 err;
	char			*text, *dir;
	size_t			 len;
	int			 rc;

	dir = xstrdup(f->output);
	rc = file_mkdirs(dirname(dir), 0755, &err);
	free(dir);
	if (rc == 0) {
		text = compile_file(g, &len);
		rc = file_replace(f->output, text, len, DOCUMENT_MODE, &err);
		free(text);
	}
	if (rc == -1)
		log_warnx("%s", err.msg);
	return rc;
}

/* Does the dataplane file hold generation g? */
static int
document_current(struct flush *f, const json_t *g)
{
	char	hash[COMPILE_HASHLEN];
	long	gen;

	if (compile_file_generation(f->output, &gen, hash) != 1)
		return 0;
	return gen == json_integer_value(json_object_get(g, "generation")) &&
	    strcmp(hash, json_string_value(json_object_get(g, "hash"))) == 0;
}

static long
gen_number(const json_t *g)
{
	return (long)json_integer_value(json_object_get(g, "generation"));
}

static const char *
gen_string(const json_t *g, const char *field)
{
	const char	*s = json_string_value(json_object_get(g, field));

	return s != NULL ? s : "";
}

static int
pending(const json_t *g)
{
	return g != NULL && strcmp(gen_string(g, "state"), "pending") == 0;
}

static int
overdue(const json_t *g)
{
	struct timespec	now;
	char		buf[40];

	if (!pending(g))
		return 0;
	clock_gettime(CLOCK_REALTIME, &now);
	fmt_time(&now, buf, sizeof(buf));
	return strcmp(buf, gen_string(g, "deadline")) >= 0;
}

/* The newest confirmed generation, the one an unconfirmed flush undoes. */
static json_t *
last_confirmed(struct flush *f, struct vnb_error *err)
{
	json_t	*list, *g, *out = NULL;
	size_t	 i;

	if ((list = store_generations(f->store, f->scope, 0, err)) == NULL)
		return NULL;
	json_array_foreach(list, i, g) {
		if (strcmp(gen_string(g, "state"), "confirmed") == 0) {
			store_generation(f->store, f->scope, gen_number(g),
			    &out, err);
			break;
		}
	}
	json_decref(list);
	if (out == NULL && err->msg[0] == '\0')
		vnb_error_set(err, "scope '%s' has no confirmed generation",
		    f->scope);
	return out;
}

/*
 * Inside a transaction: add a generation with document doc, and make the
 * file hold it.  Returns the new generation, or NULL.
 */
static json_t *
add_generation(struct flush *f, const char *doc, const char *hash,
    const char *origin, const char *deadline)
{
	struct vnb_error	 err;
	json_t			*g = NULL;
	long			 gen;

	if ((gen = store_generation_add(f->store, f->scope, doc, hash, origin,
	    deadline, &err)) == -1 ||
	    store_generation(f->store, f->scope, gen, &g, &err) != 1) {
		log_warnx("%s", err.msg);
		return NULL;
	}
	if (write_document(f, g) == -1) {
		json_decref(g);
		return NULL;
	}
	return g;
}

/*
 * Inside a transaction: if the active generation waited for confirmation
 * and its deadline has passed, bring back the generation before it.
 * Returns 1 if it did, 0 if there was nothing to do, -1 on error.
 */
static int
expire(struct flush *f, json_t **activep)
{
	struct vnb_error	 err;
	json_t			*back, *g;
	char			*origin;
	long			 gen = gen_number(*activep);

	if (!overdue(*activep))
		return 0;
	err.msg[0] = '\0';
	if ((back = last_confirmed(f, &err)) == NULL) {
		log_warnx("%s", err.msg);
		return -1;
	}
	if (store_generation_set_state(f->store, f->scope, gen, "expired",
	    &err) == -1) {
		log_warnx("%s", err.msg);
		json_decref(back);
		return -1;
	}
	origin = xasprintf("revert to %ld: %ld was not confirmed",
	    gen_number(back), gen);
	g = add_generation(f, gen_string(back, "document"),
	    gen_string(back, "hash"), origin, NULL);
	free(origin);
	json_decref(back);
	if (g == NULL)
		return -1;
	log_warnx("scope '%s': generation %ld was not confirmed by %s; "
	    "generation %ld restores what was active before it", f->scope,
	    gen, gen_string(*activep, "deadline"), gen_number(g));
	json_decref(*activep);
	*activep = g;
	return 1;
}

/* The active generation (NULL if none) in *g; -1 on error. */
static int
active(struct flush *f, json_t **g)
{
	struct vnb_error	err;

	if (store_generation(f->store, f->scope, 0, g, &err) == -1) {
		log_warnx("%s", err.msg);
		return -1;
	}
	return 0;
}

static int
open_store(struct flush *f)
{
	struct vnb_error	err;

	if ((f->store = store_open(f->store_path, 0, &err)) == NULL) {
		log_warnx("%s", err.msg);
		return -1;
	}
	return 0;
}

/*
 * Commit what is written; if the store refuses, put the dataplane file
 * back to the generation that stays active.
 */
static int
commit(struct flush *f, const json_t *old)
{
	struct vnb_error	err;

	if (store_commit(f->store, &err) == 0)
		return 0;
	log_warnx("%s", err.msg);
	if (old != NULL)
		write_document(f, old);
	return -1;
}

/*
 * Start a transaction and read the active generation.  A generation
 * whose confirmation is overdue is expired first, in a transaction of its
 * own, so that whatever the caller goes on to do, the previous generation
 * is back in the store, in the file and with the dataplanes.
 */
static int
begin(struct flush *f, json_t **activep)
{
	struct vnb_error	err;
	int			rc;

	*activep = NULL;
	if (store_begin(f->store, &err) == -1) {
		log_warnx("%s", err.msg);
		return -1;
	}
	if (active(f, activep) == -1 || (rc = expire(f, activep)) == -1)
		goto fail;
	if (rc == 1) {
		if (commit(f, NULL) == -1) {
			json_decref(*activep);
			*activep = NULL;
			return -1;
		}
		signal_dataplanes(f, gen_number(*activep));
		json_decref(*activep);
		*activep = NULL;
		if (store_begin(f->store, &err) == -1) {
			log_warnx("%s", err.msg);
			return -1;
		}
		if (active(f, activep) == -1)
			goto fail;
	}
	return 0;

 fail:
	store_rollback(f->store);
	json_decref(*activep);
	*activep = NULL;
	return -1;
}

/*
 * The timer of a conditional flush: a process of its own that outlives
 * the command, sleeps until the deadline and then restores the previous
 * generation unless the flush was confirmed or replaced meanwhile.
 */
static void
start_timer(struct flush *f, const json_t *g)
{
	struct timespec	 deadline;
	json_t		*cur;
	pid_t		 pid;
	int		 fd, rc = 1;

	parse_time(gen_string(g, "deadline"), &deadline, NULL);
	fflush(NULL);
	if ((pid = fork()) == -1) {
		log_warn("cannot start the confirmation timer; run "
		    "'vnb-flush --confirmed %s' or flush again", f->scope);
		return;
	}
	if (pid != 0)
		return;

	setsid();
	if ((fd = open("/dev/null", O_RDWR)) != -1) {
		dup2(fd, STDIN_FILENO);
		dup2(fd, STDOUT_FILENO);
		dup2(fd, STDERR_FILENO);
		if (fd > STDERR_FILENO)
			close(fd);
	}
	for (fd = STDERR_FILENO + 1; fd < 1024; fd++)
		close(fd);
	log_init("vnb-flush", 0, log_getverbose());
	while (clock_nanosleep(CLOCK_REALTIME, TIMER_ABSTIME, &deadline,
	    NULL) == EINTR)
		;
	/* begin() restores the previous generation if g is still due. */
	if (open_store(f) == 0 && begin(f, &cur) == 0) {
		rc = commit(f, NULL) == -1;
		json_decref(cur);
	}
	_exit(rc);
}

static int
confirm_deadline(struct flush *f, char *buf, size_t size)
{
	struct timespec	ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += f->confirm_ms / 1000;
	ts.tv_nsec += (long)(f->confirm_ms % 1000) * 1000000;
	if (ts.tv_nsec >= 1000000000) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000;
	}
	fmt_time(&ts, buf, size);
	return 0;
}

/*
 * Make the document doc (with its hash) the scope's active generation:
 * the shared end of a flush and a rollback.
 */
static int
activate(struct flush *f, json_t *old, const char *doc, const char *hash,
    const char *origin)
{
	struct vnb_error	 err;
	json_t			*g;
	char			 deadline[40];
	long			 back = 0;
	int			 rewrite;

	if (old != NULL && strcmp(hash, gen_string(old, "hash")) == 0) {
		/* Nothing changed; the file may still need writing. */
		rewrite = !document_current(f, old);
		if (rewrite && write_document(f, old) == -1) {
			store_rollback(f->store);
			return 1;
		}
		if (commit(f, NULL) == -1)
			return 1;
		printf("scope '%s': unchanged, generation %ld is active%s\n",
		    f->scope, gen_number(old), rewrite ? " (file rewritten)" :
		    "");
		if (rewrite)
			signal_dataplanes(f, gen_number(old));
		if (f->confirm_ms)
			log_warnx("nothing to confirm: --confirm applies only "
			    "to a change");
		return 0;
	}
	if (f->confirm_ms) {
		err.msg[0] = '\0';
		if ((g = last_confirmed(f, &err)) == NULL) {
			log_warnx("scope '%s' has no confirmed generation to "
			    "go back to; flush it without --confirm first",
			    f->scope);
			store_rollback(f->store);
			return 1;
		}
		back = gen_number(g);
		json_decref(g);
		confirm_deadline(f, deadline, sizeof(deadline));
	}
	if ((g = add_generation(f, doc, hash, origin, f->confirm_ms ?
	    deadline : NULL)) == NULL) {
		store_rollback(f->store);
		if (old != NULL)
			write_document(f, old);
		return 1;
	}
	if (commit(f, old) == -1) {
		json_decref(g);
		return 1;
	}
	if (f->confirm_ms)
		printf("scope '%s': generation %ld is active (%s); confirm it "
		    "with 'vnb-flush --confirmed %s' by %s, or generation "
		    "%ld comes back\n", f->scope, gen_number(g),
		    gen_string(g, "hash"), f->scope, deadline, back);
	else
		printf("scope '%s': generation %ld is active (%s)\n",
		    f->scope, gen_number(g), gen_string(g, "hash"));
	signal_dataplanes(f, gen_number(g));
	if (f->confirm_ms) {
		store_close(f->store);
		f->store = NULL;
		start_timer(f, g);
	}
	json_decref(g);
	return 0;
}

/* Compile the scope; every problem is printed. */
static char *
compile(struct flush *f, char *hash)
{
	struct diag	 d;
	json_t		*doc;
	char		*text = NULL;

	diag_init(&d);
	doc = compile_scope(f->store, f->scope, &d);
	diag_print(&d, stderr);
	if (doc == NULL)
		log_warnx("scope '%s' not flushed: %d error%s", f->scope,
		    d.errors, d.errors == 1 ? "" : "s");
	else {
		text = compile_text(doc);
		compile_hash(text, hash);
		json_decref(doc);
	}
	diag_free(&d);
	return text;
}

static int
do_flush(struct flush *f)
{
	json_t	*old;
	char	*text, hash[COMPILE_HASHLEN];
	int	 rc;

	if (begin(f, &old) == -1)
		return 1;
	if ((text = compile(f, hash)) == NULL) {
		store_rollback(f->store);
		json_decref(old);
		return 1;
	}
	rc = activate(f, old, text, hash, "flush");
	free(text);
	json_decref(old);
	return rc;
}

static int
do_rollback(struct flush *f)
{
	struct vnb_error	 err;
	json_t			*old, *to;
	char			*origin;
	int			 rc;

	if (begin(f, &old) == -1)
		return 1;
	if ((rc = store_generation(f->store, f->scope, f->rollback_to, &to,
	    &err)) != 1) {
		if (rc == 0)
			log_warnx("scope '%s' has no generation %ld",
			    f->scope, f->rollback_to);
		else
			log_warnx("%s", err.msg);
		store_rollback(f->store);
		json_decref(old);
		return 1;
	}
	origin = xasprintf("rollback to %ld", f->rollback_to);
	rc = activate(f, old, gen_string(to, "document"), gen_string(to,
	    "hash"), origin);
	free(origin);
	json_decref(to);
	json_decref(old);
	return rc;
}

static int
do_confirmed(struct flush *f)
{
	struct vnb_error	 err;
	json_t			*g;
	int			 rc = 1;

	if (begin(f, &g) == -1)
		return 1;
	if (g == NULL || !pending(g))
		log_warnx("scope '%s' has no flush waiting for confirmation%s",
		    f->scope, g != NULL && strncmp(gen_string(g, "origin"),
		    "revert", 6) == 0 ? " (its deadline passed, and the "
		    "previous generation is back)" : "");
	else if (store_generation_set_state(f->store, f->scope,
	    gen_number(g), "confirmed", &err) == -1)
		log_warnx("%s", err.msg);
	else if (commit(f, NULL) == 0) {
		printf("scope '%s': generation %ld is confirmed\n", f->scope,
		    gen_number(g));
		rc = 0;
	}
	if (rc != 0)
		store_rollback(f->store);
	json_decref(g);
	return rc;
}

/*
 * For a dataplane host: bring the file up to the active generation, and
 * signal only if it changed, so that this can run from cron.
 */
static int
do_fetch(struct flush *f)
{
	json_t	*g;
	int	 rc = 1;

	if (begin(f, &g) == -1)
		return 1;
	if (g == NULL)
		log_warnx("scope '%s' has never been flushed", f->scope);
	else if (document_current(f, g))
		rc = commit(f, NULL) == -1;
	else if (write_document(f, g) == 0 && commit(f, NULL) == 0) {
		printf("scope '%s': generation %ld fetched\n", f->scope,
		    gen_number(g));
		signal_dataplanes(f, gen_number(g));
		rc = 0;
	}
	if (rc != 0)
		store_rollback(f->store);
	json_decref(g);
	return rc;
}

/* Write text to a new temporary file for diff(1). */
static char *
temp_file(const char *text)
{
	const char	*tmp = getenv("TMPDIR");
	char		*path;
	int		 fd;
	size_t		 len = strlen(text);

	path = xasprintf("%s/vnb-flush.XXXXXX", tmp && *tmp ? tmp : "/tmp");
	if ((fd = mkstemp(path)) == -1) {
		log_warn("%s", path);
		free(path);
		return NULL;
	}
	if (write(fd, text, len) != (ssize_t)len) {
		log_warn("%s", path);
		close(fd);
		unlink(path);
		free(path);
		return NULL;
	}
	close(fd);
	return path;
}

/* What a flush would change, as a unified diff of the documents. */
static int
do_diff(struct flush *f)
{
	json_t	*g = NULL;
	char	*text, hash[COMPILE_HASHLEN], *a = NULL, *b = NULL;
	char	*from, *to;
	pid_t	 pid;
	int	 status, rc = 1;

	if (active(f, &g) == -1)
		return 1;
	if ((text = compile(f, hash)) == NULL) {
		json_decref(g);
		return 1;
	}
	if (g != NULL && strcmp(hash, gen_string(g, "hash")) == 0) {
		printf("scope '%s': no changes to flush (generation %ld is "
		    "active)\n", f->scope, gen_number(g));
		free(text);
		json_decref(g);
		return 0;
	}
	from = g != NULL ? xasprintf("%s generation %ld (active)", f->scope,
	    gen_number(g)) : xasprintf("%s (never flushed)", f->scope);
	to = xasprintf("%s (staged)", f->scope);
	if ((a = temp_file(g != NULL ? gen_string(g, "document") : "")) !=
	    NULL && (b = temp_file(text)) != NULL) {
		fflush(stdout);
		if ((pid = fork()) == 0) {
			execlp("diff", "diff", "-u", "--label", from,
			    "--label", to, a, b, (char *)NULL);
			log_warn("cannot run diff");
			_exit(127);
		}
		if (pid != -1 && waitpid(pid, &status, 0) == pid &&
		    WIFEXITED(status) && WEXITSTATUS(status) <= 1)
			rc = 0;
		else
			log_warnx("diff failed");
	}
	if (a != NULL)
		unlink(a);
	if (b != NULL)
		unlink(b);
	free(a);
	free(b);
	free(from);
	free(to);
	free(text);
	json_decref(g);
	return rc;
}

static int
do_list(struct flush *f)
{
	static const char *const headers[] = { "SCOPE", "GENERATION", "TIME",
	    "USER", "STATE", "ORIGIN", "HASH", NULL };
	struct vnb_error	 err;
	json_t			*list, *rows, *g;
	char			 gen[32], hash[20], *state;
	const char		*scope = NULL;
	size_t			 i;

	if ((list = store_generations(f->store, f->scope, f->scope == NULL,
	    &err)) == NULL) {
		log_warnx("%s", err.msg);
		return 1;
	}
	json_array_foreach(list, i, g) {
		/* Generations come newest first within each scope. */
		json_object_set_new(g, "active", json_boolean(scope == NULL ||
		    strcmp(scope, gen_string(g, "scope")) != 0));
		scope = gen_string(g, "scope");
	}
	if (f->fmt != OUTPUT_TABLE) {
		output_data(stdout, f->fmt, list);
		json_decref(list);
		return 0;
	}
	rows = json_array();
	json_array_foreach(list, i, g) {
		snprintf(gen, sizeof(gen), "%ld", gen_number(g));
		snprintf(hash, sizeof(hash), "%.19s", gen_string(g, "hash"));
		if (pending(g))
			state = xasprintf("%sconfirm by %s",
			    json_is_true(json_object_get(g, "active")) ?
			    "active, " : "", gen_string(g, "deadline"));
		else if (json_is_true(json_object_get(g, "active")))
			state = xstrdup("active");
		else
			state = xstrdup(strcmp(gen_string(g, "state"),
			    "confirmed") == 0 ? "" : gen_string(g, "state"));
		json_array_append_new(rows, json_pack("[s,s,s,s,s,s,s]",
		    gen_string(g, "scope"), gen, gen_string(g, "time"),
		    gen_string(g, "user"), state, gen_string(g, "origin"),
		    hash));
		free(state);
	}
	output_table(stdout, headers, rows);
	json_decref(rows);
	json_decref(list);
	return 0;
}

static void
add_pidfile(struct flush *f, const char *path)
{
	f->pidfiles = xreallocarray(f->pidfiles, f->npidfiles + 1,
	    sizeof(*f->pidfiles));
	f->pidfiles[f->npidfiles++] = xstrdup(path);
}

static void
set_mode(struct flush *f, enum mode m)
{
	if (f->mode != MODE_FLUSH && f->mode != m) {
		log_warnx("give only one of --diff, --list, --rollback, "
		    "--confirmed and --fetch");
		usage(EXIT_USAGE);
	}
	f->mode = m;
}

/*
 * Paths are made absolute, since the confirmation timer leaves the
 * working directory.
 */
static char *
absolute(const char *path)
{
	char	cwd[4096];

	if (path[0] == '/' || getcwd(cwd, sizeof(cwd)) == NULL)
		return xstrdup(path);
	return xasprintf("%s/%s", cwd, path);
}

int
main(int argc, char *argv[])
{
	enum {
		OPT_STORE = 256, OPT_RUNDIR, OPT_PIDFILE, OPT_CONFIRM,
		OPT_DIFF, OPT_LIST, OPT_ROLLBACK, OPT_CONFIRMED, OPT_FETCH,
		OPT_FORMAT,
	};
	static const struct option longopts[] = {
		{ "help",	no_argument,		NULL, 'h' },
		{ "version",	no_argument,		NULL, 'V' },
		{ "verbose",	no_argument,		NULL, 'v' },
		{ "output",	required_argument,	NULL, 'o' },
		{ "store",	required_argument,	NULL, OPT_STORE },
		{ "run-dir",	required_argument,	NULL, OPT_RUNDIR },
		{ "pidfile",	required_argument,	NULL, OPT_PIDFILE },
		{ "confirm",	required_argument,	NULL, OPT_CONFIRM },
		{ "diff",	no_argument,		NULL, OPT_DIFF },
		{ "list",	no_argument,		NULL, OPT_LIST },
		{ "rollback",	no_argument,		NULL, OPT_ROLLBACK },
		{ "confirmed",	no_argument,		NULL, OPT_CONFIRMED },
		{ "fetch",	no_argument,		NULL, OPT_FETCH },
		{ "format",	required_argument,	NULL, OPT_FORMAT },
		{ NULL,		0,			NULL, 0 }
	};
	struct flush		 f;
	struct vnb_error	 err;
	uint64_t		 v;
	const char		*output = NULL, *store_path = NULL;
	const char		*rundir = VNB_RUNDIR;
	int			 ch, verbose = 0, rc, nargs;

	memset(&f, 0, sizeof(f));
	log_init("vnb-flush", 1, 0);
	while ((ch = getopt_long(argc, argv, "hVvo:", longopts, NULL)) !=
	    -1) {
		switch (ch) {
		case 'h':
			usage(0);
			break;
		case 'V':
			printf("vnb-flush (vnb) %s\n", PACKAGE_VERSION);
			return 0;
		case 'v':
			verbose++;
			break;
		case 'o':
			output = optarg;
			break;
		case OPT_STORE:
			store_path = optarg;
			break;
		case OPT_RUNDIR:
			rundir = optarg;
			break;
		case OPT_PIDFILE:
			add_pidfile(&f, optarg);
			break;
		case OPT_CONFIRM:
			if (parse_duration(optarg, &f.confirm_ms, &err) == -1) {
				log_warnx("--confirm: %s", err.msg);
				usage(EXIT_USAGE);
			}
			if (f.confirm_ms < 1000 ||
			    f.confirm_ms > CONFIRM_MAX_S * 1000) {
				log_warnx("--confirm: must be 1s to 1d");
				usage(EXIT_USAGE);
			}
			break;
		case OPT_DIFF:
			set_mode(&f, MODE_DIFF);
			break;
		case OPT_LIST:
			set_mode(&f, MODE_LIST);
			break;
		case OPT_ROLLBACK:
			set_mode(&f, MODE_ROLLBACK);
			break;
		case OPT_CONFIRMED:
			set_mode(&f, MODE_CONFIRMED);
			break;
		case OPT_FETCH:
			set_mode(&f, MODE_FETCH);
			break;
		case OPT_FORMAT:
			if (output_parse_format(optarg, &f.fmt) == -1) {
				log_warnx("unknown format '%s' (table, yaml "
				    "or json)", optarg);
				usage(EXIT_USAGE);
			}
			break;
		default:
			usage(EXIT_USAGE);
		}
	}
	argc -= optind;
	argv += optind;
	log_setverbose(verbose);

	nargs = f.mode == MODE_ROLLBACK ? 2 : 1;
	if (f.mode == MODE_LIST ? argc > 1 : argc != nargs)
		usage(EXIT_USAGE);
	if (f.confirm_ms && f.mode != MODE_FLUSH && f.mode != MODE_ROLLBACK) {
		log_warnx("--confirm goes with a flush or a rollback");
		usage(EXIT_USAGE);
	}
	if (f.mode == MODE_FETCH && (output == NULL || f.npidfiles == 0)) {
		log_warnx("--fetch needs -o FILE and --pidfile FILE");
		usage(EXIT_USAGE);
	}
	f.scope = argc > 0 ? argv[0] : NULL;
	if (f.scope != NULL && (f.scope[0] == '.' || strchr(f.scope, '/'))) {
		log_warnx("'%s' cannot be a scope's file name", f.scope);
		return 1;
	}
	if (f.mode == MODE_ROLLBACK) {
		if (parse_uint(argv[1], 1, LONG_MAX, &v, &err) == -1) {
			log_warnx("generation: %s", err.msg);
			usage(EXIT_USAGE);
		}
		f.rollback_to = (long)v;
	}
	f.store_path = absolute(store_path ? store_path :
	    store_default_path());
	f.rundir = absolute(rundir);
	if (output != NULL)
		f.output = absolute(output);
	else if (f.scope != NULL)
		f.output = xasprintf("%s/scopes/%s.yaml", VNB_STATEDIR,
		    f.scope);

	if (open_store(&f) == -1)
		return 1;
	switch (f.mode) {
	case MODE_FLUSH:
		rc = do_flush(&f);
		break;
	case MODE_DIFF:
		rc = do_diff(&f);
		break;
	case MODE_LIST:
		rc = do_list(&f);
		break;
	case MODE_ROLLBACK:
		rc = do_rollback(&f);
		break;
	case MODE_CONFIRMED:
		rc = do_confirmed(&f);
		break;
	case MODE_FETCH:
		rc = do_fetch(&f);
		break;
	default:
		rc = 1;
	}
	store_close(f.store);
	while (f.npidfiles > 0)
		free(f.pidfiles[--f.npidfiles]);
	free(f.pidfiles);
	free(f.output);
	free(f.store_path);
	free(f.rundir);
	return rc;
}

/*
 * The SQLite store: see store.h.
 *
 * Objects live in one table, keyed by UUID and unique by kind, scope and
 * name, with their fields as a JSON body; SQLite's JSON functions can
 * still query them.  A reference from one object to another is a row in
 * refs, whose foreign keys make a dangling reference impossible.  The
 * schema version is PRAGMA user_version; store_open() upgrades an older
 * store in one transaction.
 */
#include "config.h"

#include <sys/stat.h>
#include <errno.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sqlite3.h>

#include "parse.h"
#include "store.h"
#include "util.h"
#include "vnbuuid.h"

#define STORE_BUSY_MS		30000
#define STORE_USERS_SHOWN	8

/*
 * Schema migrations: entry N brings user_version N to N + 1.  Entries are
 * only ever appended.
 */
static const char *const store_migrations[] = {
	"CREATE TABLE objects ("
	"  uuid TEXT PRIMARY KEY,"
	"  kind TEXT NOT NULL,"
	"  scope TEXT NOT NULL DEFAULT '',"
	"  name TEXT NOT NULL,"
	"  body TEXT NOT NULL CHECK (json_valid(body)),"
	"  created TEXT NOT NULL,"
	"  updated TEXT NOT NULL,"
	"  UNIQUE (kind, scope, name));"
	"CREATE TABLE refs ("
	"  src TEXT NOT NULL REFERENCES objects(uuid) ON DELETE CASCADE,"
	"  field TEXT NOT NULL,"
	"  dst TEXT NOT NULL REFERENCES objects(uuid),"
	"  PRIMARY KEY (src, field, dst)) WITHOUT ROWID;"
	"CREATE INDEX refs_by_dst ON refs(dst);"
	"CREATE TABLE history ("
	"  id INTEGER PRIMARY KEY,"
	"  txn INTEGER NOT NULL,"
	"  time TEXT NOT NULL,"
	"  user TEXT NOT NULL,"
	"  action TEXT NOT NULL,"
	"  kind TEXT NOT NULL,"
	"  scope TEXT NOT NULL,"
	"  name TEXT NOT NULL,"
	"  uuid TEXT NOT NULL,"
	"  changes TEXT);"
	"CREATE INDEX history_by_txn ON history(txn);",

	/*
	 * A generation is a scope compiled by vnb-flush.  The newest one of
	 * a scope is the active one; "pending" waits for confirmation until
	 * its deadline, "expired" was not confirmed in time and has been
	 * undone, "superseded" was replaced before it was confirmed.
	 */
	"CREATE TABLE generations ("
	"  scope TEXT NOT NULL,"
	"  generation INTEGER NOT NULL CHECK (generation > 0),"
	"  time TEXT NOT NULL,"
	"  user TEXT NOT NULL,"
	"  hash TEXT NOT NULL,"
	"  origin TEXT NOT NULL,"
	"  state TEXT NOT NULL DEFAULT 'confirmed'"
	"    CHECK (state IN ('confirmed', 'pending', 'expired',"
	"    'superseded')),"
	"  deadline TEXT,"
	"  document TEXT NOT NULL,"
	"  PRIMARY KEY (scope, generation));",
};

enum store_stmt {
	ST_GET,
	ST_INSERT,
	ST_UPDATE,
	ST_DELETE,
	ST_REFS_CLEAR,
	ST_REF_ADD,
	ST_USERS,
	ST_HISTORY_ADD,
	ST_OTHER_IN_SCOPE,
	ST_MAX
};

static const char *const store_sql[ST_MAX] = {
	[ST_GET] = "SELECT uuid, body, created, updated FROM objects"
	    " WHERE kind = ?1 AND scope = ?2 AND name = ?3",
	[ST_INSERT] = "INSERT INTO objects (uuid, kind, scope, name, body,"
	    " created, updated) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?6)",
	[ST_UPDATE] = "UPDATE objects SET body = ?2, updated = ?3"
	    " WHERE uuid = ?1",
	[ST_DELETE] = "DELETE FROM objects WHERE uuid = ?1",
	[ST_REFS_CLEAR] = "DELETE FROM refs WHERE src = ?1",
	[ST_REF_ADD] = "INSERT OR IGNORE INTO refs (src, field, dst)"
	    " VALUES (?1, ?2, ?3)",
	[ST_USERS] = "SELECT DISTINCT o.kind, o.scope, o.name FROM refs r"
	    " JOIN objects o ON o.uuid = r.src WHERE r.dst = ?1"
	    " ORDER BY o.kind, o.scope, o.name",
	[ST_HISTORY_ADD] = "INSERT INTO history (txn, time, user, action,"
	    " kind, scope, name, uuid, changes)"
	    " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
	[ST_OTHER_IN_SCOPE] = "SELECT name FROM objects"
	    " WHERE kind = ?1 AND scope = ?2 AND name <> ?3 LIMIT 1",
};

struct store {
	sqlite3		*db;
	char		*path;
	char		*user;
	long		 txn;
	sqlite3_stmt	*st[ST_MAX];
};

const char *
store_default_path(void)
{
	const char	*env = getenv("VNB_STORE");

	if (env != NULL && *env != '\0')
		return env;
	return VNB_STATEDIR "/vnb.db";
}

static int
store_fail(struct store *s, struct vnb_error *err, const char *what)
{
	vnb_error_set(err, "store '%s': %s: %s", s->path, what,
	    sqlite3_errmsg(s->db));
	return -1;
}

static int
store_exec(struct store *s, const char *sql, struct vnb_error *err)
{
	char	*msg = NULL;

	if (sqlite3_exec(s->db, sql, NULL, NULL, &msg) != SQLITE_OK) {
		vnb_error_set(err, "store '%s': %s", s->path,
		    msg ? msg : "error");
		sqlite3_free(msg);
		return -1;
	}
	return 0;
}

static sqlite3_stmt *
store_stmt(struct store *s, enum store_stmt which)
{
	sqlite3_stmt	*st = s->st[which];

	if (st == NULL) {
		if (sqlite3_prepare_v3(s->db, store_sql[which], -1,
		    SQLITE_PREPARE_PERSISTENT, &st, NULL) != SQLITE_OK)
			return NULL;
		s->st[which] = st;
	}
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	return st;
}

int
store_schema_version(struct store *s)
{
	sqlite3_stmt	*st;
	int		 v = -1;

	if (sqlite3_prepare_v2(s->db, "PRAGMA user_version", -1, &st,
	    NULL) != SQLITE_OK)
		return -1;
	if (sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	return v;
}

static int
store_migrate(struct store *s, int create, struct vnb_error *err)
{
	int	v, latest = (int)nitems(store_migrations);
	char	pragma[64];

	/* The common case, an up-to-date store, takes no write lock. */
	if (store_schema_version(s) == latest)
		return 0;
	if (store_exec(s, "BEGIN IMMEDIATE", err) == -1)
		return -1;
	if ((v = store_schema_version(s)) == -1) {
		store_fail(s, err, "cannot read the schema version");
		goto fail;
	}
	if (v > latest) {
		vnb_error_set(err, "store '%s': schema version %d is newer "
		    "than this VNB understands (%d)", s->path, v, latest);
		goto fail;
	}
	if (v == 0 && !create) {
		vnb_error_set(err, "store '%s' is not initialised (run "
		    "'secmonctl init')", s->path);
		goto fail;
	}
	for (; v < latest; v++)
		if (store_exec(s, store_migrations[v], err) == -1)
			goto fail;
	snprintf(pragma, sizeof(pragma), "PRAGMA user_version = %d", latest);
	if (store_exec(s, pragma, err) == -1)
		goto fail;
	return store_exec(s, "COMMIT", err);

 fail:
	store_exec(s, "ROLLBACK", NULL);
	return -1;
}

static void
store_default_user(struct store *s)
{
	const char	*env = getenv("VNB_USER");
	struct passwd	*pw;

	if (env != NULL && *env != '\0')
		s->user = xstrdup(env);
	else if ((pw = getpwuid(getuid())) != NULL)
		s->user = xstrdup(pw->pw_name);
	else
		s->user = xasprintf("uid %ld", (long)getuid());
}

/*
 * Open the store at where.  Several processes may use one store at once:
 * WAL lets readers go on during a write, and writers queue behind each
 * other for up to STORE_BUSY_MS instead of failing.
 */
struct store *
store_open(const char *where, int flags, struct vnb_error *err)
{
	struct store	*s;
	int		 oflags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX;
	mode_t		 mask;

	if (strncmp(where, "http://", 7) == 0 ||
	    strncmp(where, "https://", 8) == 0) {
		vnb_error_set(err, "store '%s': REST stores are not supported "
		    "by this build", where);
		return NULL;
	}
	s = xcalloc(1, sizeof(*s));
	s->path = xstrdup(where);
	store_default_user(s);
	if (flags & STORE_CREATE)
		oflags |= SQLITE_OPEN_CREATE;

	/* The store holds secrets: never world-readable. */
	mask = umask(077);
	if (sqlite3_open_v2(where, &s->db, oflags, NULL) != SQLITE_OK) {
		umask(mask);
		if (!(flags & STORE_CREATE) && access(where, F_OK) == -1)
			vnb_error_set(err, "no store at '%s' (create one with "
			    "'secmonctl init', or give --store)", where);
		else
			store_fail(s, err, "cannot open");
		goto fail;
	}
	umask(mask);
	sqlite3_busy_timeout(s->db, STORE_BUSY_MS);
	sqlite3_extended_result_codes(s->db, 1);
	if (store_exec(s, "PRAGMA foreign_keys = ON", err) == -1 ||
	    store_exec(s, "PRAGMA journal_mode = WAL", err) == -1 ||
	    store_exec(s, "PRAGMA synchronous = NORMAL", err) == -1 ||
	    store_exec(s, "PRAGMA cache_size = -65536", err) == -1)
		goto fail;
	if (store_migrate(s, flags & STORE_CREATE, err) == -1)
		goto fail;
	return s;

 fail:
	store_close(s);
	return NULL;
}

void
store_close(struct store *s)
{
	int	i;

	if (s == NULL)
		return;
	for (i = 0; i < ST_MAX; i++)
		sqlite3_finalize(s->st[i]);
	sqlite3_close(s->db);
	free(s->path);
	free(s->user);
	free(s);
}

void
store_set_user(struct store *s, const char *user)
{
	free(s->user);
	s->user = xstrdup(user);
}

/*
 * Writers take the lock at the start (BEGIN IMMEDIATE), so that two
 * writers queue instead of one failing when it tries to upgrade a read.
 */
int
store_begin(struct store *s, struct vnb_error *err)
{
	sqlite3_stmt	*st;

	if (store_exec(s, "BEGIN IMMEDIATE", err) == -1)
		return -1;
	if (sqlite3_prepare_v2(s->db, "SELECT coalesce(max(txn), 0) + 1 "
	    "FROM history", -1, &st, NULL) != SQLITE_OK) {
		store_fail(s, err, "history");
		store_rollback(s);
		return -1;
	}
	s->txn = sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int64(st, 0) :
	    1;
	sqlite3_finalize(st);
	return 0;
}

int
store_commit(struct store *s, struct vnb_error *err)
{
	s->txn = 0;
	if (store_exec(s, "COMMIT", err) == -1) {
		store_rollback(s);
		return -1;
	}
	return 0;
}

void
store_rollback(struct store *s)
{
	s->txn = 0;
	if (!sqlite3_get_autocommit(s->db))
		store_exec(s, "ROLLBACK", NULL);
}

static void
store_now(char *buf, size_t size)
{
	struct timespec	ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	fmt_time(&ts, buf, size);
}

static const char *
scope_key(const struct kind *k, const char *scope)
{
	return (k->flags & K_SCOPED) && scope != NULL ? scope : "";
}

static void
bind_text(sqlite3_stmt *st, int i, const char *v)
{
	sqlite3_bind_text(st, i, v, -1, SQLITE_TRANSIENT);
}

/* An object from its row: metadata, then the fields in the kind's order. */
static json_t *
store_object(const struct kind *k, const char *scope, const char *name,
    sqlite3_stmt *st, int col)
{
	json_t		*obj, *body, *v;
	const char	*text;
	const struct field *f;

	obj = json_object();
	json_object_set_new(obj, "kind", json_string(k->name));
	if (k->flags & K_SCOPED)
		json_object_set_new(obj, "scope", json_string(scope));
	json_object_set_new(obj, "name", json_string(name));
	text = (const char *)sqlite3_column_text(st, col + 1);
	body = text ? json_loads(text, 0, NULL) : NULL;
	for (f = k->fields; body != NULL && f->name != NULL; f++)
		if ((v = json_object_get(body, f->name)) != NULL)
			json_object_set(obj, f->name, v);
	json_decref(body);
	json_object_set_new(obj, "uuid", json_string((const char *)
	    sqlite3_column_text(st, col)));
	json_object_set_new(obj, "created", json_string((const char *)
	    sqlite3_column_text(st, col + 2)));
	json_object_set_new(obj, "updated", json_string((const char *)
	    sqlite3_column_text(st, col + 3)));
	return obj;
}

static const char *
describe(const struct kind *k, const char *scope, const char *name,
    char *buf, size_t size)
{
	if ((k->flags & K_SCOPED) && scope != NULL)
		snprintf(buf, size, "%s '%s' in scope '%s'", k->name, name,
		    scope);
	else
		snprintf(buf, size, "%s '%s'", k->name, name);
	return buf;
}

/* The object, or NULL with "no rule 'x' in scope 'y'" in err. */
json_t *
store_get(struct store *s, const struct kind *k, const char *scope,
    const char *name, struct vnb_error *err)
{
	sqlite3_stmt	*st;
	json_t		*obj = NULL;
	char		 what[512];
	int		 rc;

	if ((st = store_stmt(s, ST_GET)) == NULL) {
		store_fail(s, err, "get");
		return NULL;
	}
	bind_text(st, 1, k->name);
	bind_text(st, 2, scope_key(k, scope));
	bind_text(st, 3, name);
	if ((rc = sqlite3_step(st)) == SQLITE_ROW)
		obj = store_object(k, scope, name, st, 0);
	else if (rc == SQLITE_DONE)
		vnb_error_set(err, "no %s", describe(k, scope, name, what,
		    sizeof(what)));
	else
		store_fail(s, err, "get");
	sqlite3_reset(st);
	return obj;
}

static int
store_uuid(struct store *s, const struct kind *k, const char *scope,
    const char *name, char *uuid)
{
	sqlite3_stmt	*st;
	int		 found = 0;

	if ((st = store_stmt(s, ST_GET)) == NULL)
		return -1;
	bind_text(st, 1, k->name);
	bind_text(st, 2, scope_key(k, scope));
	bind_text(st, 3, name);
	if (sqlite3_step(st) == SQLITE_ROW) {
		strlcpy(uuid, (const char *)sqlite3_column_text(st, 0),
		    VNB_UUID_STRLEN);
		found = 1;
	}
	sqlite3_reset(st);
	return found;
}

int
store_exists(struct store *s, const struct kind *k, const char *scope,
    const char *name)
{
	char	uuid[VNB_UUID_STRLEN];

	return store_uuid(s, k, scope, name, uuid) == 1;
}

/*
 * Every object of kind k (or of every kind, k NULL), in scope (or in all
 * scopes, scope NULL), ordered by kind, scope and name.
 */
json_t *
store_list(struct store *s, const struct kind *k, const char *scope,
    struct vnb_error *err)
{
	sqlite3_stmt		*st;
	const struct kind	*ok;
	json_t			*arr;
	int			 rc;

	if (sqlite3_prepare_v2(s->db, "SELECT kind, scope, name, uuid, body,"
	    " created, updated FROM objects WHERE (?1 IS NULL OR kind = ?1)"
	    " AND (?2 IS NULL OR scope = ?2 OR (kind = 'scope' AND name = ?2))"
	    " ORDER BY kind, scope, name", -1, &st, NULL) != SQLITE_OK) {
		store_fail(s, err, "list");
		return NULL;
	}
	if (k != NULL)
		bind_text(st, 1, k->name);
	if (scope != NULL)
		bind_text(st, 2, scope);
	arr = json_array();
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		ok = kind_find((const char *)sqlite3_column_text(st, 0));
		if (ok == NULL)
			continue;
		json_array_append_new(arr, store_object(ok,
		    (const char *)sqlite3_column_text(st, 1),
		    (const char *)sqlite3_column_text(st, 2), st, 3));
	}
	if (rc != SQLITE_DONE) {
		store_fail(s, err, "list");
		json_decref(arr);
		arr = NULL;
	}
	sqlite3_finalize(st);
	return arr;
}

/* The scopes that hold an object of kind k called name. */
json_t *
store_scopes_of(struct store *s, const struct kind *k, const char *name,
    struct vnb_error *err)
{
	sqlite3_stmt	*st;
	json_t		*arr;

	if (sqlite3_prepare_v2(s->db, "SELECT scope FROM objects WHERE"
	    " kind = ?1 AND name = ?2 ORDER BY scope", -1, &st,
	    NULL) != SQLITE_OK) {
		store_fail(s, err, "list");
		return NULL;
	}
	bind_text(st, 1, k->name);
	bind_text(st, 2, name);
	arr = json_array();
	while (sqlite3_step(st) == SQLITE_ROW)
		json_array_append_new(arr, json_string((const char *)
		    sqlite3_column_text(st, 0)));
	sqlite3_finalize(st);
	return arr;
}

struct ref_ctx {
	struct store		*s;
	const struct kind	*k;
	const char		*scope;
	const char		*src;
	struct vnb_error	*err;
	int			 failed;
};

static void
store_add_ref(struct ref_ctx *rc, const char *field, const struct kind *to,
    const char *name)
{
	sqlite3_stmt	*st;
	char		 uuid[VNB_UUID_STRLEN], what[512];
	int		 found;

	if (rc->failed)
		return;
	if ((found = store_uuid(rc->s, to, rc->scope, name, uuid)) != 1) {
		if (found == 0)
			vnb_error_set(rc->err, "%s: no %s", field,
			    describe(to, rc->scope, name, what, sizeof(what)));
		else
			store_fail(rc->s, rc->err, "reference");
		rc->failed = 1;
		return;
	}
	if ((st = store_stmt(rc->s, ST_REF_ADD)) == NULL) {
		store_fail(rc->s, rc->err, "reference");
		rc->failed = 1;
		return;
	}
	bind_text(st, 1, rc->src);
	bind_text(st, 2, field);
	bind_text(st, 3, uuid);
	if (sqlite3_step(st) != SQLITE_DONE) {
		store_fail(rc->s, rc->err, "reference");
		rc->failed = 1;
	}
	sqlite3_reset(st);
}

static void
store_ref_cb(const struct field *f, const char *name, void *arg)
{
	struct ref_ctx		*rc = arg;
	const struct kind	*to = kind_find(f->ref);

	if (to == NULL) {
		vnb_error_set(rc->err, "%s: unknown kind '%s'", f->name,
		    f->ref);
		rc->failed = 1;
		return;
	}
	store_add_ref(rc, f->name, to, name);
}

static int
store_set_refs(struct store *s, const struct kind *k, const char *scope,
    const char *uuid, const json_t *body, struct vnb_error *err)
{
	struct ref_ctx	 rc = { s, k, scope, uuid, err, 0 };
	sqlite3_stmt	*st;

	if ((st = store_stmt(s, ST_REFS_CLEAR)) == NULL)
		return store_fail(s, err, "reference");
	bind_text(st, 1, uuid);
	if (sqlite3_step(st) != SQLITE_DONE)
		return store_fail(s, err, "reference");
	sqlite3_reset(st);

	if (k->flags & K_SCOPED)
		store_add_ref(&rc, "scope", kind_find("scope"), scope);
	kind_refs(k, body, store_ref_cb, &rc);
	return rc.failed ? -1 : 0;
}

/*
 * What changed, field by field; secrets show as "(secret)".  Volatile
 * fields are left out: every enforcer run from cron changes its
 * last-seen time, and recording that would bury the real changes.
 */
static json_t *
store_diff(const struct kind *k, const json_t *old, const json_t *new)
{
	const struct field	*f;
	json_t			*d = json_object(), *a, *b;

	for (f = k->fields; f->name != NULL; f++) {
		if (f->flags & F_VOLATILE)
			continue;
		a = old ? json_object_get(old, f->name) : NULL;
		b = new ? json_object_get(new, f->name) : NULL;
		if (a == b || (a && b && json_equal(a, b)))
			continue;
		if (f->flags & F_SECRET)
			json_object_set_new(d, f->name, json_pack("[ss]",
			    a ? "(secret)" : "", b ? "(secret)" : ""));
		else
			json_object_set_new(d, f->name, json_pack("[OO]",
			    a ? a : json_null(), b ? b : json_null()));
	}
	return d;
}

static int
store_log(struct store *s, const char *action, const struct kind *k,
    const char *scope, const char *name, const char *uuid, json_t *changes,
    struct vnb_error *err)
{
	sqlite3_stmt	*st;
	char		 now[40], *text = NULL;
	int		 rc = 0;

	if ((st = store_stmt(s, ST_HISTORY_ADD)) == NULL)
		return store_fail(s, err, "history");
	store_now(now, sizeof(now));
	if (changes != NULL)
		text = json_dumps(changes, JSON_COMPACT);
	sqlite3_bind_int64(st, 1, s->txn);
	bind_text(st, 2, now);
	bind_text(st, 3, s->user);
	bind_text(st, 4, action);
	bind_text(st, 5, k->name);
	bind_text(st, 6, scope_key(k, scope));
	bind_text(st, 7, name);
	bind_text(st, 8, uuid);
	if (text != NULL)
		bind_text(st, 9, text);
	if (sqlite3_step(st) != SQLITE_DONE)
		rc = store_fail(s, err, "history");
	sqlite3_reset(st);
	free(text);
	return rc;
}

static int
store_per_scope_free(struct store *s, const struct kind *k,
    const char *scope, const char *name, struct vnb_error *err)
{
	sqlite3_stmt	*st;
	int		 rc = 0;

	if (!(k->flags & K_PER_SCOPE))
		return 0;
	if ((st = store_stmt(s, ST_OTHER_IN_SCOPE)) == NULL)
		return store_fail(s, err, "get");
	bind_text(st, 1, k->name);
	bind_text(st, 2, scope_key(k, scope));
	bind_text(st, 3, name);
	if (sqlite3_step(st) == SQLITE_ROW) {
		vnb_error_set(err, "scope '%s' already has a %s ('%s'); a "
		    "scope has only one", scope, k->name,
		    (const char *)sqlite3_column_text(st, 0));
		rc = -1;
	}
	sqlite3_reset(st);
	return rc;
}

static int
store_write(struct store *s, const struct kind *k, const char *scope,
    const char *name, const char *uuid, const json_t *body, int create,
    struct vnb_error *err)
{
	sqlite3_stmt	*st;
	char		*text, now[40];
	int		 rc = 0;

	store_now(now, sizeof(now));
	text = json_dumps(body, JSON_COMPACT | JSON_PRESERVE_ORDER);
	if ((st = store_stmt(s, create ? ST_INSERT : ST_UPDATE)) == NULL) {
		free(text);
		return store_fail(s, err, "write");
	}
	bind_text(st, 1, uuid);
	if (create) {
		bind_text(st, 2, k->name);
		bind_text(st, 3, scope_key(k, scope));
		bind_text(st, 4, name);
		bind_text(st, 5, text);
		bind_text(st, 6, now);
	} else {
		bind_text(st, 2, text);
		bind_text(st, 3, now);
	}
	if (sqlite3_step(st) != SQLITE_DONE)
		rc = store_fail(s, err, "write");
	sqlite3_reset(st);
	free(text);
	return rc;
}

/*
 * Create or update the object obj (canonical, from kind_validate()).
 * Secret fields that obj leaves out keep their stored values, so that an
 * export without secrets applies back without losing them.  *change says
 * what happened; nothing is written for an unchanged object.  With out,
 * the stored object is returned.
 */
int
store_put(struct store *s, const struct kind *k, const json_t *obj,
    enum store_change *change, json_t **out, struct vnb_error *err)
{
	const char		*name, *scope, *given;
	const struct field	*f;
	json_t			*old, *body, *oldbody = NULL, *diff;
	char			 uuid[VNB_UUID_STRLEN], what[512];
	int			 create, rc = -1;

	name = json_string_value(json_object_get(obj, "name"));
	scope = json_string_value(json_object_get(obj, "scope"));
	given = json_string_value(json_object_get(obj, "uuid"));
	describe(k, scope, name, what, sizeof(what));
	*change = STORE_UNCHANGED;

	old = store_get(s, k, scope, name, NULL);
	create = old == NULL;
	body = kind_fields_only(k, obj);
	if (old != NULL) {
		oldbody = kind_fields_only(k, old);
		for (f = k->fields; f->name != NULL; f++)
			if (f->flags & F_SECRET &&
			    json_object_get(body, f->name) == NULL &&
			    json_object_get(oldbody, f->name) != NULL)
				json_object_set(body, f->name,
				    json_object_get(oldbody, f->name));
		strlcpy(uuid, json_string_value(json_object_get(old, "uuid")),
		    sizeof(uuid));
		if (given != NULL && strcmp(given, uuid) != 0) {
			vnb_error_set(err, "%s: uuid %s does not match the "
			    "stored %s", what, given, uuid);
			goto out;
		}
		if (json_equal(body, oldbody)) {
			rc = 0;
			goto done;
		}
	} else if (given != NULL)
		strlcpy(uuid, given, sizeof(uuid));
	else
		vnb_uuid_generate(uuid);

	if (create && store_per_scope_free(s, k, scope, name, err) == -1)
		goto out;
	if (store_write(s, k, scope, name, uuid, body, create, err) == -1)
		goto out;
	if (store_set_refs(s, k, scope, uuid, body, err) == -1) {
		vnb_error_prefix(err, "%s", what);
		goto out;
	}
	diff = store_diff(k, oldbody, body);
	if (create || json_object_size(diff) > 0)
		rc = store_log(s, create ? "create" : "update", k, scope,
		    name, uuid, diff, err);
	else
		rc = 0;
	json_decref(diff);
	if (rc == -1)
		goto out;
	*change = create ? STORE_CREATED : STORE_UPDATED;

 done:
	if (out != NULL)
		*out = store_get(s, k, scope, name, err);
 out:
	json_decref(old);
	json_decref(oldbody);
	json_decref(body);
	return rc;
}

static json_t *
store_users_uuid(struct store *s, const char *uuid, struct vnb_error *err)
{
	sqlite3_stmt	*st;
	json_t		*arr;
	int		 rc;

	if ((st = store_stmt(s, ST_USERS)) == NULL) {
		store_fail(s, err, "users");
		return NULL;
	}
	bind_text(st, 1, uuid);
	arr = json_array();
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		json_array_append_new(arr, json_pack("{s:s,s:s,s:s}",
		    "kind", sqlite3_column_text(st, 0),
		    "scope", sqlite3_column_text(st, 1),
		    "name", sqlite3_column_text(st, 2)));
	sqlite3_reset(st);
	if (rc != SQLITE_DONE) {
		store_fail(s, err, "users");
		json_decref(arr);
		return NULL;
	}
	return arr;
}

/* The objects that refer to an object, as {kind, scope, name}. */
json_t *
store_users(struct store *s, const struct kind *k, const char *scope,
    const char *name, struct vnb_error *err)
{
	char	uuid[VNB_UUID_STRLEN];

	if (store_uuid(s, k, scope, name, uuid) != 1) {
		vnb_error_set(err, "no %s '%s'", k->name, name);
		return NULL;
	}
	return store_users_uuid(s, uuid, err);
}

static void
users_text(json_t *users, char *buf, size_t size)
{
	struct buf	 b;
	json_t		*u;
	size_t		 i;

	buf_init(&b);
	json_array_foreach(users, i, u) {
		if (i == STORE_USERS_SHOWN) {
			buf_printf(&b, " and %zu more",
			    json_array_size(users) - i);
			break;
		}
		buf_printf(&b, "%s%s '%s'", i ? ", " : "",
		    json_string_value(json_object_get(u, "kind")),
		    json_string_value(json_object_get(u, "name")));
	}
	strlcpy(buf, b.data ? b.data : "", size);
	buf_free(&b);
}

/*
 * Delete an object.  One that others refer to is refused, naming them,
 * unless cascade is set: then they go first, and so on down.  Each
 * deleted object is appended to deleted (if not NULL) as {kind, scope,
 * name}.
 */
int
store_delete(struct store *s, const struct kind *k, const char *scope,
    const char *name, int cascade, json_t *deleted, struct vnb_error *err)
{
	sqlite3_stmt		*st;
	const struct kind	*uk;
	json_t			*obj, *users, *u, *body;
	char			 uuid[VNB_UUID_STRLEN], what[512], list[1024];
	size_t			 i;
	int			 rc = -1;

	if ((obj = store_get(s, k, scope, name, err)) == NULL)
		return -1;
	strlcpy(uuid, json_string_value(json_object_get(obj, "uuid")),
	    sizeof(uuid));
	describe(k, scope, name, what, sizeof(what));
	if ((users = store_users_uuid(s, uuid, err)) == NULL)
		goto out;
	if (json_array_size(users) > 0 && !cascade) {
		users_text(users, list, sizeof(list));
		vnb_error_set(err, "cannot delete %s: used by %s (--cascade "
		    "deletes them too)", what, list);
		goto out;
	}
	json_array_foreach(users, i, u) {
		uk = kind_find(json_string_value(json_object_get(u, "kind")));
		if (uk == NULL || !store_exists(s, uk, json_string_value(
		    json_object_get(u, "scope")), json_string_value(
		    json_object_get(u, "name"))))
			continue;
		if (store_delete(s, uk, json_string_value(json_object_get(u,
		    "scope")), json_string_value(json_object_get(u, "name")),
		    1, deleted, err) == -1)
			goto out;
	}

	if ((st = store_stmt(s, ST_DELETE)) == NULL) {
		store_fail(s, err, "delete");
		goto out;
	}
	bind_text(st, 1, uuid);
	if (sqlite3_step(st) != SQLITE_DONE) {
		sqlite3_reset(st);
		store_fail(s, err, "delete");
		goto out;
	}
	sqlite3_reset(st);
	body = kind_fields_only(k, obj);
	u = store_diff(k, body, NULL);
	rc = store_log(s, "delete", k, scope, name, uuid, u, err);
	json_decref(u);
	json_decref(body);
	if (rc == 0 && deleted != NULL)
		json_array_append_new(deleted, json_pack("{s:s,s:s,s:s}",
		    "kind", k->name, "scope", scope_key(k, scope),
		    "name", name));
 out:
	json_decref(users);
	json_decref(obj);
	return rc;
}

/*
 * The newest limit changes (all if limit <= 0), oldest first, of kind k
 * (NULL: every kind) and of the objects called name (NULL: all).
 */
json_t *
store_history(struct store *s, long limit, const struct kind *k,
    const char *name, struct vnb_error *err)
{
	sqlite3_stmt	*st;
	json_t		*arr, *row, *changes;
	const char	*text;
	int		 rc;

	if (sqlite3_prepare_v2(s->db, "SELECT txn, time, user, action, kind,"
	    " scope, name, uuid, changes FROM (SELECT * FROM history"
	    " WHERE (?1 IS NULL OR kind = ?1) AND (?2 IS NULL OR name = ?2)"
	    " ORDER BY id DESC LIMIT ?3) ORDER BY id", -1, &st,
	    NULL) != SQLITE_OK) {
		store_fail(s, err, "history");
		return NULL;
	}
	if (k != NULL)
		bind_text(st, 1, k->name);
	if (name != NULL)
		bind_text(st, 2, name);
	sqlite3_bind_int64(st, 3, limit > 0 ? limit : -1);
	arr = json_array();
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		text = (const char *)sqlite3_column_text(st, 8);
		changes = text ? json_loads(text, 0, NULL) : NULL;
		row = json_pack("{s:I,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:o}",
		    "txn", (json_int_t)sqlite3_column_int64(st, 0),
		    "time", sqlite3_column_text(st, 1),
		    "user", sqlite3_column_text(st, 2),
		    "action", sqlite3_column_text(st, 3),
		    "kind", sqlite3_column_text(st, 4),
		    "scope", sqlite3_column_text(st, 5),
		    "name", sqlite3_column_text(st, 6),
		    "uuid", sqlite3_column_text(st, 7),
		    "changes", changes ? changes : json_object());
		json_array_append_new(arr, row);
	}
	if (rc != SQLITE_DONE) {
		store_fail(s, err, "history");
		json_decref(arr);
		arr = NULL;
	}
	sqlite3_finalize(st);
	return arr;
}

static json_t *
store_generation_row(sqlite3_stmt *st, int with_document)
{
	json_t		*g;
	const char	*deadline;

	g = json_pack("{s:s,s:I,s:s,s:s,s:s,s:s,s:s}",
	    "scope", sqlite3_column_text(st, 0),
	    "generation", (json_int_t)sqlite3_column_int64(st, 1),
	    "time", sqlite3_column_text(st, 2),
	    "user", sqlite3_column_text(st, 3),
	    "hash", sqlite3_column_text(st, 4),
	    "origin", sqlite3_column_text(st, 5),
	    "state", sqlite3_column_text(st, 6));
	if ((deadline = (const char *)sqlite3_column_text(st, 7)) != NULL)
		json_object_set_new(g, "deadline", json_string(deadline));
	if (with_document)
		json_object_set_new(g, "document", json_string((const char *)
		    sqlite3_column_text(st, 8)));
	return g;
}

#define GENERATION_COLUMNS \
	"scope, generation, time, user, hash, origin, state, deadline"

/*
 * The generations of scope, newest first, without their documents; with
 * scope NULL, those of every scope.  With newest, only each scope's
 * newest generation.
 */
json_t *
store_generations(struct store *s, const char *scope, int newest,
    struct vnb_error *err)
{
	sqlite3_stmt	*st;
	json_t		*arr;
	int		 rc;

	if (sqlite3_prepare_v2(s->db, "SELECT " GENERATION_COLUMNS
	    " FROM generations g WHERE (?1 IS NULL OR scope = ?1)"
	    " AND (?2 = 0 OR generation = (SELECT max(generation)"
	    "  FROM generations WHERE scope = g.scope))"
	    " ORDER BY scope, generation DESC", -1, &st, NULL) != SQLITE_OK) {
		store_fail(s, err, "generations");
		return NULL;
	}
	if (scope != NULL)
		bind_text(st, 1, scope);
	sqlite3_bind_int(st, 2, newest);
	arr = json_array();
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		json_array_append_new(arr, store_generation_row(st, 0));
	if (rc != SQLITE_DONE) {
		store_fail(s, err, "generations");
		json_decref(arr);
		arr = NULL;
	}
	sqlite3_finalize(st);
	return arr;
}

/*
 * Generation gen of scope with its document, or the active one for gen 0.
 * Returns 1 and sets *out, 0 if there is no such generation, or -1.
 */
int
store_generation(struct store *s, const char *scope, long gen, json_t **out,
    struct vnb_error *err)
{
	sqlite3_stmt	*st;
	int		 rc;

	*out = NULL;
	if (sqlite3_prepare_v2(s->db, "SELECT " GENERATION_COLUMNS
	    ", document FROM generations WHERE scope = ?1"
	    " AND (?2 = 0 OR generation = ?2)"
	    " ORDER BY generation DESC LIMIT 1", -1, &st, NULL) != SQLITE_OK)
		return store_fail(s, err, "generations");
	bind_text(st, 1, scope);
	sqlite3_bind_int64(st, 2, gen);
	if ((rc = sqlite3_step(st)) == SQLITE_ROW)
		*out = store_generation_row(st, 1);
	else if (rc != SQLITE_DONE)
		store_fail(s, err, "generations");
	sqlite3_finalize(st);
	return *out != NULL ? 1 : rc == SQLITE_DONE ? 0 : -1;
}

static int
store_generation_log(struct store *s, const char *action, const char *scope,
    json_t *changes, struct vnb_error *err)
{
	const struct kind	*k = kind_find("scope");
	char			 uuid[VNB_UUID_STRLEN] = "";
	int			 rc;

	if (store_uuid(s, k, NULL, scope, uuid) == -1)
		rc = store_fail(s, err, "history");
	else
		rc = store_log(s, action, k, NULL, scope, uuid, changes, err);
	json_decref(changes);
	return rc;
}

/*
 * Add a generation to scope, with state "pending" if deadline is given.
 * A generation still pending is superseded: only the newest one waits.
 * Returns the new generation's number, or -1.
 */
long
store_generation_add(struct store *s, const char *scope, const char *document,
    const char *hash, const char *origin, const char *deadline,
    struct vnb_error *err)
{
	sqlite3_stmt	*st;
	char		 now[40];
	long		 gen = -1;

	if (sqlite3_prepare_v2(s->db, "UPDATE generations SET state ="
	    " 'superseded', deadline = NULL WHERE scope = ?1"
	    " AND state = 'pending'", -1, &st, NULL) != SQLITE_OK)
		return store_fail(s, err, "generations");
	bind_text(st, 1, scope);
	gen = sqlite3_step(st) == SQLITE_DONE ? 0 : -1;
	sqlite3_finalize(st);
	if (gen == -1)
		return store_fail(s, err, "generations");

	if (sqlite3_prepare_v2(s->db, "INSERT INTO generations (scope,"
	    " generation, time, user, hash, origin, state, deadline, document)"
	    " SELECT ?1, coalesce(max(generation), 0) + 1, ?2, ?3, ?4, ?5,"
	    " ?6, ?7, ?8 FROM generations WHERE scope = ?1"
	    " RETURNING generation", -1, &st, NULL) != SQLITE_OK)
		return store_fail(s, err, "generations");
	store_now(now, sizeof(now));
	bind_text(st, 1, scope);
	bind_text(st, 2, now);
	bind_text(st, 3, s->user);
	bind_text(st, 4, hash);
	bind_text(st, 5, origin);
	bind_text(st, 6, deadline != NULL ? "pending" : "confirmed");
	if (deadline != NULL)
		bind_text(st, 7, deadline);
	bind_text(st, 8, document);
	gen = -1;
	if (sqlite3_step(st) == SQLITE_ROW)
		gen = (long)sqlite3_column_int64(st, 0);
	if (gen == -1 || sqlite3_step(st) != SQLITE_DONE)
		gen = store_fail(s, err, "generations");
	sqlite3_finalize(st);
	if (gen != -1 && store_generation_log(s, "flush", scope,
	    json_pack("{s:[o,I]}", "generation", gen > 1 ?
	    json_integer(gen - 1) : json_null(), (json_int_t)gen), err) == -1)
		gen = -1;
	return gen;
}

/* Confirm a pending generation, or mark it expired; the deadline goes. */
int
store_generation_set_state(struct store *s, const char *scope, long gen,
    const char *state, struct vnb_error *err)
{
	sqlite3_stmt	*st;
	char		 key[48];
	int		 rc;

	if (sqlite3_prepare_v2(s->db, "UPDATE generations SET state = ?3,"
	    " deadline = NULL WHERE scope = ?1 AND generation = ?2", -1, &st,
	    NULL) != SQLITE_OK)
		return store_fail(s, err, "generations");
	bind_text(st, 1, scope);
	sqlite3_bind_int64(st, 2, gen);
	bind_text(st, 3, state);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return store_fail(s, err, "generations");
	if (sqlite3_changes(s->db) == 0) {
		vnb_error_set(err, "scope '%s' has no generation %ld", scope,
		    gen);
		return -1;
	}
	snprintf(key, sizeof(key), "generation %ld", gen);
	return store_generation_log(s, strcmp(state, "expired") == 0 ?
	    "expire" : "confirm", scope, json_pack("{s:[s,s]}", key,
	    "pending", state), err);
}

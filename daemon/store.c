/*
 * store.c: the state store (DESIGN.md "State store"): an SQLite database
 * at state_file, in WAL mode with synchronous=NORMAL.  One row per block,
 * one per strike, committed one small transaction per act, so one more
 * block costs the same whatever the number held and a kill -9 loses no
 * committed row.  The window counters and hash key of a clean shutdown
 * are rows too, used once by the next start.
 *
 * The file is told by content: an SQLite header is the database, a
 * first-release text file ("nflogmon-state") is imported (state_import.c)
 * and renamed aside, anything else is corrupt and renamed aside with its
 * -wal and -shm.  Rows are read back as untrusted input (store_load.c).
 *
 * Capture never waits on a checkpoint: the writing connection has
 * wal_autocheckpoint off, and a thread with its own connection moves the
 * WAL into the database every STORE_CKPT_S seconds (PASSIVE: it never
 * blocks the writer, and a writer never waits for it).  That thread is
 * the only one besides the loop; it touches nothing but its connection.
 * This file never talks to the kernel, the engine or the log of blocks.
 */
#define _GNU_SOURCE
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <sqlite3.h>

#include "daemon.h"

#define STORE_SCHEMA		1
#define STORE_CKPT_S		5
#define STORE_TEXT_MAX		(512 * 1024 * 1024)	/* an importable file */

const char *const store_schema =
    "CREATE TABLE IF NOT EXISTS meta ("
    " name TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;"
    "CREATE TABLE IF NOT EXISTS blocks ("
    " source TEXT PRIMARY KEY, rule TEXT NOT NULL, action TEXT NOT NULL,"
    " connections INTEGER NOT NULL, destinations INTEGER NOT NULL,"
    " since_us INTEGER NOT NULL, expires_us INTEGER,"
    " strikes INTEGER NOT NULL, attempts INTEGER NOT NULL,"
    " enforced INTEGER NOT NULL, throttle_n INTEGER,"
    " throttle_w_us INTEGER, reason TEXT NOT NULL) WITHOUT ROWID;"
    "CREATE TABLE IF NOT EXISTS strikes ("
    " source TEXT NOT NULL, at_us INTEGER NOT NULL);"
    "CREATE INDEX IF NOT EXISTS strikes_at ON strikes (at_us);"
    "CREATE TABLE IF NOT EXISTS counters ("
    " source TEXT PRIMARY KEY, connections INTEGER NOT NULL,"
    " first_us INTEGER NOT NULL, last_us INTEGER NOT NULL,"
    " burst_bucket_us INTEGER NOT NULL, burst BLOB NOT NULL,"
    " sustained_bucket_us INTEGER NOT NULL, sustained BLOB NOT NULL,"
    " fanout_tick_us INTEGER NOT NULL, slots BLOB) WITHOUT ROWID;"
    /* the fleet (DESIGN.md "Fleet"): the decision ids of what was
     * published, and the publications still pending (rewritten whole) */
    "CREATE TABLE IF NOT EXISTS fleet_ids ("
    " source TEXT PRIMARY KEY, decision_id INTEGER NOT NULL) WITHOUT ROWID;"
    "CREATE TABLE IF NOT EXISTS fleet_jobs ("
    " seq INTEGER PRIMARY KEY, op TEXT NOT NULL, source TEXT NOT NULL,"
    " rule TEXT NOT NULL, since_us INTEGER NOT NULL,"
    " duration_us INTEGER NOT NULL, decision_id INTEGER NOT NULL);";

enum {
	Q_BEGIN = 0, Q_COMMIT, Q_ROLLBACK, Q_PUT, Q_DEL, Q_CLEAR, Q_STRIKE, Q_ATTEMPTS,
	Q_PRUNE, Q_COUNT, Q_META, Q_FLEET_ID, Q_FLEET_ID_DEL, Q_FLEET_JOBS_DEL,
	Q_FLEET_JOB, Q_MAX
};

static const char *const store_sql[Q_MAX] = {
	[Q_BEGIN] = "BEGIN",
	[Q_COMMIT] = "COMMIT",
	[Q_ROLLBACK] = "ROLLBACK",
	[Q_PUT] = "INSERT OR REPLACE INTO blocks VALUES"
	    " (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)",
	[Q_DEL] = "DELETE FROM blocks WHERE source = ?1",
	[Q_CLEAR] = "DELETE FROM blocks",
	[Q_STRIKE] = "INSERT INTO strikes VALUES (?1, ?2)",
	[Q_ATTEMPTS] = "UPDATE blocks SET attempts = ?2 WHERE source = ?1",
	[Q_PRUNE] = "DELETE FROM strikes WHERE at_us <= ?1",
	[Q_COUNT] = "INSERT OR REPLACE INTO counters VALUES"
	    " (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
	[Q_META] = "INSERT OR REPLACE INTO meta VALUES (?1, ?2)",
	[Q_FLEET_ID] = "INSERT OR REPLACE INTO fleet_ids VALUES (?1, ?2)",
	[Q_FLEET_ID_DEL] = "DELETE FROM fleet_ids WHERE source = ?1",
	[Q_FLEET_JOBS_DEL] = "DELETE FROM fleet_jobs",
	[Q_FLEET_JOB] = "INSERT INTO fleet_jobs VALUES"
	    " (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
};

/*
 * Invariants: db is open in WAL mode with every q[] prepared on it; depth
 * counts nested store_begin calls, the transaction is open while it is
 * > 0 and failed says a statement in it failed (the outermost commit
 * rolls back then).  The checkpoint thread runs while ckpt_running.
 */
struct store {
	sqlite3		*db;
	sqlite3_stmt	*q[Q_MAX];
	char		 path[PATH_MAX];
	int		 depth;
	bool		 failed;
	uint64_t	 errors;
	pthread_t	 ckpt;
	bool		 ckpt_running;
	pthread_mutex_t	 mtx;
	pthread_cond_t	 cv;
	bool		 stop;
};

/* ------------------------------------------------------------ names */

/* A block's action (block, throttle, dry_run), -1 for anything else. */
int
action_from_name(const char *s)
{
	static const enum action acts[] = { ACT_BLOCK, ACT_THROTTLE,
	    ACT_DRY_RUN };
	size_t i;

	for (i = 0; i < sizeof(acts) / sizeof(acts[0]); i++)
		if (strcmp(action_name(acts[i]), s) == 0)
			return (int)acts[i];
	return -1;
}

/* ------------------------------------------------------------ files */

static void
store_path_suffix(char *out, size_t len, const char *path, const char *sfx)
{
	snprintf(out, len, "%s%s", path, sfx);
}

/*
 * Renames path (and its -wal, -shm) to path.KIND-TIME[-N][-wal|-shm],
 * never overwriting.  0, or -1 (errno) when the main file cannot move.
 */
static int
store_set_aside(const char *path, const char *kind, char *aside,
    size_t len)
{
	static const char *const sfx[] = { "-wal", "-shm" };
	char from[PATH_MAX + 8], to[PATH_MAX + 8];
	long long t = (long long)(clock_wall_us() / US_PER_S);
	size_t j;
	int i;

	for (i = 0; i < 100; i++) {
		if (i == 0)
			snprintf(aside, len, "%s.%s-%lld", path, kind, t);
		else
			snprintf(aside, len, "%s.%s-%lld-%d", path, kind, t, i);
		if (renameat2(AT_FDCWD, path, AT_FDCWD, aside,
		    RENAME_NOREPLACE) == 0) {
			for (j = 0; j < sizeof(sfx) / sizeof(sfx[0]); j++) {
				store_path_suffix(from, sizeof(from), path,
				    sfx[j]);
				store_path_suffix(to, sizeof(to), aside, sfx[j]);
				if (rename(from, to) == -1 && errno != ENOENT)
					log_warn("state: %s", from);
			}
			return 0;
		}
		if (errno != EEXIST)
			return -1;
	}
	return -1;
}

static void
store_corrupt(const char *path, const char *why)
{
	char aside[PATH_MAX + 32];

	if (store_set_aside(path, "corrupt", aside, sizeof(aside)) == -1)
		fatal("state file %s is corrupt (%s) and cannot be set aside",
		    path, why);
	log_warnx("state file %s is corrupt (%s); kept as %s, starting from "
	    "the kernel sets", path, why, aside);
}

enum store_kind { KIND_NONE, KIND_EMPTY, KIND_SQLITE, KIND_TEXT, KIND_OTHER };

static enum store_kind
store_kind(const char *path)
{
	char head[16];
	struct stat sb;
	ssize_t n;
	int fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)) == -1) {
		if (errno == ENOENT)
			return KIND_NONE;
		if (errno == ELOOP)
			return KIND_OTHER;
		fatal("state file %s", path);
	}
	if (fstat(fd, &sb) == -1)
		fatal("state file %s", path);
	if (!S_ISREG(sb.st_mode)) {
		close(fd);
		return KIND_OTHER;
	}
	n = read(fd, head, sizeof(head));
	close(fd);
	if (n == 0)
		return KIND_EMPTY;
	if (n == (ssize_t)sizeof(head) &&
	    memcmp(head, "SQLite format 3", 16) == 0)
		return KIND_SQLITE;
	if (n >= 15 && memcmp(head, "nflogmon-state ", 15) == 0)
		return KIND_TEXT;
	return KIND_OTHER;
}

/* ------------------------------------------------------------ connection */

static int
store_exec(sqlite3 *db, const char *sql, char *err, size_t errlen)
{
	char *msg = NULL;

	if (sqlite3_exec(db, sql, NULL, NULL, &msg) != SQLITE_OK) {
		snprintf(err, errlen, "%s", msg != NULL ? msg :
		    sqlite3_errmsg(db));
		sqlite3_free(msg);
		return -1;
	}
	return 0;
}

static void
store_close_db(struct store *s)
{
	int i;

	for (i = 0; i < Q_MAX; i++) {
		sqlite3_finalize(s->q[i]);
		s->q[i] = NULL;
	}
	if (s->db != NULL)
		sqlite3_close(s->db);
	s->db = NULL;
}

/*
 * Opens (creating) the database: WAL, synchronous=NORMAL, no automatic
 * checkpoint, the schema, its version.  0; -1 with err when the file is
 * not an nflogmon database we can use (the caller sets it aside).
 */
static int
store_open_db(struct store *s, char *err, size_t errlen)
{
	sqlite3_stmt *st = NULL;
	const char *v;
	int i, rc;

	/* NOMUTEX: this connection is the main thread's alone (the
	 * checkpoints have their own); a start reads a million rows. */
	if (sqlite3_open_v2(s->path, &s->db, SQLITE_OPEN_READWRITE |
	    SQLITE_OPEN_CREATE | SQLITE_OPEN_NOFOLLOW | SQLITE_OPEN_NOMUTEX,
	    NULL) != SQLITE_OK) {
		snprintf(err, errlen, "%s", s->db != NULL ?
		    sqlite3_errmsg(s->db) : "out of memory");
		goto fail;
	}
	/* Closing never checkpoints nor removes the WAL by itself: a corrupt
	 * database is set aside with its WAL as it was; a clean close
	 * checkpoints first (store_close). */
	sqlite3_db_config(s->db, SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE, 1, NULL);
	sqlite3_busy_timeout(s->db, 2000);
	if (store_exec(s->db, "PRAGMA journal_mode=WAL;"
	    "PRAGMA synchronous=NORMAL;PRAGMA wal_autocheckpoint=0;"
	    "PRAGMA foreign_keys=OFF;", err, errlen) == -1 ||
	    store_exec(s->db, store_schema, err, errlen) == -1)
		goto fail;
	if (sqlite3_prepare_v2(s->db, "SELECT value FROM meta WHERE name ="
	    " 'schema'", -1, &st, NULL) != SQLITE_OK) {
		snprintf(err, errlen, "%s", sqlite3_errmsg(s->db));
		goto fail;
	}
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		v = (const char *)sqlite3_column_text(st, 0);
		if (v == NULL || atoi(v) != STORE_SCHEMA ||
		    strspn(v, "0123456789") != strlen(v)) {
			snprintf(err, errlen, "schema version %s, this "
			    "nflogmon reads %d", v != NULL ? v : "NULL",
			    STORE_SCHEMA);
			goto fail;
		}
	} else if (rc != SQLITE_DONE) {
		snprintf(err, errlen, "%s", sqlite3_errmsg(s->db));
		goto fail;
	}
	sqlite3_finalize(st);
	st = NULL;
	for (i = 0; i < Q_MAX; i++)
		if (sqlite3_prepare_v3(s->db, store_sql[i], -1,
		    SQLITE_PREPARE_PERSISTENT, &s->q[i], NULL) != SQLITE_OK) {
			snprintf(err, errlen, "%s", sqlite3_errmsg(s->db));
			goto fail;
		}
	if (rc == SQLITE_DONE && store_exec(s->db, "INSERT INTO meta VALUES"
	    " ('schema', '1')", err, errlen) == -1)
		goto fail;
	return 0;
fail:
	sqlite3_finalize(st);
	store_close_db(s);
	return -1;
}

/* ------------------------------------------------------------ writing */

static int
store_step(struct store *s, sqlite3_stmt *st)
{
	int rc = sqlite3_step(st);

	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	if (rc == SQLITE_DONE || rc == SQLITE_ROW)
		return 0;
	s->errors++;
	s->failed = true;
	log_warnx("state %s: %s", s->path, sqlite3_errmsg(s->db));
	return -1;
}

int
store_begin(struct store *s)
{
	if (s == NULL)
		return 0;
	if (s->depth++ > 0)
		return 0;
	s->failed = false;
	return store_step(s, s->q[Q_BEGIN]);
}

/* Commits the outermost transaction; a failed one is rolled back. */
int
store_commit(struct store *s)
{
	bool failed;

	if (s == NULL || s->depth == 0 || --s->depth > 0)
		return 0;
	failed = s->failed;
	if (!failed && store_step(s, s->q[Q_COMMIT]) == 0)
		return 0;
	(void)store_step(s, s->q[Q_ROLLBACK]);
	return -1;
}

static void
bind_key(sqlite3_stmt *st, int i, const struct key *k)
{
	char src[KEY_STRLEN];

	key_format(k, src, sizeof(src));
	sqlite3_bind_text(st, i, src, -1, SQLITE_TRANSIENT);
}

int
store_block_put(struct store *s, const struct block *b, uint32_t attempts)
{
	sqlite3_stmt *st;

	if (s == NULL)
		return 0;
	st = s->q[Q_PUT];
	bind_key(st, 1, &b->key);
	sqlite3_bind_text(st, 2, rule_name(b->rule), -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, action_name(b->action), -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 4, b->connections);
	sqlite3_bind_int64(st, 5, b->destinations);
	sqlite3_bind_int64(st, 6, b->since_us);
	if (b->expires_us != DURATION_PERMANENT)
		sqlite3_bind_int64(st, 7, b->expires_us);
	sqlite3_bind_int64(st, 8, b->strikes);
	sqlite3_bind_int64(st, 9, attempts);
	sqlite3_bind_int(st, 10, b->enforced ? 1 : 0);
	if (b->action == ACT_THROTTLE) {
		sqlite3_bind_int64(st, 11, b->throttle_rate.n);
		sqlite3_bind_int64(st, 12, b->throttle_rate.w_us);
	}
	sqlite3_bind_text(st, 13, b->reason, -1, SQLITE_TRANSIENT);
	return store_step(s, st);
}

int
store_block_delete(struct store *s, const struct key *k)
{
	if (s == NULL)
		return 0;
	bind_key(s->q[Q_DEL], 1, k);
	return store_step(s, s->q[Q_DEL]);
}

/* Every block row: act_behind.c rewrites the table from memory. */
int
store_blocks_clear(struct store *s)
{
	if (s == NULL)
		return 0;
	return store_step(s, s->q[Q_CLEAR]);
}

int
store_strike_add(struct store *s, const struct key *k, int64_t at_us)
{
	if (s == NULL)
		return 0;
	bind_key(s->q[Q_STRIKE], 1, k);
	sqlite3_bind_int64(s->q[Q_STRIKE], 2, at_us);
	return store_step(s, s->q[Q_STRIKE]);
}

int
store_attempts(struct store *s, const struct key *k, uint32_t attempts)
{
	if (s == NULL)
		return 0;
	bind_key(s->q[Q_ATTEMPTS], 1, k);
	sqlite3_bind_int64(s->q[Q_ATTEMPTS], 2, attempts);
	return store_step(s, s->q[Q_ATTEMPTS]);
}

/* The decision id of a key this gateway published (0: forgotten). */
int
store_fleet_id(struct store *s, const struct key *k, int64_t id)
{
	int i = id > 0 ? Q_FLEET_ID : Q_FLEET_ID_DEL;

	if (s == NULL)
		return 0;
	bind_key(s->q[i], 1, k);
	if (id > 0)
		sqlite3_bind_int64(s->q[i], 2, id);
	return store_step(s, s->q[i]);
}

/* The pending publications, replacing those saved before, in one
 * transaction. */
int
store_fleet_jobs(struct store *s, const struct state_fleet *rows, size_t n)
{
	sqlite3_stmt *st;
	size_t i;

	if (s == NULL)
		return 0;
	store_begin(s);
	(void)store_step(s, s->q[Q_FLEET_JOBS_DEL]);
	st = s->q[Q_FLEET_JOB];
	for (i = 0; i < n; i++) {
		sqlite3_bind_int64(st, 1, (sqlite3_int64)i);
		sqlite3_bind_text(st, 2, rows[i].unpublish ? "unpublish" :
		    "publish", -1, SQLITE_STATIC);
		bind_key(st, 3, &rows[i].key);
		sqlite3_bind_text(st, 4, rows[i].rule, -1, SQLITE_TRANSIENT);
		sqlite3_bind_int64(st, 5, rows[i].since_us);
		sqlite3_bind_int64(st, 6, rows[i].duration_us);
		sqlite3_bind_int64(st, 7, rows[i].decision_id);
		(void)store_step(s, st);
	}
	return store_commit(s);
}

/* Forgets the strikes at or before until_us (past strike_memory). */
int
store_strikes_prune(struct store *s, int64_t until_us)
{
	if (s == NULL)
		return 0;
	sqlite3_bind_int64(s->q[Q_PRUNE], 1, until_us);
	return store_step(s, s->q[Q_PRUNE]);
}

static int
store_meta_put(struct store *s, const char *name, const char *value)
{
	sqlite3_bind_text(s->q[Q_META], 1, name, -1, SQLITE_STATIC);
	sqlite3_bind_text(s->q[Q_META], 2, value, -1, SQLITE_TRANSIENT);
	return store_step(s, s->q[Q_META]);
}

/* Little-endian packing of the counters' arrays: fixed, checkable sizes. */
static void
pack_u16s(uint8_t *out, const uint16_t *v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		out[2 * i] = (uint8_t)(v[i] & 0xff);
		out[2 * i + 1] = (uint8_t)(v[i] >> 8);
	}
}

static int
store_count_put(struct store *s, const struct engine_counters *c)
{
	sqlite3_stmt *st = s->q[Q_COUNT];
	uint8_t burst[2 * ENGINE_BUCKETS], sus[2 * ENGINE_BUCKETS];
	uint8_t *slots = NULL;
	uint32_t i;
	int rv;

	if (c->nslots > 0) {
		if ((slots = malloc((size_t)c->nslots * 6)) == NULL)
			return -1;
		for (i = 0; i < c->nslots; i++) {
			uint8_t *p = slots + 6 * i;
			uint32_t h = c->slots[i].dsthash;
			p[0] = (uint8_t)h;
			p[1] = (uint8_t)(h >> 8);
			p[2] = (uint8_t)(h >> 16);
			p[3] = (uint8_t)(h >> 24);
			p[4] = (uint8_t)c->slots[i].age;
			p[5] = (uint8_t)(c->slots[i].age >> 8);
		}
	}
	pack_u16s(burst, c->buckets[RULE_BURST], ENGINE_BUCKETS);
	pack_u16s(sus, c->buckets[RULE_SUSTAINED], ENGINE_BUCKETS);
	bind_key(st, 1, &c->key);
	sqlite3_bind_int64(st, 2, c->connections);
	sqlite3_bind_int64(st, 3, c->first_us);
	sqlite3_bind_int64(st, 4, c->last_us);
	sqlite3_bind_int64(st, 5, c->bucket_us[RULE_BURST]);
	sqlite3_bind_blob(st, 6, burst, sizeof(burst), SQLITE_TRANSIENT);
	sqlite3_bind_int64(st, 7, c->bucket_us[RULE_SUSTAINED]);
	sqlite3_bind_blob(st, 8, sus, sizeof(sus), SQLITE_TRANSIENT);
	sqlite3_bind_int64(st, 9, c->distinct_tick_us);
	if (slots != NULL)
		sqlite3_bind_blob(st, 10, slots, (int)c->nslots * 6,
		    SQLITE_TRANSIENT);
	rv = store_step(s, st);
	free(slots);
	return rv;
}

/*
 * The window counters and hash key of a clean shutdown (st->has_hashkey,
 * counts[] with wall-clock times), replacing any earlier ones.
 */
int
store_counters_save(struct store *s, const struct state *st)
{
	char hex[33];
	size_t i;

	if (s == NULL || !st->has_hashkey)
		return 0;
	if (store_begin(s) == -1)
		return -1;
	(void)store_counters_drop(s);
	(void)store_meta_put(s, "hashkey", fmt_hex(st->hashkey,
	    sizeof(st->hashkey), hex, sizeof(hex)));
	for (i = 0; i < st->ncounts && !s->failed; i++)
		if (store_count_put(s, &st->counts[i]) == -1)
			s->failed = true;
	return store_commit(s);
}

/* The counters are used once: dropped once restored. */
int
store_counters_drop(struct store *s)
{
	char err[256];

	if (s == NULL)
		return 0;
	if (store_exec(s->db, "DELETE FROM counters;"
	    "DELETE FROM meta WHERE name = 'hashkey'", err, sizeof(err)) == -1) {
		log_warnx("state %s: %s", s->path, err);
		s->failed = s->depth > 0;
		return -1;
	}
	return 0;
}

/* Every record of st, in one transaction (an import). */
static int
store_put_all(struct store *s, const struct state *st)
{
	size_t i;

	if (store_begin(s) == -1)
		return -1;
	for (i = 0; i < st->nblocks && !s->failed; i++)
		(void)store_block_put(s, &st->blocks[i].b,
		    st->blocks[i].attempts);
	for (i = 0; i < st->nstrikes && !s->failed; i++)
		(void)store_strike_add(s, &st->strikes[i].key,
		    st->strikes[i].at_us);
	if (store_commit(s) == -1)
		return -1;
	return store_counters_save(s, st);
}

/* ------------------------------------------------------------ text import */

/* 1 imported into st, -1 corrupt (set aside). */
static int
store_read_text(const char *path, int ipv6_prefix, struct state *st)
{
	char err[256];
	struct stat sb;
	char *buf;
	size_t off = 0;
	ssize_t n;
	int fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)) == -1 ||
	    fstat(fd, &sb) == -1)
		fatal("state file %s", path);
	if (sb.st_size > STORE_TEXT_MAX) {
		close(fd);
		store_corrupt(path, "too large");
		return -1;
	}
	if ((buf = malloc((size_t)sb.st_size + 1)) == NULL)
		fatal("state file %s", path);
	while (off < (size_t)sb.st_size) {
		n = read(fd, buf + off, (size_t)sb.st_size - off);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1)
			fatal("state file %s", path);
		if (n == 0)
			break;
		off += (size_t)n;
	}
	close(fd);
	if (state_parse(buf, off, ipv6_prefix, st, err, sizeof(err)) == -1) {
		free(buf);
		store_corrupt(path, err);
		return -1;
	}
	free(buf);
	return 1;
}

/* ------------------------------------------------------------ checkpoints */

static void *
store_ckpt_main(void *arg)
{
	struct store *s = arg;
	sqlite3 *db = NULL;
	struct timespec ts;

	if (sqlite3_open_v2(s->path, &db, SQLITE_OPEN_READWRITE |
	    SQLITE_OPEN_NOFOLLOW, NULL) != SQLITE_OK) {
		log_warnx("state %s: no checkpoint connection (%s); the WAL "
		    "grows until the stop", s->path, db != NULL ?
		    sqlite3_errmsg(db) : "out of memory");
		sqlite3_close(db);
		return NULL;
	}
	sqlite3_busy_timeout(db, 100);
	/* A connection that never read the database has not opened its WAL
	 * yet, and its checkpoints would find nothing to do. */
	(void)sqlite3_exec(db, "PRAGMA schema_version", NULL, NULL, NULL);
	pthread_mutex_lock(&s->mtx);
	while (!s->stop) {
		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_sec += STORE_CKPT_S;
		(void)pthread_cond_timedwait(&s->cv, &s->mtx, &ts);
		if (s->stop)
			break;
		pthread_mutex_unlock(&s->mtx);
		if (sqlite3_wal_checkpoint_v2(db, NULL,
		    SQLITE_CHECKPOINT_PASSIVE, NULL, NULL) != SQLITE_OK)
			log_debug("state %s: checkpoint: %s", s->path,
			    sqlite3_errmsg(db));
		pthread_mutex_lock(&s->mtx);
	}
	pthread_mutex_unlock(&s->mtx);
	sqlite3_close(db);
	return NULL;
}

/* After the privilege drop (its connection opens as the daemon's user). */
int
store_checkpoints_start(struct store *s)
{
	if (s == NULL || s->ckpt_running)
		return 0;
	s->stop = false;
	if (pthread_create(&s->ckpt, NULL, store_ckpt_main, s) != 0) {
		log_warnx("state: no checkpoint thread; checkpoints at "
		    "shutdown only");
		return -1;
	}
	s->ckpt_running = true;
	return 0;
}

/* ------------------------------------------------------------ open, close */

static struct store *
store_new(const char *path)
{
	struct store *s;

	if (strlen(path) >= PATH_MAX - 64)
		fatalx("state file %s: path too long", path);
	if ((s = calloc(1, sizeof(*s))) == NULL)
		fatalx("out of memory");
	snprintf(s->path, sizeof(s->path), "%s", path);
	pthread_mutex_init(&s->mtx, NULL);
	pthread_cond_init(&s->cv, NULL);
	return s;
}

/* Opens a fresh database at s->path (nothing there). */
static void
store_create(struct store *s)
{
	char err[256];

	if (store_open_db(s, err, sizeof(err)) == -1)
		fatalx("state file %s: cannot create the database: %s",
		    s->path, err);
}

/*
 * Opens state_file and loads what it holds into st: a database, a
 * first-release text file (imported, then renamed aside to
 * state.imported-TIME), or nothing (a new database).  A corrupt file is
 * renamed aside with its -wal and -shm and st is empty.  Only an
 * unusable path is fatal.
 */
struct store *
store_open(const char *path, int ipv6_prefix, struct state *st)
{
	struct store *s = store_new(path);
	char err[256], aside[PATH_MAX + 32];
	enum store_kind kind = store_kind(path);

	memset(st, 0, sizeof(*st));
	switch (kind) {
	case KIND_TEXT:
		if (store_read_text(path, ipv6_prefix, st) == -1)
			break;
		if (store_set_aside(path, "imported", aside,
		    sizeof(aside)) == -1)
			fatal("state file %s: cannot rename it aside", path);
		store_create(s);
		if (store_put_all(s, st) == -1)
			fatalx("state file %s: the import failed", path);
		log_info("state: %s imported into the database (%zu blocks, "
		    "%zu strikes); the text file is kept as %s", path,
		    st->nblocks, st->nstrikes, aside);
		return s;
	case KIND_SQLITE:
	case KIND_EMPTY:
		if (store_open_db(s, err, sizeof(err)) == -1 ||
		    store_load_rows(s->db, s->path, ipv6_prefix, st, err,
		    sizeof(err)) == -1) {
			store_close_db(s);
			store_corrupt(path, err);
		}
		break;
	case KIND_OTHER:
		store_corrupt(path, "neither an SQLite database nor a "
		    "state text file");
		break;
	case KIND_NONE:
		break;
	}
	if (s->db == NULL)
		store_create(s);
	return s;
}

/* At shutdown: the WAL is moved into the database and removed. */
void
store_close(struct store *s)
{
	if (s == NULL)
		return;
	if (s->ckpt_running) {
		pthread_mutex_lock(&s->mtx);
		s->stop = true;
		pthread_cond_signal(&s->cv);
		pthread_mutex_unlock(&s->mtx);
		pthread_join(s->ckpt, NULL);
	}
	/* A sound database: the last close moves the WAL in and removes
	 * it, and the -shm, as SQLite does by default. */
	if (s->db != NULL && sqlite3_wal_checkpoint_v2(s->db, NULL,
	    SQLITE_CHECKPOINT_TRUNCATE, NULL, NULL) == SQLITE_OK)
		sqlite3_db_config(s->db, SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE, 0,
		    NULL);
	store_close_db(s);
	pthread_cond_destroy(&s->cv);
	pthread_mutex_destroy(&s->mtx);
	free(s);
}

uint64_t
store_errors(const struct store *s)
{
	return s != NULL ? s->errors : 0;
}

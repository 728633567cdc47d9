/*
 * store_load.c: the state store's rows read back at start (store.c opens
 * the database and calls store_load_rows).  Rows are untrusted input, an
 * operator may have edited them: every column is typed and bounded, a
 * source must parse as a key, a rule or action must be one the program
 * knows by name (rule_from_name, action_from_name: no schema change for a
 * new rule or key kind), a reason must be printable.  A bad row is
 * refused with a message naming its table and source and left out; the
 * others load.  Only a database error (corruption) fails the load.
 */
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "daemon.h"

/* Saved times moved between clocks stay far from any overflow. */
#define STORE_TIME_MAX		(INT64_MAX / 4)

struct row {
	const char	*table;
	const char	*source;	/* as stored, for messages */
	char		 why[96];
};

static int
col_i64(sqlite3_stmt *st, int i, int64_t min, int64_t max, int64_t *v,
    struct row *r)
{
	if (sqlite3_column_type(st, i) != SQLITE_INTEGER) {
		snprintf(r->why, sizeof(r->why), "%s is not an integer",
		    sqlite3_column_name(st, i));
		return -1;
	}
	*v = sqlite3_column_int64(st, i);
	if (*v < min || *v > max) {
		snprintf(r->why, sizeof(r->why), "%s %lld out of range",
		    sqlite3_column_name(st, i), (long long)*v);
		return -1;
	}
	return 0;
}

static int
col_key(sqlite3_stmt *st, int i, int ipv6_prefix, struct key *k,
    struct row *r)
{
	char err[128];

	r->source = (const char *)sqlite3_column_text(st, i);
	if (sqlite3_column_type(st, i) != SQLITE_TEXT || r->source == NULL ||
	    key_parse(r->source, ipv6_prefix, k, err, sizeof(err)) == -1 ||
	    k->kind == KEY_NONE) {
		snprintf(r->why, sizeof(r->why), "bad source");
		return -1;
	}
	return 0;
}

static void
row_refused(const char *path, const struct row *r)
{
	char shown[KEY_STRLEN + 4];

	snprintf(shown, sizeof(shown), "%s", r->source != NULL ? r->source :
	    "NULL");
	log_warnx("state %s: %s row '%s' refused: %s", path, r->table,
	    shown, r->why);
}

static int
row_block(sqlite3_stmt *st, int ipv6_prefix, struct state_block *sb,
    struct row *r)
{
	struct block *b = &sb->b;
	const char *t;
	int64_t v;
	size_t i;
	int id;

	memset(sb, 0, sizeof(*sb));
	if (col_key(st, 0, ipv6_prefix, &b->key, r) == -1)
		return -1;
	t = (const char *)sqlite3_column_text(st, 1);
	if (t == NULL || (id = rule_from_name(t)) < 0) {
		snprintf(r->why, sizeof(r->why), "unknown rule");
		return -1;
	}
	b->rule = (enum rule)id;
	t = (const char *)sqlite3_column_text(st, 2);
	if (t == NULL || (id = action_from_name(t)) < 0) {
		snprintf(r->why, sizeof(r->why), "unknown action");
		return -1;
	}
	b->action = (enum action)id;
	if (col_i64(st, 3, 0, UINT32_MAX, &v, r) == -1)
		return -1;
	b->connections = (uint32_t)v;
	if (col_i64(st, 4, 0, UINT32_MAX, &v, r) == -1)
		return -1;
	b->destinations = (uint32_t)v;
	if (col_i64(st, 5, 0, INT64_MAX - 1, &b->since_us, r) == -1)
		return -1;
	if (sqlite3_column_type(st, 6) == SQLITE_NULL)
		b->expires_us = DURATION_PERMANENT;
	else if (col_i64(st, 6, 0, INT64_MAX - 1, &b->expires_us, r) == -1)
		return -1;
	if (col_i64(st, 7, 0, 1000000, &v, r) == -1)
		return -1;
	b->strikes = (int)v;
	if (col_i64(st, 8, 0, UINT32_MAX, &v, r) == -1)
		return -1;
	sb->attempts = (uint32_t)v;
	if (col_i64(st, 9, 0, 1, &v, r) == -1)
		return -1;
	b->enforced = v == 1;
	if (b->action == ACT_THROTTLE) {
		if (col_i64(st, 10, 1, UINT32_MAX, &v, r) == -1 ||
		    col_i64(st, 11, 1, INT64_MAX - 1, &b->throttle_rate.w_us,
		    r) == -1)
			return -1;
		b->throttle_rate.n = (uint32_t)v;
	}
	t = (const char *)sqlite3_column_text(st, 12);
	if (sqlite3_column_type(st, 12) != SQLITE_TEXT || t == NULL ||
	    strlen(t) >= sizeof(b->reason)) {
		snprintf(r->why, sizeof(r->why), "bad reason");
		return -1;
	}
	for (i = 0; t[i] != '\0'; i++)
		if ((unsigned char)t[i] < 0x20 || t[i] == 0x7f) {
			snprintf(r->why, sizeof(r->why), "control character "
			    "in reason");
			return -1;
		}
	memcpy(b->reason, t, i + 1);
	return 0;
}

static int
unpack_u16s(sqlite3_stmt *st, int i, uint16_t *out, struct row *r)
{
	const uint8_t *p = sqlite3_column_blob(st, i);
	int j;

	if (sqlite3_column_type(st, i) != SQLITE_BLOB ||
	    sqlite3_column_bytes(st, i) != 2 * ENGINE_BUCKETS || p == NULL) {
		snprintf(r->why, sizeof(r->why), "%s is not %d bytes",
		    sqlite3_column_name(st, i), 2 * ENGINE_BUCKETS);
		return -1;
	}
	for (j = 0; j < ENGINE_BUCKETS; j++)
		out[j] = (uint16_t)(p[2 * j] | p[2 * j + 1] << 8);
	return 0;
}

static int
row_counts(sqlite3_stmt *st, int ipv6_prefix, struct state *out,
    size_t *scap, struct engine_counters *c, struct row *r)
{
	const uint8_t *p;
	int64_t v;
	int n, i;

	memset(c, 0, sizeof(*c));
	if (col_key(st, 0, ipv6_prefix, &c->key, r) == -1 ||
	    col_i64(st, 1, 1, UINT32_MAX, &v, r) == -1)
		return -1;
	c->connections = (uint32_t)v;
	if (col_i64(st, 2, -STORE_TIME_MAX, STORE_TIME_MAX, &c->first_us,
	    r) == -1 ||
	    col_i64(st, 3, c->first_us, STORE_TIME_MAX, &c->last_us, r) == -1 ||
	    col_i64(st, 4, 0, STORE_TIME_MAX, &c->bucket_us[RULE_BURST], r) == -1 ||
	    unpack_u16s(st, 5, c->buckets[RULE_BURST], r) == -1 ||
	    col_i64(st, 6, 0, STORE_TIME_MAX, &c->bucket_us[RULE_SUSTAINED],
	    r) == -1 ||
	    unpack_u16s(st, 7, c->buckets[RULE_SUSTAINED], r) == -1 ||
	    col_i64(st, 8, 0, STORE_TIME_MAX, &c->distinct_tick_us, r) == -1)
		return -1;
	if (sqlite3_column_type(st, 9) == SQLITE_NULL)
		return 0;
	p = sqlite3_column_blob(st, 9);
	n = sqlite3_column_bytes(st, 9);
	if (sqlite3_column_type(st, 9) != SQLITE_BLOB || p == NULL ||
	    n % 6 != 0 || n / 6 > ENGINE_MAX_SLOTS) {
		snprintf(r->why, sizeof(r->why), "bad slots");
		return -1;
	}
	if (state_grow((void **)&out->slots, out->nslots, (size_t)n / 6, scap,
	    sizeof(*out->slots)) == -1)
		fatalx("state: out of memory");
	for (i = 0; i < n / 6; i++) {
		struct engine_slot *e = &out->slots[out->nslots + (size_t)i];
		const uint8_t *q = p + 6 * i;
		e->dsthash = (uint32_t)q[0] | (uint32_t)q[1] << 8 |
		    (uint32_t)q[2] << 16 | (uint32_t)q[3] << 24;
		e->age = (uint16_t)(q[4] | q[5] << 8);
		if (e->dsthash == 0 || e->age > ENGINE_SLOT_MAX_AGE) {
			snprintf(r->why, sizeof(r->why), "bad slot %d", i);
			return -1;
		}
	}
	c->nslots = (uint32_t)(n / 6);
	out->nslots += c->nslots;
	return 0;
}

/* One load: where to, from where, and what was refused. */
struct load {
	sqlite3		*db;
	const char	*path;
	struct state	*st;
	int		 ipv6_prefix;
	size_t		 bcap, scap, ccap, slcap, fcap;
	size_t		 refused;
};

/* Runs sql over every row; fn takes or refuses it.  -1 on a database
 * error (corruption), with err. */
static int
load_scan(struct load *l, const char *sql,
    void (*fn)(const char *, sqlite3_stmt *, void *), char *err,
    size_t errlen)
{
	sqlite3_stmt *st;
	int rc;

	if (sqlite3_prepare_v2(l->db, sql, -1, &st, NULL) != SQLITE_OK) {
		snprintf(err, errlen, "%s", sqlite3_errmsg(l->db));
		return -1;
	}
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		fn(l->path, st, l);
	if (rc != SQLITE_DONE)
		snprintf(err, errlen, "%s", sqlite3_errmsg(l->db));
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? 0 : -1;
}


static void
load_block(const char *path, sqlite3_stmt *q, void *arg)
{
	struct load *l = arg;
	struct state *st = l->st;
	struct row r = { .table = "blocks" };

	if (state_grow((void **)&st->blocks, st->nblocks, 1, &l->bcap,
	    sizeof(*st->blocks)) == -1)
		fatalx("state: out of memory loading %zu blocks", st->nblocks);
	if (row_block(q, l->ipv6_prefix, &st->blocks[st->nblocks], &r) == -1) {
		row_refused(path, &r);
		l->refused++;
		return;
	}
	st->nblocks++;
}

static void
load_strike(const char *path, sqlite3_stmt *q, void *arg)
{
	struct load *l = arg;
	struct state *st = l->st;
	struct row r = { .table = "strikes" };
	struct state_strike *k;

	if (state_grow((void **)&st->strikes, st->nstrikes, 1, &l->scap,
	    sizeof(*st->strikes)) == -1)
		fatalx("state: out of memory loading strikes");
	k = &st->strikes[st->nstrikes];
	if (col_key(q, 0, l->ipv6_prefix, &k->key, &r) == -1 ||
	    col_i64(q, 1, -STORE_TIME_MAX, STORE_TIME_MAX, &k->at_us,
	    &r) == -1) {
		row_refused(path, &r);
		l->refused++;
		return;
	}
	st->nstrikes++;
}

static void
load_counts(const char *path, sqlite3_stmt *q, void *arg)
{
	struct load *l = arg;
	struct state *st = l->st;
	struct row r = { .table = "counters" };
	size_t nslots = st->nslots;

	if (state_grow((void **)&st->counts, st->ncounts, 1, &l->ccap,
	    sizeof(*st->counts)) == -1)
		fatalx("state: out of memory loading counters");
	if (row_counts(q, l->ipv6_prefix, st, &l->slcap,
	    &st->counts[st->ncounts], &r) == -1) {
		st->nslots = nslots;
		row_refused(path, &r);
		l->refused++;
		return;
	}
	st->ncounts++;
}

static void
load_hashkey(const char *path, sqlite3_stmt *q, void *arg)
{
	struct load *l = arg;
	const char *v = (const char *)sqlite3_column_text(q, 0);

	if (v == NULL || parse_hex(v, l->st->hashkey, 16) != 0)
		goto bad;
	l->st->has_hashkey = true;
	return;
bad:
	log_warnx("state %s: meta row 'hashkey' refused: not 32 hex digits",
	    path);
}

/* fleet_ids (source, decision_id) or fleet_jobs (op, source, rule,
 * since_us, duration_us, decision_id): only addresses and IPv6 prefixes
 * are published, ids are positive, a rule is a counted one. */
static int
row_fleet(sqlite3_stmt *q, int ipv6_prefix, bool job, struct state_fleet *f,
    struct row *r)
{
	const char *t;
	int id;

	memset(f, 0, sizeof(*f));
	f->job = job;
	if (col_key(q, job ? 1 : 0, ipv6_prefix, &f->key, r) == -1)
		return -1;
	if (f->key.kind != KEY_V4 && f->key.kind != KEY_V6) {
		snprintf(r->why, sizeof(r->why), "not an address");
		return -1;
	}
	if (!job)
		return col_i64(q, 1, 1, INT64_MAX, &f->decision_id, r);
	t = (const char *)sqlite3_column_text(q, 0);
	if (t == NULL || (strcmp(t, "publish") != 0 &&
	    strcmp(t, "unpublish") != 0)) {
		snprintf(r->why, sizeof(r->why), "unknown op");
		return -1;
	}
	f->unpublish = strcmp(t, "unpublish") == 0;
	t = (const char *)sqlite3_column_text(q, 2);
	if (!f->unpublish && (t == NULL || (id = rule_from_name(t)) < 0 ||
	    !RULE_COUNTED(id))) {
		snprintf(r->why, sizeof(r->why), "unknown rule");
		return -1;
	}
	if (t != NULL)
		snprintf(f->rule, sizeof(f->rule), "%s", t);
	if (col_i64(q, 3, 0, STORE_TIME_MAX, &f->since_us, r) == -1 ||
	    col_i64(q, 4, 1, INT64_MAX, &f->duration_us, r) == -1 ||
	    col_i64(q, 5, f->unpublish ? 1 : 0, INT64_MAX, &f->decision_id,
	    r) == -1)
		return -1;
	return 0;
}

static void
load_fleet(struct load *l, const char *path, sqlite3_stmt *q, bool job)
{
	struct state *st = l->st;
	struct row r = { .table = job ? "fleet_jobs" : "fleet_ids" };

	if (state_grow((void **)&st->fleet, st->nfleet, 1, &l->fcap,
	    sizeof(*st->fleet)) == -1)
		fatalx("state: out of memory loading the fleet's rows");
	if (row_fleet(q, l->ipv6_prefix, job, &st->fleet[st->nfleet],
	    &r) == -1) {
		row_refused(path, &r);
		l->refused++;
		return;
	}
	st->nfleet++;
}

static void
load_fleet_id(const char *path, sqlite3_stmt *q, void *arg)
{
	load_fleet(arg, path, q, false);
}

static void
load_fleet_job(const char *path, sqlite3_stmt *q, void *arg)
{
	load_fleet(arg, path, q, true);
}

static void
counts_link(struct state *st)
{
	size_t i, off = 0;

	for (i = 0; i < st->ncounts; i++) {
		st->counts[i].slots = st->counts[i].nslots > 0 ?
		    st->slots + off : NULL;
		off += st->counts[i].nslots;
	}
}

int
store_load_rows(struct sqlite3 *db, const char *path, int ipv6_prefix,
    struct state *st, char *err, size_t errlen)
{
	struct load l = { .db = db, .path = path, .st = st,
	    .ipv6_prefix = ipv6_prefix };

	memset(st, 0, sizeof(*st));
	if (load_scan(&l, "SELECT * FROM blocks", load_block, err,
	    errlen) == -1 ||
	    load_scan(&l, "SELECT source, at_us FROM strikes", load_strike,
	    err, errlen) == -1 ||
	    load_scan(&l, "SELECT value FROM meta WHERE name = 'hashkey'",
	    load_hashkey, err, errlen) == -1 ||
	    load_scan(&l, "SELECT source, decision_id FROM fleet_ids",
	    load_fleet_id, err, errlen) == -1 ||
	    load_scan(&l, "SELECT op, source, rule, since_us, duration_us, "
	    "decision_id FROM fleet_jobs ORDER BY seq", load_fleet_job, err,
	    errlen) == -1)
		goto fail;
	if (st->has_hashkey && load_scan(&l, "SELECT * FROM counters",
	    load_counts, err, errlen) == -1)
		goto fail;
	counts_link(st);
	st->saved_us = clock_wall_us();
	if (l.refused > 0)
		log_warnx("state %s: %zu rows refused (see above); they are "
		    "ignored", path, l.refused);
	return 0;
fail:
	state_free(st);
	return -1;
}


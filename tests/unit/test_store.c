/*
 * test_store.c: the SQLite state store.  Open/create, put/replace/delete
 * of blocks, strikes and their pruning, counters used once, reload after
 * a close and after an abandoned connection (kill -9), the import of a
 * first-release text file (renamed aside, unchanged), corrupt files set
 * aside with their -wal and -shm and never overwritten, and hand-edited
 * rows refused one by one while the good ones load.
 */
#include <sys/stat.h>

#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <sqlite3.h>

#include "daemon.h"

struct fixture {
	char	 dir[64];
	char	 path[128];
};

static int
setup(void **state)
{
	struct fixture *fx = calloc(1, sizeof(*fx));

	assert_non_null(fx);
	snprintf(fx->dir, sizeof(fx->dir), "/tmp/test_store.XXXXXX");
	assert_non_null(mkdtemp(fx->dir));
	snprintf(fx->path, sizeof(fx->path), "%s/state", fx->dir);
	*state = fx;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture *fx = *state;
	struct dirent *de;
	char p[512];
	DIR *d = opendir(fx->dir);

	assert_non_null(d);
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		snprintf(p, sizeof(p), "%s/%s", fx->dir, de->d_name);
		unlink(p);
	}
	closedir(d);
	rmdir(fx->dir);
	free(fx);
	return 0;
}

static struct block
mkblock(const char *src, enum rule rule, enum action act, int64_t expires_us,
    const char *reason)
{
	struct block b;
	char err[64];

	memset(&b, 0, sizeof(b));
	assert_int_equal(key_parse(src, 64, &b.key, err, sizeof(err)), 0);
	b.rule = rule;
	b.action = act;
	b.connections = 21;
	b.destinations = 7;
	b.since_us = 1700000003450000LL;
	b.expires_us = expires_us;
	b.strikes = 2;
	b.enforced = act != ACT_DRY_RUN;
	snprintf(b.reason, sizeof(b.reason), "%s", reason);
	if (act == ACT_THROTTLE) {
		b.throttle_rate.n = 5;
		b.throttle_rate.w_us = 60 * US_PER_S;
	}
	return b;
}

static const struct state_block *
find(const struct state *st, const char *src)
{
	struct key k;
	char err[64];
	size_t i;

	assert_int_equal(key_parse(src, 64, &k, err, sizeof(err)), 0);
	for (i = 0; i < st->nblocks; i++)
		if (key_equal(&st->blocks[i].b.key, &k))
			return &st->blocks[i];
	return NULL;
}

/* Files of dir whose name contains what (asides: not their -wal, -shm
 * unless what asks for them). */
static int
count_files(const char *dir, const char *what)
{
	struct dirent *de;
	DIR *d = opendir(dir);
	size_t l;
	int n = 0;

	assert_non_null(d);
	while ((de = readdir(d)) != NULL) {
		l = strlen(de->d_name);
		if (strstr(de->d_name, what) == NULL)
			continue;
		if (what[0] != '-' && l > 4 &&
		    (strcmp(de->d_name + l - 4, "-wal") == 0 ||
		    strcmp(de->d_name + l - 4, "-shm") == 0))
			continue;
		n++;
	}
	closedir(d);
	return n;
}

static void
write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static void
sql(const char *path, const char *q)
{
	sqlite3 *db;

	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, q, NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
}

static void
test_names(void **state)
{
	(void)state;
	assert_int_equal(rule_from_name("burst"), RULE_BURST);
	assert_int_equal(rule_from_name("sustained"), RULE_SUSTAINED);
	assert_int_equal(rule_from_name("fanout"), RULE_FANOUT);
	assert_int_equal(rule_from_name("manual"), RULE_MANUAL);
	assert_int_equal(rule_from_name("fleet"), RULE_FLEET);
	assert_int_equal(rule_from_name("none"), -1);
	assert_int_equal(rule_from_name("unknown"), -1);
	assert_int_equal(rule_from_name(""), -1);
	assert_int_equal(action_from_name("block"), ACT_BLOCK);
	assert_int_equal(action_from_name("throttle"), ACT_THROTTLE);
	assert_int_equal(action_from_name("dry_run"), ACT_DRY_RUN);
	assert_int_equal(action_from_name("allowed"), -1);
	assert_int_equal(action_from_name("breaker"), -1);
}

static void
test_create_put_reload(void **state)
{
	struct fixture *fx = *state;
	struct block b[4];
	struct state st;
	struct store *s;
	const struct state_block *r;
	struct stat sb;
	size_t i;

	/* No file: an empty state, a new database. */
	s = store_open(fx->path, 64, &st);
	assert_non_null(s);
	assert_int_equal(st.nblocks, 0);
	assert_int_equal(stat(fx->path, &sb), 0);
	state_free(&st);

	b[0] = mkblock("192.0.2.7", RULE_BURST, ACT_BLOCK,
	    1700090000000000LL, "");
	b[1] = mkblock("2001:db8:1:2::/64", RULE_FANOUT, ACT_THROTTLE,
	    DURATION_PERMANENT, "");
	b[2] = mkblock("uid:1001", RULE_MANUAL, ACT_BLOCK, 1700090000000000LL,
	    "by hand, 100% \"sure\"");
	b[3] = mkblock("198.51.100.9", RULE_SUSTAINED, ACT_DRY_RUN,
	    1700090000000000LL, "");
	for (i = 0; i < 4; i++)
		assert_int_equal(store_block_put(s, &b[i], (uint32_t)i * 10),
		    0);
	/* Replace, delete, strikes (one pruned), attempts. */
	b[0].strikes = 3;
	assert_int_equal(store_block_put(s, &b[0], 5), 0);
	assert_int_equal(store_block_delete(s, &b[3].key), 0);
	assert_int_equal(store_block_delete(s, &b[3].key), 0);
	assert_int_equal(store_strike_add(s, &b[0].key, 100), 0);
	assert_int_equal(store_strike_add(s, &b[0].key, 200), 0);
	assert_int_equal(store_strike_add(s, &b[2].key, 50), 0);
	assert_int_equal(store_strikes_prune(s, 50), 0);
	assert_int_equal(store_begin(s), 0);
	assert_int_equal(store_attempts(s, &b[1].key, 77), 0);
	assert_int_equal(store_commit(s), 0);
	assert_int_equal(store_errors(s), 0);
	store_close(s);

	s = store_open(fx->path, 64, &st);
	assert_non_null(s);
	assert_int_equal(st.nblocks, 3);
	assert_int_equal(st.nstrikes, 2);
	assert_false(st.has_hashkey);
	assert_null(find(&st, "198.51.100.9"));
	r = find(&st, "192.0.2.7");
	assert_non_null(r);
	assert_int_equal(r->b.strikes, 3);
	assert_int_equal(r->attempts, 5);
	assert_int_equal(r->b.rule, RULE_BURST);
	assert_int_equal(r->b.connections, 21);
	assert_int_equal(r->b.destinations, 7);
	assert_int_equal(r->b.since_us, 1700000003450000LL);
	assert_int_equal(r->b.expires_us, 1700090000000000LL);
	assert_true(r->b.enforced);
	r = find(&st, "2001:db8:1:2::/64");
	assert_non_null(r);
	assert_int_equal(r->b.action, ACT_THROTTLE);
	assert_int_equal(r->b.expires_us, DURATION_PERMANENT);
	assert_int_equal(r->b.throttle_rate.n, 5);
	assert_int_equal(r->b.throttle_rate.w_us, 60 * US_PER_S);
	assert_int_equal(r->attempts, 77);
	r = find(&st, "uid:1001");
	assert_non_null(r);
	assert_string_equal(r->b.reason, "by hand, 100% \"sure\"");
	for (i = 0; i < st.nstrikes; i++)
		assert_true(st.strikes[i].at_us == 100 ||
		    st.strikes[i].at_us == 200);
	state_free(&st);
	store_close(s);
}

/* A connection never closed (kill -9): every committed row is there. */
static void
test_abandoned(void **state)
{
	struct fixture *fx = *state;
	char copy[160], cmd[800];
	struct block b = mkblock("192.0.2.8", RULE_BURST, ACT_BLOCK,
	    DURATION_PERMANENT, "");
	struct state st;
	struct store *s;

	s = store_open(fx->path, 64, &st);
	state_free(&st);
	assert_int_equal(store_block_put(s, &b, 0), 0);
	assert_int_equal(store_strike_add(s, &b.key, 1), 0);
	/* An open transaction is not committed: the copy must lack it. */
	assert_int_equal(store_begin(s), 0);
	b = mkblock("192.0.2.9", RULE_BURST, ACT_BLOCK, DURATION_PERMANENT,
	    "");
	assert_int_equal(store_block_put(s, &b, 0), 0);
	/* Copy the files as a kill -9 leaves them: database, WAL, shm. */
	snprintf(copy, sizeof(copy), "%s/copy", fx->dir);
	snprintf(cmd, sizeof(cmd), "cp %s %s && cp %s-wal %s-wal", fx->path,
	    copy, fx->path, copy);
	assert_int_equal(system(cmd), 0);
	assert_int_equal(store_commit(s), 0);
	store_close(s);
	s = store_open(copy, 64, &st);
	assert_int_equal(st.nblocks, 1);
	assert_non_null(find(&st, "192.0.2.8"));
	assert_int_equal(st.nstrikes, 1);
	state_free(&st);
	store_close(s);
}

static void
test_counters(void **state)
{
	struct fixture *fx = *state;
	struct engine_slot slots[3] = { { 0xdeadbeef, 0 }, { 1, 63 },
	    { 0x12345678, 7 } };
	struct engine_counters c[2];
	struct state st, in;
	struct store *s;
	int i;

	memset(&in, 0, sizeof(in));
	memset(c, 0, sizeof(c));
	for (i = 0; i < 2; i++) {
		key_from_uid(&c[i].key, (uint32_t)(1000 + i));
		c[i].connections = 3;
		c[i].first_us = -5;
		c[i].last_us = 1700000000000000LL;
		c[i].bucket_us[RULE_BURST] = 3750000;
		c[i].buckets[RULE_BURST][15] = 65535;
		c[i].bucket_us[RULE_SUSTAINED] = 225000000;
		c[i].buckets[RULE_SUSTAINED][0] = 1;
		c[i].distinct_tick_us = 1000000;
	}
	c[1].nslots = 3;
	c[1].slots = slots;
	in.has_hashkey = true;
	memset(in.hashkey, 0xab, sizeof(in.hashkey));
	in.counts = c;
	in.ncounts = 2;
	s = store_open(fx->path, 64, &st);
	state_free(&st);
	assert_int_equal(store_counters_save(s, &in), 0);
	store_close(s);

	s = store_open(fx->path, 64, &st);
	assert_true(st.has_hashkey);
	assert_memory_equal(st.hashkey, in.hashkey, 16);
	assert_int_equal(st.ncounts, 2);
	assert_int_equal(st.nslots, 3);
	for (i = 0; i < 2; i++) {
		const struct engine_counters *g = &st.counts[i];
		const struct engine_counters *w = key_equal(&g->key,
		    &c[0].key) ? &c[0] : &c[1];
		assert_int_equal(g->first_us, -5);
		assert_int_equal(g->last_us, w->last_us);
		assert_memory_equal(g->buckets[RULE_BURST], w->buckets[RULE_BURST], sizeof(g->buckets[RULE_BURST]));
		assert_memory_equal(g->buckets[RULE_SUSTAINED], w->buckets[RULE_SUSTAINED],
		    sizeof(g->buckets[RULE_SUSTAINED]));
		assert_int_equal(g->nslots, w->nslots);
		/* field by field: a slot has padding bytes */
		for (uint32_t k = 0; k < g->nslots; k++) {
			assert_int_equal(g->slots[k].dsthash,
			    slots[k].dsthash);
			assert_int_equal(g->slots[k].age, slots[k].age);
		}
	}
	state_free(&st);
	/* Used once. */
	assert_int_equal(store_counters_drop(s), 0);
	store_close(s);
	s = store_open(fx->path, 64, &st);
	assert_false(st.has_hashkey);
	assert_int_equal(st.ncounts, 0);
	state_free(&st);
	store_close(s);
}

static void
test_import(void **state)
{
	struct fixture *fx = *state;
	const char *text = "nflogmon-state 1\nsaved 5\n"
	    "block 192.0.2.7 burst block 8 1 999 1 4 1 - by%20hand 3\n"
	    "strike 192.0.2.7 1\nend 1 1\n";
	char aside[400], buf[512];
	struct state st;
	struct store *s;
	struct dirent *de;
	FILE *f;
	size_t n;
	DIR *d;

	write_file(fx->path, text);
	s = store_open(fx->path, 64, &st);
	assert_int_equal(st.nblocks, 1);
	assert_int_equal(st.nstrikes, 1);
	assert_string_equal(st.blocks[0].b.reason, "by hand");
	assert_int_equal(st.blocks[0].attempts, 4);
	state_free(&st);
	store_close(s);
	/* Kept aside unchanged; a database at the path holds the import. */
	assert_int_equal(count_files(fx->dir, "state.imported-"), 1);
	d = opendir(fx->dir);
	while ((de = readdir(d)) != NULL)
		if (strstr(de->d_name, "state.imported-") != NULL)
			snprintf(aside, sizeof(aside), "%s/%s", fx->dir,
			    de->d_name);
	closedir(d);
	f = fopen(aside, "r");
	assert_non_null(f);
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	assert_string_equal(buf, text);
	s = store_open(fx->path, 64, &st);
	assert_int_equal(st.nblocks, 1);
	assert_int_equal(st.blocks[0].b.destinations, 3);
	assert_int_equal(count_files(fx->dir, "state.imported-"), 1);
	state_free(&st);
	store_close(s);
}

static void
test_corrupt(void **state)
{
	struct fixture *fx = *state;
	struct block b = mkblock("192.0.2.7", RULE_BURST, ACT_BLOCK, 99, "");
	char wal[256];
	struct state st;
	struct store *s;
	FILE *f;

	/* A corrupt text file, garbage, an empty-ish binary: each set
	 * aside (never overwritten), each time an empty state. */
	write_file(fx->path, "nflogmon-state 1\nsaved 1\nblock 192.0.2.7 bu");
	s = store_open(fx->path, 64, &st);
	assert_int_equal(st.nblocks, 0);
	state_free(&st);
	store_close(s);
	assert_int_equal(count_files(fx->dir, "state.corrupt-"), 1);
	write_file(fx->path, "garbage\n");
	s = store_open(fx->path, 64, &st);
	state_free(&st);
	assert_int_equal(store_block_put(s, &b, 0), 0);
	assert_int_equal(count_files(fx->dir, "state.corrupt-"), 2);
	/* A database whose pages are damaged, with its -wal and -shm
	 * (left open: as after a kill -9). */
	snprintf(wal, sizeof(wal), "%s-wal", fx->path);
	store_close(s);
	f = fopen(fx->path, "r+");
	assert_non_null(f);
	fseek(f, 20, SEEK_SET);
	fputs("\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff", f);
	fclose(f);
	write_file(wal, "not a wal");
	s = store_open(fx->path, 64, &st);
	assert_int_equal(st.nblocks, 0);
	state_free(&st);
	store_close(s);
	assert_int_equal(count_files(fx->dir, "state.corrupt-"), 3);
	assert_int_equal(count_files(fx->dir, "-wal"), 1);	/* aside */
	/* The new database works. */
	s = store_open(fx->path, 64, &st);
	state_free(&st);
	assert_int_equal(store_block_put(s, &b, 0), 0);
	store_close(s);
	/* A database of another schema version is not ours to read. */
	sql(fx->path, "UPDATE meta SET value = '99' WHERE name = 'schema'");
	s = store_open(fx->path, 64, &st);
	assert_int_equal(st.nblocks, 0);
	state_free(&st);
	store_close(s);
	assert_int_equal(count_files(fx->dir, "state.corrupt-"), 4);
}

static void
test_bad_rows(void **state)
{
	struct fixture *fx = *state;
	struct block b = mkblock("192.0.2.7", RULE_BURST, ACT_BLOCK,
	    DURATION_PERMANENT, "");
	struct state st;
	struct store *s;
	static const char *const bad[] = {
		"INSERT INTO blocks VALUES ('192.0.2.300', 'burst', 'block', "
		"1, 0, 1, NULL, 0, 0, 1, NULL, NULL, '')",	/* key */
		"INSERT INTO blocks VALUES ('192.0.2.10', 'bogus', 'block', "
		"1, 0, 1, NULL, 0, 0, 1, NULL, NULL, '')",	/* rule */
		"INSERT INTO blocks VALUES ('192.0.2.11', 'burst', 'allowed', "
		"1, 0, 1, NULL, 0, 0, 1, NULL, NULL, '')",	/* action */
		"INSERT INTO blocks VALUES ('192.0.2.12', 'burst', 'block', "
		"1, 0, 'yesterday', NULL, 0, 0, 1, NULL, NULL, '')", /* time */
		"INSERT INTO blocks VALUES ('192.0.2.13', 'burst', 'block', "
		"-1, 0, 1, NULL, 0, 0, 1, NULL, NULL, '')",	/* number */
		"INSERT INTO blocks VALUES ('192.0.2.14', 'burst', 'block', "
		"1, 0, 1, NULL, 0, 0, 2, NULL, NULL, '')",	/* enforced */
		"INSERT INTO blocks VALUES ('192.0.2.15', 'burst', 'throttle', "
		"1, 0, 1, NULL, 0, 0, 1, NULL, NULL, '')",	/* no rate */
		"INSERT INTO blocks VALUES ('192.0.2.16', 'burst', 'block', "
		"1, 0, 1, NULL, 0, 0, 1, NULL, NULL, x'0a')",	/* reason */
		"INSERT INTO blocks VALUES ('192.0.2.17', 'burst', 'block', "
		"1, 0, 1, 1.5, 0, 0, 1, NULL, NULL, '')",	/* real */
		"INSERT INTO blocks VALUES (7, 'burst', 'block', "
		"1, 0, 1, NULL, 0, 0, 1, NULL, NULL, '')",	/* key type */
		"INSERT INTO strikes VALUES ('192.0.2.7', 'now')",
		"INSERT INTO strikes VALUES ('uid:x', 1)",
		"INSERT INTO meta VALUES ('hashkey', 'zz')",
	};
	size_t i;

	s = store_open(fx->path, 64, &st);
	state_free(&st);
	assert_int_equal(store_block_put(s, &b, 0), 0);
	assert_int_equal(store_strike_add(s, &b.key, 1), 0);
	store_close(s);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		sql(fx->path, bad[i]);
	s = store_open(fx->path, 64, &st);
	assert_int_equal(st.nblocks, 1);
	assert_non_null(find(&st, "192.0.2.7"));
	assert_int_equal(st.nstrikes, 1);
	assert_false(st.has_hashkey);
	state_free(&st);
	store_close(s);
	/* Refused, not set aside: the database itself is sound. */
	assert_int_equal(count_files(fx->dir, "state.corrupt-"), 0);
}

/* The fleet's rows: ids and pending publications come back in order;
 * bad rows (key kind, op, rule, id, times) are refused, the rest load. */
static void
test_fleet_rows(void **state)
{
	struct fixture *fx = *state;
	struct state_fleet jobs[2];
	struct state st;
	struct store *s;
	struct key k;
	char err[128];
	static const char *const bad[] = {
		"INSERT INTO fleet_ids VALUES ('uid:1001', 5)",	/* kind */
		"INSERT INTO fleet_ids VALUES ('192.0.2.9', 0)",	/* id */
		"INSERT INTO fleet_ids VALUES ('192.0.2.10', 'x')",
		"INSERT INTO fleet_jobs VALUES (10, 'post', '192.0.2.11', "
		"'burst', 1, 1, 0)",				/* op */
		"INSERT INTO fleet_jobs VALUES (11, 'publish', '192.0.2.12', "
		"'manual', 1, 1, 0)",				/* rule */
		"INSERT INTO fleet_jobs VALUES (12, 'publish', 'account:x', "
		"'burst', 1, 1, 0)",				/* kind */
		"INSERT INTO fleet_jobs VALUES (13, 'unpublish', '192.0.2.13', "
		"'', 1, 1, 0)",					/* no id */
		"INSERT INTO fleet_jobs VALUES (14, 'publish', '192.0.2.14', "
		"'burst', -1, 1, 0)",				/* time */
	};
	size_t i;

	s = store_open(fx->path, 64, &st);
	state_free(&st);
	assert_int_equal(key_parse("192.0.2.7", 64, &k, err, sizeof(err)), 0);
	assert_int_equal(store_fleet_id(s, &k, 42), 0);
	memset(jobs, 0, sizeof(jobs));
	assert_int_equal(key_parse("2001:db8:5::/64", 64, &jobs[0].key, err,
	    sizeof(err)), 0);
	jobs[0].job = true;
	snprintf(jobs[0].rule, sizeof(jobs[0].rule), "fanout");
	jobs[0].since_us = 1700000000000000LL;
	jobs[0].duration_us = 600000000LL;
	jobs[1].key = k;
	jobs[1].job = jobs[1].unpublish = true;
	jobs[1].duration_us = 1;
	jobs[1].decision_id = 41;
	assert_int_equal(store_fleet_jobs(s, jobs, 2), 0);
	/* rewritten whole: the second save replaces the first */
	assert_int_equal(store_fleet_jobs(s, jobs, 2), 0);
	store_close(s);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		sql(fx->path, bad[i]);
	s = store_open(fx->path, 64, &st);
	assert_int_equal(st.nfleet, 3);
	assert_false(st.fleet[0].job);
	assert_true(key_equal(&st.fleet[0].key, &k));
	assert_int_equal(st.fleet[0].decision_id, 42);
	assert_true(st.fleet[1].job && !st.fleet[1].unpublish);
	assert_true(key_equal(&st.fleet[1].key, &jobs[0].key));
	assert_string_equal(st.fleet[1].rule, "fanout");
	assert_int_equal(st.fleet[1].since_us, jobs[0].since_us);
	assert_int_equal(st.fleet[1].duration_us, jobs[0].duration_us);
	assert_true(st.fleet[2].job && st.fleet[2].unpublish);
	assert_int_equal(st.fleet[2].decision_id, 41);
	state_free(&st);
	/* forgotten: the id row goes */
	assert_int_equal(store_fleet_id(s, &k, 0), 0);
	assert_int_equal(store_fleet_jobs(s, NULL, 0), 0);
	store_close(s);
	s = store_open(fx->path, 64, &st);
	assert_int_equal(st.nfleet, 0);
	state_free(&st);
	store_close(s);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_names),
		cmocka_unit_test_setup_teardown(test_create_put_reload, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_abandoned, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_counters, setup, teardown),
		cmocka_unit_test_setup_teardown(test_import, setup, teardown),
		cmocka_unit_test_setup_teardown(test_corrupt, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_rows, setup, teardown),
		cmocka_unit_test_setup_teardown(test_fleet_rows, setup,
		    teardown),
	};

	log_init("test_store", true, false);
	return cmocka_run_group_tests(tests, NULL, NULL);
}

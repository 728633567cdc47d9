/*
 * test_blocks.c: the daemon's block records.  A table of operations with
 * expected results, then a long deterministic random walk checked against
 * a plain array model (puts, replaces, removes through index rebuilds and
 * tombstones), so every lookup, count and next expiry is compared with an
 * independent answer, and the expiry heap drained in order at the end;
 * the counts by key kind follow every change.
 */
#include <sys/socket.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "daemon.h"

static struct block
mkblock(uint32_t uid, int64_t expires_us)
{
	struct block b;

	memset(&b, 0, sizeof(b));
	key_from_uid(&b.key, uid);
	b.rule = RULE_BURST;
	b.expires_us = expires_us;
	b.connections = uid * 3;
	return b;
}

enum op { PUT, DEL, FIND, COUNT, NEXT };

static const struct {
	enum op		 op;
	uint32_t	 uid;
	int64_t		 expires_us;
	int64_t		 want;	/* PUT/DEL: return; FIND: expires or -1;
				   COUNT: count; NEXT: next expiry */
} script[] = {
	{ COUNT, 0, 0, 0 },
	{ NEXT, 0, 0, DURATION_PERMANENT },
	{ DEL, 7, 0, -1 },
	{ FIND, 7, 0, -1 },
	{ PUT, 7, 500, 0 },
	{ FIND, 7, 0, 500 },
	{ PUT, 8, DURATION_PERMANENT, 0 },
	{ NEXT, 0, 0, 500 },
	{ PUT, 7, 900, 0 },		/* replace, not a second record */
	{ COUNT, 0, 0, 2 },
	{ FIND, 7, 0, 900 },
	{ NEXT, 0, 0, 900 },
	{ DEL, 7, 0, 0 },
	{ DEL, 7, 0, -1 },
	{ FIND, 7, 0, -1 },
	{ FIND, 8, 0, DURATION_PERMANENT },
	{ NEXT, 0, 0, DURATION_PERMANENT },
	{ COUNT, 0, 0, 1 },
	{ PUT, 7, 100, 0 },		/* back after a tombstone */
	{ FIND, 7, 0, 100 },
	{ COUNT, 0, 0, 2 },
};

static void
test_script(void **state)
{
	struct blocks *bs = blocks_new();
	struct block b, *f;
	struct key k;
	size_t i;

	(void)state;
	assert_non_null(bs);
	for (i = 0; i < sizeof(script) / sizeof(script[0]); i++) {
		key_from_uid(&k, script[i].uid);
		switch (script[i].op) {
		case PUT:
			b = mkblock(script[i].uid, script[i].expires_us);
			assert_int_equal(blocks_put(bs, &b), script[i].want);
			break;
		case DEL:
			assert_int_equal(blocks_remove(bs, &k), script[i].want);
			break;
		case FIND:
			f = blocks_find(bs, &k);
			if (script[i].want == -1)
				assert_null(f);
			else {
				assert_non_null(f);
				assert_true(key_equal(&f->key, &k));
				assert_int_equal(f->expires_us,
				    script[i].want);
			}
			break;
		case COUNT:
			assert_int_equal(blocks_count(bs), script[i].want);
			break;
		case NEXT:
			assert_int_equal(blocks_next_expiry(bs),
			    script[i].want);
			break;
		}
	}
	blocks_free(bs);
}

#define MODEL_KEYS	3000

/* xorshift64: deterministic, no libc rand state. */
static uint64_t
rnd(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

static void
test_model(void **state)
{
	static int64_t model[MODEL_KEYS];	/* 0: absent, else expires */
	struct blocks *bs = blocks_new();
	uint64_t seed = 0x9e3779b97f4a7c15ULL;
	size_t n = 0, i, seen;
	int step;

	(void)state;
	assert_non_null(bs);
	memset(model, 0, sizeof(model));
	for (step = 0; step < 200000; step++) {
		uint32_t uid = (uint32_t)(rnd(&seed) % MODEL_KEYS);
		struct key k;
		struct block b, *f;

		key_from_uid(&k, uid);
		if (rnd(&seed) % 3 != 0) {
			b = mkblock(uid, (int64_t)(rnd(&seed) % 100000) + 1);
			assert_int_equal(blocks_put(bs, &b), 0);
			if (model[uid] == 0)
				n++;
			model[uid] = b.expires_us;
		} else {
			assert_int_equal(blocks_remove(bs, &k),
			    model[uid] ? 0 : -1);
			if (model[uid] != 0)
				n--;
			model[uid] = 0;
		}
		assert_int_equal(blocks_count(bs), n);
		assert_int_equal(blocks_count_kind(bs, KEY_UID, false), n);
		if (step % 997 == 0) {
			/* The heap against the model, stale entries and all. */
			int64_t want = DURATION_PERMANENT;
			for (i = 0; i < MODEL_KEYS; i++)
				if (model[i] != 0 && model[i] < want)
					want = model[i];
			assert_int_equal(blocks_next_expiry(bs), want);
		}
		f = blocks_find(bs, &k);
		if (model[uid] == 0)
			assert_null(f);
		else {
			assert_non_null(f);
			assert_int_equal(f->expires_us, model[uid]);
			assert_int_equal(f->connections, uid * 3);
		}
	}
	/* Every record reachable by index and by key, next expiry exact. */
	int64_t next = DURATION_PERMANENT;
	for (i = 0; i < MODEL_KEYS; i++)
		if (model[i] != 0 && model[i] < next)
			next = model[i];
	assert_int_equal(blocks_next_expiry(bs), next);
	for (i = 0, seen = 0; i < blocks_count(bs); i++) {
		struct block *b = blocks_at(bs, i);

		assert_non_null(b);
		assert_int_equal(b->expires_us, model[b->key.uid]);
		seen++;
	}
	assert_int_equal(seen, n);
	assert_null(blocks_at(bs, n));
	/* Draining by blocks_due: earliest first, each exactly once, none
	 * before its time, a permanent block never. */
	{
		struct block p = mkblock(MODEL_KEYS + 1, DURATION_PERMANENT);
		struct key k;
		int64_t last = 0, at;

		assert_int_equal(blocks_put(bs, &p), 0);
		assert_int_equal(blocks_due(bs, next - 1, &k), 0);
		while (blocks_due(bs, 100000, &k) == 1) {
			at = blocks_find(bs, &k)->expires_us;
			assert_true(at >= last && at <= 100000);
			assert_int_equal(at, model[k.uid]);
			model[k.uid] = 0;
			last = at;
			assert_int_equal(blocks_remove(bs, &k), 0);
			n--;
		}
		assert_int_equal(n, 0);
		assert_int_equal(blocks_count(bs), 1);
		assert_int_equal(blocks_next_expiry(bs), DURATION_PERMANENT);
		assert_int_equal(blocks_due(bs, INT64_MAX - 1, &k), 0);
	}
	blocks_free(bs);
}

/* The count by kind and client (the resync check's bound) follows puts,
 * replaces and removes, and the moves of remove's hole filling. */
static void
test_kinds(void **state)
{
	struct blocks *bs = blocks_new();
	struct block b;
	struct addr a;
	int i;

	(void)state;
	assert_non_null(bs);
	for (i = 0; i < 30; i++) {
		memset(&b, 0, sizeof(b));
		memset(&a, 0, sizeof(a));
		a.family = i % 3 == 1 ? AF_INET6 : AF_INET;
		a.b[0] = 192;
		a.b[3] = (uint8_t)i;
		key_from_addr(&b.key, &a, 64);
		b.key.client = i % 3 == 2;
		b.expires_us = DURATION_PERMANENT;
		assert_int_equal(blocks_put(bs, &b), 0);
		assert_int_equal(blocks_put(bs, &b), 0);	/* a refresh */
	}
	b = mkblock(7, 100);
	assert_int_equal(blocks_put(bs, &b), 0);
	assert_int_equal(blocks_count_kind(bs, KEY_V4, false), 10);
	assert_int_equal(blocks_count_kind(bs, KEY_V4, true), 10);
	assert_int_equal(blocks_count_kind(bs, KEY_V6, false), 10);
	assert_int_equal(blocks_count_kind(bs, KEY_V6, true), 0);
	assert_int_equal(blocks_count_kind(bs, KEY_UID, false), 1);
	/* remove the first records: the last ones move into the holes */
	while (blocks_count(bs) > 1) {
		b = *blocks_at(bs, 0);
		assert_int_equal(blocks_remove(bs, &b.key), 0);
	}
	b = *blocks_at(bs, 0);
	assert_int_equal(blocks_count_kind(bs, (enum key_kind)b.key.kind,
	    b.key.client), 1);
	assert_int_equal(blocks_count_kind(bs, KEY_V4, false) +
	    blocks_count_kind(bs, KEY_V4, true) +
	    blocks_count_kind(bs, KEY_V6, false) +
	    blocks_count_kind(bs, KEY_UID, false), 1);
	blocks_free(bs);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_script),
		cmocka_unit_test(test_model),
		cmocka_unit_test(test_kinds),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

/*
 * test_counters.c: engine_export / engine_import, the window counters that
 * a clean restart carries over (state.c).  Each case exports from one
 * engine and imports into a fresh one whose clock has another origin, as
 * the daemon's CLOCK_MONOTONIC does after a restart.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "engine_test.h"

#define A	"192.0.2.7"
#define B	"192.0.2.8"
#define MX	"203.0.113.25"

/* The old engine's clock and the new one's: unrelated origins, and the new
 * one not a multiple of any bucket width away. */
#define T_OLD	(1000 * SEC)
#define T_NEW	(7 * DAY + 123456789LL)

#define MAX_RECS	8

struct recs {
	struct engine_counters	 c[MAX_RECS];
	struct engine_slot	 slots[MAX_RECS][ENGINE_MAX_SLOTS];
	size_t			 n;
};

static void
collect(const struct engine_counters *c, void *arg)
{
	struct recs *r = arg;

	assert_true(r->n < MAX_RECS);
	assert_true(c->nslots <= ENGINE_MAX_SLOTS);
	r->c[r->n] = *c;
	memcpy(r->slots[r->n], c->slots, c->nslots * sizeof(*c->slots));
	r->c[r->n].slots = r->slots[r->n];
	r->n++;
}

static void
feed_n(struct engine *e, const char *src, const char *dst, int n,
    int64_t t0, int64_t step)
{
	struct pkt p = tpkt(src, dst);
	struct verdict v;
	int i;

	for (i = 0; i < n; i++)
		assert_false(tfeed(e, &p, PKT_OK, t0 + i * step, &v));
}

/* The new engine's clock at which an export at old_us is down_us ago. */
static int64_t
shift_for(int64_t old_us, int64_t down_us)
{
	return T_NEW - down_us - old_us;
}

static struct conf *
conf_burst5(void)
{
	struct conf *c = tconf_new();

	c->rate[RULE_BURST] = trate(5, MIN);
	c->rate[RULE_SUSTAINED] = trate_off();
	c->rate[RULE_FANOUT] = trate_off();
	return c;
}

/*
 * A source at the threshold (5 of burst 5/1m) is carried over: its next
 * connection after the restart triggers, with connections 6 and its first
 * seen moved onto the new clock.  The same export imported after more
 * than W of downtime is stale: skipped, and the next connection is not a
 * verdict.
 */
static void
test_burst_carried(void **state)
{
	struct conf *c = conf_burst5();
	struct engine *old = tengine_new(c, test_hashkey), *e;
	struct engine_talker t;
	struct recs r = { .n = 0 };
	struct pkt p = tpkt(A, MX);
	struct verdict v;
	int64_t exp_us = T_OLD + 10 * SEC, shift;

	(void)state;
	assert_non_null(old);
	feed_n(old, A, MX, 5, T_OLD, SEC);
	assert_int_equal(engine_export(old, exp_us, collect, &r), 1);
	assert_int_equal(r.c[0].connections, 5);
	assert_int_equal(r.c[0].first_us, T_OLD);
	assert_int_equal(r.c[0].last_us, T_OLD + 4 * SEC);
	assert_int_equal(r.c[0].bucket_us[RULE_SUSTAINED], 0);	/* off */

	/* 20 s down: still within the minute. */
	shift = shift_for(exp_us, 20 * SEC);
	assert_non_null(e = tengine_new(c, test_hashkey));
	assert_int_equal(engine_import(e, &r.c[0], shift, T_NEW), 1);
	assert_int_equal(engine_top(e, &t, 1, false, T_NEW), 1);
	assert_int_equal(t.count[RULE_BURST], 5);
	assert_int_equal(t.connections, 5);
	assert_true(tfeed(e, &p, PKT_OK, T_NEW, &v));
	assert_int_equal(v.rule, RULE_BURST);
	assert_int_equal(v.action, ACT_BLOCK);
	assert_int_equal(v.connections, 6);
	assert_int_equal(v.first_seen_us, T_OLD + shift);
	engine_free(e);

	/* 2 minutes down: older than W, nothing to carry. */
	shift = shift_for(exp_us, 2 * MIN);
	assert_non_null(e = tengine_new(c, test_hashkey));
	assert_int_equal(engine_import(e, &r.c[0], shift, T_NEW), 0);
	assert_int_equal(engine_top(e, &t, 1, false, T_NEW), 0);
	assert_false(tfeed(e, &p, PKT_OK, T_NEW, &v));
	engine_free(e);
	engine_free(old);
	tconf_free(c);
}

/* Counts age on the new clock as on the old: 4 events 55 s before the
 * restart have left the minute 10 s after it, the 5th has not. */
static void
test_burst_ages(void **state)
{
	struct conf *c = conf_burst5();
	struct engine *old = tengine_new(c, test_hashkey), *e;
	struct engine_talker t;
	struct recs r = { .n = 0 };
	int64_t exp_us = T_OLD + 60 * SEC;

	(void)state;
	assert_non_null(old);
	feed_n(old, A, MX, 4, T_OLD, SEC);		/* 56..60 s before */
	feed_n(old, A, MX, 1, T_OLD + 50 * SEC, 0);	/* 10 s before */
	assert_int_equal(engine_export(old, exp_us, collect, &r), 1);
	assert_non_null(e = tengine_new(c, test_hashkey));
	assert_int_equal(engine_import(e, &r.c[0],
	    shift_for(exp_us, 10 * SEC), T_NEW), 1);
	assert_int_equal(engine_top(e, &t, 1, false, T_NEW), 1);
	assert_int_equal(t.count[RULE_BURST], 1);
	assert_int_equal(t.connections, 5);
	engine_free(e);
	engine_free(old);
	tconf_free(c);
}

/*
 * Fanout slots survive under the same hashkey: a destination seen before
 * the restart is not new after it, a 4th distinct one triggers fanout
 * 3/10m.  Under another key the old slots match nothing, so the repeated
 * destination counts as new: why the daemon keeps its key.
 */
static void
test_fanout_carried(void **state)
{
	static const uint8_t other_key[16] = { 9, 9, 9 };
	struct conf *c = tconf_new();
	struct engine *old, *e;
	struct recs r = { .n = 0 };
	struct pkt p1 = tpkt(A, "203.0.113.1"), p4 = tpkt(A, "203.0.113.4");
	struct verdict v;
	int64_t exp_us = T_OLD + 30 * SEC, shift;

	(void)state;
	c->rate[RULE_BURST] = trate_off();
	c->rate[RULE_SUSTAINED] = trate_off();
	c->rate[RULE_FANOUT] = trate(3, 10 * MIN);
	assert_non_null(old = tengine_new(c, test_hashkey));
	feed_n(old, A, "203.0.113.1", 1, T_OLD, 0);
	feed_n(old, A, "203.0.113.2", 1, T_OLD + SEC, 0);
	feed_n(old, A, "203.0.113.3", 1, T_OLD + 2 * SEC, 0);
	assert_int_equal(engine_export(old, exp_us, collect, &r), 1);
	assert_int_equal(r.c[0].nslots, 3);
	shift = shift_for(exp_us, MIN);

	assert_non_null(e = tengine_new(c, test_hashkey));
	assert_int_equal(engine_import(e, &r.c[0], shift, T_NEW), 1);
	assert_false(tfeed(e, &p1, PKT_OK, T_NEW, &v));
	assert_true(tfeed(e, &p4, PKT_OK, T_NEW + SEC, &v));
	assert_int_equal(v.rule, RULE_FANOUT);
	assert_int_equal(v.destinations, 4);
	assert_int_equal(v.connections, 5);
	engine_free(e);

	assert_non_null(e = tengine_new(c, other_key));
	assert_int_equal(engine_import(e, &r.c[0], shift, T_NEW), 1);
	assert_true(tfeed(e, &p1, PKT_OK, T_NEW, &v));
	assert_int_equal(v.rule, RULE_FANOUT);
	engine_free(e);
	engine_free(old);
	tconf_free(c);
}

/*
 * What is not carried: a judged source (its block is restored from the
 * state instead), a source already in the new engine, a window counted
 * in another bucket width (a changed config), and nothing at all from a
 * source whose windows are empty at export.
 */
static void
test_not_carried(void **state)
{
	struct conf *c = conf_burst5(), *c2 = conf_burst5();
	struct engine *old = tengine_new(c, test_hashkey), *e;
	struct recs r = { .n = 0 };
	struct key ka = tkey(A, 64), kb = tkey(B, 64);
	int64_t exp_us = T_OLD + 10 * SEC;

	(void)state;
	assert_non_null(old);
	feed_n(old, A, MX, 3, T_OLD, SEC);
	feed_n(old, B, MX, 3, T_OLD, SEC);
	feed_n(old, "192.0.2.9", MX, 1, T_OLD - 5 * MIN, 0);	/* stale */
	assert_int_equal(engine_judge(old, &kb, DURATION_PERMANENT, 0), 0);
	assert_int_equal(engine_export(old, exp_us, collect, &r), 1);
	assert_true(key_equal(&r.c[0].key, &ka));

	assert_non_null(e = tengine_new(c, test_hashkey));
	assert_int_equal(engine_judge(e, &ka, DURATION_PERMANENT, 0), 0);
	assert_int_equal(engine_import(e, &r.c[0], shift_for(exp_us, SEC),
	    T_NEW), 0);
	engine_free(e);

	c2->rate[RULE_BURST] = trate(5, 2 * MIN);
	assert_non_null(e = tengine_new(c2, test_hashkey));
	assert_int_equal(engine_import(e, &r.c[0], shift_for(exp_us, SEC),
	    T_NEW), 0);
	engine_free(e);
	engine_free(old);
	tconf_free(c);
	tconf_free(c2);
}

/* A new clock behind the saved times (a wall clock set back between the
 * runs) puts the last event at now: still counted, never in the future. */
static void
test_clock_back(void **state)
{
	struct conf *c = conf_burst5();
	struct engine *old = tengine_new(c, test_hashkey), *e;
	struct recs r = { .n = 0 };
	struct pkt p = tpkt(A, MX);
	struct verdict v;
	int64_t exp_us = T_OLD + 10 * SEC;

	(void)state;
	assert_non_null(old);
	feed_n(old, A, MX, 5, T_OLD, SEC);
	assert_int_equal(engine_export(old, exp_us, collect, &r), 1);
	assert_non_null(e = tengine_new(c, test_hashkey));
	assert_int_equal(engine_import(e, &r.c[0], shift_for(exp_us, -HOUR),
	    T_NEW), 1);
	assert_true(tfeed(e, &p, PKT_OK, T_NEW + SEC, &v));
	assert_int_equal(v.connections, 6);
	assert_true(v.first_seen_us <= T_NEW);
	engine_free(e);
	engine_free(old);
	tconf_free(c);
}

/* Untrusted records: slots past the limits are refused or skipped. */
static void
test_bad_records(void **state)
{
	struct conf *c = tconf_new();
	struct engine *e;
	struct engine_slot slots[3] = {
		{ .dsthash = 0, .age = 0 },			/* free */
		{ .dsthash = 7, .age = ENGINE_SLOT_MAX_AGE + 1 },
		{ .dsthash = 8, .age = 0 },
	};
	struct engine_counters rec;
	struct engine_talker t;

	(void)state;
	c->rate[RULE_BURST] = trate_off();
	c->rate[RULE_SUSTAINED] = trate_off();
	c->rate[RULE_FANOUT] = trate(3, 10 * MIN);
	assert_non_null(e = tengine_new(c, test_hashkey));
	memset(&rec, 0, sizeof(rec));
	rec.key = tkey(A, 64);
	rec.connections = 1;
	rec.first_us = rec.last_us = T_NEW;
	rec.distinct_tick_us = 10 * MIN / 64;
	rec.slots = slots;
	rec.nslots = 2;				/* nothing valid */
	assert_int_equal(engine_import(e, &rec, 0, T_NEW), 0);
	rec.nslots = ENGINE_MAX_SLOTS + 1;	/* too many */
	assert_int_equal(engine_import(e, &rec, 0, T_NEW), 0);
	rec.first_us = T_NEW + 1;		/* first after last */
	rec.nslots = 3;
	assert_int_equal(engine_import(e, &rec, 0, T_NEW), 0);
	rec.first_us = T_NEW;
	rec.key.kind = KEY_NONE;
	assert_int_equal(engine_import(e, &rec, 0, T_NEW), 0);
	rec.key = tkey(A, 64);
	assert_int_equal(engine_import(e, &rec, INT64_MAX, T_NEW), 0);
	assert_int_equal(engine_import(e, &rec, 0, T_NEW), 1);
	assert_int_equal(engine_top(e, &t, 1, false, T_NEW), 1);
	assert_int_equal(t.count[RULE_FANOUT], 1);
	engine_free(e);
	tconf_free(c);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_burst_carried),
		cmocka_unit_test(test_burst_ages),
		cmocka_unit_test(test_fanout_carried),
		cmocka_unit_test(test_not_carried),
		cmocka_unit_test(test_clock_back),
		cmocka_unit_test(test_bad_records),
	};

	log_init("test_counters", true, false);
	return cmocka_run_group_tests(tests, NULL, NULL);
}

/*
 * test_policy.c: strike history and the circuit breaker (policy.c).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "engine_test.h"
#include "engine_internal.h"

/* Strikes at t_s[], then the count at now_s with memory_s. */
struct stcase {
	const char	*name;
	int64_t		 t_s[20];
	int		 n;
	int64_t		 now_s, memory_s;
	int		 want;
};

static const struct stcase stcases[] = {
	{ "none", { 0 }, 0, 100, 1000, 0 },
	{ "all within", { 10, 20, 30 }, 3, 100, 1000, 3 },
	{ "counted back from now", { 10, 20, 30 }, 3, 1015, 1000, 2 },
	{ "exactly memory ago is out", { 10, 20 }, 2, 1010, 1000, 1 },
	{ "future strikes do not count", { 10, 200 }, 2, 100, 1000, 1 },
	{ "restored out of order", { 30, 10, 20 }, 3, 1015, 1000, 2 },
	{ "at most 16 remembered", { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12,
	  13, 14, 15, 16, 17, 18 }, 18, 100, 1000, 16 },
	{ "the oldest go first", { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12,
	  13, 14, 15, 16, 17, 18 }, 18, 1010, 1000, 8 },
	{ "permanent memory", { 1, 2 }, 2, 1000000, DURATION_PERMANENT / SEC,
	  2 },
};

static void
test_strikes_table(void **state)
{
	struct rate mnb = trate(20, MIN);
	struct key k = tkey("192.0.2.7", 64);
	size_t i;
	int j, got;

	(void)state;
	for (i = 0; i < sizeof(stcases) / sizeof(stcases[0]); i++) {
		const struct stcase *c = &stcases[i];
		struct policy p;
		int64_t mem;

		assert_int_equal(policy_init(&p, 16, &mnb, test_hashkey), 0);
		for (j = 0; j < c->n; j++)
			policy_add_strike(&p, &k, c->t_s[j] * SEC);
		mem = c->memory_s == DURATION_PERMANENT / SEC ?
		    DURATION_PERMANENT : c->memory_s * SEC;
		got = policy_strikes(&p, &k, c->now_s * SEC, mem);
		if (got != c->want)
			fail_msg("%s: %d strikes, want %d", c->name, got,
			    c->want);
		policy_fini(&p);
	}
}

/* A full history table replaces the key struck least recently. */
static void
test_strikes_replaced(void **state)
{
	struct rate mnb = trate(20, MIN);
	struct key a = tkey("192.0.2.1", 64), b = tkey("192.0.2.2", 64);
	struct key c = tkey("192.0.2.3", 64), d = tkey("uid:7", 64);
	struct policy p;

	(void)state;
	assert_int_equal(policy_init(&p, 3, &mnb, test_hashkey), 0);
	policy_add_strike(&p, &a, 1 * SEC);
	policy_add_strike(&p, &b, 2 * SEC);
	policy_add_strike(&p, &c, 3 * SEC);
	policy_add_strike(&p, &a, 4 * SEC);	/* a is now the newest */
	policy_add_strike(&p, &d, 5 * SEC);	/* replaces b */
	assert_int_equal(policy_strikes(&p, &a, 10 * SEC, HOUR), 2);
	assert_int_equal(policy_strikes(&p, &b, 10 * SEC, HOUR), 0);
	assert_int_equal(policy_strikes(&p, &c, 10 * SEC, HOUR), 1);
	assert_int_equal(policy_strikes(&p, &d, 10 * SEC, HOUR), 1);
	policy_fini(&p);
}

static void
test_timeouts(void **state)
{
	struct conf *c = tconf_new();

	(void)state;
	assert_int_equal(policy_timeout(c, 1), HOUR);
	assert_int_equal(policy_timeout(c, 2), DAY);
	assert_int_equal(policy_timeout(c, 3), 7 * DAY);
	assert_int_equal(policy_timeout(c, 9), 7 * DAY);
	c->nescalate = 0;
	c->timeout_us = 5 * MIN;
	assert_int_equal(policy_timeout(c, 1), 5 * MIN);
	assert_int_equal(policy_timeout(c, 4), 5 * MIN);
	conf_free(c);
}

/* Breaker: at (second) whether a strike is allowed; strikes are noted. */
static void
test_breaker(void **state)
{
	static const struct {
		int64_t	 t_s;
		bool	 room;
		int	 epoch;		/* after the check */
	} steps[] = {
		{ 0, true, 0 }, { 1, true, 0 }, { 2, false, 1 },
		{ 30, false, 1 }, { 60, true, 1 },	/* 0 is a minute ago */
		{ 61, true, 1 }, { 62, false, 1 },	/* refusal at 30 < W */
		{ 200, true, 1 }, { 201, true, 1 },
		{ 202, false, 2 },			/* W after 62 */
	};
	struct rate mnb = trate(2, MIN), off = trate_off();
	struct policy p;
	size_t i;
	bool room;

	(void)state;
	assert_int_equal(policy_init(&p, 16, &mnb, test_hashkey), 0);
	for (i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
		room = policy_breaker_room(&p, &mnb, steps[i].t_s * SEC);
		if (room != steps[i].room || p.brk_epoch != steps[i].epoch)
			fail_msg("step %zu (t %lld): room %d epoch %d", i,
			    (long long)steps[i].t_s, room, p.brk_epoch);
		if (room)
			policy_breaker_note(&p, &mnb, steps[i].t_s * SEC);
	}
	assert_true(policy_breaker_room(&p, &off, 203 * SEC));
	/* a larger n keeps the newest times */
	mnb = trate(3, MIN);
	assert_int_equal(policy_reconf(&p, &mnb), 0);
	assert_true(policy_breaker_room(&p, &mnb, 203 * SEC));
	policy_breaker_note(&p, &mnb, 203 * SEC);
	assert_false(policy_breaker_room(&p, &mnb, 204 * SEC));
	/* a smaller n too */
	mnb = trate(1, MIN);
	assert_int_equal(policy_reconf(&p, &mnb), 0);
	assert_false(policy_breaker_room(&p, &mnb, 262 * SEC));
	assert_true(policy_breaker_room(&p, &mnb, 263 * SEC));
	policy_fini(&p);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_strikes_table),
		cmocka_unit_test(test_strikes_replaced),
		cmocka_unit_test(test_timeouts),
		cmocka_unit_test(test_breaker),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

/*
 * test_window.c: the bucketed event windows and the fanout slots
 * (window.c), as tables of event times -> counts.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "engine_test.h"
#include "engine_internal.h"

/* Events at t_s[0..n) into a window of W; want: count after the last,
 * and at the extra time at_s (count without an event). */
struct wcase {
	const char	*name;
	int64_t		 w_us;
	int64_t		 t_ms[32];
	int		 n;
	uint32_t	 want;		/* after the last event */
	int64_t		 at_ms;
	uint32_t	 want_at;
};

static const struct wcase wcases[] = {
	{ "one event", MIN, { 0 }, 1, 1, 0, 1 },
	{ "same bucket", MIN, { 0, 1, 2, 3 }, 4, 4, 3000, 4 },
	{ "spans under W - bucket count whole", MIN,
	  { 0, 10000, 20000, 56249 }, 4, 4, 56249, 4 },
	{ "an event W or more ago is gone", MIN, { 0, 60000 }, 2, 1, 60000, 1 },
	{ "buckets expire one by one", MIN,
	  { 0, 3750, 7500, 11250 }, 4, 4, 63750, 2 },
	{ "all expired after W + bucket", MIN, { 0, 1000 }, 2, 2, 63750, 0 },
	{ "a long silence clears", MIN, { 0, 1000, 1000000 }, 3, 1,
	  1000000, 1 },
	{ "skipped buckets are zeroed", MIN,
	  { 0, 30000, 61000, 62000 }, 4, 3, 62000, 3 },
	{ "clock back counts in the newest", MIN, { 10000, 5000 }, 2, 2,
	  10000, 2 },
	{ "sustained hour", HOUR, { 0, 1000000, 2000000, 3374999 }, 4, 4,
	  3600000, 3 },
	{ "tiny W", 10, { 0, 0, 0 }, 3, 3, 1, 0 },
};

static void
test_window_table(void **state)
{
	size_t i;
	int j;

	(void)state;
	for (i = 0; i < sizeof(wcases) / sizeof(wcases[0]); i++) {
		const struct wcase *c = &wcases[i];
		int64_t b = window_bucket_us(c->w_us), last = 0, t;
		struct window w;
		uint32_t got = 0;

		window_clear(&w);
		for (j = 0; j < c->n; j++) {
			t = c->t_ms[j] * MS;
			if (j > 0 && t < last)
				t = last;	/* the engine's max() */
			got = window_add(&w, b, j == 0, last, t);
			last = t;
		}
		if (got != c->want)
			fail_msg("%s: count %u, want %u", c->name, got,
			    c->want);
		got = window_count(&w, b, last, c->at_ms * MS);
		if (got != c->want_at)
			fail_msg("%s: count at %lld ms %u, want %u", c->name,
			    (long long)c->at_ms, got, c->want_at);
	}
}

static void
test_window_saturates(void **state)
{
	struct window w;
	uint32_t got = 0;
	int i;

	(void)state;
	window_clear(&w);
	for (i = 0; i < 70000; i++)
		got = window_add(&w, SEC, i == 0, 0, 0);
	assert_int_equal(got, UINT16_MAX);
	got = window_add(&w, SEC, false, 0, SEC);
	assert_int_equal(got, UINT16_MAX + 1);
}

/* Destination hashes h[i] at t_ms[i]; counts after each event. */
struct fcase {
	const char	*name;
	int		 nslots;
	int64_t		 w_us;
	int		 n;
	uint32_t	 h[24];
	int64_t		 t_ms[24];
	uint32_t	 want[24];
};

static const struct fcase fcases[] = {
	{ "distinct and repeats", 4, 10 * MIN, 6,
	  { 1, 2, 1, 3, 2, 4 }, { 0, 1, 2, 3, 4, 5 },
	  { 1, 2, 2, 3, 3, 4 } },
	{ "full: stays at nslots", 3, 10 * MIN, 5,
	  { 1, 2, 3, 4, 5 }, { 0, 1, 2, 3, 4 },
	  { 1, 2, 3, 3, 3 } },
	{ "old destinations leave", 4, 64 * SEC, 4,
	  { 1, 2, 3, 4 }, { 0, 1000, 64000, 65000 },
	  { 1, 2, 2, 2 } },
	{ "a repeat refreshes", 4, 64 * SEC, 4,
	  { 1, 2, 1, 3 }, { 0, 1000, 60000, 100000 },
	  { 1, 2, 2, 2 } },
	{ "hash 0 is a destination too", 4, 64 * SEC, 3,
	  { 0, 0, 2 }, { 0, 1, 2 }, { 1, 1, 2 } },
};

static void
test_fanout_table(void **state)
{
	uint8_t area[FANOUT_MAX_SLOTS * 6];
	size_t i;
	int j;

	(void)state;
	for (i = 0; i < sizeof(fcases) / sizeof(fcases[0]); i++) {
		const struct fcase *c = &fcases[i];
		int64_t tick = fanout_tick_us(c->w_us);
		uint32_t got;

		fanout_clear(area, c->nslots);
		for (j = 0; j < c->n; j++) {
			got = fanout_add(area, c->nslots, c->h[j], tick,
			    c->t_ms[j] * MS);
			if (got != c->want[j])
				fail_msg("%s: event %d: %u, want %u", c->name,
				    j + 1, got, c->want[j]);
			assert_int_equal(fanout_count(area, c->nslots, tick,
			    c->t_ms[j] * MS), got);
		}
	}
}

static void
test_fanout_count_later(void **state)
{
	uint8_t area[64];
	int64_t tick = fanout_tick_us(64 * SEC);

	(void)state;
	assert_int_equal(fanout_area_size(10), 50);
	fanout_clear(area, 10);
	fanout_add(area, 10, 7, tick, 0);
	fanout_add(area, 10, 8, tick, 30 * SEC);
	assert_int_equal(fanout_count(area, 10, tick, 63 * SEC), 2);
	assert_int_equal(fanout_count(area, 10, tick, 64 * SEC), 1);
	assert_int_equal(fanout_count(area, 10, tick, 94 * SEC), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_window_table),
		cmocka_unit_test(test_window_saturates),
		cmocka_unit_test(test_fanout_table),
		cmocka_unit_test(test_fanout_count_later),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

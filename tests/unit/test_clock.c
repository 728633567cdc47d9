/*
 * test_clock.c: clock_add_sat, the one place the daemon adds a duration
 * from the config or a client to a time.  Durations reach ~292,000 years
 * (parse_duration), so the sum must saturate to DURATION_PERMANENT rather
 * than overflow (undefined behaviour, then a block that ends at once).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "daemon.h"

#define DAY_US		(86400LL * US_PER_S)
#define NOW_US		(1700000000LL * US_PER_S)

static const struct {
	int64_t	 t_us, d_us, want;
} cases[] = {
	{ NOW_US, 3600 * US_PER_S, NOW_US + 3600 * US_PER_S },
	{ NOW_US, 0, NOW_US },
	{ 0, DURATION_PERMANENT, DURATION_PERMANENT },
	{ NOW_US, DURATION_PERMANENT, DURATION_PERMANENT },
	/* escalate = 106751990d: finite, but now + it overflows */
	{ NOW_US, 106751990LL * DAY_US, DURATION_PERMANENT },
	{ DURATION_PERMANENT - 1, 1, DURATION_PERMANENT },
	{ DURATION_PERMANENT - 2, 1, DURATION_PERMANENT - 1 },
	{ -5, 3, -2 },
};

static void
test_add_sat(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		if (clock_add_sat(cases[i].t_us, cases[i].d_us) !=
		    cases[i].want)
			fail_msg("case %zu: %lld + %lld = %lld, want %lld", i,
			    (long long)cases[i].t_us, (long long)cases[i].d_us,
			    (long long)clock_add_sat(cases[i].t_us,
			    cases[i].d_us), (long long)cases[i].want);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_add_sat),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

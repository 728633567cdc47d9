/*
 * test_parse.c: the value syntaxes (durations, rates, prefixes), good and
 * bad, as tables; every good value also round-trips through fmt_*.
 */
#include <sys/socket.h>
#include <arpa/inet.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>

#include "nflogmon.h"

#define S	US_PER_S

struct dur_case {
	const char	*in;
	int		 ret;
	int64_t		 us;
	const char	*canon;		/* fmt_duration of us */
};

static const struct dur_case dur_cases[] = {
	{ "30s", 0, 30 * S, "30s" },
	{ "1s", 0, S, "1s" },
	{ "10m", 0, 600 * S, "10m" },
	{ "60s", 0, 60 * S, "1m" },
	{ "90s", 0, 90 * S, "90s" },
	{ "1h", 0, 3600 * S, "1h" },
	{ "120m", 0, 7200 * S, "2h" },
	{ "24h", 0, 86400 * S, "1d" },
	{ "7d", 0, 7 * 86400 * S, "7d" },
	{ "30d", 0, 30 * 86400 * S, "30d" },
	{ "007d", 0, 7 * 86400 * S, "7d" },
	{ "permanent", 0, DURATION_PERMANENT, "permanent" },
	{ "36500d", 0, 36500LL * 86400 * S, "36500d" },	/* 100 years */
	{ "876000h", 0, 36500LL * 86400 * S, "36500d" },
	{ "3153600000s", 0, 36500LL * 86400 * S, "36500d" },
	{ "", -1, 0, NULL },
	{ "30", -1, 0, NULL },		/* bare number: unit required */
	{ "0s", -1, 0, NULL },
	{ "-5s", -1, 0, NULL },
	{ "+5s", -1, 0, NULL },
	{ "5", -1, 0, NULL },
	{ "s", -1, 0, NULL },
	{ "5x", -1, 0, NULL },
	{ "5ss", -1, 0, NULL },
	{ "5s ", -1, 0, NULL },
	{ " 5s", -1, 0, NULL },
	{ "5 s", -1, 0, NULL },
	{ "1.5h", -1, 0, NULL },
	{ "5S", -1, 0, NULL },
	{ "1w", -1, 0, NULL },
	/* beyond 100 years: since + timeout must not overflow int64_t us */
	{ "36501d", -1, 0, NULL },
	{ "876001h", -1, 0, NULL },
	{ "3153600001s", -1, 0, NULL },
	{ "99999999d", -1, 0, NULL },
	{ "106751991d", -1, 0, NULL },
	{ "106751992d", -1, 0, NULL },	/* > INT64_MAX us */
	{ "9223372036854775807s", -1, 0, NULL },
	{ "99999999999999999999999s", -1, 0, NULL },
	{ "Permanent", -1, 0, NULL },
	{ "permanently", -1, 0, NULL },
};

static void
test_durations(void **state)
{
	char buf[64];
	size_t i;
	int64_t us;

	(void)state;
	for (i = 0; i < sizeof(dur_cases) / sizeof(dur_cases[0]); i++) {
		const struct dur_case *c = &dur_cases[i];

		us = -42;
		if (parse_duration(c->in, &us) != c->ret)
			fail_msg("parse_duration(\"%s\") != %d", c->in, c->ret);
		if (c->ret != 0) {
			assert_int_equal(us, -42);	/* untouched */
			continue;
		}
		assert_int_equal(us, c->us);
		assert_string_equal(fmt_duration(us, buf, sizeof(buf)),
		    c->canon);
		assert_int_equal(parse_duration(buf, &us), 0);
		assert_int_equal(us, c->us);
	}
	assert_int_equal(parse_duration(NULL, &us), -1);
}

static void
test_fmt_duration_odd(void **state)
{
	char buf[64];

	(void)state;
	assert_string_equal(fmt_duration(0, buf, sizeof(buf)), "0s");
	assert_string_equal(fmt_duration(1500000, buf, sizeof(buf)), "1.5s");
	assert_string_equal(fmt_duration(250, buf, sizeof(buf)), "0.00025s");
	assert_string_equal(fmt_duration(-3600 * S, buf, sizeof(buf)), "-1h");
}

struct rate_case {
	const char	*in;
	bool		 allow_off;
	int		 ret;
	uint32_t	 n;
	int64_t		 w_us;
	bool		 off;
	const char	*canon;
};

static const struct rate_case rate_cases[] = {
	{ "20/1m", false, 0, 20, 60 * S, false, "20/1m" },
	{ "120/1h", false, 0, 120, 3600 * S, false, "120/1h" },
	{ "15/600s", false, 0, 15, 600 * S, false, "15/10m" },
	{ "1/1s", false, 0, 1, S, false, "1/1s" },
	{ "4294967295/7d", false, 0, 4294967295u, 7 * 86400 * S, false,
	    "4294967295/7d" },
	{ "off", true, 0, 0, 0, true, "off" },
	{ "off", false, -1, 0, 0, false, NULL },
	{ "OFF", true, -1, 0, 0, false, NULL },
	{ "", true, -1, 0, 0, false, NULL },
	{ "20", false, -1, 0, 0, false, NULL },
	{ "20/", false, -1, 0, 0, false, NULL },
	{ "/1m", false, -1, 0, 0, false, NULL },
	{ "0/1m", false, -1, 0, 0, false, NULL },
	{ "-1/1m", false, -1, 0, 0, false, NULL },
	{ "20/60", false, -1, 0, 0, false, NULL },
	{ "20/1m/", false, -1, 0, 0, false, NULL },
	{ "20/1m ", false, -1, 0, 0, false, NULL },
	{ "20 /1m", false, -1, 0, 0, false, NULL },
	{ "20/permanent", false, -1, 0, 0, false, NULL },
	{ "4294967296/1m", false, -1, 0, 0, false, NULL },
	{ "20/0s", false, -1, 0, 0, false, NULL },
	{ "1/36501d", false, -1, 0, 0, false, NULL },	/* over 100 years */
};

static void
test_rates(void **state)
{
	struct rate r, back;
	char buf[64];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(rate_cases) / sizeof(rate_cases[0]); i++) {
		const struct rate_case *c = &rate_cases[i];

		memset(&r, 0x5a, sizeof(r));
		if (parse_rate(c->in, &r, c->allow_off) != c->ret)
			fail_msg("parse_rate(\"%s\", %d) != %d", c->in,
			    c->allow_off, c->ret);
		if (c->ret != 0)
			continue;
		assert_int_equal(r.n, c->n);
		assert_int_equal(r.w_us, c->w_us);
		assert_int_equal(r.off, c->off);
		assert_string_equal(fmt_rate(&r, buf, sizeof(buf)), c->canon);
		assert_int_equal(parse_rate(buf, &back, true), 0);
		assert_int_equal(back.n, r.n);
		assert_int_equal(back.w_us, r.w_us);
	}
}

struct prefix_case {
	const char	*in;
	int		 ret;
	int		 family;
	int		 plen;
	const char	*addr;		/* inet_ntop of the result */
	const char	*err;		/* substring of the reason */
};

static const struct prefix_case prefix_cases[] = {
	{ "192.0.2.7", 0, AF_INET, 32, "192.0.2.7", NULL },
	{ "192.0.2.0/24", 0, AF_INET, 24, "192.0.2.0", NULL },
	{ "198.18.0.0/15", 0, AF_INET, 15, "198.18.0.0", NULL },
	{ "0.0.0.0/0", 0, AF_INET, 0, "0.0.0.0", NULL },
	{ "203.0.113.9/32", 0, AF_INET, 32, "203.0.113.9", NULL },
	{ "2001:db8::25", 0, AF_INET6, 128, "2001:db8::25", NULL },
	{ "2001:db8:1:2::/64", 0, AF_INET6, 64, "2001:db8:1:2::", NULL },
	{ "2001:db8::/32", 0, AF_INET6, 32, "2001:db8::", NULL },
	{ "::/0", 0, AF_INET6, 0, "::", NULL },
	{ "2001:db8::1/128", 0, AF_INET6, 128, "2001:db8::1", NULL },
	{ "192.0.2.1/24", -1, 0, 0, NULL,
	    "host bits set in '192.0.2.1/24' (did you mean 192.0.2.0/24?)" },
	{ "198.19.0.0/15", -1, 0, 0, NULL, "did you mean 198.18.0.0/15?" },
	{ "2001:db8::1/64", -1, 0, 0, NULL, "did you mean 2001:db8::/64?" },
	{ "192.0.2.0/33", -1, 0, 0, NULL, "bad prefix length" },
	{ "2001:db8::/129", -1, 0, 0, NULL, "bad prefix length" },
	{ "192.0.2.0/", -1, 0, 0, NULL, "bad prefix length" },
	{ "192.0.2.0/024", -1, 0, 0, NULL, "bad prefix length" },
	{ "192.0.2.0/-1", -1, 0, 0, NULL, "bad prefix length" },
	{ "192.0.2.0/24x", -1, 0, 0, NULL, "bad prefix length" },
	{ "192.0.2.0/24/24", -1, 0, 0, NULL, "bad prefix length" },
	{ "", -1, 0, 0, NULL, "empty" },
	{ "/24", -1, 0, 0, NULL, "bad address" },
	{ "192.0.2", -1, 0, 0, NULL, "bad address" },
	{ "192.0.2.256", -1, 0, 0, NULL, "bad address" },
	{ " 192.0.2.1", -1, 0, 0, NULL, "bad address" },
	{ "192.0.2.1 ", -1, 0, 0, NULL, "bad address" },
	{ "example.org", -1, 0, 0, NULL, "bad address" },
	{ "2001:db8::g", -1, 0, 0, NULL, "bad address" },
	{ "fe80::1%eth0", -1, 0, 0, NULL, "bad address" },
	{ "2001:0db8:0000:0000:0000:0000:0000:0000:0000/64", -1, 0, 0, NULL,
	    "bad address" },
};

static void
test_prefixes(void **state)
{
	char err[160], buf[INET6_ADDRSTRLEN];
	struct addr a;
	size_t i;
	int plen, j;

	(void)state;
	for (i = 0; i < sizeof(prefix_cases) / sizeof(prefix_cases[0]); i++) {
		const struct prefix_case *c = &prefix_cases[i];

		err[0] = '\0';
		if (parse_prefix_err(c->in, &a, &plen, err, sizeof(err)) !=
		    c->ret)
			fail_msg("parse_prefix(\"%s\") != %d (%s)", c->in,
			    c->ret, err);
		assert_int_equal(parse_prefix(c->in, &a, &plen), c->ret);
		if (c->ret != 0) {
			if (strstr(err, c->err) == NULL)
				fail_msg("\"%s\": reason \"%s\" lacks \"%s\"",
				    c->in, err, c->err);
			continue;
		}
		assert_int_equal(a.family, c->family);
		assert_int_equal(plen, c->plen);
		assert_non_null(inet_ntop(a.family, a.b, buf, sizeof(buf)));
		assert_string_equal(buf, c->addr);
		if (a.family == AF_INET)	/* unused bytes are zero */
			for (j = 4; j < 16; j++)
				assert_int_equal(a.b[j], 0);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_durations),
		cmocka_unit_test(test_fmt_duration_odd),
		cmocka_unit_test(test_rates),
		cmocka_unit_test(test_prefixes),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

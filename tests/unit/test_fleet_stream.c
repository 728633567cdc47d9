/*
 * test_fleet_stream.c: the decision stream parser as a table of one
 * decision in, the key or the refusal out; whole responses (null lists,
 * deleted before new, own ids, malformed and over-size bodies); Go
 * durations; the fleet breaker.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "fleet.h"

#define OK	FLEET_REF_MAX

struct got {
	struct fleet_decision d[8];
	int		 n;
};

static void
collect(const struct fleet_decision *d, void *arg)
{
	struct got *g = arg;

	if (g->n < 8)
		g->d[g->n] = *d;
	g->n++;
}

static bool
own_7(int64_t id, void *arg)
{
	(void)arg;
	return id == 7;
}

static struct netset *allow, *local;

static int
setup(void **state)
{
	struct addr a;
	int plen;

	(void)state;
	allow = netset_new();
	local = netset_new();
	parse_prefix("192.0.2.25", &a, &plen);
	netset_add(allow, &a, plen, 0);
	parse_prefix("2001:db8:1::25", &a, &plen);
	netset_add(allow, &a, plen, 0);
	parse_prefix("198.51.100.5", &a, &plen);	/* the LAPI */
	netset_add(local, &a, plen, 0);
	parse_prefix("203.0.113.1", &a, &plen);		/* this host */
	netset_add(local, &a, plen, 0);
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	netset_free(allow);
	netset_free(local);
	return 0;
}

static struct fleet_filter
filter(void)
{
	struct fleet_filter f = { allow, local, 64, own_7, NULL };

	return f;
}

/* One decision of "new" with the given scope, value, type, duration. */
static const struct {
	const char	*scope, *value, *type, *duration;
	int		 want;		/* OK or a refusal */
	const char	*key;		/* key_format of the result */
} rows[] = {
	{ "Ip", "203.0.113.77", "ban", "3h59m58.5s", OK, "203.0.113.77" },
	{ "Ip", "203.0.113.77/32", "ban", "1h", OK, "203.0.113.77" },
	{ "Ip", "2001:db8:7::5", "ban", "10m", OK, "2001:db8:7::/64" },
	{ "Range", "2001:db8:7::/48", "ban", "10m", OK, "2001:db8:7::/48" },
	{ "Range", "2001:db8:7:1::/64", "ban", "10m", OK, "2001:db8:7:1::/64" },
	{ "Ip", "2001:db8:7::5/128", "ban", "10m", OK, "2001:db8:7::5/128" },
	{ "ip", "203.0.113.77", "ban", "1h", FLEET_REF_SCOPE, NULL },
	{ "Country", "FR", "ban", "1h", FLEET_REF_SCOPE, NULL },
	{ "AS", "1234", "ban", "1h", FLEET_REF_SCOPE, NULL },
	{ "Ip", "203.0.113.77", "captcha", "1h", FLEET_REF_TYPE, NULL },
	{ "Ip", "127.0.0.1", "ban", "1h", FLEET_REF_LOOPBACK, NULL },
	{ "Ip", "::1", "ban", "1h", FLEET_REF_LOOPBACK, NULL },
	{ "Ip", "169.254.3.4", "ban", "1h", FLEET_REF_LINKLOCAL, NULL },
	{ "Range", "fe80::/64", "ban", "1h", FLEET_REF_LINKLOCAL, NULL },
	{ "Ip", "224.0.0.251", "ban", "1h", FLEET_REF_MULTICAST, NULL },
	{ "Ip", "255.255.255.255", "ban", "1h", FLEET_REF_MULTICAST, NULL },
	{ "Ip", "0.0.0.0", "ban", "1h", FLEET_REF_MULTICAST, NULL },
	{ "Range", "ff02::/64", "ban", "1h", FLEET_REF_MULTICAST, NULL },
	{ "Ip", "203.0.113.1", "ban", "1h", FLEET_REF_LOCAL, NULL },
	{ "Ip", "198.51.100.5", "ban", "1h", FLEET_REF_LOCAL, NULL },
	{ "Ip", "192.0.2.25", "ban", "1h", FLEET_REF_ALLOW, NULL },
	/* the allowlisted address inside the prefix a bare address becomes */
	{ "Ip", "2001:db8:1::99", "ban", "1h", FLEET_REF_ALLOW, NULL },
	{ "Range", "2001:db8:1::/48", "ban", "1h", FLEET_REF_ALLOW, NULL },
	{ "Range", "203.0.113.0/24", "ban", "1h", FLEET_REF_V4RANGE, NULL },
	{ "Ip", "203.0.113.0/24", "ban", "1h", FLEET_REF_V4RANGE, NULL },
	{ "Range", "2001:db8::/32", "ban", "1h", FLEET_REF_V6SHORT, NULL },
	{ "Range", "::/0", "ban", "1h", FLEET_REF_V6SHORT, NULL },
	{ "Range", "203.0.113.5", "ban", "1h", FLEET_REF_MALFORMED, NULL },
	{ "Ip", "203.0.113.256", "ban", "1h", FLEET_REF_MALFORMED, NULL },
	{ "Ip", "", "ban", "1h", FLEET_REF_MALFORMED, NULL },
	{ "Ip", "::ffff:203.0.113.7", "ban", "1h", FLEET_REF_MALFORMED, NULL },
	{ "Ip", "203.0.113.7", "ban", "-5s", FLEET_REF_DURATION, NULL },
	{ "Ip", "203.0.113.7", "ban", "0s", FLEET_REF_DURATION, NULL },
	{ "Ip", "203.0.113.7", "ban", "876000h", FLEET_REF_DURATION, NULL },
	{ "Ip", "203.0.113.7", "ban", "1y", FLEET_REF_DURATION, NULL },
	{ "Ip", "203.0.113.7", "ban", "", FLEET_REF_DURATION, NULL },
	{ "Ip", "203.0.113.7", "ban", "99999999999999999999h",
	    FLEET_REF_DURATION, NULL },
};

static void
test_table(void **state)
{
	struct fleet_filter f = filter();
	struct fleet_stream_stats st;
	char body[512], k[KEY_STRLEN];
	struct got g;
	size_t i;
	int r;

	(void)state;
	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		memset(&st, 0, sizeof(st));
		memset(&g, 0, sizeof(g));
		snprintf(body, sizeof(body), "{\"new\":[{\"id\":3,\"origin\":"
		    "\"nflogmon\",\"scenario\":\"nflogmon/burst\",\"scope\":"
		    "\"%s\",\"value\":\"%s\",\"type\":\"%s\",\"duration\":"
		    "\"%s\"}],\"deleted\":null}", rows[i].scope, rows[i].value,
		    rows[i].type, rows[i].duration);
		assert_int_equal(fleet_stream_parse(body, strlen(body), &f,
		    collect, &g, &st), 0);
		if (rows[i].want == OK) {
			if (g.n != 1)
				fail_msg("row %zu (%s): refused", i,
				    rows[i].value);
			key_format(&g.d[0].key, k, sizeof(k));
			assert_string_equal(k, rows[i].key);
			assert_int_equal(st.new_ok, 1);
			assert_false(g.d[0].deleted);
			assert_int_equal(g.d[0].id, 3);
			assert_string_equal(g.d[0].scenario, "nflogmon/burst");
			assert_string_equal(g.d[0].origin, "nflogmon");
		} else {
			if (g.n != 0)
				fail_msg("row %zu (%s %s): applied", i,
				    rows[i].scope, rows[i].value);
			r = rows[i].want;
			if (st.refused[r] != 1)
				fail_msg("row %zu (%s): not counted as %s", i,
				    rows[i].value, fleet_refusal_name(r));
		}
	}
}

static int
parse(const char *body, struct got *g, struct fleet_stream_stats *st)
{
	struct fleet_filter f = filter();

	memset(g, 0, sizeof(*g));
	memset(st, 0, sizeof(*st));
	return fleet_stream_parse(body, strlen(body), &f, collect, g, st);
}

static void
test_responses(void **state)
{
	struct fleet_stream_stats st;
	struct got g;

	(void)state;
	/* empty lists come as null, or absent */
	assert_int_equal(parse("{\"new\":null,\"deleted\":null}", &g, &st), 0);
	assert_int_equal(g.n, 0);
	assert_int_equal(parse("{}", &g, &st), 0);
	assert_int_equal(g.n, 0);
	/* deleted first, then new: a replaced decision ends applied; a
	 * deleted entry needs no duration (expired ones are negative) */
	assert_int_equal(parse("{\"new\":[{\"id\":9,\"scope\":\"Ip\","
	    "\"value\":\"203.0.113.9\",\"type\":\"ban\",\"duration\":\"1h\"}],"
	    "\"deleted\":[{\"id\":8,\"scope\":\"Ip\",\"value\":\"203.0.113.9\","
	    "\"type\":\"ban\",\"duration\":\"-3m2s\"},{\"id\":8,\"scope\":\"Ip\","
	    "\"value\":\"203.0.113.9\",\"type\":\"ban\"}]}", &g, &st), 0);
	assert_int_equal(g.n, 3);
	assert_true(g.d[0].deleted);
	assert_true(g.d[1].deleted);	/* repeated: the daemon is idempotent */
	assert_false(g.d[2].deleted);
	assert_int_equal(g.d[2].id, 9);
	assert_int_equal(g.d[2].remaining_us, 3600LL * 1000000);
	assert_int_equal(st.deleted_ok, 2);
	/* own decisions are ignored and counted as such */
	assert_int_equal(parse("{\"new\":[{\"id\":7,\"scope\":\"Ip\","
	    "\"value\":\"203.0.113.7\",\"type\":\"ban\",\"duration\":\"1h\"}]}",
	    &g, &st), 0);
	assert_int_equal(g.n, 0);
	assert_int_equal(st.own, 1);
	/* entries that are not decisions */
	assert_int_equal(parse("{\"new\":[1,\"x\",null,{},{\"id\":\"3\","
	    "\"scope\":\"Ip\",\"value\":\"203.0.113.7\",\"type\":\"ban\","
	    "\"duration\":\"1h\"},{\"id\":-1,\"scope\":\"Ip\",\"value\":"
	    "\"203.0.113.7\",\"type\":\"ban\",\"duration\":\"1h\"}]}", &g,
	    &st), 0);
	assert_int_equal(g.n, 0);
	assert_int_equal(st.refused[FLEET_REF_MALFORMED], 6);
	assert_int_equal(parse("{\"new\":{\"id\":1}}", &g, &st), 0);
	assert_int_equal(st.refused[FLEET_REF_MALFORMED], 1);
	/* control characters in texts do not reach logs */
	assert_int_equal(parse("{\"new\":[{\"id\":4,\"scope\":\"Ip\","
	    "\"value\":\"203.0.113.4\",\"type\":\"ban\",\"duration\":\"1h\","
	    "\"scenario\":\"a\\nb\",\"origin\":\"c\\u0007\"}]}", &g, &st), 0);
	assert_int_equal(g.n, 1);
	assert_string_equal(g.d[0].scenario, "a?b");
	assert_string_equal(g.d[0].origin, "c?");
	/* refused whole */
	assert_int_equal(parse("", &g, &st), -1);
	assert_int_equal(parse("[]", &g, &st), -1);
	assert_int_equal(parse("{\"new\":[", &g, &st), -1);
	assert_int_equal(parse("{\"new\":null,\"new\":null}", &g, &st), -1);
	assert_int_equal(st.bad_responses, 1);
}

static void
test_oversize(void **state)
{
	struct fleet_filter f = filter();
	struct fleet_stream_stats st;
	size_t len = FLEET_MAX_RESPONSE + 1, n, i;
	char *big = malloc(len + 1), *p;
	struct got g;
	int r;

	(void)state;
	assert_non_null(big);
	memset(big, ' ', len);
	big[len] = '\0';
	memset(&st, 0, sizeof(st));
	assert_int_equal(fleet_stream_parse(big, len, &f, collect, &g, &st),
	    -1);
	assert_int_equal(st.refused[FLEET_REF_OVERSIZE], 1);
	/* more decisions than the bound, within the size: the rest refused */
	n = FLEET_MAX_DECISIONS + 5;
	p = big;
	p += sprintf(p, "{\"new\":[");
	for (i = 0; i < n; i++)
		p += sprintf(p, "%s{\"id\":1}", i ? "," : "");
	sprintf(p, "]}");
	memset(&st, 0, sizeof(st));
	memset(&g, 0, sizeof(g));
	r = fleet_stream_parse(big, strlen(big), &f, collect, &g, &st);
	assert_int_equal(r, 0);
	assert_int_equal(st.refused[FLEET_REF_OVERSIZE], 5);
	assert_int_equal(st.refused[FLEET_REF_MALFORMED], FLEET_MAX_DECISIONS);
	free(big);
}

static void
test_go_duration(void **state)
{
	static const struct {
		const char	*s;
		int64_t		 us;	/* -1: refused */
	} d[] = {
		{ "0", 0 }, { "1s", 1000000 }, { "1h", 3600000000LL },
		{ "3h59m58.5s", (3 * 3600 + 59 * 60 + 58) * 1000000LL + 500000 },
		{ "-1.5s", -1500000 }, { "250ms", 250000 }, { "10us", 10 },
		{ "10\xc2\xb5s", 10 }, { "1h2m", 3720000000LL },
		{ "", -1 }, { "s", -1 }, { "1", -1 }, { "1x", -1 },
		{ "1.s", -1 }, { "--1s", -1 }, { "1d", -1 },
		{ "9999999999999999999s", -1 },
	};
	int64_t us;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(d) / sizeof(d[0]); i++) {
		int r = fleet_go_duration(d[i].s, &us);

		if (d[i].us == -1 && d[i].s[0] != '-') {
			if (r != -1)
				fail_msg("'%s' accepted", d[i].s);
			continue;
		}
		if (d[i].us == -1) {
			assert_int_equal(r, -1);
			continue;
		}
		if (r != 0 || us != d[i].us)
			fail_msg("'%s': %d %lld", d[i].s, r, (long long)us);
	}
}

static void
test_breaker(void **state)
{
	struct rate r = { 3, 60LL * 1000000, false };
	struct fleet_breaker b;
	int i;

	(void)state;
	fleet_breaker_init(&b, &r);
	for (i = 0; i < 3; i++)
		assert_true(fleet_breaker_take(&b, 1000000 + i));
	assert_false(fleet_breaker_take(&b, 2000000));
	assert_false(fleet_breaker_take(&b, 60000000));
	assert_int_equal(b.trips, 2);
	assert_true(fleet_breaker_take(&b, 61000000));	/* a new span */
	r.off = true;
	fleet_breaker_init(&b, &r);
	for (i = 0; i < 100; i++)
		assert_true(fleet_breaker_take(&b, i));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_table),
		cmocka_unit_test(test_responses),
		cmocka_unit_test(test_oversize),
		cmocka_unit_test(test_go_duration),
		cmocka_unit_test(test_breaker),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}

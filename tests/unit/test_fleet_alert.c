/*
 * test_fleet_alert.c: the alert nflogmon posts to the LAPI, field by field
 * against the 1.4 swagger's required list; the duration cap; the login
 * body; reading ids and tokens back from well- and ill-formed answers.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "fleet.h"

static struct fleet_pub
pub(const char *src, const char *rule, int64_t since_s, int64_t dur_s)
{
	struct key k;
	char err[128];

	if (key_parse(src, 64, &k, err, sizeof(err)) == -1)
		fail_msg("%s", err);
	return fleet_pub_make(&k, rule, since_s * 1000000,
	    dur_s == -1 ? DURATION_PERMANENT : dur_s * 1000000);
}

static json_t *
alert_of(const struct fleet_pub *p, int64_t max_s)
{
	char *s = fleet_alert_json(p, max_s * 1000000);
	json_t *arr;

	assert_non_null(s);
	arr = json_loads(s, 0, NULL);
	free(s);
	assert_non_null(arr);
	assert_true(json_is_array(arr));
	assert_int_equal(json_array_size(arr), 1);	/* one per request */
	json_incref(json_array_get(arr, 0));
	{
		json_t *a = json_array_get(arr, 0);

		json_decref(arr);
		return a;
	}
}

static const char *
str(const json_t *o, const char *k)
{
	const json_t *v = json_object_get(o, k);

	if (!json_is_string(v))
		fail_msg("%s is not a string", k);
	return json_string_value(v);
}

static void
test_required_fields(void **state)
{
	static const char *required[] = { "scenario", "scenario_hash",
	    "scenario_version", "message", "events_count", "start_at",
	    "stop_at", "capacity", "leakspeed", "simulated", "events",
	    "source" };
	static const char *dreq[] = { "origin", "type", "scope", "value",
	    "duration", "scenario" };
	struct fleet_pub p = pub("192.0.2.7", "burst", 1796342400, 3600);
	json_t *a, *d, *ev;
	size_t i;

	(void)state;
	a = alert_of(&p, 7 * 86400);
	for (i = 0; i < sizeof(required) / sizeof(required[0]); i++)
		if (json_object_get(a, required[i]) == NULL)
			fail_msg("alert lacks %s", required[i]);
	assert_string_equal(str(a, "scenario"), "nflogmon/burst");
	assert_string_equal(str(a, "stop_at"), "2026-12-04T00:00:00Z");
	assert_string_equal(str(a, "start_at"), "2026-12-04T00:00:00Z");
	assert_true(json_is_integer(json_object_get(a, "events_count")));
	assert_true(json_is_integer(json_object_get(a, "capacity")));
	assert_true(json_is_false(json_object_get(a, "simulated")));
	ev = json_array_get(json_object_get(a, "events"), 0);
	assert_non_null(json_object_get(ev, "timestamp"));
	assert_true(json_is_array(json_object_get(ev, "meta")));
	assert_string_equal(str(json_object_get(a, "source"), "scope"), "Ip");
	assert_string_equal(str(json_object_get(a, "source"), "value"),
	    "192.0.2.7");
	assert_int_equal(json_array_size(json_object_get(a, "decisions")), 1);
	d = json_array_get(json_object_get(a, "decisions"), 0);
	for (i = 0; i < sizeof(dreq) / sizeof(dreq[0]); i++)
		if (json_object_get(d, dreq[i]) == NULL)
			fail_msg("decision lacks %s", dreq[i]);
	assert_string_equal(str(d, "origin"), "nflogmon");
	assert_string_equal(str(d, "type"), "ban");
	assert_string_equal(str(d, "scope"), "Ip");	/* exactly: not "ip" */
	assert_string_equal(str(d, "value"), "192.0.2.7");
	assert_string_equal(str(d, "duration"), "3600s");
	assert_string_equal(str(d, "scenario"), "nflogmon/burst");
	json_decref(a);
}

static void
test_range_and_caps(void **state)
{
	struct fleet_pub p;
	json_t *a, *d;

	(void)state;
	/* an IPv6 prefix is a Range; a permanent block is capped */
	p = pub("2001:db8:1:2::/64", "fanout", 0, -1);
	a = alert_of(&p, 7 * 86400);
	d = json_array_get(json_object_get(a, "decisions"), 0);
	assert_string_equal(str(d, "scope"), "Range");
	assert_string_equal(str(d, "value"), "2001:db8:1:2::/64");
	assert_string_equal(str(json_object_get(a, "source"), "scope"),
	    "Range");
	assert_string_equal(str(d, "duration"), "604800s");
	json_decref(a);
	/* longer than max_duration: capped; under a second: one second */
	p = pub("192.0.2.8", "sustained", 0, 30 * 86400);
	assert_int_equal(fleet_alert_duration(&p, 86400LL * 1000000),
	    86400LL * 1000000);
	p.duration_us = 10;
	assert_int_equal(fleet_alert_duration(&p, 86400LL * 1000000), 1000000);
	/* a uid or an account is never an alert */
	p = pub("uid:1001", "burst", 0, 60);
	assert_null(fleet_alert_json(&p, 86400LL * 1000000));
	p = pub("account:bob@example.org", "recipients", 0, 60);
	assert_null(fleet_alert_json(&p, 86400LL * 1000000));
	p = pub("192.0.2.9", "", 0, 60);
	assert_null(fleet_alert_json(&p, 86400LL * 1000000));
}

static void
test_login(void **state)
{
	char tok[64], *s;
	json_t *o;

	(void)state;
	s = fleet_login_json("gw-a", "pa\"ss");
	assert_non_null(s);
	o = json_loads(s, 0, NULL);
	free(s);
	assert_string_equal(str(o, "machine_id"), "gw-a");
	assert_string_equal(str(o, "password"), "pa\"ss");	/* escaped */
	json_decref(o);

#define TOK_OK(body, want) do {					\
	assert_int_equal(fleet_login_token(body, strlen(body), tok,	\
	    sizeof(tok)), 0);						\
	assert_string_equal(tok, want);					\
} while (0)
#define TOK_BAD(body)							\
	assert_int_equal(fleet_login_token(body, strlen(body), tok,	\
	    sizeof(tok)), -1)
	TOK_OK("{\"code\":200,\"expire\":\"x\",\"token\":\"abc.def\"}",
	    "abc.def");
	TOK_BAD("{\"token\":\"\"}");
	TOK_BAD("{\"token\":12}");
	TOK_BAD("{\"token\":\"a\\r\\nX-Evil: 1\"}");
	TOK_BAD("not json");
	TOK_BAD("{\"token\":\"0123456789012345678901234567890123456789"
	    "012345678901234567890123456789\"}");
}

static void
test_ids(void **state)
{
	int64_t id;

#define ID(fn, body, want) do {						\
	int r_ = fn(body, strlen(body), &id);				\
	if ((want) < 0)							\
		assert_int_equal(r_, -1);				\
	else {								\
		assert_int_equal(r_, 0);				\
		assert_int_equal(id, (want));				\
	}								\
} while (0)
	(void)state;
	ID(fleet_alert_id, "[\"12\"]", 12);
	ID(fleet_alert_id, "[12]", 12);
	ID(fleet_alert_id, "[]", -1);
	ID(fleet_alert_id, "[\"1\",\"2\"]", -1);	/* one alert per request */
	ID(fleet_alert_id, "[\"-3\"]", -1);
	ID(fleet_alert_id, "[\"12x\"]", -1);
	ID(fleet_alert_id, "[\"99999999999999999999999\"]", -1);
	ID(fleet_alert_id, "{\"message\":\"x\"}", -1);
	ID(fleet_alert_decision_id, "{\"id\":5,\"decisions\":[{\"id\":42,"
	    "\"value\":\"192.0.2.7\"}]}", 42);
	ID(fleet_alert_decision_id, "{\"id\":5,\"decisions\":[]}", -1);
	ID(fleet_alert_decision_id, "{\"id\":5,\"decisions\":null}", -1);
	ID(fleet_alert_decision_id, "{\"decisions\":[{\"id\":0}]}", -1);
	ID(fleet_alert_decision_id, "[", -1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_required_fields),
		cmocka_unit_test(test_range_and_caps),
		cmocka_unit_test(test_login),
		cmocka_unit_test(test_ids),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

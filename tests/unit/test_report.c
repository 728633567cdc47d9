/*
 * test_report.c: report.c's formatting, table-driven: UTC times, a verdict
 * as JSON (nulls for allowed, breaker and permanent; times as Unix
 * seconds to the microsecond), the thresholds of a class and a talker as
 * JSON.  The JSON is checked by dumping it with the flags replay uses.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <jansson.h>
#include <cmocka.h>

#include "nflogmon.h"

static void
test_time(void **state)
{
	static const struct {
		int64_t		 us;
		const char	*want;
	} cases[] = {
		{ 1700000000LL * US_PER_S, "2023-11-14 22:13:20.000" },
		{ 1700000910LL * US_PER_S + 500000, "2023-11-14 22:28:30.500" },
		{ 1700000000LL * US_PER_S + 999, "2023-11-14 22:13:20.000" },
		{ 1700000000LL * US_PER_S + 1999, "2023-11-14 22:13:20.001" },
		{ 0, "1970-01-01 00:00:00.000" },
		{ -1, "1969-12-31 23:59:59.999" },
	};
	char buf[64];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		assert_string_equal(report_time(cases[i].us, buf, sizeof(buf)),
		    cases[i].want);
}

static char *
dump(json_t *o)
{
	char *s;

	assert_non_null(o);
	s = json_dumps(o, REPORT_JSON_FLAGS);
	json_decref(o);
	assert_non_null(s);
	return s;
}

static void
test_verdict_json(void **state)
{
	static const struct {
		enum action	 action;
		int64_t		 timeout_us;
		int		 strike;
		int64_t		 at_us;
		const char	*want;
	} cases[] = {
		{ ACT_BLOCK, 3600 * US_PER_S, 1, 1700000003450000LL,
		  "{\"source\":\"192.0.2.7\",\"rule\":\"burst\","
		  "\"connections\":21,\"destinations\":12,"
		  "\"first_seen\":1700000000.12,\"at\":1700000003.45,"
		  "\"action\":\"block\",\"timeout\":3600,\"strike\":1,"
		  "\"recent_destinations\":[\"203.0.113.5\"]}" },
		{ ACT_DRY_RUN, DURATION_PERMANENT, 4, 1700000003000001LL,
		  "{\"source\":\"192.0.2.7\",\"rule\":\"burst\","
		  "\"connections\":21,\"destinations\":12,"
		  "\"first_seen\":1700000000.12,\"at\":1700000003.000001,"
		  "\"action\":\"dry_run\",\"timeout\":null,\"strike\":4,"
		  "\"recent_destinations\":[\"203.0.113.5\"]}" },
		{ ACT_ALLOWED, 0, 0, 1700000003000000LL,
		  "{\"source\":\"192.0.2.7\",\"rule\":\"burst\","
		  "\"connections\":21,\"destinations\":12,"
		  "\"first_seen\":1700000000.12,\"at\":1700000003.0,"
		  "\"action\":\"allowed\",\"timeout\":null,\"strike\":null,"
		  "\"recent_destinations\":[\"203.0.113.5\"]}" },
		{ ACT_BREAKER, 0, 0, 1700000003000000LL,
		  "{\"source\":\"192.0.2.7\",\"rule\":\"burst\","
		  "\"connections\":21,\"destinations\":12,"
		  "\"first_seen\":1700000000.12,\"at\":1700000003.0,"
		  "\"action\":\"breaker\",\"timeout\":null,\"strike\":null,"
		  "\"recent_destinations\":[\"203.0.113.5\"]}" },
	};
	struct verdict v;
	struct addr a;
	size_t i;
	char *s;

	(void)state;
	memset(&a, 0, sizeof(a));
	a.family = AF_INET;
	inet_pton(AF_INET, "192.0.2.7", a.b);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		memset(&v, 0, sizeof(v));
		key_from_addr(&v.key, &a, 64);
		v.rule = RULE_BURST;
		v.action = cases[i].action;
		v.connections = 21;
		v.destinations = 12;
		v.first_seen_us = 1700000000120000LL;
		v.at_us = cases[i].at_us;
		v.timeout_us = cases[i].timeout_us;
		v.strike = cases[i].strike;
		v.cls = -1;
		v.ndsts = 1;
		v.dsts[0].family = AF_INET;
		inet_pton(AF_INET, "203.0.113.5", v.dsts[0].b);
		s = dump(report_verdict_json(&v, 0));
		assert_string_equal(s, cases[i].want);
		free(s);
	}
	/* A monotonic engine clock plus the wall offset. */
	v.at_us = 5 * US_PER_S;
	v.first_seen_us = 2 * US_PER_S;
	v.action = ACT_BLOCK;
	v.timeout_us = 60 * US_PER_S;
	v.strike = 1;
	s = dump(report_verdict_json(&v, 1700000000LL * US_PER_S));
	assert_non_null(strstr(s, "\"first_seen\":1700000002.0,"
	    "\"at\":1700000005.0,"));
	free(s);
}

static void
test_rule_rate(void **state)
{
	struct conf c;
	struct conf_class cls;

	(void)state;
	memset(&c, 0, sizeof(c));
	memset(&cls, 0, sizeof(cls));
	c.rate[RULE_BURST].n = 20;
	c.rate[RULE_SUSTAINED].n = 120;
	c.rate[RULE_FANOUT].n = 15;
	strcpy(cls.name, "natgw");
	cls.has_rate[RULE_BURST] = true;
	cls.rate[RULE_BURST].n = 100;
	c.classes = &cls;
	c.nclasses = 1;
	assert_int_equal(rule_rate(&c, -1, RULE_BURST)->n, 20);
	assert_int_equal(rule_rate(&c, 0, RULE_BURST)->n, 100);
	assert_int_equal(rule_rate(&c, 0, RULE_SUSTAINED)->n, 120);
	assert_int_equal(rule_rate(&c, 0, RULE_FANOUT)->n, 15);
	assert_int_equal(rule_rate(&c, 1, RULE_BURST)->n, 20);
}

static void
test_talker_json(void **state)
{
	struct engine_talker t;
	struct conf c;
	struct conf_class cls;
	char *s;

	(void)state;
	memset(&c, 0, sizeof(c));
	memset(&cls, 0, sizeof(cls));
	strcpy(cls.name, "natgw");
	c.classes = &cls;
	c.nclasses = 1;
	c.rate[RULE_BURST].n = 20;
	c.rate[RULE_SUSTAINED].off = true;
	c.rate[RULE_FANOUT].n = 15;
	memset(&t, 0, sizeof(t));
	key_from_uid(&t.key, 1001);
	t.count[RULE_BURST] = 4;
	t.count[RULE_SUSTAINED] = 30;
	t.count[RULE_FANOUT] = 3;
	t.connections = 31;
	t.cls = -1;
	s = dump(report_talker_json(&t, &c));
	assert_string_equal(s, "{\"source\":\"uid:1001\",\"burst\":4,"
	    "\"burst_limit\":20,\"sustained\":30,\"sustained_limit\":null,"
	    "\"fanout\":3,\"fanout_limit\":15,\"connections\":31,"
	    "\"class\":null}");
	free(s);
	t.cls = 0;
	s = dump(report_talker_json(&t, &c));
	assert_non_null(strstr(s, "\"class\":\"natgw\""));
	free(s);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_time),
		cmocka_unit_test(test_verdict_json),
		cmocka_unit_test(test_rule_rate),
		cmocka_unit_test(test_talker_json),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

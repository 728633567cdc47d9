/*
 * test_daemon.c: act_block and act_unblock against a backend that
 * fails on demand, read back through status (DESIGN.md "nflogmon status
 * --json"): backend "ok" tells whether the last operation succeeded,
 * "error" is that operation's error while not ok (null otherwise),
 * "errors" counts every failure.  Also: a verdict's destinations stay with
 * its block, for the unblock hook and the state file.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "daemon.h"

static bool fake_fail;
static int fake_blocks, fake_unblocks;

static int
fake_block(struct backend *be, const struct key *k, int64_t timeout_us,
    enum response resp, const struct rate *rate, char *err, size_t errlen)
{
	(void)be;
	(void)k;
	(void)timeout_us;
	(void)resp;
	(void)rate;
	fake_blocks++;
	if (fake_fail) {
		snprintf(err, errlen, "fake: set full (%d)", fake_blocks);
		return -1;
	}
	return 0;
}

static int
fake_unblock(struct backend *be, const struct key *k, char *err,
    size_t errlen)
{
	(void)be;
	(void)k;
	fake_unblocks++;
	if (fake_fail) {
		snprintf(err, errlen, "fake: no answer (%d)", fake_unblocks);
		return -1;
	}
	return 0;
}

static bool
fake_enforces(const struct backend *be, const struct key *k)
{
	(void)be;
	(void)k;
	return true;
}

static const struct backend_ops fake_ops = {
	.name = "fake",
	.block = fake_block,
	.unblock = fake_unblock,
	.enforces = fake_enforces,
};

static struct daemon td;

static int
setup(void **state)
{
	static const uint8_t hashkey[16];

	(void)state;
	memset(&td, 0, sizeof(td));
	fake_fail = false;
	fake_blocks = fake_unblocks = 0;
	td.conf = conf_defaults();
	assert_non_null(td.conf);
	td.conf->state_file[0] = '\0';	/* no file */
	td.conf->hook[0] = '\0';
	td.backend.ops = &fake_ops;
	td.backend.conf = td.conf;
	td.engine = engine_new(td.conf, hashkey);
	td.blocks = blocks_new();
	assert_non_null(td.engine);
	assert_non_null(td.blocks);
	td.start_mono_us = clock_mono_us();
	td.start_wall_us = clock_wall_us();
	daemon_backend_result(&td, NULL);	/* as after init */
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	engine_free(td.engine);
	blocks_free(td.blocks);
	conf_free(td.conf);
	return 0;
}

/* Checks status's backend object: its types and values. */
static void
check_backend(bool ok, const char *error_part, json_int_t errors)
{
	json_t *st = ctl_status_json(&td), *be, *e;

	assert_non_null(st);
	be = json_object_get(st, "backend");
	assert_true(json_is_object(be));
	assert_string_equal(json_string_value(json_object_get(be, "name")),
	    "fake");
	assert_true(json_is_boolean(json_object_get(be, "ok")));
	assert_int_equal(json_is_true(json_object_get(be, "ok")), ok);
	e = json_object_get(be, "error");
	if (error_part == NULL)
		assert_true(json_is_null(e));
	else {
		assert_true(json_is_string(e));
		assert_non_null(strstr(json_string_value(e), error_part));
	}
	assert_true(json_is_integer(json_object_get(be, "errors")));
	assert_int_equal(json_integer_value(json_object_get(be, "errors")),
	    errors);
	json_decref(st);
}

static struct block
manual(const char *src)
{
	struct block b;
	char err[128];

	memset(&b, 0, sizeof(b));
	assert_int_equal(key_parse(src, 64, &b.key, err, sizeof(err)), 0);
	b.rule = RULE_MANUAL;
	b.action = ACT_BLOCK;
	b.since_us = clock_wall_us();
	b.expires_us = b.since_us + 3600 * US_PER_S;
	return b;
}

static void
test_backend_ok(void **state)
{
	struct block b = manual("192.0.2.7");
	char err[256];

	(void)state;
	check_backend(true, NULL, 0);

	fake_fail = true;
	assert_int_equal(act_block(&td, &b, 3600 * US_PER_S, err,
	    sizeof(err)), -1);
	check_backend(false, "set full (1)", 1);

	/* The next success makes it ok again; the count stays. */
	fake_fail = false;
	assert_int_equal(act_block(&td, &b, 3600 * US_PER_S, err,
	    sizeof(err)), 0);
	check_backend(true, NULL, 1);

	fake_fail = true;
	assert_int_equal(act_unblock(&td, &b.key, "test", err,
	    sizeof(err)), -1);
	check_backend(false, "no answer (1)", 2);
	assert_non_null(blocks_find(td.blocks, &b.key));

	/* A second failure shows its own error. */
	assert_int_equal(act_unblock(&td, &b.key, "test", err,
	    sizeof(err)), -1);
	check_backend(false, "no answer (2)", 3);

	fake_fail = false;
	assert_int_equal(act_unblock(&td, &b.key, "test", err,
	    sizeof(err)), 0);
	check_backend(true, NULL, 3);
	assert_null(blocks_find(td.blocks, &b.key));
}

/* A verdict's destinations are kept with its block. */
static void
test_verdict_destinations(void **state)
{
	struct verdict v;
	struct block *b;
	char err[128];

	(void)state;
	memset(&v, 0, sizeof(v));
	assert_int_equal(key_parse("192.0.2.9", 64, &v.key, err, sizeof(err)),
	    0);
	v.rule = RULE_FANOUT;
	v.action = ACT_BLOCK;
	v.connections = 16;
	v.destinations = 6;
	v.at_us = clock_mono_us();
	v.timeout_us = 3600 * US_PER_S;
	v.strike = 1;
	act_verdict(&td, &v);
	assert_non_null(b = blocks_find(td.blocks, &v.key));
	assert_int_equal(b->destinations, 6);
	assert_int_equal(b->connections, 16);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_backend_ok, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_verdict_destinations,
		    setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

/*
 * test_fleet_queue.c: the publication queue: bounded (full refuses and
 * counts), arrival order, backoff doubling to its cap, an unblock that
 * cancels a queued publication or withdraws a published decision by id,
 * an unblock while the publication's request runs, the ids map, and what
 * status and the metrics show of it (report.c).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "fleet.h"

#define S	1000000LL

static struct key
K(const char *s)
{
	struct key k;
	char err[128];

	if (key_parse(s, 64, &k, err, sizeof(err)) == -1)
		fail_msg("%s", err);
	return k;
}

static struct fleet_pub
P(const char *s)
{
	struct key k = K(s);

	return fleet_pub_make(&k, "burst", 0, 3600 * S);
}

static void
test_bounded_order(void **state)
{
	struct fleet_queue *q = fleet_queue_new(3, 10);
	struct fleet_pub p;
	struct fleet_job *j, copy;
	char k[KEY_STRLEN];

	(void)state;
	p = P("192.0.2.1");
	assert_int_equal(fleet_queue_publish(q, &p, 0), 0);
	p = P("192.0.2.2");
	assert_int_equal(fleet_queue_publish(q, &p, 0), 0);
	p = P("192.0.2.1");	/* a refresh replaces, takes no slot */
	p.since_us = 5;
	assert_int_equal(fleet_queue_publish(q, &p, 0), 0);
	p = P("192.0.2.3");
	assert_int_equal(fleet_queue_publish(q, &p, 0), 0);
	p = P("192.0.2.4");
	assert_int_equal(fleet_queue_publish(q, &p, 0), -1);
	assert_int_equal(fleet_queue_dropped(q), 1);
	assert_int_equal(fleet_queue_count(q), 3);
	assert_int_equal(fleet_queue_at(q, 0)->pub.since_us, 5);
	j = fleet_queue_next(q, 0);
	assert_string_equal(key_format(&j->pub.key, k, sizeof(k)), "192.0.2.1");
	copy = *j;
	fleet_queue_done(q, &copy, 41, 0);
	assert_int_equal(fleet_queue_count(q), 2);
	assert_int_equal(fleet_ids_get(q, &copy.pub.key), 41);
	assert_true(fleet_ids_own(q, 41));
	assert_false(fleet_ids_own(q, 42));
	j = fleet_queue_next(q, 0);
	assert_string_equal(key_format(&j->pub.key, k, sizeof(k)), "192.0.2.2");
	fleet_queue_free(q);
}

static void
test_backoff(void **state)
{
	struct fleet_queue *q = fleet_queue_new(4, 4);
	struct fleet_pub p = P("192.0.2.1");
	struct fleet_job copy;
	int64_t now = 100 * S, want = S;
	int i;

	(void)state;
	fleet_queue_publish(q, &p, now);
	for (i = 0; i < 12; i++) {
		copy = *fleet_queue_next(q, now);
		fleet_queue_failed(q, &copy, "login: Connection refused", now);
		assert_null(fleet_queue_next(q, now + want - 1));
		assert_non_null(fleet_queue_next(q, now + want));
		assert_string_equal(fleet_queue_at(q, 0)->error,
		    "login: Connection refused");
		assert_int_equal(fleet_queue_at(q, 0)->attempts, i + 1);
		now += want;
		want = want * 2 > 300 * S ? 300 * S : want * 2;
	}
	assert_int_equal(fleet_queue_count(q), 1);	/* never dropped */
	fleet_queue_free(q);
}

static void
test_unpublish(void **state)
{
	struct fleet_queue *q = fleet_queue_new(4, 4);
	struct fleet_pub p = P("192.0.2.1");
	struct fleet_job copy, *j;
	struct key k = K("192.0.2.1");

	(void)state;
	/* still queued: cancelled, nothing to send */
	fleet_queue_publish(q, &p, 0);
	assert_int_equal(fleet_queue_unpublish(q, &k, 0), 1);
	assert_int_equal(fleet_queue_count(q), 0);
	/* never published: nothing to do */
	assert_int_equal(fleet_queue_unpublish(q, &k, 0), 1);
	/* published: its decision deleted by its id */
	fleet_queue_publish(q, &p, 0);
	copy = *fleet_queue_next(q, 0);
	fleet_queue_done(q, &copy, 77, 0);
	assert_int_equal(fleet_queue_unpublish(q, &k, 0), 0);
	assert_int_equal(fleet_queue_unpublish(q, &k, 0), 0);	/* once */
	assert_int_equal(fleet_queue_count(q), 1);
	j = fleet_queue_next(q, 0);
	assert_int_equal(j->op, FLEET_UNPUBLISH);
	assert_int_equal(j->decision_id, 77);
	copy = *j;
	fleet_queue_done(q, &copy, 0, 0);
	assert_int_equal(fleet_ids_get(q, &k), 0);
	assert_int_equal(fleet_ids_count(q), 0);
	/* unblocked while the POST runs: withdrawn once its id is known */
	fleet_queue_publish(q, &p, 0);
	copy = *fleet_queue_next(q, 0);
	assert_int_equal(fleet_queue_unpublish(q, &k, 0), 1);
	fleet_queue_done(q, &copy, 78, 0);
	j = fleet_queue_next(q, 0);
	assert_non_null(j);
	assert_int_equal(j->op, FLEET_UNPUBLISH);
	assert_int_equal(j->decision_id, 78);
	/* a failure reported for a job no longer queued is harmless */
	copy.op = FLEET_PUBLISH;
	fleet_queue_failed(q, &copy, "x", 0);
	assert_int_equal(fleet_queue_count(q), 1);
	fleet_queue_free(q);
}

static void
test_ids(void **state)
{
	struct fleet_queue *q = fleet_queue_new(1, 2);
	struct key a = K("192.0.2.1"), b = K("2001:db8::/64"),
	    c = K("192.0.2.3");

	(void)state;
	assert_int_equal(fleet_ids_put(q, &a, 0), -1);
	assert_int_equal(fleet_ids_put(q, &a, 5), 0);
	assert_int_equal(fleet_ids_put(q, &b, 6), 0);
	assert_int_equal(fleet_ids_put(q, &a, 7), 0);	/* replaced */
	assert_int_equal(fleet_ids_put(q, &c, 8), -1);	/* bounded */
	assert_int_equal(fleet_ids_get(q, &a), 7);
	assert_false(fleet_ids_own(q, 5));
	assert_true(fleet_ids_own(q, 6));
	fleet_queue_free(q);
}

/* The status object has DESIGN.md's fields; the metrics their counters. */
static void
test_report(void **state)
{
	struct fleet_queue *q = fleet_queue_new(4, 4);
	struct fleet_pub p = P("192.0.2.1");
	struct fleet_status st;
	struct fleet_job copy;
	json_t *o, *j;
	char *out;
	size_t len;
	FILE *f;

	(void)state;
	memset(&st, 0, sizeof(st));
	fleet_queue_publish(q, &p, 0);
	copy = *fleet_queue_next(q, 0);
	fleet_queue_failed(q, &copy, "login: Connection refused", 0);
	st.ok = false;
	st.queued = fleet_queue_count(q);
	st.last_pull_us = 1500000;
	st.applied = 3;
	st.stream.refused[FLEET_REF_LOOPBACK] = 2;
	st.stream.refused[FLEET_REF_V4RANGE] = 1;
	snprintf(st.error, sizeof(st.error), "login: Connection refused");
	o = fleet_status_json(&st, q);
	assert_non_null(o);
	assert_true(json_is_false(json_object_get(o, "ok")));
	assert_true(json_is_null(json_object_get(o, "last_push")));
	assert_true(json_real_value(json_object_get(o, "last_pull")) == 1.5);
	assert_int_equal(json_integer_value(json_object_get(o, "queued")), 1);
	assert_int_equal(json_integer_value(json_object_get(o, "applied")), 3);
	assert_int_equal(json_integer_value(json_object_get(o, "refused")), 3);
	assert_int_equal(json_integer_value(json_object_get(json_object_get(o,
	    "refused_by"), "loopback")), 2);
	assert_string_equal(json_string_value(json_object_get(o, "error")),
	    "login: Connection refused");
	j = json_array_get(json_object_get(o, "pending"), 0);
	assert_string_equal(json_string_value(json_object_get(j, "source")),
	    "192.0.2.1");
	assert_string_equal(json_string_value(json_object_get(j, "op")),
	    "publish");
	assert_int_equal(json_integer_value(json_object_get(j, "attempts")), 1);
	json_decref(o);
	f = open_memstream(&out, &len);
	fleet_metrics(f, &st);
	fclose(f);
	assert_non_null(strstr(out, "\nnflogmon_fleet_queued 1\n"));
	assert_non_null(strstr(out, "\nnflogmon_fleet_ok 0\n"));
	assert_non_null(strstr(out, "nflogmon_fleet_refused_total{reason="
	    "\"ipv4_range\"} 1\n"));
	free(out);
	fleet_queue_free(q);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bounded_order),
		cmocka_unit_test(test_backoff),
		cmocka_unit_test(test_unpublish),
		cmocka_unit_test(test_ids),
		cmocka_unit_test(test_report),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

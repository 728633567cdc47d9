/*
 * test_ipset.c: the ipset backend against the real kernel, inside a private
 * network namespace (unshare(CLONE_NEWNET)) so the host's sets are never
 * seen nor touched.  Skips (77) when not root or without namespaces; CI
 * has both.  The expected state is read back with the `ipset` tool, so the
 * backend is checked against a second opinion, not against itself.
 */
#define _GNU_SOURCE
#include <sched.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <cmocka.h>

#include "nflogmon.h"
#include "kernel_test.h"

static struct conf conf;

static int
setup(void **state)
{
	(void)state;
	memset(&conf, 0, sizeof(conf));
	snprintf(conf.ipset_name, sizeof(conf.ipset_name), "nfltest");
	conf.ipset_maxelem = 65536;
	conf.create_sets = true;
	sh("ipset destroy nfltest 2>/dev/null; ipset destroy nfltest6 "
	    "2>/dev/null");
	return 0;
}

static void
test_create_block_list(void **state)
{
	struct backend		 b = { .ops = &backend_ipset_ops };
	struct backend_entry	*e;
	struct key		 k4, k6, ku;
	char			 err[512];
	bool			 created;
	size_t			 n, i;
	int			 seen = 0;

	(void)state;
	assert_verb(b.ops->init(&b, &conf, &created, err, sizeof(err)), 0);
	assert_true(created);
	assert_non_null(strstr(sh("ipset list -t nfltest"), "Type: hash:ip"));
	assert_non_null(strstr(sh("ipset list -t nfltest6"),
	    "Type: hash:net"));
	assert_non_null(strstr(sh("ipset list -t nfltest6"), "family inet6"));
	assert_non_null(strstr(sh("ipset list -t nfltest"), "maxelem 65536"));

	key_v4(&k4, "192.0.2.7");
	key_v6(&k6, "2001:db8:1:2::", 64);
	memset(&ku, 0, sizeof(ku));
	ku.kind = KEY_UID;
	ku.uid = 1001;

	assert_verb(b.ops->test(&b, &k4, err, sizeof(err)), 0);
	assert_verb(b.ops->block(&b, &k4, 90 * US_PER_S + 1, RESP_BLOCK,
	    NULL, err, sizeof(err)), 0);
	/* Twice: refresh, not an error. */
	assert_verb(b.ops->block(&b, &k4, 100 * US_PER_S, RESP_BLOCK,
	    NULL, err, sizeof(err)), 0);
	assert_verb(b.ops->block(&b, &k6, DURATION_PERMANENT, RESP_BLOCK,
	    NULL, err, sizeof(err)), 0);
	assert_verb(b.ops->block(&b, &ku, 60 * US_PER_S, RESP_BLOCK,
	    NULL, err, sizeof(err)), 0);
	assert_false(b.ops->enforces(&b, &ku));
	assert_true(b.ops->enforces(&b, &k4));
	assert_verb(b.ops->test(&b, &k4, err, sizeof(err)), 1);
	assert_verb(b.ops->test(&b, &k6, err, sizeof(err)), 1);

	assert_non_null(strstr(sh("ipset save nfltest"),
	    "add nfltest 192.0.2.7 timeout "));
	assert_non_null(strstr(sh("ipset save nfltest6"),
	    "add nfltest6 2001:db8:1:2::/64 timeout 0"));

	assert_verb(b.ops->list(&b, &e, &n, err, sizeof(err)), 0);
	assert_int_equal(n, 2);
	for (i = 0; i < n; i++) {
		if (e[i].key.kind == KEY_V4) {
			assert_memory_equal(e[i].key.addr, k4.addr, 16);
			assert_true(e[i].expires_in_us > 90 * US_PER_S);
			assert_true(e[i].expires_in_us <= 100 * US_PER_S);
			seen |= 1;
		} else {
			assert_memory_equal(&e[i].key, &k6, sizeof(k6));
			assert_true(e[i].expires_in_us == DURATION_PERMANENT);
			seen |= 2;
		}
	}
	assert_int_equal(seen, 3);
	free(e);

	/* Beyond the kernel's 2147483 s: no kernel timeout at all; just
	 * under: rounded up to whole seconds. */
	assert_verb(b.ops->block(&b, &k4, 2147484LL * US_PER_S, RESP_BLOCK,
	    NULL, err, sizeof(err)), 0);
	assert_non_null(strstr(sh("ipset save nfltest"),
	    "add nfltest 192.0.2.7 timeout 0"));
	assert_verb(b.ops->block(&b, &k4, 2147482LL * US_PER_S + 1,
	    RESP_BLOCK, NULL, err, sizeof(err)), 0);
	assert_non_null(strstr(sh("ipset save nfltest"),
	    "add nfltest 192.0.2.7 timeout 214748"));

	assert_verb(b.ops->unblock(&b, &k4, err, sizeof(err)), 0);
	assert_verb(b.ops->unblock(&b, &k4, err, sizeof(err)), 0);
	assert_verb(b.ops->test(&b, &k4, err, sizeof(err)), 0);
	assert_null(strstr(sh("ipset save nfltest"), "192.0.2.7"));
	b.ops->fini(&b);

	/* A second start finds the sets: not created. */
	assert_verb(b.ops->init(&b, &conf, &created, err, sizeof(err)), 0);
	assert_false(created);
	assert_verb(b.ops->test(&b, &k6, err, sizeof(err)), 1);
	b.ops->fini(&b);
}

static void
test_missing_and_wrong(void **state)
{
	struct backend	 b = { .ops = &backend_ipset_ops };
	char		 err[512];
	bool		 created;

	(void)state;
	conf.create_sets = false;
	assert_verb(b.ops->init(&b, &conf, &created, err, sizeof(err)), -1);
	assert_string_equal(err, "set nfltest does not exist; create it or "
	    "set create_sets = yes");
	sh("ipset create nfltest hash:net family inet");
	assert_verb(b.ops->init(&b, &conf, &created, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "nfltest"));
	assert_non_null(strstr(err, "hash:net"));
	assert_non_null(strstr(err, "expected hash:ip"));
	sh("ipset destroy nfltest; ipset create nfltest hash:ip");
	assert_verb(b.ops->init(&b, &conf, &created, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "without timeout"));
	sh("ipset destroy nfltest; ipset create nfltest hash:ip timeout 0");
	assert_verb(b.ops->init(&b, &conf, &created, err, sizeof(err)), -1);
	assert_string_equal(err, "set nfltest6 does not exist; create it or "
	    "set create_sets = yes");
	sh("ipset create nfltest6 hash:ip family inet6 timeout 0");
	assert_verb(b.ops->init(&b, &conf, &created, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "nfltest6: set is hash:ip family inet6"));
	/* A set of another name is never touched. */
	sh("ipset create nflother hash:ip");
	sh("ipset destroy nfltest6; ipset create nfltest6 hash:net family "
	    "inet6 timeout 0");
	assert_verb(b.ops->init(&b, &conf, &created, err, sizeof(err)), 0);
	assert_false(created);
	b.ops->fini(&b);
	assert_non_null(strstr(sh("ipset list -n"), "nflother"));
}

static void
test_kernel_error(void **state)
{
	struct backend	 b = { .ops = &backend_ipset_ops };
	struct key	 k;
	char		 err[512];
	bool		 created;
	int		 i;

	(void)state;
	conf.create_sets = true;
	conf.ipset_maxelem = 4;
	assert_verb(b.ops->init(&b, &conf, &created, err, sizeof(err)), 0);
	for (i = 1; i <= 4; i++) {
		key_v4(&k, "192.0.2.1");
		k.addr[3] = (uint8_t)i;
		assert_verb(b.ops->block(&b, &k, US_PER_S * 60,
		    RESP_BLOCK, NULL, err, sizeof(err)), 0);
	}
	key_v4(&k, "192.0.2.5");
	assert_verb(b.ops->block(&b, &k, US_PER_S * 60, RESP_BLOCK, NULL,
	    err, sizeof(err)), -1);
	assert_non_null(strstr(err, "nfltest"));
	assert_non_null(strstr(err, "192.0.2.5"));
	assert_non_null(strstr(err, "full"));

	/* A set removed behind the daemon's back: every verb says so. */
	sh("ipset destroy nfltest");
	key_v4(&k, "192.0.2.1");
	assert_verb(b.ops->test(&b, &k, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "nfltest"));
	assert_verb(b.ops->unblock(&b, &k, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "192.0.2.1"));
	assert_non_null(strstr(err, "does not exist"));
	b.ops->fini(&b);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_create_block_list, setup),
		cmocka_unit_test_setup(test_missing_and_wrong, setup),
		cmocka_unit_test_setup(test_kernel_error, setup),
	};

	if (geteuid() != 0) {
		printf("needs root for a private network namespace\n");
		return 77;
	}
	if (unshare(CLONE_NEWNET) != 0) {
		printf("unshare(CLONE_NEWNET) failed\n");
		return 77;
	}
	return cmocka_run_group_tests(tests, NULL, NULL);
}
